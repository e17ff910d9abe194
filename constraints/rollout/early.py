"""Teams through early: among rollouts of the same length, more teams in the early rounds."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class Early(RolloutRule):
    name = "bal_early"
    level = "soft"
    default_weight = 1
    title_da = "Tidligt igennem"
    explanation_da = (
        "Hvert team tæller de runder, det venter, før det begynder; så kommer flest muligt tidligt "
        "med, og ingen facilitator holder timer tilbage i de første runder."
    )
    order = 62
    count_da = ("i alt {n} runde med at vente", "i alt {n} runder med at vente")

    def post(self, ctx: RolloutContext) -> None:
        """Each team's round minus one, summed."""
        ctx.penalize(
            self.name,
            sum((n - 1) * ctx.in_round[t.id, n] for t in ctx.teams for n in ctx.round_numbers()[1:]),
        )


RULE = Early()
