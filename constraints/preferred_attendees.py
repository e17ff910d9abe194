"""Optional attendees come when they can: the agenda may need them, the core group does not wait."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class PreferredAttendees(Rule):
    name = "preferred_attendees"
    level = "soft"
    default_weight = 2
    local = True
    bound_group = "series"
    title_da = "Ønskede deltagere"
    explanation_da = "Valgfrie deltagere (fx klubben, når det er relevant) kan komme, hvor det er muligt."
    order = 65
    count_da = ("{n} gang kan en valgfri deltager ikke komme", "{n} gange kan en valgfri deltager ikke komme")

    def post(self, ctx: PlanningContext) -> None:
        if ctx.explain:
            return
        for occ in ctx.occurrences:
            for lit in occ.optional.values():
                for present in occ.placed_lits():  # partial mode: nobody comes to a meeting left out
                    ctx.model.add_implication(lit, present)
                ctx.penalize(self.name, occ.placed() - lit)


RULE = PreferredAttendees()
