"""Fair load: in each specialist role the busiest holder, relative to their hours, carries as little as
possible."""

from __future__ import annotations

import math
from datetime import date, timedelta

from ortools.sat.python import cp_model

from scheduler.context import PlanningContext
from scheduler.roles import FULL_TIME_HOURS, fair_load_roles, full_time_scale
from scheduler.rules import Rule


class FairLoad(Rule):
    name = "fair_load"
    level = "soft"
    default_weight = 1
    bound_group = "load"
    title_da = "Retfærdig belastning"
    explanation_da = (
        "Mødetiden fordeles, så den travleste i hver faggruppe (regnet i forhold til sin "
        "arbejdstid) har så få mødeminutter om ugen som muligt. Specialister er de fælles fagpersoner og "
        "alle roller, kommunen selv har tilføjet; ledere, referenter og Fronten tælles ikke med."
    )
    order = 64
    count_da = (
        "de travleste i hver faggruppe har tilsammen {n} mødeminut om ugen (regnet om til fuld tid)",
        "de travleste i hver faggruppe har tilsammen {n} mødeminutter om ugen (regnet om til fuld tid)",
    )

    def post(self, ctx: PlanningContext) -> None:
        """Minimise, in each specialist role, the busiest holder's required meeting minutes per
        week, scaled to 37 hours; the rule's cost is the sum over the roles.

        Per role, because balance is judged among those who do the same work: with one maximum
        over everyone, the busiest psychologist hid the speech therapists, and one of two was
        left with nothing. Per week, not per term, so one meeting moved between two people
        weighs about 5 minutes in a spring term: less than a continuity break, so fairness never
        splits a unit's psychologist between two people for a few minutes' balance. Optional
        attendance is left out: coming when one can should never count as unfair.
        """
        if ctx.explain:
            return
        model = ctx.model
        weeks = max(1, len({ctx.day_index(d) // 7 for d in _term_workdays(ctx)}))
        counted = fair_load_roles(ctx.config.extra_roles)
        loads: dict[str, list[tuple[list[int], list[cp_model.IntVar]]]] = {}
        for pid, person in ctx.people.items():
            roles = sorted(counted & set(person.roles))
            if not roles:
                continue
            scale = full_time_scale(person)
            coefficients, literals = [], []
            for occ in ctx.occurrences_of(pid):
                for choice in occ.seats:
                    if pid in choice.lits:
                        coefficients.append(round(choice.minutes(occ.duration) * scale))  # its part only
                        literals.append(choice.lits[pid])
            if literals:
                for role in roles:
                    loads.setdefault(role, []).append((coefficients, literals))
        for role, holders in sorted(loads.items()):
            upper = max(sum(coefficients) for coefficients, _ in holders) // weeks + 1
            lower = min(upper, _least_busiest(ctx, role, weeks, counted))
            busiest = model.new_int_var(lower, upper, f"busiest_minutes_per_week[{role}]")
            for coefficients, literals in holders:
                model.add(weeks * busiest >= cp_model.LinearExpr.weighted_sum(literals, coefficients))
            ctx.penalize(self.name, busiest)


def _least_busiest(ctx: PlanningContext, role: str, weeks: int, counted: frozenset[str] | set[str]) -> int:
    """A lower bound on the role's busiest holder, in scaled minutes a week: the seats only the
    role's holders can fill hold T minutes in all; holder p carries at most busiest × weeks ×
    h_p / 37 of them (less each coefficient's rounding, at most half a minute scaled back), so
    busiest ≥ (T − ½ · max(h_p / 37) · seats) / (weeks · Σ h_p / 37).

    The LP finds this on a small model; on the ×10 copy the full search never got that far (bound
    90 against a plan of 3,989): in the variable's domain, presolve has it at once, and
    `scheduler.build.objective_floor` shows it before any search. Meetings that may be left out
    (a holiday fortnight, a partial solve) are not counted."""
    holders = [
        person
        for pid, person in ctx.people.items()
        if role in person.roles and counted & set(person.roles) and ctx.occurrences_of(pid)
    ]
    if not holders:
        return 0
    ids = {person.id for person in holders}
    minutes_total, seats = 0, 0
    for occ in ctx.occurrences:
        if not isinstance(occ.present, bool):
            continue  # may be left out
        for choice in occ.seats:
            if choice.lits and set(choice.lits) <= ids:
                minutes_total += choice.seat.count * choice.minutes(occ.duration)
                seats += choice.seat.count
    shares = [person.weekly_hours / FULL_TIME_HOURS for person in holders]
    spare = minutes_total - 0.5 * max(shares) * seats
    return max(0, math.floor(spare / (weeks * sum(shares))))


def _term_workdays(ctx: PlanningContext) -> list[date]:
    term = ctx.term
    days = [term.start + timedelta(days=i) for i in range((term.end - term.start).days + 1)]
    return [day for day in days if day.weekday() < 5]


RULE = FairLoad()
