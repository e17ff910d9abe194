"""Every team through within the horizon: a team left waiting costs far more than anything else."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class Waiting(RolloutRule):
    name = "bal_waiting"
    level = "soft"
    default_weight = 10_000
    title_da = "Team der venter"
    explanation_da = (
        "Et team, der ikke kan nå igennem inden for det største antal runder, venter; det koster "
        "mere end alt andet, så det sker kun, når der ikke er facilitatortimer eller pladser nok."
    )
    order = 60
    count_da = ("{n} team venter", "{n} team venter")

    def post(self, ctx: RolloutContext) -> None:
        ctx.penalize(self.name, sum(ctx.waiting.values()))


RULE = Waiting()
