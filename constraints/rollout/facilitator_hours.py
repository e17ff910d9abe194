"""A facilitator's BAL hours in a round stay within the hours a week they may give BAL."""

from __future__ import annotations

from scheduler.bal_facts import allowance_minutes
from scheduler.rollout_rules import RolloutContext, RolloutRule


class FacilitatorHours(RolloutRule):
    name = "bal_facilitator_hours"
    level = "hard"
    title_da = "Facilitatorernes timer"
    explanation_da = (
        "En facilitator bruger i en runde højst de timer om ugen, der er sat af til BAL: "
        "analyserne og turen fra facilitatorens base til teamets institution og tilbage."
    )
    order = 10

    def post(self, ctx: RolloutContext) -> None:
        """Per facilitator and round: analyses and trips ≤ hours a week × the round's weeks."""
        for facilitator in ctx.facilitators:
            for rnd in ctx.rounds:
                limit = allowance_minutes(facilitator, rnd.weeks)
                ctx.model.add(ctx.round_load(facilitator.person, rnd.number) <= limit)


RULE = FacilitatorHours()
