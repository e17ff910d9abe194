"""Less driving: a person's meetings on one day at different addresses cost the minutes between them."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from ortools.sat.python import cp_model

from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule

UNIT_MINUTES = 10


def _by_day(occ: Occurrence) -> dict[date, list[cp_model.IntVar]]:
    days: dict[date, list[cp_model.IntVar]] = defaultdict(list)
    for option in occ.options:
        days[option.day].append(option.var)
    return days


class Travel(Rule):
    name = "travel"
    level = "soft"
    default_weight = 2
    title_da = "Transport"
    explanation_da = (
        "Hellere flere møder samme sted samme dag end ture mellem adresserne; "
        "hver tur tæller med sine minutter (i hele 10 minutter)."
    )
    order = 66
    count_da = ("omkring {n} minuts transport i alt", "omkring {n} minutters transport i alt")
    count_unit = UNIT_MINUTES

    def post(self, ctx: PlanningContext) -> None:
        """For each pair of a person's meetings at two sites that may fall on one day, a literal
        'both attended, same day' costing the trip in started 10-minute units.

        Counting pairs rather than consecutive trips overstates a day with three sites a little;
        such days are rare and the overstatement only makes the plan avoid them more.
        """
        if ctx.explain:
            return
        model = ctx.model
        days = {occ.index: _by_day(occ) for occ in ctx.occurrences}
        for pid in ctx.people:
            occs = ctx.occurrences_of(pid)
            for i, a in enumerate(occs):
                for b in occs[i + 1 :]:
                    if a.site == b.site:
                        continue
                    shared = days[a.index].keys() & days[b.index].keys()
                    if not shared:
                        continue
                    trip = model.new_bool_var(f"trip[{pid}|{a.uid}|{b.uid}]")
                    both = a.attends[pid] + b.attends[pid]
                    for day in shared:
                        on_day = sum(days[a.index][day]) + sum(days[b.index][day])
                        model.add(trip >= both + on_day - 3)
                    units = math.ceil(ctx.travel_minutes(a.site, b.site) / UNIT_MINUTES)
                    ctx.penalize(self.name, units * trip)


RULE = Travel()
