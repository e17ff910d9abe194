"""A holiday fortnight keeps its meeting when the series' own week is open.

A fortnight (or longer period) with a whole closed week (`Period.optional`) may be skipped: a
series whose rhythm falls in the closed week cannot meet a week off it. One whose rhythm falls in
the open week should meet as usual, as a hand planner would; skipping costs this rule's weight.
"""

from __future__ import annotations

from constraints._text import series_name
from scheduler.context import PlanningContext
from scheduler.rules import Rule


class HolidayFortnight(Rule):
    name = "holiday_fortnight"
    level = "soft"
    default_weight = 100
    title_da = "Møder i ferieperioder"
    explanation_da = (
        "En 14-dages periode med en hel ferieuge holder sit møde, når seriens faste uge er åben; "
        "ellers udgår mødet. Mødet holdes kun på seriens faste ugedag og tid."
    )
    order = 61  # after regularity, whose per-meeting 'off the pattern' literal it reads
    count_da = (
        "{n} møde i en ferieperiode udgår eller ligger uden for seriens faste tid",
        "{n} møder i en ferieperiode udgår eller ligger uden for seriens faste tid",
    )

    def post(self, ctx: PlanningContext) -> None:
        """Penalise a skipped holiday-fortnight meeting, and equally one held off the series'
        usual pattern. The weight is above what a meeting on the pattern costs in the other soft
        rules (continuity 50, fair load a few minutes), so the on-rhythm meeting is held; and a
        meeting off the pattern costs the weight plus regularity's, so it is never held instead
        of skipping (the default gaps forbid the other week anyway)."""
        if ctx.explain:
            return
        irregular = ctx.memo.get("irregular", {})
        for occ in ctx.occurrences:
            if not occ.period.optional or not occ.placed_lits():
                continue
            off_pattern = irregular.get(occ.index)
            ctx.penalize(self.name, 1 - occ.placed() + (0 if off_pattern is None else off_pattern))

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        name = series_name(ctx, subject)
        return f"{name} holder sit møde i en ferieperiode, når seriens faste uge er åben."


RULE = HolidayFortnight()
