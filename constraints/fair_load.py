"""Fair load: the busiest specialist, relative to their hours, carries as little as possible."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.roles import SPECIALIST_ROLES
from scheduler.rules import Rule

FULL_TIME_HOURS = 37


class FairLoad(Rule):
    name = "fair_load"
    level = "soft"
    default_weight = 5
    title_da = "Retfærdig belastning"
    explanation_da = (
        "Mødetimerne fordeles, så den travleste specialist (regnet i forhold til sin arbejdstid) "
        "har så få mødetimer som muligt."
    )
    order = 64

    def post(self, ctx: PlanningContext) -> None:
        """Minimise the largest term total of required meeting hours, scaled to a 37-hour week.

        Optional attendance is left out: coming when one can should never count as unfair.
        """
        if ctx.explain:
            return
        model = ctx.model
        loads = []
        for pid, person in ctx.people.items():
            if not SPECIALIST_ROLES & set(person.roles):
                continue
            occs = ctx.occurrences_of(pid)
            if not occs:
                continue
            scale = FULL_TIME_HOURS / person.weekly_hours
            seated = [
                (occ.duration, lit)
                for occ in occs
                for choice in occ.seats
                for p, lit in choice.lits.items()
                if p == pid
            ]
            if seated:
                loads.append(sum(round(duration * scale) * lit for duration, lit in seated))
        if not loads:
            return
        upper = sum(round(o.duration * 4) for o in ctx.occurrences) + 1
        busiest_hours = model.NewIntVar(0, upper // 60 + 1, "busiest_specialist_hours")
        for load in loads:
            model.Add(60 * busiest_hours >= load)
        ctx.penalize(self.name, busiest_hours)


RULE = FairLoad()
