"""Plans: start a solve, read a plan (per district, unit, person), lock, move, explain, publish.

Plan versions never change: a move or an accepted proposal makes a new version whose parent is
the one it changed. Changes are allowed only on the newest version of a term (412 otherwise), so
two leaders editing at once cannot silently undo each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role
from api.deps import MAX_ID, Db, Id, Leader, PlanReader, State, commit, etag, require_if_match
from api.jobs import SOLVE, WHAT_IF, dispatch, effective_config
from api.orm import PlanVersion
from api.schemas import JobOut, job_out
from calendar_sync.publish import publish as publish_to_calendars
from scheduler.config import ConfigError, parse_config
from scheduler.model import Meeting, MunicipalityConfig, Plan, PlanStats, RuleCost, SkippedPeriod
from scheduler.replan import MeetingChange, NoProposal, diff_plans, move_meeting

router = APIRouter(prefix="/plans", tags=["plans"])


# --------------------------------------------------------------------------- bodies


class SolveRequest(BaseModel):
    config_id: int = Field(ge=1, le=MAX_ID)
    term: str | None = Field(default=None, max_length=100, description="default: the config's first term")
    time_limit: float | None = Field(default=None, gt=0, le=3600, description="seconds")
    workers: int | None = Field(default=None, ge=1, le=64)
    reason: str = Field(default="", max_length=1000)


class WhatIfRequest(BaseModel):
    config_id: int = Field(ge=1, le=MAX_ID, description="the changed config, uploaded as a version first")
    time_limit: float | None = Field(default=None, gt=0, le=3600)
    reason: str = Field(default="hvad nu hvis", max_length=1000)


class PlanVersionOut(BaseModel):
    id: int
    term: str
    status: str
    objective: float | None
    parent_id: int | None
    config_id: int
    created_by: str
    created_at: datetime
    reason: str
    published_at: datetime | None
    version: int = Field(description="the ETag of this version")


class PlanOut(PlanVersionOut):
    rule_costs: list[RuleCost]
    stats: PlanStats | None
    explanation: list[str] = Field(description="why there is no plan, in Danish")
    meetings: list[Meeting]
    skipped: list[SkippedPeriod]


class LockRequest(BaseModel):
    reason: str = Field(default="", max_length=1000)


class LockOut(BaseModel):
    term: str
    uid: str
    locked_by: str
    reason: str
    version: int


class MoveRequest(BaseModel):
    start: AwareDatetime = Field(description="new start, with offset, e.g. 2027-03-09T13:00:00+01:00")
    reason: str = Field(default="", max_length=1000)


class ChangeOut(BaseModel):
    plan: PlanVersionOut
    changes: list[MeetingChange]
    notified: list[str] = Field(description="who will receive an update")
    published: bool = Field(description="sent to calendars (the base version was published)")
    sent_to: list[str] = Field(default_factory=list, description="who received a calendar update")
    failures: list[str] = Field(default_factory=list, description="deliveries that failed, to retry")


class WhyOut(BaseModel):
    uid: str
    reasons: list[str] = Field(description="in Danish, most important first")


class PublishRequest(BaseModel):
    backend: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}$", description="default: settings")
    reason: str = Field(default="", max_length=1000)


class PublishOut(BaseModel):
    plan_version_id: int
    messages: int
    recipients: int
    recipients_list: list[str] = Field(description="person ids that received messages")
    delivered: dict[str, int]
    failures: list[str]


# --------------------------------------------------------------------------- helpers


def version_out(row: PlanVersion) -> PlanVersionOut:
    return PlanVersionOut(
        id=row.id,
        term=row.term,
        status=row.status,
        objective=row.objective,
        parent_id=row.parent_id,
        config_id=row.config_version_id,
        created_by=row.created_by,
        created_at=row.created_at,
        reason=row.reason,
        published_at=row.published_at,
        version=row.version,
    )


def load(db: Session, plan_id: int) -> tuple[PlanVersion, Plan, MunicipalityConfig]:
    row, plan = storage.get_plan(db, plan_id)
    return row, plan, effective_config(db, storage.get_config(db, row.config_version_id))


def meeting_of(plan: Plan, uid: str) -> Meeting:
    meeting = next((m for m in plan.meetings if m.uid == uid), None)
    if meeting is None:
        raise storage.NotFound(f"planen har intet møde med uid {uid}")
    return meeting


def may_change(who: Principal, config: MunicipalityConfig, meeting: Meeting) -> None:
    if not who.may_change_unit(config, meeting.unit):
        raise HTTPException(403, f"{who.name} må ikke ændre møder i {meeting.unit} (et andet distrikt)")


def newest(db: Session, row: PlanVersion) -> None:
    """Changes go on the newest version only; an older one means someone changed it meanwhile."""
    latest = storage.latest_plan_version(db, row.term)
    if latest is not None and latest.id != row.id:
        raise HTTPException(
            412,
            f"plan {row.id} er ikke længere den nyeste for {row.term} (det er plan {latest.id}); hent den",
        )


def filtered(
    config: MunicipalityConfig, plan: Plan, district: str | None, unit: str | None, person: str | None
) -> list[Meeting]:
    in_district = {u.id for u in config.units if district in u.districts} if district else None
    return [
        m
        for m in plan.meetings
        if (in_district is None or m.unit in in_district)
        and (unit is None or m.unit == unit)
        and (person is None or any(a.person == person for a in m.attendees))
    ]


def publish_version(
    db: Session,
    state: Any,
    row: PlanVersion,
    plan: Plan,
    config: MunicipalityConfig,
    actor: str,
    reason: str,
    backend: str | None = None,
) -> PublishOut:
    """Send the version to calendars (only what changed since the last publish) and mark it."""
    try:
        report = publish_to_calendars(config, plan, state.calendar, backend)
    except ValueError as exc:  # an unknown back-end name
        raise HTTPException(422, {"detail": str(exc), "field": "backend"}) from None
    storage.publish_plan_version(db, row.id, row.version, actor, reason)
    return PublishOut(
        plan_version_id=row.id,
        messages=sum(report.messages.values()),
        recipients=len(report.messages),
        recipients_list=sorted(report.messages),
        delivered=dict(report.delivered),
        failures=[f"{f.recipient} / {f.uid}: {f.error}" for f in report.failures],
    )


def save_change(
    db: Session,
    state: Any,
    row: PlanVersion,
    base: Plan,
    new: Plan,
    config: MunicipalityConfig,
    who: Principal,
    reason: str,
) -> ChangeOut:
    """A new version from a change of `row`; sent to calendars at once if `row` was published."""
    changes = diff_plans(base, new)
    notified = sorted({a.person for c in changes for a in [*c.before_attendees, *c.after_attendees]})
    config_version = storage.get_config(db, row.config_version_id)
    new_row = storage.save_plan_version(db, config_version, new, row, who.name, reason)
    published = row.published_at is not None
    sent: PublishOut | None = None
    if published:
        commit(db)  # the version is stored before anything is sent
        sent = publish_version(db, state, new_row, new, config, who.name, reason)
    commit(db)
    return ChangeOut(
        plan=version_out(new_row),
        changes=changes,
        notified=notified,
        published=published,
        sent_to=sent.recipients_list if sent else [],
        failures=sent.failures if sent else [],
    )


# --------------------------------------------------------------------------- routes


@router.post("/solve", response_model=JobOut, status_code=202)
def start_solve(body: SolveRequest, db: Db, who: Leader, response: Response, state: State) -> JobOut:
    """Queue a solve of one term; poll `GET /jobs/{id}` for progress and the plan version."""
    version = storage.get_config(db, body.config_id)
    config = parse_config(version.yaml, source=version.name)
    term = body.term or config.terms[0].id
    if term not in {t.id for t in config.terms}:
        raise ConfigError([f"term: ukendt term '{term}' (findes: {', '.join(t.id for t in config.terms)})"])
    job = storage.enqueue_job(
        db,
        SOLVE,
        {
            "config_version_id": version.id,
            "term": term,
            "time_limit": body.time_limit,
            "workers": body.workers,
            "actor": who.name,
            "reason": body.reason,
        },
        who.name,
    )
    commit(db)
    dispatch(state.settings, job.id)  # PostgreSQL: hands it to the procrastinate workers
    response.headers["Location"] = f"/jobs/{job.id}"
    return job_out(job)


@router.get("", response_model=list[PlanVersionOut])
def versions(
    db: Db, who: Leader, term: str | None = None, limit: int = Query(default=50, ge=1, le=500)
) -> list[PlanVersionOut]:
    """Plan versions, newest first."""
    stmt = select(PlanVersion).order_by(PlanVersion.id.desc()).limit(limit)
    if term is not None:
        stmt = stmt.where(PlanVersion.term == term)
    return [version_out(r) for r in db.scalars(stmt)]


@router.get("/{plan_id}", response_model=PlanOut)
def read(
    plan_id: Id,
    db: Db,
    who: PlanReader,
    response: Response,
    district: str | None = None,
    unit: str | None = None,
    person: str | None = None,
) -> PlanOut:
    """A plan, optionally only a district's, a unit's or a person's meetings (staff: their own)."""
    if who.role == Role.staff:
        if person is not None and person != who.person:
            raise HTTPException(403, "medarbejdere kan kun se deres egne møder")
        person = who.person or "\0"
    row, plan, config = load(db, plan_id)
    etag(response, row.version)
    return PlanOut(
        **version_out(row).model_dump(),
        rule_costs=plan.rule_costs,
        stats=plan.stats,
        explanation=plan.explanation,
        meetings=filtered(config, plan, district, unit, person),
        skipped=plan.skipped,
    )


@router.get("/{plan_id}/diff", response_model=list[MeetingChange])
def diff(
    plan_id: Id, db: Db, who: Leader, against: int | None = Query(default=None, ge=1, le=MAX_ID)
) -> list[MeetingChange]:
    """What changed from `against` (default: the parent) to this version."""
    row, plan = storage.get_plan(db, plan_id)
    base_id = against if against is not None else row.parent_id
    if base_id is None:
        return diff_plans(plan.model_copy(update={"meetings": []}), plan)
    return diff_plans(storage.get_plan(db, base_id)[1], plan)


@router.get("/{plan_id}/explanation", response_model=WhyOut)
def why_no_plan(plan_id: Id, db: Db, who: Leader) -> WhyOut:
    """Why there is no plan (the rules and people that clash), or that there is one."""
    row, plan = storage.get_plan(db, plan_id)
    reasons = plan.explanation or [f"Der er en plan ({plan.status.value}) med {len(plan.meetings)} møder."]
    return WhyOut(uid="", reasons=reasons)


@router.get("/{plan_id}/meetings/{uid}/why", response_model=WhyOut)
def why_here(plan_id: Id, uid: str, db: Db, who: Leader) -> WhyOut:
    """Why this meeting sits where it does: what rules out each other time in its period."""
    from scheduler.explain import why_meeting

    row, plan, config = load(db, plan_id)
    meeting_of(plan, uid)
    return WhyOut(uid=uid, reasons=why_meeting(config, plan, uid))


@router.put("/{plan_id}/meetings/{uid}/lock", response_model=LockOut, status_code=201)
def lock(plan_id: Id, uid: str, body: LockRequest, db: Db, who: Leader, response: Response) -> LockOut:
    """Keep the meeting where it is: replanning and re-solving will not move it."""
    row, plan, config = load(db, plan_id)
    may_change(who, config, meeting_of(plan, uid))
    lock_row = storage.lock_meeting(db, row.term, uid, who.name, body.reason)
    commit(db)
    etag(response, lock_row.version)
    return LockOut(
        term=row.term, uid=uid, locked_by=lock_row.locked_by, reason=lock_row.reason, version=lock_row.version
    )


@router.delete("/{plan_id}/meetings/{uid}/lock", status_code=204)
def unlock(
    plan_id: Id,
    uid: str,
    db: Db,
    who: Leader,
    version: Annotated[int, Depends(require_if_match)],
    reason: str = Query(default="", max_length=1000),
) -> Response:
    """Release the lock (If-Match: the lock's ETag)."""
    row, plan, config = load(db, plan_id)
    may_change(who, config, meeting_of(plan, uid))
    storage.unlock_meeting(db, row.term, uid, version, who.name, reason)
    commit(db)
    return Response(status_code=204)


@router.post("/{plan_id}/meetings/{uid}/move", response_model=ChangeOut, status_code=201)
def move(plan_id: Id, uid: str, body: MoveRequest, db: Db, who: Leader, state: State) -> ChangeOut:
    """Move one meeting; checked against every rule, saved as a new version of the plan."""
    row, plan, config = load(db, plan_id)
    meeting = meeting_of(plan, uid)
    may_change(who, config, meeting)
    newest(db, row)
    locked = storage.locked_uids(db, row.term)
    try:
        proposal = move_meeting(
            config, plan, uid, body.start, locked=locked, time_limit=state.settings.replan_time_limit
        )
    except NoProposal as exc:
        raise HTTPException(422, {"detail": " ".join(exc.reasons), "field": "start"}) from None
    reason = body.reason or f"flyttet af {who.name}"
    return save_change(db, state, row, plan, proposal.plan, config, who, reason)


@router.post("/{plan_id}/what-if", response_model=JobOut, status_code=202)
def what_if(
    plan_id: Id, body: WhatIfRequest, db: Db, who: Leader, response: Response, state: State
) -> JobOut:
    """Plan a changed config with the least change from this plan; nothing is published."""
    storage.get_plan_version(db, plan_id)
    storage.get_config(db, body.config_id)
    job = storage.enqueue_job(
        db,
        WHAT_IF,
        {
            "config_version_id": body.config_id,
            "base_plan_version_id": plan_id,
            "time_limit": body.time_limit,
            "actor": who.name,
            "reason": body.reason,
        },
        who.name,
    )
    commit(db)
    dispatch(state.settings, job.id)  # PostgreSQL: hands it to the procrastinate workers
    response.headers["Location"] = f"/jobs/{job.id}"
    return job_out(job)


@router.post("/{plan_id}/publish", response_model=PublishOut)
def publish(plan_id: Id, body: PublishRequest, db: Db, who: Leader, state: State) -> PublishOut:
    """Send the plan to calendars; only what changed since the last publish goes out."""
    row, plan, config = load(db, plan_id)
    newest(db, row)
    out = publish_version(db, state, row, plan, config, who.name, body.reason or "udsendt", body.backend)
    commit(db)
    return out
