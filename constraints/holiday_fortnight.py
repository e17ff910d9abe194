"""A holiday fortnight keeps its meeting when the series' own week is open.

A fortnight (or longer period) with a whole closed week (`Period.optional`) may be skipped: a
series whose rhythm falls in the closed week cannot meet a week off it. One whose rhythm falls in
the open week should meet as usual, as a hand planner would; skipping costs this rule's weight.
"""

from __future__ import annotations

from constraints._text import series_name
from scheduler.context import PlanningContext
from scheduler.rules import Rule
from scheduler.term_dates import pattern_of


class HolidayFortnight(Rule):
    name = "holiday_fortnight"
    level = "soft"
    default_weight = 100
    local = True
    bound_group = "series"
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
        """Penalise a skipped holiday-fortnight meeting when the series' pattern was open in it,
        and equally one held off the series' usual pattern. The weight is above what a meeting on
        the pattern costs in the other soft rules (continuity 50, fair load a few minutes), so the
        on-rhythm meeting is held; and a meeting off the pattern costs the weight plus
        regularity's, so it is never held instead of skipping (the default gaps forbid the other
        week anyway).

        A skip the series' pattern forces (its week is the closed one, or its people are away
        then) costs nothing: no plan with that pattern could hold the meeting, so charging it
        would only add a constant the solver's bound cannot see (the gap looked far wider than
        it was). Choosing such a pattern costs a little in `holiday_rhythm` instead."""
        if ctx.explain:
            return
        irregular = ctx.memo.get("irregular", {})
        patterns = ctx.memo.get("patterns", {})
        for occ in ctx.occurrences:
            if not occ.period.optional or not occ.placed_lits():
                continue
            off_pattern = irregular.get(occ.index)
            kind = occ.series.cadence.kind
            series_patterns = patterns.get(occ.series.id)
            if series_patterns is None:  # a series of one meeting has no pattern to keep
                ctx.penalize(self.name, 1 - occ.placed() + (0 if off_pattern is None else off_pattern))
                continue
            open_here = {pattern_of(o.day, o.start, occ.period, kind) for o in occ.options}
            ctx.memo.setdefault("holiday_open_patterns", {})[occ.index] = open_here
            skipped_open = ctx.model.new_bool_var(f"skipped_open[{occ.uid}]")
            # skipped while the chosen pattern (exactly one is) has a time in this period
            ctx.model.add(skipped_open >= sum(series_patterns[k] for k in open_here) - occ.placed())
            ctx.penalize(self.name, skipped_open + (0 if off_pattern is None else off_pattern))

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        name = series_name(ctx, subject)
        return f"{name} holder sit møde i en ferieperiode, når seriens faste uge er åben."


RULE = HolidayFortnight()
