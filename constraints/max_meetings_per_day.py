"""A soft cap on meetings per person per day: a third meeting on one day tires, a second day helps.

The cap is `planning.max_meetings_per_day` for everyone, or a person's own `max_meetings_per_day`.
Unlike the weekly ceiling it is soft: the plan avoids going over where it can and pays per meeting
over the cap where it cannot, so a tight term still gets a plan.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ortools.sat.python import cp_model

from constraints._text import person_name
from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule


def daily_cap(ctx: PlanningContext, person_id: str) -> int | None:
    """The person's own cap, else the planning-wide one; None when no cap applies."""
    return ctx.index.daily_cap(person_id)


class MaxMeetingsPerDay(Rule):
    name = "max_meetings_per_day"
    level = "soft"
    default_weight = 5
    title_da = "Højst antal møder om dagen"
    explanation_da = "Helst ikke flere møder på en dag, end loftet siger; hvert møde over loftet tæller."
    order = 67
    count_da = ("{n} møde ud over loftet for en dag", "{n} møder ud over loftet for en dag")

    def post(self, ctx: PlanningContext) -> None:
        """Per (person, day) an excess variable at least the day's meetings minus the cap.

        Only days where the person could go over get variables, so a loose cap costs nothing.
        Booked meetings use up the cap first; what they alone exceed is not the plan's doing.
        """
        if ctx.explain:
            return
        model = ctx.model
        for pid in ctx.people:
            cap = daily_cap(ctx, pid)
            if cap is None:
                continue
            per_day: dict[date, list[tuple[Occurrence, list[cp_model.IntVar]]]] = defaultdict(list)
            for occ in ctx.occurrences_of(pid):
                days: dict[date, list[cp_model.IntVar]] = defaultdict(list)
                for option in occ.options:
                    days[option.day].append(option.var)
                for day, vars_on_day in days.items():
                    per_day[day].append((occ, vars_on_day))
            for day, entries in sorted(per_day.items()):
                room = max(0, cap - len(ctx.booked_for(pid, day)))
                if len(entries) <= room:
                    continue
                lits = [self._meets_on(ctx, occ, pid, day, vars_on_day) for occ, vars_on_day in entries]
                excess = model.new_int_var(0, len(lits) - room, f"day_excess[{pid}|{day}]")
                model.add(excess >= sum(lits) - room)
                ctx.penalize(self.name, excess)

    @staticmethod
    def _meets_on(
        ctx: PlanningContext, occ: Occurrence, pid: str, day: date, vars_on_day: list[cp_model.IntVar]
    ) -> cp_model.LinearExprT:
        """At least 1 when the person attends the occurrence and it falls on `day` (a lower bound
        is enough: the excess is minimised)."""
        on_day = cp_model.LinearExpr.sum(vars_on_day)
        if pid in occ.fixed_people:
            return on_day
        if len(vars_on_day) == len(occ.options):
            return occ.attends[pid]
        both = ctx.model.new_bool_var(f"on_day[{occ.uid}|{pid}|{day}]")
        ctx.model.add(both >= occ.attends[pid] + on_day - 1)
        return both

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        return f"{person_name(ctx, subject)} har helst højst {daily_cap(ctx, subject)} møder om dagen."


RULE = MaxMeetingsPerDay()
