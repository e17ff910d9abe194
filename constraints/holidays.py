"""No meetings on helligdage or in the school holidays."""

from __future__ import annotations

from datetime import date

from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule


class Holidays(Rule):
    name = "holidays"
    level = "hard"
    title_da = "Helligdage og skoleferier"
    explanation_da = "Der holdes ingen møder på helligdage eller i skolernes ferier."
    order = 10
    relaxable = False

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        closed = ctx.closed if occ.series.observe_school_holidays else ctx.public_closed
        return ["all"] if day in closed else []


RULE = Holidays()
