"""Booked meetings stay put: nobody is planned on top of a booked Familiemøde or follow-up.

One-off meetings are booked around a plan (`scheduler.slots`) and belong to it from then on; a
later solve or replan keeps them where they are (`PlanningContext.booked`), so their people must
be free at their time, with time to travel to and from them.
"""

from __future__ import annotations

from datetime import date

from constraints._text import person_name
from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule


def _clashes(ctx: PlanningContext, pid: str, occ: Occurrence, day: date, start: int) -> bool:
    offset, minutes = occ.span_of(pid)  # a partial seat: only its part
    return ctx.clashes_with_booked(pid, day, start + offset, start + offset + minutes, occ.site)


class BookedMeetings(Rule):
    name = "booked_meetings"
    level = "hard"
    local = True
    title_da = "Bookede møder"
    explanation_da = (
        "Bookede møder (Familiemøder og opfølgninger) ligger fast: ingen planlægges oven i dem, "
        "og der er tid til transport til og fra dem."
    )
    order = 14
    relaxable = False

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        if not ctx.booked:
            return []
        return [pid for pid in sorted(occ.fixed_people) if _clashes(ctx, pid, occ, day, start)]

    def allowed_starts(
        self, ctx: PlanningContext, occ: Occurrence, day: date, starts: list[int]
    ) -> list[int]:
        return starts if not ctx.booked else super().allowed_starts(ctx, occ, day, starts)

    def post(self, ctx: PlanningContext) -> None:
        """People chosen from a pool (and optional attendees) keep clear of their booked meetings."""
        if not ctx.booked:
            return
        for occ in ctx.occurrences:
            for pid, attends in occ.attends.items():
                if pid in occ.fixed_people:
                    continue  # their clashing candidates were pruned already
                busy = [o.var for o in occ.options if _clashes(ctx, pid, occ, o.day, o.start)]
                if not busy:
                    continue
                for var in busy:
                    ctx.model.add_bool_or([var.negated(), attends.negated()])

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        return f"{person_name(ctx, subject)} har et booket møde, som ligger fast."


RULE = BookedMeetings()
