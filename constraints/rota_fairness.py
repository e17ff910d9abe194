"""A rota shares its turns fairly: the daily Fronten meeting does not fall on one social worker."""

from __future__ import annotations

from collections import defaultdict

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class RotaFairness(Rule):
    name = "rota_fairness"
    level = "soft"
    default_weight = 5
    local = True
    bound_group = "series"
    title_da = "Retfærdig turnus"
    explanation_da = "I en turnus deles turene ligeligt mellem puljens medlemmer."
    order = 63
    count_da = (
        "{n} tur i forskel mellem den med flest og den med færrest ture i turnussen",
        "{n} ture i forskel mellem den med flest og den med færrest ture i turnusserne",
    )

    def post(self, ctx: PlanningContext) -> None:
        if ctx.explain:
            return
        model = ctx.model
        turns: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for occ in ctx.occurrences:
            for choice in occ.seats:
                if choice.seat.rota and len(choice.lits) > 1:
                    for pid, lit in choice.lits.items():
                        turns[(occ.series.id, choice.key)][pid].append(lit)
        for (series_id, key), by_person in turns.items():
            total = max(len(lits) for lits in by_person.values())
            most = model.new_int_var(0, total, f"rota_max[{series_id}|{key}]")
            least = model.new_int_var(0, total, f"rota_min[{series_id}|{key}]")
            model.add_max_equality(most, [sum(lits) for lits in by_person.values()])
            model.add_min_equality(least, [sum(lits) for lits in by_person.values()])
            ctx.penalize(self.name, most - least)


RULE = RotaFairness()
