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
        self._negated: dict[int, _NotOn] = {}

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

    def not_on(self, occ: Occurrence) -> _NotOn:
        """Per day, the negation of `self(occ, day)`, made once (a plain lookup once made: a
        person's pairs ask ~10⁵ times)."""
        negated = self._negated.get(occ.index)
        if negated is None:
            negated = self._negated[occ.index] = _NotOn(self, occ)
        return negated


class _NotOn(dict[date, cp_model.LiteralT]):
    """One meeting's 'not on this day' literals by day, each made when first looked up."""

    def __init__(self, on_day: _OnDay, occ: Occurrence):
        super().__init__()
        self._on_day, self._occ = on_day, occ

    def __missing__(self, day: date) -> cp_model.LiteralT:
        negated = self[day] = self._on_day(self._occ, day).negated()
        return negated


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
        units: dict[tuple[str, str], int] = {}
        for pid in ctx.people:
            occs = ctx.occurrences_of(pid)
            # the days each meeting may fall on and the person works (a part-timer's day off has no
            # trip), and by day which of the person's meetings may fall on it: pairs come from the
            # days they share, not from every pair of the term
            by_day: dict[date, list[int]] = defaultdict(list)
            works: dict[date, bool] = {}
            for i, occ in enumerate(occs):
                for day in on_day.options[occ.index]:
                    if day not in works:
                        works[day] = bool(ctx.free_spans(pid, day))
                    if works[day]:
                        by_day[day].append(i)
            sites = [occ.site for occ in occs]
            shared: dict[tuple[int, int], list[date]] = defaultdict(list)
            for day in sorted(by_day):
                on = by_day[day]
                for x, i in enumerate(on):
                    site = sites[i]
                    for j in on[x + 1 :]:
                        if sites[j] != site:
                            shared[(i, j)].append(day)
            absent: dict[int, cp_model.LiteralT] = {}  # i -> not occs[i].attends[pid], made once
            for i, j in sorted(shared):
                a, b = occs[i], occs[j]
                trip = model.new_bool_var(f"trip[{pid}|{a.uid}|{b.uid}]")
                if i not in absent:
                    absent[i] = a.attends[pid].negated()
                if j not in absent:
                    absent[j] = b.attends[pid].negated()
                not_a, not_b = absent[i], absent[j]
                a_not_on, b_not_on = on_day.not_on(a), on_day.not_on(b)
                for day in shared[(i, j)]:
                    model.add_bool_or([not_a, not_b, trip, a_not_on[day], b_not_on[day]])
                key = (a.site, b.site)
                if key not in units:
                    units[key] = math.ceil(ctx.travel_minutes(a.site, b.site) / UNIT_MINUTES)
                ctx.penalize(self.name, units[key] * trip)


RULE = Travel()
