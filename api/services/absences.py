"""Absences: someone is unavailable → ranked proposals → one accepted → a new plan version.

Nothing is sent when an absence is registered; only accepting a proposal changes the plan, and
only the people in that proposal's `notified` list hear of it. The reason given for an absence
is confidential: it is stored, never returned, never sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role
from api.db import commit
from api.deps import MAX_ID, AppState
from api.errors import BadInput, Forbidden
from api.orm import Absence, PlanVersion
from api.orm import Proposal as ProposalRow
from api.services.plans import ChangeOut, changeable, load, may_change, save_change
from scheduler.config import substitute_problem
from scheduler.index import index_of
from scheduler.model import RuleCost
from scheduler.replan import MeetingChange, NoProposal, Proposal, ReplanRequest, Unavailability, propose


class AbsenceRequest(BaseModel):
    person: str = Field(min_length=1, max_length=200, description="the person id in the config")
    start: AwareDatetime
    end: AwareDatetime
    reason: str | None = Field(default=None, max_length=1000, description="confidential; never sent")
    substitute: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the person id who takes the absent person's seats meanwhile (proposals use them first)",
    )
    plan_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="default: the term's live plan (before its first publish: its newest draft)",
    )
    notice_working_days: int = Field(default=2, ge=0, le=60)
    allow_short_notice: bool = Field(default=False, description="may move meetings inside the notice")
    max_proposals: int = Field(default=3, ge=1, le=10)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end skal ligge efter start")
        return end


class ProposalOut(BaseModel):
    id: int
    rank: int
    kind: str
    summary_da: str
    changes: list[MeetingChange]
    notified: list[str]
    changed_meetings: int
    rule_costs: list[RuleCost]
    accepted: bool
    version: int = Field(description="ETag for If-Match on accept")


class AbsenceOut(BaseModel):
    id: int
    person: str
    start: datetime
    end: datetime
    substitute: str | None = Field(default=None, description="who takes the person's seats meanwhile")
    state: str
    plan_id: int | None = Field(description="the plan version the proposals change")
    version: int
    proposals: list[ProposalOut]
    no_proposal: list[str] = Field(description="why nothing can cover the absence, in Danish")


def _proposal_out(row: ProposalRow) -> ProposalOut:
    proposal = Proposal.model_validate_json(row.proposal_json)
    return ProposalOut(
        id=row.id,
        rank=row.rank,
        kind=proposal.kind,
        summary_da=proposal.summary_da,
        changes=proposal.changes,
        notified=proposal.notified,
        changed_meetings=proposal.changed_meetings,
        rule_costs=proposal.rule_costs,
        accepted=row.accepted_at is not None,
        version=row.version,
    )


def _absence_out(db: Session, absence: Absence, no_proposal: list[str] | None = None) -> AbsenceOut:
    rows = storage.proposals_for(db, absence.id)
    return AbsenceOut(
        id=absence.id,
        person=absence.person_id,
        start=absence.start,
        end=absence.end,
        substitute=absence.substitute_id,
        state=str(absence.state),
        plan_id=rows[0].plan_version_id if rows else None,
        version=absence.version,
        proposals=[_proposal_out(r) for r in rows],
        no_proposal=no_proposal or [],
    )


def _plan_for(db: Session, start: datetime, end: datetime) -> PlanVersion | None:
    """The plan of the term the absence falls in (by the plans' meeting dates): its live plan,
    never a newer draft; a term never published: its newest draft."""
    for plan_id in storage.working_plan_ids(db):
        row, plan = storage.get_plan(db, plan_id)
        if (
            plan.meetings
            and min(m.start for m in plan.meetings) <= end
            and max(m.end for m in plan.meetings) >= start
        ):
            return row
    return None


def _may_see(who: Principal, absence: Absence) -> None:
    if not who.may_act_for(absence.person_id):
        raise Forbidden("du kan kun se dit eget fravær")


def register(db: Session, who: Principal, state: AppState, body: AbsenceRequest) -> AbsenceOut:
    """Register an absence and rank proposals for it; nothing is sent until one is accepted."""
    if not who.may_act_for(body.person):
        raise Forbidden("du kan kun melde dit eget fravær", "person")
    plan_row = (
        storage.get_plan_version(db, body.plan_id)
        if body.plan_id is not None
        else _plan_for(db, body.start, body.end)
    )
    reasons: list[str] = []
    proposals: list[Proposal] = []
    if plan_row is not None:
        row, plan, config = load(db, plan_row.id)
        people = index_of(config).people
        if body.person not in people:
            raise BadInput(f"ukendt person '{body.person}'", "person")
        if body.substitute is not None:
            problem = substitute_problem(config, people[body.person], body.substitute)
            if problem is not None:
                raise BadInput(problem, "substitute")
        unavailability = Unavailability(
            person=body.person, start=body.start, end=body.end, substitute=body.substitute
        )
        request = ReplanRequest(
            unavailability=unavailability,
            locked=storage.locked_uids(db, row.term),
            notice_working_days=body.notice_working_days,
            now=datetime.now(UTC),
            allow_short_notice=body.allow_short_notice,
            max_proposals=body.max_proposals,
        )
        try:
            proposals = propose(config, plan, request, time_limit=state.settings.replan_time_limit)
        except NoProposal as exc:
            reasons = exc.reasons
    absence = storage.create_absence(
        db, body.person, body.start, body.end, body.reason, who.name, substitute_id=body.substitute
    )
    for rank, proposal in enumerate(proposals, start=1):
        assert plan_row is not None
        storage.add_proposal(db, absence.id, plan_row, proposal, rank, who.name)
    if plan_row is not None and not proposals and not reasons:
        storage.update_absence(db, absence.id, absence.version, actor=who.name, state="resolved")
    commit(db)
    return _absence_out(db, absence, reasons)


def read(db: Session, who: Principal, absence_id: int) -> AbsenceOut:
    """An absence and its proposals (staff: only their own)."""
    absence = storage.get_absence(db, absence_id)
    _may_see(who, absence)
    return _absence_out(db, absence)


def recent(db: Session, who: Principal, limit: int = 10) -> list[Absence]:
    """The newest absences the caller may see: staff their own, the others everyone's."""
    person = (who.person or "\0") if who.role == Role.staff else None
    return storage.recent_absences(db, person, limit)


def accept(
    db: Session, who: Principal, state: AppState, absence_id: int, proposal_id: int, version: int
) -> ChangeOut:
    """Make the proposal (read at `version`) the plan: a new version, sent at once to the people
    it notifies if the plan was published."""
    absence = storage.get_absence(db, absence_id)
    row = storage.find_proposal(db, proposal_id)
    if row is None or row.absence_id != absence_id:
        raise storage.NotFound(f"fravær {absence_id} har intet forslag {proposal_id}")
    base_row, base, config = load(db, row.plan_version_id)
    proposal = Proposal.model_validate_json(row.proposal_json)
    for change in proposal.changes:
        meeting = next((m for m in [*base.meetings, *proposal.plan.meetings] if m.uid == change.uid), None)
        if meeting is not None:
            may_change(who, config, meeting)
    changeable(db, base_row)
    storage.accept_proposal(db, proposal_id, version, who.name)
    storage.update_absence(db, absence.id, absence.version, actor=who.name, state="resolved")
    reason = f"fravær {absence_id}: {proposal.summary_da}"[:1000]
    return save_change(db, state, base_row, base, proposal.plan, config, who, reason)
