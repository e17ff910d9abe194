"""A whole institution in one round where possible: each extra round an institution's teams are
spread over costs."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class InstitutionSplit(RolloutRule):
    name = "bal_institution_split"
    level = "soft"
    default_weight = 20
    title_da = "Hele institutionen i samme runde"
    explanation_da = (
        "En institutions team tager helst BAL i samme runde, så personalet får et fælles sprog på "
        "én gang; hver ekstra runde, en institution er delt over, tæller."
    )
    order = 63
    count_da = ("{n} ekstra runde for en institution", "{n} ekstra runder for institutionerne")

    def post(self, ctx: RolloutContext) -> None:
        """Per institution: the rounds with one of its teams, minus one (never below 0); held
        equal, so the count is true whatever the weight."""
        model = ctx.model
        for unit, teams in ctx.teams_of_unit().items():
            if len(teams) < 2:
                continue
            present = []
            for number in ctx.round_numbers():
                here = model.new_bool_var(f"institution_in_round[{unit},{number}]")
                model.add_max_equality(here, [ctx.in_round[team.id, number] for team in teams])
                present.append(here)
            splits = model.new_int_var(0, len(present), f"institution_splits[{unit}]")
            model.add_max_equality(splits, [0, sum(present) - 1])
            ctx.penalize(self.name, splits)


RULE = InstitutionSplit()
