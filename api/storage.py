"""The repository layer: every read and write of stored state goes through these functions.

Rules they all keep, so the API does not have to:
- They work inside the caller's transaction (`api.db.session_scope`) and never commit; a
  change and its audit entry are flushed together, so they are committed or lost together.
- Every mutating function writes an audit entry (who, when, what, why) — except `heartbeat`,
  which only says a worker is alive and would drown the log.
- Changes to a row that has a ``version`` take the version the caller read (the ETag) and
  raise `StaleVersion` when it moved on, instead of overwriting someone else's change.
- History is append-only: a plan version is never changed (only its state moves on, and
  ``published_at`` is set once) and replanning stores a child that points at its parent.
- A term has one live plan (state ``published``); everything that reads "the plan" reads it, or,
  before the term was ever published, its newest draft (`working_plan_version`).
- An absence's reason is confidential: it is stored, but never written to the audit log.

Job queue: `claim_next_job` hands each queued job to exactly one worker, also with workers on
several machines (PostgreSQL ``FOR UPDATE SKIP LOCKED``; on SQLite a conditional UPDATE). A
worker commits right after claiming, heartbeats while it works, and a job whose worker stopped
heartbeating is put back in the queue by `requeue_stale_jobs` (failed after ``max_attempts``
claims), so a crashed worker's job is retried rather than lost. Worker ids must be unique per
process (host, pid and a random part): they are what proves a worker still owns its job.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import CursorResult, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.db import (
    Conflict,
    ImmutableRow,
    NotFound,
    NotNewest,
    StaleVersion,
    StorageError,
)
from api.orm import (
    Absence,
    AbsenceState,
    AuditEntry,
    BalRolloutVersion,
    ConfigVersion,
    Job,
    JobState,
    MeetingLock,
    PlanState,
    PlanVersion,
    Proposal,
    Publication,
    PublicationState,
    PublishLock,
    utcnow,
)
from scheduler.model import BalRollout, Plan

__all__ = [
    "Conflict",
    "ImmutableRow",
    "JobLost",
    "NotFound",
    "NotNewest",
    "StaleVersion",
    "StorageError",
    "UNSET",
    "absence_reasons",
    "accept_proposal",
    "add_proposal",
    "audit",
    "audit_trail",
    "claim_job",
    "claim_next_job",
    "create_absence",
    "enqueue_job",
    "fail_job",
    "finish_job",
    "get_absence",
    "get_config",
    "get_job",
    "get_lock",
    "get_plan",
    "get_rollout",
    "get_rollout_version",
    "live_rollout_version",
    "live_rollout_versions",
    "publish_rollout",
    "rollout_versions",
    "save_rollout",
    "get_plan_version",
    "get_publication",
    "add_publication",
    "finish_publication",
    "changed_into",
    "discard_plan_version",
    "heartbeat",
    "latest_config",
    "latest_plan_version",
    "live_plan_ids",
    "live_plan_version",
    "working_plan_ids",
    "working_plan_version",
    "lineage",
    "lock_meeting",
    "locked_uids",
    "lock_publishing",
    "open_absences",
    "overlapping_absences",
    "pending_publications",
    "publication_of",
    "publish_lock_holder",
    "proposals_for",
    "publish_plan_version",
    "queued_job_ids",
    "requeue_stale_jobs",
    "save_config",
    "save_plan_version",
    "unlock_meeting",
    "unlock_publishing",
    "update_absence",
    "absence_spans",
    "config_versions",
    "find_proposal",
    "latest_config_key",
    "ping",
    "plan_versions",
    "recent_absences",
    "recent_jobs",
]

CONFIDENTIAL = "(fortroligt)"


class JobLost(Conflict):
    """The worker no longer owns the job (it was requeued and maybe claimed by another): stop."""


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET
"""'Leave as it is' for `update_absence` (None can be a real value, e.g. no reason)."""


# --------------------------------------------------------------------------- helpers


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)


def _actor(actor: str) -> str:
    """Every change names who made it; an anonymous change is a bug in the caller."""
    if not actor or not actor.strip():
        raise ValueError("actor is required: every change records who made it")
    return actor


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got {value.isoformat()})")
    return value


def _flush(session: Session, object_type: str, object_id: object, expected: int | None = None) -> None:
    """Flush now, so a version conflict surfaces here as `StaleVersion`, not at commit."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleVersion(object_type, object_id, expected, None) from exc


def _check_version(obj: Any, object_type: str, expected_version: int) -> None:
    if obj.version != expected_version:
        raise StaleVersion(object_type, obj.id, expected_version, obj.version)


def _get(session: Session, model: type[Any], object_id: int, object_type: str) -> Any:
    obj = session.get(model, object_id)
    if obj is None:
        raise NotFound(f"{object_type} {object_id} not found")
    return obj


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


# --------------------------------------------------------------------------- audit


def audit(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: object,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record who did what to which object, in the caller's transaction (so it commits or rolls
    back with the change). `detail` must not hold confidential text."""
    entry = AuditEntry(
        at=utcnow(),
        actor=_actor(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=_dumps(dict(detail or {})),
    )
    session.add(entry)
    return entry


def audit_trail(
    session: Session, object_type: str | None = None, object_id: object = None
) -> list[AuditEntry]:
    """Audit entries, oldest first, optionally of one object type or one object."""
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if object_type is not None:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == str(object_id))
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- configs


def save_config(session: Session, name: str, yaml_text: str, actor: str, reason: str) -> ConfigVersion:
    """Store a config as a new version (the text as given; validating it is the caller's job)."""
    config = ConfigVersion(
        name=name,
        yaml=yaml_text,
        sha256=hashlib.sha256(yaml_text.encode("utf-8")).hexdigest(),
        created_by=_actor(actor),
        created_at=utcnow(),
        reason=reason,
    )
    session.add(config)
    session.flush()
    audit(
        session,
        actor,
        "config.save",
        "config_version",
        config.id,
        {"name": name, "sha256": config.sha256, "reason": reason},
    )
    session.flush()
    return config


def get_config(session: Session, config_version_id: int) -> ConfigVersion:
    return cast(ConfigVersion, _get(session, ConfigVersion, config_version_id, "config version"))


def latest_config(session: Session, name: str | None = None) -> ConfigVersion | None:
    """The newest config version (of that name), or None when there is none."""
    stmt = select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(1)
    if name is not None:
        stmt = stmt.where(ConfigVersion.name == name)
    return session.scalars(stmt).first()


def config_versions(session: Session, name: str | None = None, limit: int = 50) -> list[ConfigVersion]:
    """Config versions (of that name), newest first."""
    stmt = select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(limit)
    if name is not None:
        stmt = stmt.where(ConfigVersion.name == name)
    return list(session.scalars(stmt))


def latest_config_key(session: Session) -> tuple[int, str] | None:
    """Id and sha256 of the newest config version, without reading its text (None: none yet)."""
    newest = session.execute(
        select(ConfigVersion.id, ConfigVersion.sha256).order_by(ConfigVersion.id.desc()).limit(1)
    ).first()
    return None if newest is None else (newest.id, newest.sha256)


# --------------------------------------------------------------------------- plan versions


def save_plan_version(
    session: Session,
    config_version: ConfigVersion,
    plan: Plan,
    parent: PlanVersion | None,
    actor: str,
    reason: str,
    *,
    change: bool = False,
) -> PlanVersion:
    """Store `plan` as a new, immutable draft; `parent` is the version it was derived from.

    With `change` (a move, an accepted proposal, a booking: a change of `parent`) the draft is
    `parent`'s one change (``change_of``, unique in the database): of two changes based on the
    same version, one is stored and the other raises `NotNewest` (the caller's transaction must
    then be rolled back); so does a change of a superseded or discarded version. A change of the
    live plan goes live with `publish_plan_version` in the same transaction.
    """
    if change and parent is None:
        raise ValueError("a change needs the version it changes")
    if config_version.id is None:
        raise ValueError("save the config version before a plan made from it")
    if parent is not None:
        if parent.id is None:
            raise ValueError("the parent plan version is not stored")
        if parent.term != plan.term:
            raise ValueError(f"a plan for {plan.term} cannot descend from one for {parent.term}")
    if change and parent is not None and parent.state not in (PlanState.draft, PlanState.published):
        live = live_plan_version(session, parent.term)
        raise NotNewest(parent.term, parent.id, live.id if live is not None else None)
    row = PlanVersion(
        config_version_id=config_version.id,
        parent_id=parent.id if parent is not None else None,
        change_of=parent.id if change and parent is not None else None,
        term=plan.term,
        status=plan.status.value,
        objective=plan.objective,
        plan_json=plan.model_dump_json(),
        created_by=_actor(actor),
        created_at=utcnow(),
        reason=reason,
        state=PlanState.draft,
    )
    if change and parent is not None:
        try:
            with session.begin_nested():  # a second change of `parent` collides on change_of
                session.add(row)
                session.flush()
        except IntegrityError:
            raise NotNewest(plan.term, parent.id, changed_into(session, parent.id)) from None
    else:
        session.add(row)
        session.flush()
    audit(
        session,
        actor,
        "plan.save",
        "plan_version",
        row.id,
        {
            "term": plan.term,
            "status": row.status,
            "objective": plan.objective,
            "meetings": len(plan.meetings),
            "parent_id": row.parent_id,
            "change_of": row.change_of,
            "config_version_id": row.config_version_id,
            "reason": reason,
        },
    )
    session.flush()
    return row


def changed_into(session: Session, plan_version_id: int) -> int | None:
    """The id of the change made of this version (a move, a proposal, a booking), if any."""
    return session.scalar(select(PlanVersion.id).where(PlanVersion.change_of == plan_version_id))


def get_plan_version(session: Session, plan_version_id: int) -> PlanVersion:
    return cast(PlanVersion, _get(session, PlanVersion, plan_version_id, "plan version"))


def get_plan(session: Session, plan_version_id: int) -> tuple[PlanVersion, Plan]:
    """The stored version and its plan, read back into the scheduler's model."""
    row = get_plan_version(session, plan_version_id)
    return row, Plan.model_validate_json(row.plan_json)


def live_plan_version(session: Session, term: str) -> PlanVersion | None:
    """The term's live plan (the one published version), or None before its first publish."""
    return session.scalars(
        select(PlanVersion).where(PlanVersion.term == term, PlanVersion.state == PlanState.published)
    ).first()


def working_plan_version(session: Session, term: str) -> PlanVersion | None:
    """What "the plan" of a term is: the live one, or, for a term never published, its newest
    draft (None when it has neither)."""
    live = live_plan_version(session, term)
    if live is not None:
        return live
    return session.scalars(
        select(PlanVersion)
        .where(PlanVersion.term == term, PlanVersion.state == PlanState.draft)
        .order_by(PlanVersion.id.desc())
        .limit(1)
    ).first()


def latest_plan_version(session: Session, term: str, *, published: bool = False) -> PlanVersion | None:
    """The newest plan version of `term` that is not discarded (with `published`: the live one)."""
    if published:
        return live_plan_version(session, term)
    stmt = (
        select(PlanVersion)
        .where(PlanVersion.term == term, PlanVersion.state != PlanState.discarded)
        .order_by(PlanVersion.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def plan_versions(
    session: Session, term: str | None = None, limit: int = 50, state: PlanState | None = None
) -> list[PlanVersion]:
    """Plan versions (of that term, in that state), newest first."""
    stmt = select(PlanVersion).order_by(PlanVersion.id.desc()).limit(limit)
    if term is not None:
        stmt = stmt.where(PlanVersion.term == term)
    if state is not None:
        stmt = stmt.where(PlanVersion.state == state)
    return list(session.scalars(stmt))


def live_plan_ids(session: Session) -> list[int]:
    """Ids of every term's live plan, ascending."""
    return sorted(session.scalars(select(PlanVersion.id).where(PlanVersion.state == PlanState.published)))


def working_plan_ids(session: Session) -> list[int]:
    """Ids of every term's plan (`working_plan_version`), ascending."""
    live = {
        row.term: row.id
        for row in session.execute(
            select(PlanVersion.term, PlanVersion.id).where(PlanVersion.state == PlanState.published)
        )
    }
    drafts = session.execute(
        select(PlanVersion.term, func.max(PlanVersion.id))
        .where(PlanVersion.state == PlanState.draft)
        .group_by(PlanVersion.term)
    )
    return sorted({**{term: newest for term, newest in drafts}, **live}.values())


def lineage(session: Session, plan_version_id: int) -> list[PlanVersion]:
    """The version and its ancestors, oldest (the first plan of the term) first."""
    chain: list[PlanVersion] = []
    seen: set[int] = set()
    current: int | None = plan_version_id
    while current is not None:
        if current in seen:  # cannot happen (a parent is older), but never loop forever
            raise StorageError(f"plan version {current} is its own ancestor")
        seen.add(current)
        row = get_plan_version(session, current)
        chain.append(row)
        current = row.parent_id
    chain.reverse()
    return chain


def publish_plan_version(
    session: Session, plan_version_id: int, expected_version: int, actor: str, reason: str
) -> PlanVersion:
    """Make a version the term's live plan; the one live before it is superseded. Idempotent.

    Refused: a superseded or discarded version (`Conflict`); a change of a version that was live
    when it is no longer (`NotNewest`: publishing it would undo what went live since); a version
    or live plan that moved on since it was read (`StaleVersion`/`NotNewest`). The partial unique
    index keeps one published version per term whatever happens at once.
    """
    row = get_plan_version(session, plan_version_id)
    if row.state == PlanState.published:
        return row
    live = live_plan_version(session, row.term)
    if row.state == PlanState.superseded:
        now_live = f"; den gældende er plan {live.id}" if live is not None else ""
        raise Conflict(f"plan {row.id} har været udsendt og er afløst{now_live}; den kan ikke udsendes igen")
    if row.state == PlanState.discarded:
        raise Conflict(f"plan {row.id} er kasseret og kan ikke udsendes")
    _check_version(row, "plan version", expected_version)
    if row.change_of is not None:
        base = get_plan_version(session, row.change_of)
        if base.published_at is not None and (live is None or live.id != base.id):
            raise NotNewest(row.term, base.id, live.id if live is not None else None)
    now = utcnow()
    if live is not None:
        live.state = PlanState.superseded
        try:
            session.flush()
        except StaleDataError as exc:  # another publish of the term superseded it first
            raise NotNewest(row.term, live.id, None) from exc
        audit(session, actor, "plan.supersede", "plan_version", live.id, {"by": row.id, "reason": reason})
    row.state = PlanState.published
    row.published_at = now
    audit(
        session,
        actor,
        "plan.publish",
        "plan_version",
        row.id,
        {"reason": reason, "supersedes": live.id if live is not None else None},
    )
    try:
        _flush(session, "plan version", row.id, expected_version)
    except IntegrityError as exc:  # another version of the term went live at the same moment
        raise Conflict(f"en anden plan for {row.term} blev udsendt samtidig; hent den og prøv igen") from exc
    return row


def discard_plan_version(session: Session, plan_version_id: int, actor: str, reason: str) -> PlanVersion:
    """Throw a draft away (kept as history, shown nowhere as a plan); idempotent. The live plan
    and superseded versions cannot be discarded (`Conflict`)."""
    row = get_plan_version(session, plan_version_id)
    if row.state == PlanState.discarded:
        return row
    if row.state == PlanState.published:
        raise Conflict(f"plan {row.id} er den gældende plan for {row.term} og kan ikke kasseres")
    if row.state == PlanState.superseded:
        raise Conflict(f"plan {row.id} har været udsendt; den er historik og kan ikke kasseres")
    expected = row.version
    row.state = PlanState.discarded
    audit(session, actor, "plan.discard", "plan_version", row.id, {"reason": reason})
    _flush(session, "plan version", row.id, expected)
    return row


# --------------------------------------------------------------------------- BAL rollouts


def save_rollout(
    session: Session, config_version: ConfigVersion, rollout: BalRollout, actor: str, reason: str
) -> BalRolloutVersion:
    """Store a rollout of `config_version` as a new, immutable draft of its config name."""
    if config_version.id is None:
        raise ValueError("save the config version before a rollout made from it")
    row = BalRolloutVersion(
        config_version_id=config_version.id,
        config_name=config_version.name,
        status=rollout.status.value,
        rounds_used=rollout.rounds_used,
        objective=rollout.objective,
        rollout_json=rollout.model_dump_json(),
        created_by=_actor(actor),
        created_at=utcnow(),
        reason=reason,
        state=PlanState.draft,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "bal_rollout.save",
        "bal_rollout",
        row.id,
        {
            "config_version_id": row.config_version_id,
            "config_name": row.config_name,
            "status": row.status,
            "rounds_used": row.rounds_used,
            "teams": len(rollout.assignments),
            "waiting": len(rollout.waiting),
            "reason": reason,
        },
    )
    session.flush()
    return row


def get_rollout_version(session: Session, rollout_id: int) -> BalRolloutVersion:
    row = session.get(BalRolloutVersion, rollout_id)
    if row is None:
        raise NotFound(f"BAL-udrulning {rollout_id} findes ikke")
    return row


def get_rollout(session: Session, rollout_id: int) -> tuple[BalRolloutVersion, BalRollout]:
    """The stored rollout row and the rollout, read back into the scheduler's model."""
    row = get_rollout_version(session, rollout_id)
    return row, BalRollout.model_validate_json(row.rollout_json)


def live_rollout_version(session: Session, config_name: str) -> BalRolloutVersion | None:
    """The live (published) rollout of a config name, or None before its first publish."""
    return session.scalars(
        select(BalRolloutVersion).where(
            BalRolloutVersion.config_name == config_name, BalRolloutVersion.state == PlanState.published
        )
    ).first()


def live_rollout_versions(session: Session) -> list[BalRolloutVersion]:
    """Every config name's live rollout, newest first."""
    return list(
        session.scalars(
            select(BalRolloutVersion)
            .where(BalRolloutVersion.state == PlanState.published)
            .order_by(BalRolloutVersion.id.desc())
        )
    )


def rollout_versions(
    session: Session, config_name: str | None = None, limit: int = 50
) -> list[BalRolloutVersion]:
    """Stored rollouts (of a config name), newest first."""
    stmt = select(BalRolloutVersion).order_by(BalRolloutVersion.id.desc()).limit(limit)
    if config_name is not None:
        stmt = stmt.where(BalRolloutVersion.config_name == config_name)
    return list(session.scalars(stmt))


def publish_rollout(
    session: Session, rollout_id: int, expected_version: int, actor: str, reason: str
) -> BalRolloutVersion:
    """Make a draft the live rollout of its config name; the one live before is superseded.
    Idempotent, and with the rules of `publish_plan_version`: a superseded or discarded rollout
    is refused (`Conflict`), a rollout read at an older version (`StaleVersion`), and two at once
    meet the partial unique index (`Conflict`)."""
    row = get_rollout_version(session, rollout_id)
    if row.state == PlanState.published:
        return row
    if row.state == PlanState.superseded:
        raise Conflict(f"BAL-udrulning {row.id} har været gældende og er afløst; den kan ikke udsendes igen")
    if row.state == PlanState.discarded:
        raise Conflict(f"BAL-udrulning {row.id} er kasseret og kan ikke udsendes")
    _check_version(row, "BAL rollout", expected_version)
    live = live_rollout_version(session, row.config_name)
    if live is not None:
        live.state = PlanState.superseded
        try:
            session.flush()
        except StaleDataError as exc:
            raise Conflict(
                f"en anden BAL-udrulning for {row.config_name} blev udsendt samtidig; hent den og prøv igen"
            ) from exc
        audit(
            session, actor, "bal_rollout.supersede", "bal_rollout", live.id, {"by": row.id, "reason": reason}
        )
    row.state = PlanState.published
    row.published_at = utcnow()
    audit(
        session,
        actor,
        "bal_rollout.publish",
        "bal_rollout",
        row.id,
        {"reason": reason, "supersedes": live.id if live is not None else None},
    )
    try:
        _flush(session, "BAL rollout", row.id, expected_version)
    except IntegrityError as exc:
        raise Conflict(
            f"en anden BAL-udrulning for {row.config_name} blev udsendt samtidig; hent den og prøv igen"
        ) from exc
    return row


# --------------------------------------------------------------------------- meeting locks


def lock_meeting(session: Session, term: str, uid: str, actor: str, reason: str) -> MeetingLock:
    """Fix a meeting where it is (replanning keeps it). `Conflict` if it is locked already.

    A race with another locker ends as `Conflict` too, but the transaction is then spoiled and
    must be rolled back (`session_scope` does).
    """
    existing = session.scalars(
        select(MeetingLock).where(MeetingLock.term == term, MeetingLock.meeting_uid == uid)
    ).first()
    if existing is not None:
        raise Conflict(f"meeting {uid} is already locked by {existing.locked_by}")
    lock = MeetingLock(
        term=term, meeting_uid=uid, locked_by=_actor(actor), created_at=utcnow(), reason=reason
    )
    session.add(lock)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"meeting {uid} was locked by someone else just now") from exc
    audit(
        session,
        actor,
        "meeting.lock",
        "meeting_lock",
        lock.id,
        {"term": term, "meeting_uid": uid, "reason": reason},
    )
    session.flush()
    return lock


def get_lock(session: Session, term: str, uid: str) -> MeetingLock | None:
    return session.scalars(
        select(MeetingLock).where(MeetingLock.term == term, MeetingLock.meeting_uid == uid)
    ).first()


def unlock_meeting(
    session: Session, term: str, uid: str, expected_version: int, actor: str, reason: str
) -> None:
    """Release a lock, if it is still the one the caller saw (`StaleVersion` otherwise)."""
    lock = get_lock(session, term, uid)
    if lock is None:
        raise NotFound(f"meeting {uid} is not locked")
    _check_version(lock, "meeting lock", expected_version)
    lock_id = lock.id
    session.delete(lock)
    audit(
        session,
        actor,
        "meeting.unlock",
        "meeting_lock",
        lock_id,
        {"term": term, "meeting_uid": uid, "reason": reason},
    )
    _flush(session, "meeting lock", lock_id, expected_version)


def locked_uids(session: Session, term: str) -> set[str]:
    """The uids of the meetings locked in `term` (what replanning must keep)."""
    return set(session.scalars(select(MeetingLock.meeting_uid).where(MeetingLock.term == term)))


# --------------------------------------------------------------------------- absences


def create_absence(
    session: Session,
    person_id: str,
    start: datetime,
    end: datetime,
    reason: str | None,
    actor: str,
    substitute_id: str | None = None,
) -> Absence:
    """Register an absence (times timezone-aware, stored in UTC). `reason` stays confidential;
    `substitute_id` takes the person's seats meanwhile."""
    _aware("start", start)
    _aware("end", end)
    if not start < end:
        raise ValueError("an absence must end after it starts")
    absence = Absence(
        person_id=person_id,
        start=start,
        end=end,
        reason=reason,
        substitute_id=substitute_id,
        created_by=_actor(actor),
        created_at=utcnow(),
        state=AbsenceState.open,
    )
    session.add(absence)
    session.flush()
    audit(
        session,
        actor,
        "absence.create",
        "absence",
        absence.id,
        {
            "person_id": person_id,
            "start": start,
            "end": end,
            "reason": CONFIDENTIAL if reason else None,
            "substitute_id": substitute_id,
        },
    )
    session.flush()
    return absence


def get_absence(session: Session, absence_id: int) -> Absence:
    return cast(Absence, _get(session, Absence, absence_id, "absence"))


def update_absence(
    session: Session,
    absence_id: int,
    expected_version: int,
    *,
    actor: str,
    person_id: str | _Unset = UNSET,
    start: datetime | _Unset = UNSET,
    end: datetime | _Unset = UNSET,
    reason: str | None | _Unset = UNSET,
    state: AbsenceState | str | _Unset = UNSET,
    substitute_id: str | None | _Unset = UNSET,
) -> Absence:
    """Change an absence the caller read at `expected_version` (its ETag).

    `StaleVersion` if someone changed it since: of two district leaders editing at once, the
    second is told to reload rather than silently undoing the first one's change.
    """
    absence = get_absence(session, absence_id)
    _check_version(absence, "absence", expected_version)
    changes: dict[str, Any] = {}
    if not isinstance(person_id, _Unset) and person_id != absence.person_id:
        changes["person_id"] = {"from": absence.person_id, "to": person_id}
        absence.person_id = person_id
    new_start = absence.start if isinstance(start, _Unset) else _aware("start", start)
    new_end = absence.end if isinstance(end, _Unset) else _aware("end", end)
    if not new_start < new_end:
        raise ValueError("an absence must end after it starts")
    if new_start != absence.start:
        changes["start"] = {"from": absence.start, "to": new_start}
        absence.start = new_start
    if new_end != absence.end:
        changes["end"] = {"from": absence.end, "to": new_end}
        absence.end = new_end
    if not isinstance(reason, _Unset) and reason != absence.reason:
        changes["reason"] = CONFIDENTIAL
        absence.reason = reason
    if not isinstance(state, _Unset) and AbsenceState(state) != absence.state:
        changes["state"] = {"from": absence.state, "to": AbsenceState(state)}
        absence.state = AbsenceState(state)
    if not isinstance(substitute_id, _Unset) and substitute_id != absence.substitute_id:
        changes["substitute_id"] = {"from": absence.substitute_id, "to": substitute_id}
        absence.substitute_id = substitute_id
    if not changes:
        return absence
    audit(
        session,
        actor,
        "absence.update",
        "absence",
        absence.id,
        {"changes": changes, "from_version": expected_version},
    )
    _flush(session, "absence", absence.id, expected_version)
    return absence


def absence_reasons(session: Session) -> list[str]:
    """Every reason given for an absence: confidential, so the privacy guard keeps them out of
    every calendar (they are not in the uploaded config the guard otherwise reads)."""
    return sorted(set(session.scalars(select(Absence.reason).where(Absence.reason.is_not(None)))))


def absence_spans(session: Session) -> set[tuple[str, datetime, datetime]]:
    """(person, start, end) of every stored absence, to skip one that is stored already."""
    return {(a.person_id, a.start, a.end) for a in session.scalars(select(Absence))}


def overlapping_absences(session: Session, person: str, start: datetime, end: datetime) -> list[Absence]:
    """`person`'s absences that share a moment with start-end (touching ends do not), earliest first."""
    stmt = (
        select(Absence)
        .where(Absence.person_id == person, Absence.start < end, Absence.end > start)
        .order_by(Absence.start, Absence.id)
    )
    return list(session.scalars(stmt))


def recent_absences(session: Session, person: str | None = None, limit: int = 10) -> list[Absence]:
    """The newest absences (only `person`'s, if given), newest first."""
    stmt = select(Absence).order_by(Absence.id.desc()).limit(limit)
    if person is not None:
        stmt = stmt.where(Absence.person_id == person)
    return list(session.scalars(stmt))


def open_absences(session: Session) -> list[Absence]:
    return list(
        session.scalars(
            select(Absence).where(Absence.state == AbsenceState.open).order_by(Absence.start, Absence.id)
        )
    )


# --------------------------------------------------------------------------- proposals


def add_proposal(
    session: Session,
    absence_id: int,
    base: PlanVersion,
    proposal: Mapping[str, Any] | BaseModel,
    rank: int,
    actor: str,
) -> Proposal:
    """Store one replanning option for an absence, computed from plan version `base`."""
    get_absence(session, absence_id)
    body = proposal.model_dump_json() if isinstance(proposal, BaseModel) else _dumps(dict(proposal))
    row = Proposal(
        absence_id=absence_id, plan_version_id=base.id, proposal_json=body, rank=rank, created_at=utcnow()
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "proposal.add",
        "proposal",
        row.id,
        {"absence_id": absence_id, "plan_version_id": base.id, "rank": rank},
    )
    session.flush()
    return row


def proposals_for(session: Session, absence_id: int) -> list[Proposal]:
    """An absence's proposals, best (rank 1) first."""
    return list(
        session.scalars(
            select(Proposal).where(Proposal.absence_id == absence_id).order_by(Proposal.rank, Proposal.id)
        )
    )


def find_proposal(session: Session, proposal_id: int) -> Proposal | None:
    return session.get(Proposal, proposal_id)


def accept_proposal(session: Session, proposal_id: int, expected_version: int, actor: str) -> Proposal:
    """Mark a proposal accepted; only one proposal per absence can be (`Conflict` otherwise)."""
    row = cast(Proposal, _get(session, Proposal, proposal_id, "proposal"))
    _check_version(row, "proposal", expected_version)
    already = session.scalars(
        select(Proposal.id).where(Proposal.absence_id == row.absence_id, Proposal.accepted_at.is_not(None))
    ).first()
    if already is not None:
        raise Conflict(f"proposal {already} was already accepted for absence {row.absence_id}")
    row.accepted_at = utcnow()
    audit(session, actor, "proposal.accept", "proposal", row.id, {"absence_id": row.absence_id})
    _flush(session, "proposal", row.id, expected_version)
    return row


# --------------------------------------------------------------------------- publishing


def lock_publishing(
    session: Session, term: str, holder: str, ttl: timedelta, *, dead: Iterable[str] = ()
) -> bool:
    """Take the term's publish lease for `holder`; False if someone else holds it.

    An expired lease, or one whose holder is in `dead` (a process known to be gone), is taken
    over. Commit right after, so other processes see it.
    """
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(PublishLock(term=term, holder=_actor(holder), acquired_at=now, expires_at=now + ttl))
        return True
    except IntegrityError:
        pass
    stale = (PublishLock.expires_at < now) | (PublishLock.holder == holder)
    dead = list(dead)
    if dead:
        stale = stale | PublishLock.holder.in_(dead)
    taken = session.execute(
        update(PublishLock)
        .where(PublishLock.term == term, stale)
        .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(taken) == 1


def publish_lock_holder(session: Session, term: str) -> str | None:
    return session.scalar(select(PublishLock.holder).where(PublishLock.term == term))


def unlock_publishing(session: Session, term: str, holder: str) -> None:
    """Give the lease back (only if `holder` still has it)."""
    session.execute(delete(PublishLock).where(PublishLock.term == term, PublishLock.holder == holder))


def add_publication(
    session: Session, row: PlanVersion, backend: str, actor: str, reason: str
) -> Publication:
    """Record that `row` is now live and owes the calendars its changes (sent after commit)."""
    publication = Publication(
        term=row.term,
        plan_version_id=row.id,
        backend=backend,
        state=PublicationState.pending,
        created_by=_actor(actor),
        created_at=utcnow(),
        reason=reason,
    )
    session.add(publication)
    session.flush()
    audit(
        session,
        actor,
        "publication.start",
        "publication",
        publication.id,
        {"plan_version_id": row.id, "term": row.term, "backend": backend},
    )
    session.flush()
    return publication


def finish_publication(
    session: Session, publication_id: int, messages: int, failures: list[str], actor: str
) -> Publication:
    """Everything the publication owed was sent (failures are kept for the leader to see); older
    pending publications of the term to the same back-end are superseded, since this one brought
    those calendars up to date."""
    publication = cast(Publication, _get(session, Publication, publication_id, "publication"))
    now = utcnow()
    publication.state = PublicationState.done
    publication.finished_at = now
    publication.messages = messages
    publication.failures = _dumps(failures)
    session.execute(
        update(Publication)
        .where(
            Publication.term == publication.term,
            Publication.backend == publication.backend,
            Publication.state == PublicationState.pending,
            Publication.id < publication.id,
        )
        .values(state=PublicationState.superseded, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    audit(
        session,
        actor,
        "publication.finish",
        "publication",
        publication.id,
        {"messages": messages, "failures": len(failures)},
    )
    session.flush()
    return publication


def pending_publications(session: Session, term: str | None = None) -> list[Publication]:
    """The newest pending publication per term and back-end (what a sender must finish): it
    brings the calendars to its version, which carries the older ones' changes too."""
    newest = (
        select(func.max(Publication.id))
        .where(Publication.state == PublicationState.pending)
        .group_by(Publication.term, Publication.backend)
    )
    if term is not None:
        newest = newest.where(Publication.term == term)
    stmt = select(Publication).where(Publication.id.in_(newest)).order_by(Publication.id)
    return list(session.scalars(stmt))


def get_publication(session: Session, publication_id: int) -> Publication:
    return cast(Publication, _get(session, Publication, publication_id, "publication"))


def publication_of(session: Session, plan_version_id: int) -> Publication | None:
    """The newest publication of a plan version, if it was ever published."""
    return session.scalars(
        select(Publication)
        .where(Publication.plan_version_id == plan_version_id)
        .order_by(Publication.id.desc())
        .limit(1)
    ).first()


# --------------------------------------------------------------------------- jobs


def enqueue_job(session: Session, kind: str, params: Mapping[str, Any], actor: str) -> Job:
    """Queue work for a worker (it runs after the caller commits)."""
    job = Job(kind=kind, state=JobState.queued, params=_dumps(dict(params)), attempts=0, created_at=utcnow())
    session.add(job)
    session.flush()
    audit(session, actor, "job.enqueue", "job", job.id, {"kind": kind})
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job:
    return cast(Job, _get(session, Job, job_id, "job"))


def recent_jobs(session: Session, limit: int = 5) -> list[Job]:
    """The newest jobs, newest first."""
    return list(session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)))


def ping(session: Session) -> None:
    """A round trip to the database (raises if it cannot be reached)."""
    session.execute(text("SELECT 1"))


def queued_job_ids(session: Session, kinds: Iterable[str] | None = None) -> list[int]:
    """Ids of the jobs waiting for a worker, oldest first (for a queue that re-delivers them)."""
    query = select(Job.id).where(Job.state == JobState.queued).order_by(Job.id)
    if kinds is not None:
        query = query.where(Job.kind.in_(list(kinds)))
    return list(session.scalars(query))


def _reload(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    return job


def claim_next_job(session: Session, worker_id: str, kinds: Iterable[str] | None = None) -> Job | None:
    """The oldest queued job, now running for `worker_id`; None when the queue is empty.

    Atomic across processes: no two workers get the same job. Commit right after, so the
    claim is visible (and, on SQLite, the write lock released).
    """
    _actor(worker_id)
    candidates = select(Job.id).where(Job.state == JobState.queued).order_by(Job.id).limit(1)
    if kinds is not None:
        candidates = candidates.where(Job.kind.in_(list(kinds)))
    if _is_postgresql(session):
        # Rows another worker is claiming are skipped, not waited for.
        candidates = candidates.with_for_update(skip_locked=True)
    for _ in range(1000):
        job_id = session.scalar(candidates)
        if job_id is None:
            return None
        job = _claim(session, job_id, worker_id)
        if job is not None:
            return job
        # Another worker took it between our SELECT and UPDATE (SQLite): try the next one.
    raise StorageError("could not claim a job after 1000 tries")


def claim_job(session: Session, job_id: int, worker_id: str) -> Job | None:
    """Job `job_id`, now running for `worker_id`, if it is queued; None if it is not (any more).

    For a queue that names the job itself (procrastinate's task carries the id): the job row
    still decides, so a job delivered twice runs once. Commit right after, like `claim_next_job`.
    """
    _actor(worker_id)
    get_job(session, job_id)  # NotFound if there is no such job at all
    return _claim(session, job_id, worker_id)


def _claim(session: Session, job_id: int, worker_id: str) -> Job | None:
    now = utcnow()
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.queued)
        .values(
            state=JobState.running,
            worker_id=worker_id,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            error=None,
            version=Job.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if _rowcount(claimed) != 1:
        return None
    job = _reload(session, job_id)
    audit(session, worker_id, "job.claim", "job", job_id, {"kind": job.kind, "attempt": job.attempts})
    session.flush()
    return job


def _worker_update(session: Session, job_id: int, worker_id: str, **values: Any) -> Job:
    """Change a running job only if `worker_id` still owns it (else `JobLost`)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.running, Job.worker_id == worker_id)
        .values(version=Job.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        get_job(session, job_id)  # NotFound if there is no such job at all
        raise JobLost(f"job {job_id} is no longer running for {worker_id}")
    return _reload(session, job_id)


def heartbeat(
    session: Session, job_id: int, worker_id: str, progress: Mapping[str, Any] | None = None
) -> Job:
    """The worker is alive (and how far it got). `JobLost` means: stop, someone else has it.

    Not audited: it changes nothing but liveness and progress, every few seconds.
    """
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = _dumps(dict(progress))
    return _worker_update(session, job_id, worker_id, **values)


def finish_job(session: Session, job_id: int, worker_id: str, result_ref: str | None) -> Job:
    """The job is done; `result_ref` says where its result is (e.g. ``plan_version:17``)."""
    now = utcnow()
    job = _worker_update(
        session,
        job_id,
        worker_id,
        state=JobState.done,
        result_ref=result_ref,
        finished_at=now,
        heartbeat_at=now,
    )
    audit(session, worker_id, "job.finish", "job", job_id, {"kind": job.kind, "result_ref": result_ref})
    session.flush()
    return job


def fail_job(session: Session, job_id: int, worker_id: str, error: str) -> Job:
    """The job failed for good (an error in the work itself, not a lost worker)."""
    now = utcnow()
    job = _worker_update(
        session, job_id, worker_id, state=JobState.failed, error=error, finished_at=now, heartbeat_at=now
    )
    audit(session, worker_id, "job.fail", "job", job_id, {"kind": job.kind, "error": error[:500]})
    session.flush()
    return job


def requeue_stale_jobs(
    session: Session,
    older_than: timedelta,
    *,
    max_attempts: int = 3,
    actor: str = "system",
    now: datetime | None = None,
) -> list[int]:
    """Put back in the queue each running job whose worker has not heartbeaten for `older_than`.

    A job that already had `max_attempts` claims is failed instead: a job that kills every
    worker it touches must not cycle forever. Returns the ids of the jobs handled.
    """
    cutoff = _aware("now", now or utcnow()) - older_than
    stale = select(Job.id).where(Job.state == JobState.running, Job.heartbeat_at < cutoff).order_by(Job.id)
    if _is_postgresql(session):
        stale = stale.with_for_update(skip_locked=True)
    handled: list[int] = []
    for job_id in list(session.scalars(stale)):
        job = _reload(session, job_id)
        give_up = job.attempts >= max_attempts
        values: dict[str, Any] = (
            {
                "state": JobState.failed,
                "finished_at": utcnow(),
                "error": f"worker {job.worker_id} stopped answering ({job.attempts} attempts)",
            }
            if give_up
            else {"state": JobState.queued, "worker_id": None, "started_at": None, "heartbeat_at": None}
        )
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.running, Job.heartbeat_at < cutoff)
            .values(version=Job.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            continue  # the worker came back (or another reaper was faster)
        audit(
            session,
            actor,
            "job.give_up" if give_up else "job.requeue",
            "job",
            job_id,
            {"worker_id": job.worker_id, "attempts": job.attempts},
        )
        _reload(session, job_id)
        handled.append(job_id)
    session.flush()
    return handled
