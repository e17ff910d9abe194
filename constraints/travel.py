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


class _OnDay:
    """Per meeting and candidate day, a literal 'the meeting falls on this day' (the option itself
    where the day has one), made when first asked for and shared by every pair and person."""

    def __init__(self, ctx: PlanningContext):
        self._model = ctx.model
        self.options = {occ.index: _by_day(occ) for occ in ctx.occurrences}
        self._made: dict[tuple[int, date], cp_model.IntVar] = {}

    def __call__(self, occ: Occurrence, day: date) -> cp_model.IntVar:
        key = (occ.index, day)
        literal = self._made.get(key)
        if literal is None:
            variables = self.options[occ.index][day]
            if len(variables) == 1:
                literal = variables[0]
            else:
                literal = self._model.new_bool_var(f"on_day[{occ.uid}|{day}]")
                self._model.add(literal == sum(variables))
            self._made[key] = literal
        return literal


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
        on_day = _OnDay(ctx)
        days = on_day.options

        def works(pid: str, day: date) -> bool:
            return bool(ctx.free_spans(pid, day))

        for pid in ctx.people:
            occs = ctx.occurrences_of(pid)
            for i, a in enumerate(occs):
                for b in occs[i + 1 :]:
                    if a.site == b.site:
                        continue
                    # days both may fall on, and the person works (a part-timer's day off has no trip)
                    shared = sorted(d for d in days[a.index].keys() & days[b.index].keys() if works(pid, d))
                    if not shared:
                        continue
                    trip = model.new_bool_var(f"trip[{pid}|{a.uid}|{b.uid}]")
                    away = [a.attends[pid].negated(), b.attends[pid].negated(), trip]
                    for day in shared:
                        model.add_bool_or([*away, on_day(a, day).negated(), on_day(b, day).negated()])
                    units = math.ceil(ctx.travel_minutes(a.site, b.site) / UNIT_MINUTES)
                    ctx.penalize(self.name, units * trip)


RULE = Travel()
