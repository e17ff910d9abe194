"""Rescheduling with the smallest change: someone is unavailable, and the plan must bend, not break.

When a person falls ill, goes on a course or on leave, the meetings they would attend in that
time need a new answer, and every changed meeting costs messages to everyone in it. So the
product offers ranked proposals and sends nothing until one is accepted (`propose`). Each
proposal is the whole new plan, solved on the same joint CP-SAT model as a fresh plan
(`build_model` on the config with the absence added), with every meeting the strategy may not
touch pinned to its current time and people:

1. `drop_optional` - the person only came as an optional attendee: they are taken off.
2. `substitute` - the meetings keep their time; another eligible pool member takes the seat.
3. `move` - the meetings move inside their own cadence period, to a time outside the absence.
4. `combined` - anything may change, at a price per changed meeting and per notified person, on
   top of the plan's own objective; so untouched meetings stay unless moving one is the only way.

Locked meetings and meetings in the past never change. Meetings within the notice period keep
their time (a substitution is still allowed), and no meeting is moved into the notice period,
unless the request allows short notice. Every proposal is re-checked by the independent
verifier against the config with the absence.

`what_if` answers "what if Skovlunde dagtilbud met fortnightly?" the same way: the modified
config, solved with the cost of change relative to the current plan, published nowhere.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from ortools.sat.python import cp_model
from pydantic import BaseModel, Field, model_validator

from scheduler.availability import Unavailability, config_with_unavailability, require_aware
from scheduler.build import build_model, find_term, objective_terms
from scheduler.context import Occurrence, Option, PlanningContext
from scheduler.cpsat import new_solver
from scheduler.danish import genitive_da, plural_da, span_da, when_da
from scheduler.model import (
    Attendee,
    Meeting,
    MunicipalityConfig,
    Plan,
    RuleCost,
    Term,
)
from scheduler.roles import KNOWN_ROLES
from scheduler.solve import PlanVerificationError, read_plan
from scheduler.term_dates import TZ, danish_public_holidays, local_datetime

MINUTES_PER_DAY = 24 * 60
CHANGE_WEIGHT = 1000
"""Objective cost of one changed meeting (time, site or anyone attending): above any soft rule's
share of one meeting, so a proposal never changes a meeting just to polish the plan."""
NOTIFY_WEIGHT = 100
"""Objective cost of one person who receives an update: among equally many changed meetings,
the one that bothers fewer people wins."""
DEFAULT_TIME_LIMIT = 10.0
DEFAULT_WORKERS = 2
OPTIONAL_SEAT = "optional"

ProposalKind = Literal["drop_optional", "substitute", "move", "combined", "what_if"]
ChangeKind = Literal[
    "attendee_removed", "attendee_added", "attendee_substituted", "moved", "added", "removed"
]
STRATEGIES: tuple[ProposalKind, ...] = ("drop_optional", "substitute", "move", "combined")


# --------------------------------------------------------------------------- the request and the answer


class ReplanRequest(BaseModel):
    unavailability: Unavailability
    locked: set[str] = Field(default_factory=set, description="uids of meetings that must not change")
    notice_working_days: int = Field(default=2, ge=0, le=60)
    now: datetime
    allow_short_notice: bool = False
    max_proposals: int = Field(default=3, ge=1, le=20)

    @model_validator(mode="after")
    def _aware(self) -> ReplanRequest:
        require_aware(self.now, "now")
        return self


class MeetingChange(BaseModel):
    """One meeting as it was and as it would be; `what` names the most visible difference."""

    uid: str
    series: str
    title: str
    what: ChangeKind
    before_start: datetime | None
    before_end: datetime | None
    before_site: str | None
    after_start: datetime | None
    after_end: datetime | None
    after_site: str | None
    before_attendees: list[Attendee]
    after_attendees: list[Attendee]


class Proposal(BaseModel):
    id: str = Field(description="stable for the same outcome: the kind and a hash of the changes")
    kind: ProposalKind
    summary_da: str
    changes: list[MeetingChange]
    notified: list[str] = Field(description="everyone attending a changed meeting before or after")
    changed_meetings: int
    rule_costs: list[RuleCost]
    plan: Plan

    @property
    def soft_cost(self) -> int:
        return sum(c.cost for c in self.rule_costs if c.level == "soft")


class NoProposal(Exception):
    """No strategy found a plan; `reasons` are Danish lines, the first a headline."""

    def __init__(self, reasons: list[str]):
        super().__init__("\n".join(reasons))
        self.reasons = reasons


# --------------------------------------------------------------------------- small helpers


def _local(value: datetime) -> tuple[date, int]:
    local = value.astimezone(TZ)
    return local.date(), local.hour * 60 + local.minute


def _holders(meeting: Meeting) -> dict[str, set[str]]:
    """seat key -> people in it, optional attendees under 'optional'."""
    out: dict[str, set[str]] = defaultdict(set)
    for a in meeting.attendees:
        out[a.seat].add(a.person)
    return out


def _attendee_key(meeting: Meeting) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((a.person, a.seat) for a in meeting.attendees))


def _shape(meeting: Meeting) -> tuple[datetime, datetime, str, tuple[tuple[str, str], ...]]:
    return meeting.start, meeting.end, meeting.site, _attendee_key(meeting)


def _working_day(config: MunicipalityConfig, day: date) -> bool:
    """Mon-Fri except helligdage and extra closed days (school holidays are staff working days)."""
    if day.weekday() >= 5:
        return False
    if day in danish_public_holidays(day.year, config.public_holidays.include_optional):
        return False
    return all(extra.date != day for extra in config.public_holidays.extra)


def notice_horizon(config: MunicipalityConfig, now: datetime, working_days: int) -> date:
    """The last day inside the notice period: the n-th working day after today (today when n is 0).

    A meeting on or before it is short notice: it keeps its time, and nothing moves onto it.
    """
    day = now.astimezone(TZ).date()
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if _working_day(config, day):
            counted += 1
    return day


# --------------------------------------------------------------------------- the engine


SeatFreedom = Literal["none", "person", "all"]


@dataclass(frozen=True)
class Freedom:
    """What a strategy lets change in one meeting. `person` means: only the absent person's part."""

    time: bool = False
    seats: SeatFreedom = "none"
    optional: SeatFreedom = "none"


PINNED = Freedom()


@dataclass
class _Outcome:
    status: Literal["ok", "infeasible", "timeout", "unpinnable"]
    plan: Plan | None = None
    problems: list[str] = field(default_factory=list)


class _Engine:
    """One joint model for the new config, with the cost of change against the current plan.

    The model is built once; each strategy fixes the variables it may not change by narrowing
    their domains, solves, and restores them, so four strategies cost one model build.
    """

    def __init__(
        self,
        config: MunicipalityConfig,
        term: Term,
        current: Plan,
        *,
        person: str | None = None,
        earliest_move: datetime | None = None,
        horizon: date | None = None,
        time_limit: float = DEFAULT_TIME_LIMIT,
        workers: int = DEFAULT_WORKERS,
        booked: list[Meeting] | None = None,
    ):
        """`booked`: the one-off meetings the new plan keeps as they are (default: the current plan's)."""
        self.config = config
        self.current = current
        self.person = person
        self.earliest_move = earliest_move
        self.horizon = horizon
        self.time_limit = time_limit
        self.workers = workers
        if booked is None:
            booked = [m for m in current.meetings if m.one_off]
        self.ctx: PlanningContext = build_model(config, term, booked=booked)
        self.meetings = {m.uid: m for m in current.meetings}
        self.occ_by_uid = {occ.uid: occ for occ in self.ctx.occurrences}
        self.current_option: dict[int, Option | None] = {}
        for occ in self.ctx.occurrences:
            meeting = self.meetings.get(occ.uid)
            self.current_option[occ.index] = None if meeting is None else self._option_of(occ, meeting)
        self._track_changes()

    @staticmethod
    def _option_of(occ: Occurrence, meeting: Meeting) -> Option | None:
        day, start = _local(meeting.start)
        return next((o for o in occ.options if o.day == day and o.start == start), None)

    def _track_changes(self) -> None:
        """changed[occ] is true when time, site or anyone attending differs from the current plan;
        notified[p] when p attends a changed meeting before or after. Both go into the objective."""
        model = self.ctx.model
        changed_vars: list[cp_model.IntVar] = []
        notify: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for occ in self.ctx.occurrences:
            changed = model.new_bool_var(f"changed[{occ.uid}]")
            changed_vars.append(changed)
            meeting = self.meetings.get(occ.uid)
            if meeting is None:
                model.add(changed == 1)
                for pid, lit in occ.attends.items():
                    notify[pid].append(lit)
                continue
            before = {a.person for a in meeting.attendees}
            holders = _holders(meeting)
            current = self.current_option[occ.index]
            seat_keys = {c.key for c in occ.seats} | {OPTIONAL_SEAT}
            must_change = (
                current is None
                or meeting.site != occ.site
                or meeting.end - meeting.start != timedelta(minutes=occ.duration)
                or any(pid not in occ.attends for pid in before)
                or any(key not in seat_keys for key in holders)
            )
            if must_change:
                model.add(changed == 1)
            else:
                assert current is not None
                model.add_implication(current.var.negated(), changed)
                for choice in occ.seats:
                    held = holders.get(choice.key, set())
                    if any(pid not in choice.lits for pid in held):
                        model.add(changed == 1)
                    for pid, lit in choice.lits.items():
                        model.add_implication(lit.negated() if pid in held else lit, changed)
                for pid, attends in occ.attends.items():
                    model.add_implication(attends.negated() if pid in before else attends, changed)
            for pid in before:
                notify[pid].append(changed)
            for pid, attends in occ.attends.items():
                if pid not in before:
                    notify[pid].append(attends)
        notified_vars = []
        for pid, lits in notify.items():
            notified = model.new_bool_var(f"notified[{pid}]")
            for lit in lits:
                model.add_implication(lit, notified)
            notified_vars.append(notified)
        change = cp_model.LinearExpr.sum(changed_vars)
        notified_count = cp_model.LinearExpr.sum(notified_vars)
        plan_cost = cp_model.LinearExpr.sum(objective_terms(self.ctx))
        model.minimize(CHANGE_WEIGHT * change + NOTIFY_WEIGHT * notified_count + plan_cost)

    # ----------------------------------------------------------------- pins

    def _pins(
        self, occ: Occurrence, freedom: Freedom, allow_short_notice: bool
    ) -> tuple[dict[int, int], str]:
        """Variable index -> fixed value for what the freedom keeps; a problem if it cannot be kept."""
        fixed: dict[int, int] = {}
        meeting = self.meetings.get(occ.uid)
        if meeting is None:
            return fixed, ""  # a meeting the current plan does not have: nothing to keep
        current = self.current_option[occ.index]
        if not freedom.time:
            if current is None:
                return fixed, "det nuværende tidspunkt er ikke længere muligt"
            for option in occ.options:
                fixed[option.var.index] = int(option is current)
        else:
            for option in occ.options:
                if option is current:
                    continue
                start = local_datetime(option.day, option.start)
                too_soon = self.horizon is not None and not allow_short_notice and option.day <= self.horizon
                if (self.earliest_move is not None and start < self.earliest_move) or too_soon:
                    fixed[option.var.index] = 0
        holders = _holders(meeting)
        for choice in occ.seats:
            held = holders.get(choice.key, set())
            mode = freedom.seats
            if mode == "person" and self.person not in held:
                mode = "none"
            if mode == "all":
                continue
            if any(pid not in choice.lits for pid in held):
                return fixed, f"pladsen {choice.key} kan ikke beholde sin nuværende besætning"
            for pid, lit in choice.lits.items():
                if mode == "none" or (pid in held and pid != self.person):
                    fixed[lit.index] = int(pid in held)
        seated = {a.person for a in meeting.attendees if a.seat != OPTIONAL_SEAT}
        optional_before = holders.get(OPTIONAL_SEAT, set())
        for pid, lit in occ.optional.items():
            if freedom.optional == "all" or pid in seated:
                continue  # a seated person's optional literal does not change who comes
            if freedom.optional == "person" and pid == self.person:
                continue
            fixed[lit.index] = int(pid in optional_before)
        return fixed, ""

    def _hint(self, reference: Plan) -> None:
        """Start the search from a known plan: its times, seat holders and optional attendees."""
        model = self.ctx.model
        model.clear_hints()
        for meeting in reference.meetings:
            occ = self.occ_by_uid.get(meeting.uid)
            if occ is None:
                continue
            chosen = self._option_of(occ, meeting)
            if chosen is not None:
                for option in occ.options:
                    model.add_hint(option.var, option is chosen)
            holders = _holders(meeting)
            for choice in occ.seats:
                for pid, lit in choice.lits.items():
                    model.add_hint(lit, pid in holders.get(choice.key, set()))
            attending = {a.person for a in meeting.attendees}
            for pid, lit in occ.optional.items():
                model.add_hint(lit, pid in attending)

    # ----------------------------------------------------------------- solving

    def solve(
        self,
        freedom_of: Callable[[Occurrence], Freedom],
        *,
        hint: Plan,
        allow_short_notice: bool = False,
    ) -> _Outcome:
        started = time.monotonic()
        fixed: dict[int, int] = {}
        problems = []
        for occ in self.ctx.occurrences:
            pins, problem = self._pins(occ, freedom_of(occ), allow_short_notice)
            if problem:
                problems.append(f"{occ.uid}: {problem}")
            fixed.update(pins)
        if problems:
            return _Outcome("unpinnable", problems=problems)
        proto = self.ctx.model.proto
        saved = {index: list(proto.variables[index].domain) for index in fixed}
        try:
            for index, value in fixed.items():
                domain = proto.variables[index].domain
                domain.clear()
                domain.extend([value, value])
            self._hint(hint)
            seed = self.config.planning.seed
            solver = new_solver(time_limit=self.time_limit, workers=self.workers, seed=seed)
            status = solver.solve(self.ctx.model)
            if status == cp_model.MODEL_INVALID:
                raise RuntimeError(f"invalid rescheduling model: {self.ctx.model.validate()}")
            if status == cp_model.INFEASIBLE:
                return _Outcome("infeasible")
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return _Outcome("timeout")
            plan = read_plan(self.ctx, solver, status, started, None)
        finally:
            for index, domain_values in saved.items():
                domain = proto.variables[index].domain
                domain.clear()
                domain.extend(domain_values)
        locked = {m.uid for m in self.current.meetings if m.locked}
        plan.meetings = [m.model_copy(update={"locked": m.uid in locked}) for m in plan.meetings]
        plan.objective = float(sum(c.cost for c in plan.rule_costs if c.level == "soft"))
        plan.best_bound = None  # the solver's bound speaks for the cost of change, not the plan
        return _Outcome("ok", plan)


# --------------------------------------------------------------------------- comparing plans


def _change_kind(before: Meeting | None, after: Meeting | None) -> ChangeKind:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    if (before.start, before.end, before.site) != (after.start, after.end, after.site):
        return "moved"
    people_before = {(a.person, a.seat) for a in before.attendees}
    people_after = {(a.person, a.seat) for a in after.attendees}
    if people_before - people_after and people_after - people_before:
        return "attendee_substituted"
    return "attendee_removed" if people_before - people_after else "attendee_added"


def diff_plans(before: Plan, after: Plan) -> list[MeetingChange]:
    """Every meeting whose time, site or attendees differ, matched by uid, in time order."""
    old = {m.uid: m for m in before.meetings}
    new = {m.uid: m for m in after.meetings}
    changes = []
    for uid in sorted(old.keys() | new.keys()):
        a, b = old.get(uid), new.get(uid)
        if a is not None and b is not None and _shape(a) == _shape(b):
            continue
        some = b or a
        assert some is not None
        changes.append(
            MeetingChange(
                uid=uid,
                series=some.series,
                title=some.title,
                what=_change_kind(a, b),
                before_start=a.start if a else None,
                before_end=a.end if a else None,
                before_site=a.site if a else None,
                after_start=b.start if b else None,
                after_end=b.end if b else None,
                after_site=b.site if b else None,
                before_attendees=list(a.attendees) if a else [],
                after_attendees=list(b.attendees) if b else [],
            )
        )
    changes.sort(key=lambda c: (c.before_start or c.after_start, c.uid))
    return changes


def _summary_da(config: MunicipalityConfig, changes: list[MeetingChange]) -> str:
    """One Danish line for the planner: what moves, who steps in, what appears or goes."""
    names = {p.id: p.name for p in config.staff}
    count = {kind: sum(c.what == kind for c in changes) for kind in ("moved", "added", "removed")}
    stepping_in = sorted(
        {
            a.person
            for c in changes
            if c.what not in ("added", "removed")
            for a in c.after_attendees
            if a.person not in {b.person for b in c.before_attendees}
        }
    )
    fewer = sum(c.what == "attendee_removed" for c in changes)
    parts = []
    if count["moved"]:
        parts.append(f"{plural_da(count['moved'], 'møde', 'møder')} flyttes")
    if stepping_in:
        parts.append(", ".join(names.get(p, p) for p in stepping_in) + " træder til")
    if fewer:
        parts.append(f"{plural_da(fewer, 'møde', 'møder')} får færre deltagere")
    if count["added"]:
        parts.append(f"{plural_da(count['added'], 'møde', 'møder')} kommer til")
    if count["removed"]:
        parts.append(f"{plural_da(count['removed'], 'møde', 'møder')} udgår")
    if not parts:
        return "Ingen ændringer."
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]} ({plural_da(len(changes), 'møde', 'møder')} ændres i alt)."


def _proposal(
    config: MunicipalityConfig,
    verify_config: MunicipalityConfig,
    kind: ProposalKind,
    before: Plan,
    after: Plan,
) -> Proposal:
    from scheduler.verify import format_violations, verify_plan

    violations = verify_plan(verify_config, after)
    if violations:
        raise PlanVerificationError(format_violations(violations))
    changes = diff_plans(before, after)
    notified = sorted({a.person for c in changes for a in [*c.before_attendees, *c.after_attendees]})
    outcome = repr(
        [
            (c.uid, c.after_start, c.after_site, sorted((a.person, a.seat) for a in c.after_attendees))
            for c in changes
        ]
    )
    digest = hashlib.sha1(outcome.encode()).hexdigest()[:8]
    return Proposal(
        id=f"{kind}-{digest}",
        kind=kind,
        summary_da=_summary_da(config, changes),
        changes=changes,
        notified=notified,
        changed_meetings=len(changes),
        rule_costs=after.rule_costs,
        plan=after,
    )


def _outcome_key(proposal: Proposal) -> str:
    return proposal.id.split("-", 1)[1]


def rank(proposals: Iterable[Proposal]) -> list[Proposal]:
    """Fewest changed meetings, then fewest people notified, then the lowest soft cost; identical
    outcomes are kept once, under the most specific strategy that found them."""
    order = {kind: i for i, kind in enumerate((*STRATEGIES, "what_if"))}
    ranked = sorted(
        proposals, key=lambda p: (p.changed_meetings, len(p.notified), p.soft_cost, order[p.kind])
    )
    seen: set[str] = set()
    out = []
    for proposal in ranked:
        if _outcome_key(proposal) not in seen:
            seen.add(_outcome_key(proposal))
            out.append(proposal)
    return out


# --------------------------------------------------------------------------- propose


@dataclass
class _Affected:
    meeting: Meeting
    seats: list[str]
    """the absent person's seats in it ('optional' for an optional attendee)"""
    short_notice: bool

    @property
    def optional_only(self) -> bool:
        return self.seats == [OPTIONAL_SEAT]


def _clip(unavailability: Unavailability, now: datetime) -> Unavailability | None:
    """The part of the unavailability from now on: the past is history and is not replanned."""
    if unavailability.end <= now:
        return None
    if unavailability.start >= now:
        return unavailability
    return unavailability.model_copy(update={"start": now})


def propose(
    config: MunicipalityConfig,
    plan: Plan,
    request: ReplanRequest,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = DEFAULT_WORKERS,
) -> list[Proposal]:
    """Ranked proposals that cover the unavailability; [] when it touches no meeting.

    Raises NoProposal (Danish reasons) when no strategy finds a plan. `time_limit` is per strategy.
    """
    now = request.now
    unavailability = _clip(request.unavailability, now)
    if unavailability is None:
        return []
    person = unavailability.person
    new_config = config_with_unavailability(config, unavailability)
    term = find_term(config, plan.term)
    horizon = notice_horizon(config, now, request.notice_working_days)
    locked = set(request.locked) | {m.uid for m in plan.meetings if m.locked}
    frozen = locked | {m.uid for m in plan.meetings if m.start < now}
    time_pinned = frozen | {m.uid for m in plan.meetings if _local(m.start)[0] <= horizon}
    if request.allow_short_notice:
        time_pinned = set(frozen)

    touched = [
        m
        for m in plan.meetings
        if any(a.person == person for a in m.attendees)
        and m.start < unavailability.end
        and unavailability.start < m.end
        and m.start >= now
    ]
    affected = [
        _Affected(
            meeting=m,
            seats=[a.seat for a in m.attendees if a.person == person],
            short_notice=m.uid in time_pinned,
        )
        for m in touched
        if not m.one_off
    ]
    # Booked one-off meetings are not replanned: an optional attendee is taken off; a required
    # one keeps the meeting where it is until someone books it anew.
    booked = [m for m in plan.meetings if m.one_off]
    touched_booked = [m for m in touched if m.one_off]
    if not touched:
        return []
    explainer = _Explainer(config, unavailability, request, affected)
    needed = [m for m in touched_booked if any(a.person == person and a.required for a in m.attendees)]
    if needed:
        raise NoProposal(explainer.booked(needed))
    blocked = [a for a in affected if a.meeting.uid in locked]
    if blocked:
        raise NoProposal(explainer.locked(blocked))
    dropped = {m.uid for m in touched_booked}
    booked = [
        m.model_copy(update={"attendees": [a for a in m.attendees if a.person != person]})
        if m.uid in dropped
        else m
        for m in booked
    ]

    engine = _Engine(
        new_config,
        term,
        plan,
        person=person,
        earliest_move=now,
        horizon=None if request.allow_short_notice else horizon,
        time_limit=time_limit,
        workers=workers,
        booked=booked,
    )
    series_by_id = {s.id: s for s in config.series}
    by_uid = {a.meeting.uid: a for a in affected}

    def fixed_seat(a: _Affected) -> bool:
        """The person sits in a seat nobody else may take (a named seat, or a pool of one)."""
        series = series_by_id[a.meeting.series]
        seats = dict(series.seats())
        occ = engine.occ_by_uid.get(a.meeting.uid)
        for key in a.seats:
            if key == OPTIONAL_SEAT:
                continue
            if seats[key].person is not None or occ is None:
                return True
            choice = next(c for c in occ.seats if c.key == key)
            if len(choice.lits) <= seats[key].count:
                return True
        return False

    def affected_only(freedom: Callable[[_Affected], Freedom]) -> Callable[[Occurrence], Freedom]:
        def of(occ: Occurrence) -> Freedom:
            a = by_uid.get(occ.uid)
            return PINNED if a is None else freedom(a)

        return of

    def drop(a: _Affected) -> Freedom:
        return Freedom(optional="person")

    def substitute(a: _Affected) -> Freedom:
        return Freedom(seats="person", optional="person")

    def move(a: _Affected) -> Freedom:
        if a.optional_only:
            return Freedom(optional="person")  # dropping is the smaller change
        return Freedom(time=True, optional="all")

    def combined(occ: Occurrence) -> Freedom:
        if occ.uid in frozen:
            return PINNED
        return Freedom(time=occ.uid not in time_pinned, seats="all", optional="all")

    strategies: list[tuple[ProposalKind, Callable[[Occurrence], Freedom]]] = []
    if all(a.optional_only for a in affected):
        strategies.append(("drop_optional", affected_only(drop)))
    elif not any(fixed_seat(a) for a in affected):
        strategies.append(("substitute", affected_only(substitute)))
    if not all(a.optional_only for a in affected) and not any(
        a.short_notice and not a.optional_only for a in affected
    ):
        strategies.append(("move", affected_only(move)))
    strategies.append(("combined", combined))

    # Nothing can change fewer meetings than the affected ones or notify fewer than their people.
    floor = (len(touched), len({p.person for m in touched for p in m.attendees}))
    proposals: list[Proposal] = []
    outcomes: dict[ProposalKind, _Outcome] = {}
    for kind, freedom_of in strategies:
        best = rank(proposals)[0] if proposals else None
        if kind == "combined" and best is not None and (best.changed_meetings, len(best.notified)) <= floor:
            break  # a proposal already reaches the floor; the full search cannot do better
        outcome = engine.solve(
            freedom_of,
            hint=best.plan if best is not None else plan,
            allow_short_notice=request.allow_short_notice,
        )
        outcomes[kind] = outcome
        if outcome.plan is not None:
            proposals.append(_proposal(config, new_config, kind, plan, outcome.plan))
    if not proposals:
        raise NoProposal(explainer.nothing_works(outcomes, locked, plan))
    return rank(proposals)[: request.max_proposals]


# --------------------------------------------------------------------------- explanations


class _Explainer:
    """Danish reasons for NoProposal, naming the affected meetings and what holds each one."""

    def __init__(
        self,
        config: MunicipalityConfig,
        unavailability: Unavailability,
        request: ReplanRequest,
        affected: list[_Affected],
    ):
        self.config = config
        self.request = request
        self.affected = affected
        self.names = {p.id: p.name for p in config.staff}
        self.series = {s.id: s for s in config.series}
        who = self.names.get(unavailability.person, unavailability.person)
        span = span_da(unavailability.start, unavailability.end)
        self.headline = f"Der er intet forslag, der dækker {genitive_da(who)} fravær {span}:"

    def _meeting(self, meeting: Meeting) -> str:
        return f"{meeting.title} {when_da(meeting.start)}"

    def booked(self, meetings: list[Meeting]) -> list[str]:
        return [self.headline] + [
            f"- {self._meeting(m)} er et booket møde, som omplanlægningen ikke flytter; book en ny tid "
            "til det (Find tid), så kan fraværet dækkes."
            for m in meetings
        ]

    def locked(self, blocked: list[_Affected]) -> list[str]:
        return [self.headline] + [
            f"- {self._meeting(a.meeting)} er låst og kan ikke ændres." for a in blocked
        ]

    def _seat_text(self, a: _Affected) -> str:
        from scheduler.config import seat_pool

        person = self.request.unavailability.person
        who = self.names.get(person, person)
        series = self.series[a.meeting.series]
        seats = dict(series.seats())
        for key in a.seats:
            if key == OPTIONAL_SEAT:
                continue
            seat = seats[key]
            if seat.person is not None:
                return f"{who} har en fast plads, som ingen anden kan overtage"
            others = [p for p in seat_pool(self.config, series, seat) if p != person]
            roles = {**KNOWN_ROLES, **self.config.extra_roles}
            role = roles.get(seat.role or "", seat.role or "deltager").lower()
            if not others:
                return f"der er ingen anden {role}, der kan tage {who}s plads"
            return f"ingen anden {role} ({', '.join(self.names.get(p, p) for p in others)}) er ledig"
        return f"{who} deltager kun valgfrit"

    def nothing_works(
        self, outcomes: dict[ProposalKind, _Outcome], locked: set[str], plan: Plan
    ) -> list[str]:
        lines = [self.headline]
        days = self.request.notice_working_days
        for a in self.affected:
            seat = self._seat_text(a)
            if a.short_notice:
                lines.append(
                    f"- {self._meeting(a.meeting)} ligger inden for varslet på {days} arbejdsdage og kan "
                    f"ikke flyttes, og {seat}."
                )
            else:
                lines.append(
                    f"- {self._meeting(a.meeting)}: hverken en afløser eller et andet tidspunkt "
                    f"passer ({seat})."
                )
        series_ids = {a.meeting.series for a in self.affected}
        person = self.request.unavailability.person
        nearby = [
            m
            for m in plan.meetings
            if m.uid in locked
            and (m.series in series_ids or any(att.person == person for att in m.attendees))
        ]
        if nearby:
            shown = ", ".join(self._meeting(m) for m in nearby[:5])
            more = f" og {len(nearby) - 5} andre" if len(nearby) > 5 else ""
            lines.append(f"- Låste møder ændres ikke: {shown}{more}.")
        if any(o.status == "timeout" for o in outcomes.values()):
            lines.append(
                "- Ikke alle muligheder blev afprøvet inden for tidsgrænsen; prøv en længere tidsgrænse."
            )
        return lines


# --------------------------------------------------------------------------- what if


def what_if(
    config: MunicipalityConfig,
    plan: Plan,
    modified_config: MunicipalityConfig,
    *,
    locked: Iterable[str] = (),
    now: datetime | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = DEFAULT_WORKERS,
) -> Proposal:
    """The modified config planned with the least change from the current plan; nothing is sent.

    Meetings are matched by uid (series, term, period); locked meetings and (with `now`) past
    ones keep their time and people. Raises NoProposal when the modified config has no such plan.
    """
    del config  # the question is about the modified config; the current one made `plan`
    term = find_term(modified_config, plan.term)
    frozen = set(locked) | {m.uid for m in plan.meetings if m.locked}
    if now is not None:
        require_aware(now, "now")
        frozen |= {m.uid for m in plan.meetings if m.start < now}
    engine = _Engine(modified_config, term, plan, earliest_move=now, time_limit=time_limit, workers=workers)
    full = Freedom(time=True, seats="all", optional="all")
    outcome = engine.solve(lambda occ: PINNED if occ.uid in frozen else full, hint=plan)
    if outcome.plan is None:
        reasons = ["Ændringen kan ikke gennemføres:"]
        if outcome.status == "unpinnable":
            reasons += [f"- Låst møde {p}" for p in outcome.problems]
        elif outcome.status == "timeout":
            reasons.append(
                "- Der blev ikke fundet en plan inden for tidsgrænsen; prøv en længere tidsgrænse."
            )
        elif frozen:
            reasons.append("- Låste og afholdte møder ændres ikke, og resten kan ikke tilpasses dem.")
        else:
            from scheduler.explain import explain_infeasibility

            reasons += explain_infeasibility(modified_config, term.id, time_limit=time_limit)
        raise NoProposal(reasons)
    return _proposal(modified_config, modified_config, "what_if", plan, outcome.plan)


# --------------------------------------------------------------------------- moving by hand


def move_meeting(
    config: MunicipalityConfig,
    plan: Plan,
    uid: str,
    new_start: datetime,
    *,
    locked: Iterable[str] = (),
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Proposal:
    """A district leader's move of one meeting, everything else kept; scored by the plan's rules.

    Raises NoProposal (Danish reasons naming the rules it would break) when the new time is not
    allowed, and KeyError for an unknown uid.
    """
    from scheduler.verify import verify_plan

    require_aware(new_start, "start")
    meeting = next((m for m in plan.meetings if m.uid == uid), None)
    if meeting is None:
        raise KeyError(uid)
    if meeting.locked or uid in set(locked):
        raise NoProposal([f"{meeting.title} er låst og flyttes ikke; lås det op først."])
    moved = meeting.model_copy(
        update={
            "start": new_start.astimezone(TZ),
            "end": new_start.astimezone(TZ) + (meeting.end - meeting.start),
        }
    )
    naive = plan.model_copy(update={"meetings": [moved if m.uid == uid else m for m in plan.meetings]})
    violations = [v for v in verify_plan(config, naive) if uid in v.meetings]
    if violations:
        raise NoProposal(
            [f"{meeting.title} kan ikke flyttes til {when_da(new_start)}:"]
            + [f"- {v.message}" for v in violations]
        )
    term = find_term(config, plan.term)
    engine = _Engine(config, term, naive, time_limit=time_limit, workers=DEFAULT_WORKERS)
    outcome = engine.solve(lambda occ: PINNED, hint=naive, allow_short_notice=True)
    if outcome.plan is None:
        raise NoProposal(
            [
                f"{meeting.title} kan ikke flyttes til {when_da(new_start)}:",
                *(f"- {p}" for p in outcome.problems),
            ]
            if outcome.problems
            else [
                f"{meeting.title} kan ikke flyttes til {when_da(new_start)} (uden for mødets mulige tider)."
            ]
        )
    return _proposal(config, config, "move", plan, outcome.plan)
