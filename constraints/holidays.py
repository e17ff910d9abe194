"""No meetings on the closed days a series keeps: helligdage, school holidays, named calendars."""

from __future__ import annotations

from datetime import date

from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule


class Holidays(Rule):
    name = "holidays"
    level = "hard"
    local = True
    title_da = "Helligdage, ferier og lukkedage"
    explanation_da = (
        "Der holdes ingen møder på de lukkedage, serien følger: helligdage, skolernes ferier og "
        "fx dagtilbuddenes lukkedage."
    )
    order = 10
    per_day = True
    relaxable = False

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        return ["all"] if day in ctx.closed_for(occ.series) else []


RULE = Holidays()
