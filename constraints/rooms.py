"""A site holds only as many meetings at once as it has meeting rooms."""

from __future__ import annotations

from collections import defaultdict

from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule


class Rooms(Rule):
    name = "rooms"
    level = "hard"
    title_da = "Mødelokaler"
    explanation_da = "Der holdes ikke flere møder samtidig på en adresse, end der er mødelokaler."
    order = 42
    relaxable = False

    def post(self, ctx: PlanningContext) -> None:
        by_site: dict[str, list[Occurrence]] = defaultdict(list)
        for occ in ctx.occurrences:
            by_site[occ.site].append(occ)
        for site_id, occs in by_site.items():
            if len(occs) < 2:
                continue
            intervals = []
            for occ in occs:
                assert occ.start is not None
                intervals.append(
                    ctx.model.new_fixed_size_interval_var(occ.start, occ.duration, f"room[{occ.uid}]")
                )
            rooms = ctx.sites[site_id].rooms
            if rooms == 1:
                ctx.model.add_no_overlap(intervals)
            else:
                ctx.model.add_cumulative(intervals, [1] * len(intervals), rooms)


RULE = Rooms()
