"""A series meets only on its allowed weekdays: the FAQ's 'faste dage til faste aktiviteter'."""

from __future__ import annotations

from datetime import date

from constraints._text import join_da, series_name
from scheduler.context import Occurrence, PlanningContext
from scheduler.danish import weekday_da
from scheduler.model import Weekday
from scheduler.rules import Rule


class AllowedWeekdays(Rule):
    name = "allowed_weekdays"
    level = "hard"
    local = True
    title_da = "Faste ugedage"
    explanation_da = "En mødeserie holdes kun på de ugedage, der er aftalt for den."
    order = 11
    per_day = True

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        return [] if Weekday.of(day) in occ.series.weekdays else [occ.series.id]

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        series = ctx.index.series[subject]
        days = join_da([weekday_da(d) for d in series.weekdays])
        return f"{series_name(ctx, subject)} må kun holdes {days}."


RULE = AllowedWeekdays()
