"""Leader teams (pædagogiske ledere) come in the first round, with a course of their own."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class LeadersFirst(RolloutRule):
    name = "bal_leaders_first"
    level = "hard"
    title_da = "Ledere først"
    explanation_da = (
        "Lederteamene (de pædagogiske ledere) tager BAL i første runde, så de kender forløbet, "
        "før deres medarbejdere begynder."
    )
    order = 20

    def post(self, ctx: RolloutContext) -> None:
        """No leader team in a round after the first (when `priorities.leaders_first`)."""
        if not ctx.bal.priorities.leaders_first:
            return
        for team in ctx.teams:
            if not team.leaders:
                continue
            for number in ctx.round_numbers()[1:]:
                ctx.model.add(ctx.in_round[team.id, number] == 0)


RULE = LeadersFirst()
