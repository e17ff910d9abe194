"""Nobody is in two meetings at once: one NoOverlap of optional intervals per person."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class NoDoubleBooking(Rule):
    name = "no_double_booking"
    level = "hard"
    title_da = "Ingen dobbeltbooking"
    explanation_da = "Ingen kan være to steder på én gang – heller ikke i den tid, transporten tager."
    order = 41
    relaxable = False

    def post(self, ctx: PlanningContext) -> None:
        for pid in ctx.people:
            occs = ctx.occurrences_of(pid)
            if len(occs) < 2:
                continue
            intervals = []
            for occ in occs:
                assert occ.start is not None
                offset, minutes = occ.span_of(pid)  # a partial seat is busy for its part only
                intervals.append(
                    ctx.model.new_optional_fixed_size_interval_var(
                        occ.start + offset, minutes, occ.attends[pid], f"busy[{occ.uid}|{pid}]"
                    )
                )
            ctx.model.add_no_overlap(intervals)


RULE = NoDoubleBooking()
