"""Absences: someone is unavailable → ranked proposals → one accepted → a new plan version.

Nothing is sent when an absence is registered; only accepting a proposal changes the plan, and
only the people in that proposal's `notified` list hear of it. An absence nobody can cover gets
its reasons (`no_proposal`) and, when some meetings can still be kept, one proposal whose plan is
PARTIAL: the meetings it leaves out are in its `unplaced` list, with their reasons. The reason
given for an absence is confidential: it is stored, never returned, never sent.

What people type is read as they mean it (`api.services.absence_input`: whole days, local times,
a person by name). An absence that meets one already registered for the same person is answered
with what happened and why, the way a leader expects it:

- the same absence again (the same start and end), or one that lies within a registered one:
  nothing new is stored; the answer is the registered absence (200, `created` false) with
  `message` saying "findes allerede" and which one;
- one that overlaps at one end (Mette was registered ill Monday-Wednesday and is now ill
  Monday-Friday): only the new part (Thursday-Friday) is registered, and `message` names the
  absence it overlaps. The registered absence and any proposal accepted for it stay as they
  are, and the new proposals cover exactly the new days; nothing is counted twice;
- one that surrounds a registered one (new parts before and after it): refused (409), naming
  the registered absence and the parts to register, rather than guessing which to change.

An absence with no day in any term of the config is refused (422), naming the terms.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, PrivateAttr
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role
from api.db import commit
from api.deps import MAX_ID, AppState
from api.errors import BadInput, Forbidden
from api.orm import Absence, PlanVersion
from api.orm import Proposal as ProposalRow
from api.services import configs as config_service
from api.services.absence_input import (
    AbsenceConflict,
    AbsenceInputError,
    Problem,
    Typed,
    absences_no,
    outside_terms,
    read_typed,
    span_text,
)
from api.services.plans import ChangeOut, changeable, load, may_change, save_change
from calendar_sync.freebusy import BUSY_REASON
from scheduler.bal_substitutes import bal_substitutes
from scheduler.config import substitute_problem
from scheduler.index import index_of
from scheduler.model import MunicipalityConfig, Plan, RuleCost, UnplacedMeeting
from scheduler.replan import MeetingChange, NoProposal, Proposal, ReplanRequest, Unavailability, propose
from scheduler.replan.unavailability import touched_meetings
from scheduler.term_dates import TZ


class AbsenceRequest(BaseModel):
    person: str = Field(
        description="who is away: their id in the config, or their name as the config writes it "
        "('Mette Hansen'; any case)",
        examples=["psykolog-a", "Psykolog A"],
    )
    start: str = Field(
        description="a date ('2027-03-08': from the start of that day), a local time in Copenhagen "
        "('2027-03-08T09:00') or a time with an offset ('2027-03-08T09:00+01:00')",
        examples=["2027-03-08", "2027-03-08T09:00"],
    )
    end: str | None = Field(
        default=None,
        description="like `start`; a date is included whole ('2027-03-10': to the end of that day). "
        "Left out after a date: that one day",
        examples=["2027-03-10", "2027-03-08T12:00"],
    )
    reason: str | None = Field(default=None, description="confidential; never sent (at most 1000 characters)")
    substitute: str | None = Field(
        default=None,
        description="who takes the absent person's seats meanwhile (id or name; proposals use them first)",
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

    def typed(self) -> Typed:
        return Typed(self.person, self.start, self.end or "", self.substitute or "", self.reason or "")


class ProposalOut(BaseModel):
    id: int
    rank: int
    kind: str
    summary_da: str
    changes: list[MeetingChange]
    notified: list[str]
    changed_meetings: int
    rule_costs: list[RuleCost]
    unplaced: list[UnplacedMeeting] = Field(
        default_factory=list,
        description="a proposal that cannot keep every meeting (its plan is PARTIAL): those left out, "
        "with reasons (not in a staff member's view: the reasons name colleagues' absences)",
    )
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
    created: bool = Field(
        default=True, description="false: the same absence was registered already; nothing new is stored"
    )
    message: str | None = Field(
        default=None,
        description="what was done and why, in Danish, when it is not simply what was asked: the absence "
        "existed already, or only its part not registered yet was registered",
    )
    overlaps: list[int] = Field(
        default_factory=list, description="the ids of the person's registered absences it met, if any"
    )
    _note: Problem | None = PrivateAttr(default=None)

    @property
    def note(self) -> Problem | None:
        """`message` as a `Problem`, for a page that says it in its own language."""
        return self._note

    def noted(self, note: Problem | None, overlaps: list[int], created: bool = True) -> AbsenceOut:
        self._note = note
        self.overlaps = overlaps
        self.message = note.text() if note is not None else None
        self.created = created
        return self


def _proposal_out(row: ProposalRow, private: bool) -> ProposalOut:
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
        unplaced=[] if private else proposal.plan.unplaced,
        accepted=row.accepted_at is not None,
        version=row.version,
    )


def _absence_out(
    db: Session, who: Principal, absence: Absence, no_proposal: list[str] | None = None
) -> AbsenceOut:
    rows = storage.proposals_for(db, absence.id)
    return AbsenceOut(
        id=absence.id,
        person=absence.person_id,
        start=absence.start.astimezone(TZ),  # as meetings are shown: Copenhagen time, with its offset
        end=absence.end.astimezone(TZ),
        substitute=absence.substitute_id,
        state=str(absence.state),
        plan_id=rows[0].plan_version_id if rows else None,
        version=absence.version,
        proposals=[_proposal_out(r, private=who.role == Role.staff) for r in rows],
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


def _config_for(db: Session, plan_id: int | None) -> MunicipalityConfig | None:
    """The config a typed absence is read against: the named plan's, else the newest uploaded."""
    if plan_id is not None:
        return load(db, plan_id)[2]
    return config_service.newest(db)


def _remainder(start: datetime, end: datetime, registered: list[Absence]) -> list[tuple[datetime, datetime]]:
    """The parts of start-end that no registered absence covers yet."""
    pieces = [(start, end)]
    for other in registered:
        rest: list[tuple[datetime, datetime]] = []
        for a, b in pieces:
            if other.end <= a or b <= other.start:
                rest.append((a, b))
                continue
            if a < other.start:
                rest.append((a, other.start))
            if other.end < b:
                rest.append((other.end, b))
        pieces = rest
    return pieces


def _against_registered(
    db: Session, person: str, start: datetime, end: datetime
) -> tuple[Absence | None, tuple[datetime, datetime], Problem | None, list[int]]:
    """(an absence that already covers it, or None; the span to register; what to say about it;
    the ids of the registered absences it meets).

    See the module's docstring for what a leader gets. Busy times read from Exchange are stored
    as absences too, but they are not what someone registered: an absence may cover them."""
    registered = [a for a in storage.overlapping_absences(db, person, start, end) if a.reason != BUSY_REASON]
    if not registered:
        return None, (start, end), None, []
    ids = [a.id for a in registered]
    same = next((a for a in registered if (a.start, a.end) == (start, end)), None)
    if same is not None:
        note = Problem("duplicate", None, {"id": same.id, "span": span_text(same.start, same.end)})
        return same, (start, end), note, ids
    pieces = _remainder(start, end, registered)
    others = absences_no([(a.id, a.start, a.end) for a in registered])
    if not pieces:
        outer = next((a for a in registered if a.start <= start and end <= a.end), registered[0])
        note = Problem("covered", None, {"id": outer.id, "span": span_text(outer.start, outer.end)})
        return outer, (start, end), note, ids
    if len(pieces) > 1:
        parts = ", ".join(span_text(a, b) for a, b in pieces)
        raise AbsenceConflict([Problem("overlap_inside", "start", {"others": others, "parts": parts})])
    piece = pieces[0]
    return None, piece, Problem("overlap_trimmed", None, {"others": others, "span": span_text(*piece)}), ids


def register(db: Session, who: Principal, state: AppState, body: AbsenceRequest) -> AbsenceOut:
    """Register an absence and rank proposals for it; nothing is sent until one is accepted.

    `AbsenceInputError` (422) lists every input problem with its field; an absence registered
    already is answered with it (`created` false), see the module's docstring."""
    config = _config_for(db, body.plan_id)
    read = read_typed(config, body.typed())
    problems = list(read.problems)
    if read.person is not None and not who.may_act_for(read.person):
        raise Forbidden("du kan kun melde dit eget fravær", "person")
    if config is not None and read.start is not None and read.end is not None:
        outside = outside_terms(config, read.start, read.end)
        if outside is not None:
            problems.append(outside)
    if problems:
        raise AbsenceInputError(problems)
    assert read.person is not None and read.start is not None and read.end is not None
    person, substitute = read.person, read.substitute
    if config is not None and substitute is not None:
        problem = substitute_problem(config, index_of(config).people[person], substitute)
        if problem is not None:
            raise BadInput(problem, "substitute")
    existing, (start, end), note, overlaps = _against_registered(db, person, read.start, read.end)
    if existing is not None:
        return _absence_out(db, who, existing).noted(note, overlaps, created=False)
    plan_row = (
        storage.get_plan_version(db, body.plan_id) if body.plan_id is not None else _plan_for(db, start, end)
    )
    reasons: list[str] = []
    proposals: list[Proposal] = []
    if plan_row is not None:
        row, plan, plan_config = load(db, plan_row.id)
        people = index_of(plan_config).people
        if person not in people:
            raise BadInput(f"ukendt person '{person}' i planens konfiguration", "person")
        if substitute is not None:
            problem = substitute_problem(plan_config, people[person], substitute)
            if problem is not None:
                raise BadInput(problem, "substitute")
        unavailability = Unavailability(person=person, start=start, end=end, substitute=substitute)
        request = ReplanRequest(
            unavailability=unavailability,
            locked=storage.locked_uids(db, row.term),
            notice_working_days=body.notice_working_days,
            now=datetime.now(UTC),
            allow_short_notice=body.allow_short_notice,
            max_proposals=body.max_proposals,
        )
        limit = state.settings.replan_time_limit
        substitutes = bal_substitute_proposals(plan_config, plan, request, limit)
        try:
            proposals = propose(plan_config, plan, request, time_limit=limit)
        except NoProposal as exc:  # why; and, if some meetings can be kept, the proposal that keeps most
            reasons = [] if substitutes else exc.reasons
            proposals = [exc.partial] if exc.partial is not None and not substitutes else []
        seen = {p.id for p in substitutes}
        proposals = [*substitutes, *(p for p in proposals if p.id not in seen)][: body.max_proposals]
    absence = storage.create_absence(db, person, start, end, read.reason, who.name, substitute_id=substitute)
    for rank, proposal in enumerate(proposals, start=1):
        assert plan_row is not None
        storage.add_proposal(db, absence.id, plan_row, proposal, rank, who.name)
    if plan_row is not None and not proposals and not reasons:
        storage.update_absence(db, absence.id, absence.version, actor=who.name, state="resolved")
    commit(db)
    return _absence_out(db, who, absence, reasons).noted(note, overlaps)


BAL_CANDIDATES = 2
"""Substitute facilitators tried for a BAL facilitator's absence (each costs a replan)."""


def bal_substitute_proposals(
    config: MunicipalityConfig, plan: Plan, request: ReplanRequest, time_limit: float
) -> list[Proposal]:
    """For a BAL facilitator's absence from a team's analyses, with no substitute named: a
    proposal per substitute facilitator, the best first (`scheduler.bal_substitutes`: who already
    follows a team of the same institution, then of the same district, then the rest), each
    saying who and why in Danish. [] for any other absence."""
    absence = request.unavailability
    if absence.substitute is not None or config.bal is None:
        return []
    touched = sorted(touched_meetings(plan, absence, request.now), key=lambda m: m.start)
    candidates = next((c for m in touched if (c := bal_substitutes(config, absence.person, m))), [])
    index = index_of(config)
    out: list[Proposal] = []
    for candidate in candidates[:BAL_CANDIDATES]:
        asked = request.model_copy(
            update={"unavailability": absence.model_copy(update={"substitute": candidate.person})}
        )
        try:
            ranked = propose(config, plan, asked, time_limit=time_limit)
        except NoProposal:
            continue
        steps_in = next((p for p in ranked if candidate.person in p.notified), None)
        if steps_in is None:
            continue
        name = index.person_name(candidate.person)
        summary = f"{name} tager over som BAL-facilitator ({candidate.reason_da}). {steps_in.summary_da}"
        out.append(steps_in.model_copy(update={"summary_da": summary, "substitute": candidate.person}))
    return out


def overlap_note(db: Session, who: Principal, absence_id: int, others: list[int]) -> Problem | None:
    """What a page says after an absence of which only the new part was registered: which
    registered absences of the same person it overlapped (ids the caller may see, else nothing)."""
    absence = storage.get_absence(db, absence_id)
    _may_see(who, absence)
    shown = []
    for other_id in others[:10]:
        try:
            other = storage.get_absence(db, other_id)
        except storage.NotFound:
            continue
        if other.person_id == absence.person_id and other.id != absence.id:
            shown.append((other.id, other.start, other.end))
    if not shown:
        return None
    span = span_text(absence.start, absence.end)
    return Problem("overlap_trimmed", None, {"others": absences_no(shown), "span": span})


def read(db: Session, who: Principal, absence_id: int) -> AbsenceOut:
    """An absence and its proposals (staff: only their own)."""
    absence = storage.get_absence(db, absence_id)
    _may_see(who, absence)
    return _absence_out(db, who, absence)


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
    # A substitute who steps in is stored with the absence, so re-solves and publishing read the
    # absence back with them (`api.jobs.effective_config`) and the plan still verifies.
    substitute = absence.substitute_id if proposal.substitute is None else proposal.substitute
    storage.update_absence(
        db, absence.id, absence.version, actor=who.name, state="resolved", substitute_id=substitute
    )
    reason = f"fravær {absence_id}: {proposal.summary_da}"[:1000]
    return save_change(db, state, base_row, base, proposal.plan, config, who, reason)
