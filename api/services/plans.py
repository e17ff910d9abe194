"""Plans: start a solve, read a plan (per district, unit, person), lock, move, explain, publish.

Plan versions never change: a move or an accepted proposal makes a new version whose parent is
the one it changed. Each version has a state (`PlanState`): a solve makes a draft; publishing makes
it the term's live plan and the one before superseded; a leader may discard a draft. A change of
the live plan goes live at once; a change of a draft is a new draft. A version is changed once
(412 for the second change, and for a change of a superseded version), so two leaders editing at
once cannot silently undo each other.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from api import publishing, storage
from api.auth import Principal, Role
from api.db import Conflict, NotNewest, StaleVersion, commit
from api.deps import MAX_ID, AppState
from api.errors import BadInput, Forbidden
from api.job_types import JobParams, SolveParams, WhatIfParams
from api.jobs import dispatch, effective_config, enqueue
from api.orm import PlanState, PlanVersion
from api.schemas import JobOut, job_out
from calendar_sync.backends.base import known_backends
from calendar_sync.publish import digest
from calendar_sync.publish import preview as publish_preview
from scheduler.config import ConfigError, meeting_districts, parse_config
from scheduler.index import index_of
from scheduler.model import (
    Meeting,
    MunicipalityConfig,
    Plan,
    PlanStats,
    PlanStatus,
    RuleCost,
    SkippedPeriod,
    UnplacedMeeting,
)
from scheduler.replan import MeetingChange, NoProposal, diff_plans, move_meeting
from scheduler.solve import PARTIAL_LIST_INTRO

# --------------------------------------------------------------------------- bodies


class SolveRequest(BaseModel):
    config_id: int = Field(ge=1, le=MAX_ID)
    term: str | None = Field(default=None, max_length=100, description="default: the config's first term")
    time_limit: float | None = Field(default=None, gt=0, le=3600, description="seconds")
    workers: int | None = Field(default=None, ge=1, le=64)
    reason: str = Field(default="", max_length=1000)
    fresh: bool = Field(
        default=False, description="start afresh instead of from the live plan (its cost is reported)"
    )
    districts: list[str] | None = Field(
        default=None,
        max_length=100,
        description="districts whose meetings may change; default: a district leader's own "
        "districts, the whole municipality for an admin",
    )
    municipality_wide: bool = Field(
        default=False, description="plan every district (admin only); overrides `districts`"
    )


class WhatIfRequest(BaseModel):
    config_id: int = Field(ge=1, le=MAX_ID, description="the changed config, uploaded as a version first")
    time_limit: float | None = Field(default=None, gt=0, le=3600)
    reason: str = Field(default="hvad nu hvis", max_length=1000)


class PlanVersionOut(BaseModel):
    id: int
    term: str
    state: PlanState = Field(
        description="draft, published (the term's live plan: one per term), superseded (was live), discarded"
    )
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
    unplaced: list[UnplacedMeeting] = Field(
        default_factory=list, description="a PARTIAL plan's meetings that could not be placed, with reasons"
    )


class DiscardRequest(BaseModel):
    reason: str = Field(default="", max_length=1000)


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
    pending: bool = Field(
        default=False,
        description="published, but still being sent by another sender or resumed shortly "
        "(see GET /plans/{id}/delivery)",
    )


class WhyOut(BaseModel):
    uid: str
    reasons: list[str] = Field(description="in Danish, most important first")


class PublishRequest(BaseModel):
    backend: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}$", description="default: settings")
    reason: str = Field(default="", max_length=1000)
    expected_messages: int | None = Field(
        default=None,
        ge=0,
        le=10_000_000,
        description="the message count the preview showed (GET /plans/{id}/preview); the publish is "
        "refused (409, naming the new count) if it would now send another number",
    )
    expected_preview: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="the preview's fingerprint; the publish is refused (409) if it would now send "
        "other messages than those the preview showed",
    )


class PreviewPerson(BaseModel):
    person: str = Field(description="person id, or '@moedeplan' (the service mailbox on Exchange)")
    messages: int
    reasons: dict[str, int] = Field(
        description="messages per reason: new, moved, removed, cancelled, changed"
    )


class PreviewOut(BaseModel):
    plan_version_id: int
    backend: str
    messages: int = Field(description="what a publish would send now; confirm it as expected_messages")
    fingerprint: str = Field(description="of exactly these messages; confirm it as expected_preview")
    people: list[PreviewPerson]


class PublishOut(BaseModel):
    plan_version_id: int = Field(
        description="the version that went live: the draft, or (a draft made from an older live "
        "plan) a new version with its changes laid on top of the live plan"
    )
    messages: int
    recipients: int
    recipients_list: list[str] = Field(description="person ids that received messages")
    delivered: dict[str, int]
    failures: list[str]
    pending: bool = Field(default=False, description="still being sent (see GET /plans/{id}/delivery)")


class UnsentOut(BaseModel):
    person: str
    uid: str
    action: str = Field(description="create, update or cancel")
    failed: bool = Field(description="failed for good (e.g. an unknown address); else still waiting")
    error: str | None


class DeliveryOut(BaseModel):
    plan_version_id: int
    published: bool
    state: str | None = Field(
        description="pending (still being sent), done, superseded; null: never published"
    )
    backend: str | None
    messages: int
    unsent: list[UnsentOut] = Field(description="messages the calendars do not have yet")


# --------------------------------------------------------------------------- helpers


def version_out(row: PlanVersion) -> PlanVersionOut:
    return PlanVersionOut(
        id=row.id,
        term=row.term,
        state=row.state,
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
    """Leaders change only meetings of their own districts (admins any)."""
    if not who.may_change_unit(config, meeting.unit):
        raise Forbidden(f"{who.name} må ikke ændre møder i {meeting.unit} (et andet distrikt)")


def changeable(db: Session, row: PlanVersion) -> None:
    """Changes go on the live plan or on a draft not changed yet; a superseded or already changed
    version means someone changed the plan meanwhile (412), a discarded one is gone (409).

    An early answer for the common case; the database's guard when the change is stored (a
    version is changed once: `storage.save_plan_version(change=True)`) is what holds under
    concurrent requests.
    """
    if row.state == PlanState.discarded:
        raise Conflict(f"plan {row.id} er kasseret; åbn den gældende plan eller et andet udkast")
    if row.state == PlanState.superseded:
        live = storage.live_plan_version(db, row.term)
        raise NotNewest(row.term, row.id, live.id if live is not None else None)
    child = storage.changed_into(db, row.id)
    if child is not None:
        raise NotNewest(row.term, row.id, child)


def require_plan_version(row: PlanVersion, version: int) -> None:
    """A change names the version of the plan it was read at (If-Match: the plan's ETag)."""
    if row.version != version:
        raise StaleVersion("plan version", row.id, version, row.version)


def filtered(
    config: MunicipalityConfig, plan: Plan, district: str | None, unit: str | None, person: str | None
) -> list[Meeting]:
    """The plan's meetings of a district (the ones it takes part in: `meeting_districts`), a unit,
    a person; None: any."""
    return [
        m
        for m in plan.meetings
        if (district is None or district in meeting_districts(config, m))
        and (unit is None or m.unit == unit)
        and (person is None or any(a.person == person for a in m.attendees))
    ]


def unplaced_in(
    config: MunicipalityConfig, plan: Plan, district: str | None, unit: str | None, person: str | None
) -> list[UnplacedMeeting]:
    """A partial plan's unplaced meetings in the same scope as `filtered`: a district's or a
    unit's; none for one person's view (the reasons name colleagues and their absences)."""
    if person is not None:
        return []
    index = index_of(config)
    in_district = {u.id for u in index.units.values() if district in u.districts} if district else None
    out = []
    for entry in plan.unplaced:
        series = index.series.get(entry.series)
        series_unit = series.unit if series is not None else None
        if (in_district is None or series_unit in in_district) and (unit is None or series_unit == unit):
            out.append(entry)
    return out


def explanation_in(
    config: MunicipalityConfig, plan: Plan, district: str | None, unit: str | None, person: str | None
) -> list[str]:
    """The plan's explanation in the scope of `unplaced_in`: a PARTIAL plan's lists each unplaced
    meeting's reason, so the lines of those out of scope go (in one person's view all of them,
    and the headline no longer announces a list)."""
    if plan.status != PlanStatus.PARTIAL:
        return plan.explanation
    shown = {id(entry) for entry in unplaced_in(config, plan, district, unit, person)}
    hidden = {f"- {r}" for entry in plan.unplaced if id(entry) not in shown for r in entry.reason_da}
    lines = [line for line in plan.explanation if line not in hidden]
    if not shown:
        lines = [line.removesuffix(PARTIAL_LIST_INTRO) for line in lines]
    return lines


def _backend_name(state: AppState, backend: str | None) -> str:
    name = backend or state.calendar.calendar_backend
    if name not in known_backends():
        known = ", ".join(known_backends())
        raise BadInput(f"ukendt kalender-backend '{name}' (findes: {known})", "backend")
    return str(name)


def _sent_out(row: PlanVersion, sent: dict[int, publishing.Sent], publication_id: int) -> PublishOut:
    mine = sent.get(publication_id)
    if mine is None:  # another sender has the term; it sends this publication too
        return PublishOut(
            plan_version_id=row.id,
            messages=0,
            recipients=0,
            recipients_list=[],
            delivered={},
            failures=[],
            pending=True,
        )
    return PublishOut(
        plan_version_id=row.id,
        messages=mine.messages,
        recipients=len(mine.recipients),
        recipients_list=mine.recipients,
        delivered=mine.delivered,
        failures=[*mine.failures, *([mine.unreachable] if mine.unreachable else [])],
        pending=mine.unreachable is not None,
    )


def save_change(
    db: Session,
    state: AppState,
    row: PlanVersion,
    base: Plan,
    new: Plan,
    config: MunicipalityConfig,
    who: Principal,
    reason: str,
) -> ChangeOut:
    """A new version from a change of `row`; sent to calendars at once if `row` is live.

    The version (the one change of `row`: a concurrent change of the same version gets 412) and,
    for a live plan, the intent to publish it are committed in one transaction before anything is
    sent; a crash while sending is resumed from the outbox.
    """
    changes = diff_plans(base, new)
    notified = sorted({a.person for c in changes for a in [*c.before_attendees, *c.after_attendees]})
    live = row.state == PlanState.published
    if live:
        publishing.check_publishable(db, config, new)
    config_version = storage.get_config(db, row.config_version_id)
    new_row = storage.save_plan_version(db, config_version, new, row, who.name, reason, change=True)
    publication = publishing.make_live(db, state, new_row, who.name, reason, None) if live else None
    commit(db)
    out = ChangeOut(plan=version_out(new_row), changes=changes, notified=notified, published=live)
    if publication is not None:
        sent = _sent_out(new_row, publishing.send_now(state, row.term, who.name), publication.id)
        out.sent_to, out.failures, out.pending = sent.recipients_list, sent.failures, sent.pending
    return out


# --------------------------------------------------------------------------- services


def _queue(db: Session, state: AppState, who: Principal, params: JobParams) -> JobOut:
    """Store the job, commit, then hand it to the job queue (PostgreSQL: the procrastinate workers)."""
    job = enqueue(db, params, who.name)
    commit(db)
    dispatch(state.settings, job.id)
    return job_out(job)


def start_solve(db: Session, who: Principal, state: AppState, body: SolveRequest) -> JobOut:
    """Queue a solve of one term (its first by default); the worker makes the plan version."""
    version = storage.get_config(db, body.config_id)
    config = parse_config(version.yaml, source=version.name)
    term = body.term or config.terms[0].id
    if term not in index_of(config).terms:
        raise ConfigError([f"term: ukendt term '{term}' (findes: {', '.join(t.id for t in config.terms)})"])
    params = SolveParams(
        config_version_id=version.id,
        term=term,
        time_limit=body.time_limit,
        workers=body.workers,
        actor=who.name,
        reason=body.reason,
        fresh=body.fresh,
        districts=solve_scope(who, config, body),
    )
    return _queue(db, state, who, params)


def solve_scope(who: Principal, config: MunicipalityConfig, body: SolveRequest) -> list[str] | None:
    """The districts a solve may change (None: all). A district leader plans only their own
    districts, with the others' meetings fixed; the whole municipality needs the admin role."""
    known = index_of(config).districts
    unknown = sorted(set(body.districts or []) - set(known))
    if unknown:
        raise BadInput(f"ukendt distrikt: {', '.join(unknown)} (findes: {', '.join(known)})")
    if who.role == Role.admin:
        return None if body.municipality_wide or body.districts is None else sorted(set(body.districts))
    if body.municipality_wide:
        raise Forbidden(
            f"{who.name} må ikke planlægge hele kommunen; kun en administrator kan det. "
            "Planlæg dit eget distrikt, så ligger de andre distrikters møder fast."
        )
    wanted = set(body.districts) if body.districts is not None else set(who.districts)
    foreign = sorted(wanted - who.districts)
    if foreign:
        names = ", ".join(index_of(config).district_name(d) for d in foreign)
        raise Forbidden(f"{who.name} må ikke planlægge møder i {names} (et andet distrikt)")
    if not wanted:
        raise Forbidden(f"{who.name} er ikke distriktsleder for noget distrikt og kan ikke planlægge")
    return sorted(wanted)


def versions(
    db: Session, who: Principal, term: str | None = None, limit: int = 50, state: PlanState | None = None
) -> list[PlanVersionOut]:
    """Plan versions (of a term, in a state), newest first."""
    return [version_out(r) for r in storage.plan_versions(db, term, limit, state)]


def discard(db: Session, who: Principal, plan_id: int, body: DiscardRequest) -> PlanVersionOut:
    """Throw a draft away: it stays in the history, but is no plan any page or change reads.
    The live plan cannot be discarded (409), nor a superseded one."""
    row = storage.discard_plan_version(db, plan_id, who.name, body.reason or f"kasseret af {who.name}")
    commit(db)
    return version_out(row)


def read_plan(
    db: Session,
    who: Principal,
    plan_id: int,
    district: str | None = None,
    unit: str | None = None,
    person: str | None = None,
) -> PlanOut:
    """A plan, optionally only a district's, a unit's or a person's meetings (staff: their own)."""
    if who.role == Role.staff:
        if person is not None and person != who.person:
            raise Forbidden("medarbejdere kan kun se deres egne møder")
        person = who.person or "\0"
    row, plan, config = load(db, plan_id)
    return PlanOut(
        **version_out(row).model_dump(),
        rule_costs=plan.rule_costs,
        stats=plan.stats,
        explanation=explanation_in(config, plan, district, unit, person),
        meetings=filtered(config, plan, district, unit, person),
        skipped=plan.skipped,
        unplaced=unplaced_in(config, plan, district, unit, person),
    )


def read_live(
    db: Session,
    who: Principal,
    term: str | None = None,
    district: str | None = None,
    unit: str | None = None,
    person: str | None = None,
) -> PlanOut:
    """The term's live plan (default: the newest term that has one), read like `read_plan`: what
    "my meetings" and every reader of "the plan" should ask for, never a newer draft."""
    if term is not None:
        row = storage.live_plan_version(db, term)
    else:
        live = storage.live_plan_ids(db)
        row = storage.get_plan_version(db, live[-1]) if live else None
    if row is None:
        raise storage.NotFound(f"{term or 'ingen termin'} har ingen udsendt plan endnu")
    return read_plan(db, who, row.id, district, unit, person)


def diff(db: Session, who: Principal, plan_id: int, against: int | None = None) -> list[MeetingChange]:
    """What changed from `against` (default: the parent) to this version."""
    row, plan = storage.get_plan(db, plan_id)
    base_id = against if against is not None else row.parent_id
    if base_id is None:
        return diff_plans(plan.model_copy(update={"meetings": []}), plan)
    return diff_plans(storage.get_plan(db, base_id)[1], plan)


def why_no_plan(db: Session, who: Principal, plan_id: int) -> WhyOut:
    """Why there is no plan (the rules and people that clash), or that there is one."""
    row, plan = storage.get_plan(db, plan_id)
    reasons = plan.explanation or [f"Der er en plan ({plan.status.value}) med {len(plan.meetings)} møder."]
    return WhyOut(uid="", reasons=reasons)


def why_here(db: Session, who: Principal, plan_id: int, uid: str) -> WhyOut:
    """Why this meeting sits where it does: what rules out each other time in its period."""
    from scheduler.explain import why_meeting

    row, plan, config = load(db, plan_id)
    meeting_of(plan, uid)
    return WhyOut(uid=uid, reasons=why_meeting(config, plan, uid))


def lock(db: Session, who: Principal, plan_id: int, uid: str, body: LockRequest) -> LockOut:
    """Keep the meeting where it is: replanning and re-solving will not move it."""
    row, plan, config = load(db, plan_id)
    may_change(who, config, meeting_of(plan, uid))
    lock_row = storage.lock_meeting(db, row.term, uid, who.name, body.reason)
    commit(db)
    return LockOut(
        term=row.term, uid=uid, locked_by=lock_row.locked_by, reason=lock_row.reason, version=lock_row.version
    )


def unlock(db: Session, who: Principal, plan_id: int, uid: str, version: int, reason: str = "") -> None:
    """Release the lock, read at `version` (the lock's ETag)."""
    row, plan, config = load(db, plan_id)
    may_change(who, config, meeting_of(plan, uid))
    storage.unlock_meeting(db, row.term, uid, version, who.name, reason)
    commit(db)


def move(
    db: Session, who: Principal, state: AppState, plan_id: int, uid: str, body: MoveRequest, version: int
) -> ChangeOut:
    """Move one meeting, checked against every rule, as a new version of the plan read at `version`."""
    row, plan, config = load(db, plan_id)
    require_plan_version(row, version)
    meeting = meeting_of(plan, uid)
    may_change(who, config, meeting)
    changeable(db, row)
    locked = storage.locked_uids(db, row.term)
    try:
        proposal = move_meeting(
            config, plan, uid, body.start, locked=locked, time_limit=state.settings.replan_time_limit
        )
    except NoProposal as exc:
        raise BadInput(" ".join(exc.reasons), "start") from None
    reason = body.reason or f"flyttet af {who.name}"
    return save_change(db, state, row, plan, proposal.plan, config, who, reason)


def what_if(db: Session, who: Principal, state: AppState, plan_id: int, body: WhatIfRequest) -> JobOut:
    """Queue a plan of a changed config with the least change from this plan; nothing is published."""
    storage.get_plan_version(db, plan_id)
    storage.get_config(db, body.config_id)
    params = WhatIfParams(
        config_version_id=body.config_id,
        base_plan_version_id=plan_id,
        time_limit=body.time_limit,
        actor=who.name,
        reason=body.reason,
    )
    return _queue(db, state, who, params)


def publish(db: Session, who: Principal, state: AppState, plan_id: int, body: PublishRequest) -> PublishOut:
    """Make the plan live and send what changed since the last publish; one publish per term at a
    time (`PublishBusy`, 409, before anything is sent).

    A district leader publishes only changes in their own districts, and not a term's first plan
    (403). A draft made from a plan that is no longer live (another leader published since) is
    laid on top of the live plan: published as a new version, a change of the live plan (the
    `plan_version_id` answered), unless it clashes with it (409, nothing published, the draft kept).
    """
    row, plan, config = load(db, plan_id)
    backend = _backend_name(state, body.backend)
    publishing.check_publishable(db, config, plan)
    reason = body.reason or "udsendt"
    with publishing.sending(state, row.term):
        db.expire_all()  # read the head and the row again now that the term is ours
        row = storage.get_plan_version(db, plan_id)
        changeable(db, row)
        going = publishing.going_live(db, row, plan)
        publishing.check_scope(who, config, going)
        publishing.check_merge(config, going)
        if going.merge is not None:
            publishing.check_publishable(db, config, going.result)
        publishing.check_confirmed(
            db, state, config, going.result, backend, body.expected_messages, body.expected_preview
        )
        config_version = storage.get_config(db, row.config_version_id)
        row = publishing.store_merge(db, going, config_version, who.name, reason)
        publication = publishing.make_live(db, state, row, who.name, reason, backend)
        commit(db)
        sent = publishing.drain(state, row.term, who.name)
    return _sent_out(row, sent, publication.id)


def preview(db: Session, who: Principal, state: AppState, plan_id: int, backend: str | None) -> PreviewOut:
    """What a publish of this version would send now, per person and why; sends nothing. Its
    count and fingerprint are what `publish` takes to confirm it sends exactly this."""
    row, plan, config = load(db, plan_id)
    name = _backend_name(state, backend)
    plan = publishing.going_live(db, row, plan).result  # a draft from an older live plan: the merge
    planned = publish_preview(config, plan, state.calendar, name, confidential=storage.absence_reasons(db))
    per: dict[str, Counter[str]] = {}
    for message in planned:
        per.setdefault(message.recipient, Counter())[message.reason] += 1
    return PreviewOut(
        plan_version_id=row.id,
        backend=name,
        messages=len(planned),
        fingerprint=digest(planned),
        people=[
            PreviewPerson(person=pid, messages=sum(c.values()), reasons=dict(c))
            for pid, c in sorted(per.items())
        ],
    )


def delivery(db: Session, who: Principal, state: AppState, plan_id: int) -> DeliveryOut:
    """Whether a published version has reached every calendar, and what is still unsent."""
    row, plan, config = load(db, plan_id)
    publication = storage.publication_of(db, plan_id)
    if publication is None:
        return DeliveryOut(
            plan_version_id=row.id,
            published=row.published_at is not None,
            state=None,
            backend=None,
            messages=0,
            unsent=[],
        )
    return DeliveryOut(
        plan_version_id=row.id,
        published=True,
        state=publication.state.value,
        backend=publication.backend,
        messages=publication.messages,
        unsent=[UnsentOut(**vars(u)) for u in publishing.unsent(state, publication, plan, config)],
    )
