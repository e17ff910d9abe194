"""Facilitator load balance: each facilitator carries a share of the rollout in proportion to the
hours a week they give BAL."""

from __future__ import annotations

from scheduler.rollout_rules import RolloutContext, RolloutRule


class LoadBalance(RolloutRule):
    name = "bal_load_balance"
    level = "soft"
    default_weight = 1
    title_da = "Jævn fordeling mellem facilitatorerne"
    explanation_da = (
        "Forskellen mellem den mest og den mindst belastede facilitator, målt i uger af deres "
        "BAL-timer (tiendedele), holdes lille, så ingen bærer forløbet alene."
    )
    order = 66
    count_da = ("{n} tiendedel uge i forskel", "{n} tiendedele uge i forskel")

    def post(self, ctx: RolloutContext) -> None:
        """busiest - least of (whole rollout's minutes / minutes a week), in tenths of a week."""
        if len(ctx.facilitators) < 2:
            return
        model = ctx.model
        weeks = sum(r.weeks for r in ctx.rounds)
        busiest = model.new_int_var(0, 10 * weeks, "busiest_tenths")
        least = model.new_int_var(0, 10 * weeks, "least_tenths")
        for facilitator in ctx.facilitators:
            per_week = max(1, round(facilitator.hours_per_week * 60))
            load = sum(ctx.round_load(facilitator.person, n) for n in ctx.round_numbers())
            model.add(busiest * per_week >= 10 * load)
            model.add(least * per_week <= 10 * load)
        ctx.penalize(self.name, busiest - least)


RULE = LoadBalance()
