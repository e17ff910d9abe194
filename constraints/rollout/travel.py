"""Travel: the facilitators' trips from their base to the teams, in 10-minute units."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class Travel(RolloutRule):
    name = "bal_travel"
    level = "soft"
    default_weight = 1
    title_da = "Facilitatorernes rejsetid"
    explanation_da = (
        "Hver analyse koster facilitatoren turen fra sin base til teamets institution og tilbage; "
        "rejsetiden tælles i hele ti minutter."
    )
    order = 65
    count_da = ("{n} minuts rejse", "{n} minutters rejse")
    count_unit = 10

    def post(self, ctx: RolloutContext) -> None:
        """Every team's trips with its facilitator, rounded to 10 minutes."""
        terms = [
            (ctx.with_facilitator[t.id, f.person], round(ctx.travel[t.id, f.person] / 10))
            for t in ctx.teams
            for f in ctx.facilitators
            if ctx.travel[t.id, f.person] > 0
        ]
        if terms:
            ctx.penalize(self.name, sum(c * v for v, c in terms))


RULE = Travel()
