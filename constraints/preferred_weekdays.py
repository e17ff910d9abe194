"""Meet on the preferred weekday where possible, so others know when the unit is bound."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.model import Weekday
from scheduler.rules import Rule


class PreferredWeekdays(Rule):
    name = "preferred_weekdays"
    level = "soft"
    default_weight = 3
    title_da = "Foretrukne ugedage"
    explanation_da = "Møderne lægges helst på seriens foretrukne ugedage."
    order = 61

    def post(self, ctx: PlanningContext) -> None:
        if ctx.explain:
            return
        for occ in ctx.occurrences:
            preferred = occ.series.preferred_weekdays
            if not preferred:
                continue
            off = [o.var for o in occ.options if Weekday.of(o.day) not in preferred]
            if off:
                ctx.penalize(self.name, sum(off))


RULE = PreferredWeekdays()
