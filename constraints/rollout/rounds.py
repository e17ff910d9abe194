"""Rounds until every team is through: the rollout's length, the figure that matters most."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class Rounds(RolloutRule):
    name = "bal_rounds"
    level = "soft"
    default_weight = 1_000
    title_da = "Runder til alle er igennem"
    explanation_da = (
        "Så få runder (halvår) som muligt, før det sidste team er igennem kursus og analyser; "
        "det vejer tungest af de bløde regler."
    )
    order = 61
    count_da = ("{n} runde", "{n} runder")

    def post(self, ctx: RolloutContext) -> None:
        """The last round with a team: the largest team's round (0 for a team that waits), held
        equal, so its count is true whatever its weight (0 too)."""
        last = ctx.model.new_int_var(0, len(ctx.rounds), "last_round")
        ctx.model.add_max_equality(
            last, [sum(n * ctx.in_round[team.id, n] for n in ctx.round_numbers()) for team in ctx.teams]
        )
        ctx.penalize(self.name, last)


RULE = Rounds()
