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
        """The last round with a team: at least each team's round."""
        last = ctx.model.new_int_var(0, len(ctx.rounds), "last_round")
        for team in ctx.teams:
            ctx.model.add(last >= sum(n * ctx.in_round[team.id, n] for n in ctx.round_numbers()))
        ctx.penalize(self.name, last)


RULE = Rounds()
