"""A series takes the rhythm that keeps its holiday-fortnight meetings, where it has the choice.

`holiday_fortnight` charges a skip only when the series' own week is open in the fortnight; a
rhythm whose week is the closed one skips for free there. This rule makes that rhythm cost a
little, below a meeting off the pattern, so a free series meets in the open week as a hand planner
would, while a series that cannot (its people are away in the other week) pays a small constant
rather than the full skip that no plan could avoid.
"""

from __future__ import annotations

from constraints._text import series_name
from scheduler.context import PlanningContext
from scheduler.rules import Rule


class HolidayRhythm(Rule):
    name = "holiday_rhythm"
    level = "soft"
    default_weight = 5
    local = True
    bound_group = "series"
    title_da = "Rytme uden om ferier"
    explanation_da = (
        "En serie vælger hellere den uge i 14-dages rytmen, der er åben i ferieperioderne, "
        "så færre møder udgår."
    )
    count_da = (
        "{n} ferieperiode ligger i seriens lukkede uge, så mødet udgår",
        "{n} ferieperioder ligger i seriens lukkede uge, så møderne udgår",
    )
    order = 61  # with holiday_fortnight, whose open patterns per meeting it reads

    def post(self, ctx: PlanningContext) -> None:
        """Per holiday-fortnight meeting, 1 when the series' chosen pattern has no time in it."""
        if ctx.explain:
            return
        patterns = ctx.memo.get("patterns", {})
        open_patterns = ctx.memo.get("holiday_open_patterns", {})
        for occ in ctx.occurrences:
            open_here = open_patterns.get(occ.index)
            if open_here is None:
                continue
            series_patterns = patterns[occ.series.id]
            closed = ctx.model.new_bool_var(f"rhythm_closed[{occ.uid}]")
            ctx.model.add(closed >= 1 - sum(series_patterns[k] for k in open_here))
            ctx.penalize(self.name, closed)

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        name = series_name(ctx, subject)
        return f"{name} ligger hellere i den uge, der er åben i ferieperioderne."


RULE = HolidayRhythm()
