"""Few institutions per facilitator: a facilitator who knows a place serves it better and travels
less."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class FacilitatorInstitutions(RolloutRule):
    name = "bal_facilitator_institutions"
    level = "soft"
    default_weight = 10
    title_da = "Få institutioner pr. facilitator"
    explanation_da = (
        "En facilitator følger helst team fra få institutioner, så relationen og kendskabet til "
        "stedet bliver brugt; hver institution, en facilitator har team fra, tæller."
    )
    order = 64
    count_da = ("{n} institution for facilitatorerne i alt", "{n} institutioner for facilitatorerne i alt")

    def post(self, ctx: RolloutContext) -> None:
        """Per facilitator and institution: whether any of its teams is theirs (held equal),
        summed."""
        model = ctx.model
        for facilitator in ctx.facilitators:
            fid = facilitator.person
            for unit, teams in ctx.teams_of_unit().items():
                serves = model.new_bool_var(f"serves[{fid},{unit}]")
                model.add_max_equality(serves, [ctx.with_facilitator[team.id, fid] for team in teams])
                ctx.penalize(self.name, serves)


RULE = FacilitatorInstitutions()
