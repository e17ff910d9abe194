"""Time to travel: a person's meetings at different sites leave room for the trip between them."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class TravelTime(Rule):
    name = "travel_time"
    level = "hard"
    title_da = "Transporttid"
    explanation_da = "Mellem to møder på forskellige adresser er der tid til at komme frem."
    order = 40
    relaxable = False

    def post(self, ctx: PlanningContext) -> None:
        """Reserve after each of a person's meetings the longest trip they might make from there.

        The reservation lengthens the person's interval in `no_double_booking`. It is a safe
        simplification (it may also keep apart two meetings at one site), and the verifier
        checks the exact pairwise travel time.
        """
        days = {occ.index: {o.day for o in occ.options} for occ in ctx.occurrences}
        tails: dict[tuple[int, str], int] = {}
        for pid in ctx.people:
            occs = ctx.occurrences_of(pid)
            for occ in occs:
                tail = 0
                for other in occs:
                    if other.site != occ.site and days[occ.index] & days[other.index]:
                        tail = max(tail, ctx.travel_minutes(occ.site, other.site))
                if tail:
                    tails[(occ.index, pid)] = tail
        ctx.memo["travel_tails"] = tails


RULE = TravelTime()
