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
    count_da = ("{n} tiendedel af en uge i forskel", "{n} tiendedele af en uge i forskel")

    def post(self, ctx: RolloutContext) -> None:
        """busiest - least of (whole rollout's minutes / minutes a week), in whole tenths of a
        week (each facilitator's rounded down), held equal so the count is true whatever the
        weight."""
        if len(ctx.facilitators) < 2:
            return
        model = ctx.model
        weeks = sum(r.weeks for r in ctx.rounds)
        tenths = []
        for facilitator in ctx.facilitators:
            per_week = max(1, round(facilitator.hours_per_week * 60))
            load = sum(ctx.round_load(facilitator.person, n) for n in ctx.round_numbers())
            share = model.new_int_var(0, 10 * weeks, f"load_tenths[{facilitator.person}]")
            model.add(share * per_week <= 10 * load)
            model.add((share + 1) * per_week > 10 * load)
            tenths.append(share)
        busiest = model.new_int_var(0, 10 * weeks, "busiest_tenths")
        least = model.new_int_var(0, 10 * weeks, "least_tenths")
        model.add_max_equality(busiest, tenths)
        model.add_min_equality(least, tenths)
        ctx.penalize(self.name, busiest - least)


RULE = LoadBalance()
