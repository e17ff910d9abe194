"""Proposals for an absence: ranked whole new plans, and nothing sent until one is accepted.

When a person falls ill, goes on a course or on leave, the meetings they would attend in that
time need a new answer, and every changed meeting costs messages to everyone in it. So `propose`
offers ranked proposals. Each is the whole new plan for the config with the absence added,
solved by the pinning engine (`scheduler.replan.engine`) with every meeting the strategy may not
touch pinned to its current time and people:

1. `drop_optional` - the person only came as an optional attendee: they are taken off.
2. `substitute` - the meetings keep their time; another eligible pool member takes the seat. A
   substitute named with the absence (`Unavailability.substitute`) may take also a named seat,
   and comes first: sitting in for the usual holder is no continuity break, anyone else is.
3. `move` - the meetings move inside their own cadence period, to a time outside the absence.
4. `combined` - anything may change, at a price per changed meeting and per notified person, on
   top of the plan's own objective; so untouched meetings stay unless moving one is the only way.
   When even that cannot keep every meeting (nobody can cover the absence), `NoProposal` says
   why and carries a PARTIAL proposal: the most meetings kept, the rest in `plan.unplaced`.

Locked meetings and meetings in the past never change; the notice period is kept as described
in `scheduler.replan.unavailability`. Every proposal (also a what-if or a hand move) is re-checked
by the independent verifier against the config it answers for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from scheduler.availability import Unavailability, config_with_unavailability, require_aware
from scheduler.config import all_roles, seat_pool
from scheduler.context import Occurrence
from scheduler.danish import genitive_da, plural_da, span_da, when_da
from scheduler.index import ConfigIndex, index_of
from scheduler.model import OPTIONAL_SEAT, Meeting, MunicipalityConfig, Plan, RuleCost
from scheduler.replan.diff import MeetingChange, diff_plans
from scheduler.replan.engine import (
    DEFAULT_TIME_LIMIT,
    DEFAULT_WORKERS,
    PINNED,
    Engine,
    Freedom,
    Outcome,
)
from scheduler.replan.unavailability import clip_to_now, notice_horizon, touched_meetings, within_notice
from scheduler.solve import PlanVerificationError

ProposalKind = Literal["drop_optional", "substitute", "move", "combined", "what_if"]
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


class Proposal(BaseModel):
    id: str = Field(description="stable for the same outcome: the kind and a hash of the changes")
    kind: ProposalKind
    summary_da: str
    changes: list[MeetingChange]
    notified: list[str] = Field(description="everyone attending a changed meeting before or after")
    changed_meetings: int
    rule_costs: list[RuleCost]
    plan: Plan
    substitute: str | None = Field(
        default=None,
        description="who steps in for the absent person (a BAL facilitator proposed for their "
        "analyses); accepting the proposal records them with the absence",
    )

    @property
    def soft_cost(self) -> int:
        return sum(c.cost for c in self.rule_costs if c.level == "soft")


class NoProposal(Exception):
    """No strategy found a plan; `reasons` are Danish lines, the first a headline. `partial`: the
    best that can be done instead, when there is one: a proposal whose plan is PARTIAL (the most
    meetings kept, the rest in `plan.unplaced` with their reasons)."""

    def __init__(self, reasons: list[str], partial: Proposal | None = None):
        super().__init__("\n".join(reasons))
        self.reasons = reasons
        self.partial = partial


# --------------------------------------------------------------------------- building and ranking


def _summary_da(config: MunicipalityConfig, changes: list[MeetingChange]) -> str:
    """One Danish line for the planner: what moves, who steps in, what appears or goes."""
    index = index_of(config)
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
        parts.append(", ".join(index.person_name(p) for p in stepping_in) + " træder til")
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


def make_proposal(
    config: MunicipalityConfig,
    verify_config: MunicipalityConfig,
    kind: ProposalKind,
    before: Plan,
    after: Plan,
) -> Proposal:
    """The answer that turns `before` into `after`, once the verifier has passed `after` against
    `verify_config` (the config it must hold for); `config` names the people in the summary."""
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


_Strategy = tuple[ProposalKind, Callable[[Occurrence], Freedom]]


def _strategies(
    index: ConfigIndex,
    engine: Engine,
    affected: list[_Affected],
    frozen: set[str],
    time_pinned: set[str],
) -> list[_Strategy]:
    """The strategies worth a solve for these affected meetings, most specific first, each as
    what it lets change in every meeting (a strategy that cannot apply is left out)."""
    by_uid = {a.meeting.uid: a for a in affected}

    def fixed_seat(a: _Affected) -> bool:
        """The person sits in a seat nobody else may take (a named seat without a named substitute
        in the absence, or a pool of one); the engine's model already has the substitute."""
        series = index.series[a.meeting.series]
        seats = dict(series.seats())
        occ = engine.occ_by_uid.get(a.meeting.uid)
        for key in a.seats:
            if key == OPTIONAL_SEAT:
                continue
            if occ is None:
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

    strategies: list[_Strategy] = []
    if all(a.optional_only for a in affected):
        strategies.append(("drop_optional", affected_only(drop)))
    elif not any(fixed_seat(a) for a in affected):
        strategies.append(("substitute", affected_only(substitute)))
    if not all(a.optional_only for a in affected) and not any(
        a.short_notice and not a.optional_only for a in affected
    ):
        strategies.append(("move", affected_only(move)))
    strategies.append(("combined", combined))
    return strategies


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
    unavailability = clip_to_now(request.unavailability, now)
    if unavailability is None:
        return []
    person = unavailability.person
    new_config = config_with_unavailability(config, unavailability)
    index = index_of(config)
    term = index.term(plan.term)
    horizon = notice_horizon(config, now, request.notice_working_days)
    locked = set(request.locked) | {m.uid for m in plan.meetings if m.locked}
    frozen = locked | {m.uid for m in plan.meetings if m.start < now}
    time_pinned = frozen | {m.uid for m in plan.meetings if within_notice(m, horizon)}
    if request.allow_short_notice:
        time_pinned = set(frozen)

    touched = touched_meetings(plan, unavailability, now)
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

    def engine_of(partial: bool) -> Engine:
        return Engine(
            new_config,
            term,
            plan,
            person=person,
            earliest_move=now,
            horizon=None if request.allow_short_notice else horizon,
            time_limit=time_limit,
            workers=workers,
            booked=booked,
            partial=partial,
        )

    engine = engine_of(partial=False)
    strategies = _strategies(index, engine, affected, frozen, time_pinned)

    # Nothing can change fewer meetings than the affected ones or notify fewer than their people.
    floor = (len(touched), len({p.person for m in touched for p in m.attendees}))
    proposals: list[Proposal] = []
    outcomes: dict[ProposalKind, Outcome] = {}
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
            proposals.append(make_proposal(config, new_config, kind, plan, outcome.plan))
    if not proposals:
        raise NoProposal(
            explainer.nothing_works(outcomes, locked, plan),
            _partial_proposal(config, new_config, plan, engine_of, dict(strategies)["combined"], request)
            if outcomes.get("combined", Outcome("timeout")).status != "timeout"
            else None,
        )
    return _named_substitute_first(rank(proposals), unavailability.substitute)[: request.max_proposals]


def _named_substitute_first(ranked: list[Proposal], substitute: str | None) -> list[Proposal]:
    """The proposals in which the substitute named with the absence steps in come first (in rank
    order): the planner said who takes over, so that answer leads even if a move notifies fewer."""
    if substitute is None:
        return ranked

    def steps_in(proposal: Proposal) -> bool:
        return any(
            substitute in {a.person for a in c.after_attendees} - {b.person for b in c.before_attendees}
            for c in proposal.changes
        )

    return sorted(ranked, key=lambda p: not steps_in(p))


def _partial_proposal(
    config: MunicipalityConfig,
    new_config: MunicipalityConfig,
    plan: Plan,
    engine_of: Callable[[bool], Engine],
    combined: Callable[[Occurrence], Freedom],
    request: ReplanRequest,
) -> Proposal | None:
    """Not every meeting can be kept: the combined strategy on a partial engine, which keeps or
    places the most meetings and leaves the rest out with their reasons (None: not even one)."""
    outcome = engine_of(True).solve(combined, hint=plan, allow_short_notice=request.allow_short_notice)
    if outcome.plan is None:
        return None
    return make_proposal(config, new_config, "combined", plan, outcome.plan)


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
        self.index = index_of(config)
        who = self.index.person_name(unavailability.person)
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
        person = self.request.unavailability.person
        who = self.index.person_name(person)
        series = self.index.series[a.meeting.series]
        seats = dict(series.seats())
        for key in a.seats:
            if key == OPTIONAL_SEAT:
                continue
            seat = seats[key]
            substitute = self.request.unavailability.substitute
            if seat.person is not None and substitute is not None:
                return (
                    f"{who} har en fast plads, og vikaren {self.index.person_name(substitute)} er ikke ledig"
                )
            if seat.person is not None:
                return f"{who} har en fast plads, som ingen anden kan overtage"
            others = [p for p in seat_pool(self.config, series, seat) if p != person]
            role = all_roles(self.config).get(seat.role or "", seat.role or "deltager").lower()
            if not others:
                return f"der er ingen anden {role}, der kan tage {who}s plads"
            return f"ingen anden {role} ({', '.join(self.index.person_name(p) for p in others)}) er ledig"
        return f"{who} deltager kun valgfrit"

    def nothing_works(self, outcomes: dict[ProposalKind, Outcome], locked: set[str], plan: Plan) -> list[str]:
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
