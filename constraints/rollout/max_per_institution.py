"""No more than N teams of one institution in one round, so the institution keeps running."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class MaxPerInstitution(RolloutRule):
    name = "bal_max_per_institution"
    level = "hard"
    title_da = "Højst N team fra en institution ad gangen"
    explanation_da = (
        "En institution sender højst det fastsatte antal team af sted i samme runde, så der er "
        "folk nok tilbage til den daglige drift."
    )
    order = 30

    def post(self, ctx: RolloutContext) -> None:
        """Per institution and round: its teams in the round ≤ `priorities.max_teams_per_institution`."""
        cap = ctx.bal.priorities.max_teams_per_institution
        if cap is None:
            return
        for teams in ctx.teams_of_unit().values():
            if len(teams) <= cap:
                continue
            for number in ctx.round_numbers():
                total = sum(ctx.in_round[t.id, number] for t in teams)
                ctx.model.add(total <= cap)


RULE = MaxPerInstitution()
