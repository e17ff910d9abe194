"""A meeting lies inside its series' time window (schools after teaching, day-care at naptime)."""

from __future__ import annotations

from datetime import date

from constraints._text import series_name
from scheduler.context import Occurrence, PlanningContext
from scheduler.model import Weekday
from scheduler.rules import Rule


class TimeWindow(Rule):
    name = "time_window"
    level = "hard"
    local = True
    title_da = "Tidsrum på dagen"
    explanation_da = (
        "Møderne ligger inden for det tidsrum, enheden har sat af (fx skoler efter undervisning)."
    )
    order = 12

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        return [] if self.allowed_starts(ctx, occ, day, [start]) else [occ.series.id]

    def allowed_starts(
        self, ctx: PlanningContext, occ: Occurrence, day: date, starts: list[int]
    ) -> list[int]:
        window = occ.series.window_on(Weekday.of(day))
        if window is None:
            return starts  # the weekday rule speaks for that day
        latest = window.end - occ.duration  # the meeting ends inside the window
        return [start for start in starts if window.start <= start <= latest]

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        series = ctx.index.series[subject]
        spans = sorted({str(series.window_on(d)) for d in series.weekdays})
        return (
            f"{series_name(ctx, subject)} varer {series.duration_minutes} minutter og skal ligge "
            f"inden for {' / '.join(spans)}."
        )


RULE = TimeWindow()
