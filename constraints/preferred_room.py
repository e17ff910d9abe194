"""A series that names preferred rooms meets in one of them when it can (at the site they belong to)."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class PreferredRoom(Rule):
    name = "preferred_room"
    level = "soft"
    default_weight = 2
    title_da = "Foretrukket lokale"
    explanation_da = "Møderne holdes helst i seriens foretrukne lokaler."
    order = 86
    count_da = (
        "{n} møde holdes ikke i et foretrukket lokale",
        "{n} møder holdes ikke i et foretrukket lokale",
    )

    def post(self, ctx: PlanningContext) -> None:
        for occ in ctx.occurrences:
            preferred = ctx.index.preferred_rooms_at(occ.series, occ.site)  # at an alternating site: its own
            wanted = [lit for room, lit in occ.rooms.items() if room in preferred]
            if preferred and occ.rooms:
                ctx.penalize(self.name, occ.placed() - sum(wanted))


RULE = PreferredRoom()
