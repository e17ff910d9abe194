"""The same specialist meets the same unit all term: 'nærhed, tillid og bæredygtige relationer'."""

from __future__ import annotations

from collections import defaultdict

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class Continuity(Rule):
    name = "continuity"
    level = "soft"
    default_weight = 8
    title_da = "Kontinuitet"
    explanation_da = "Den samme psykolog, sundhedsplejerske og rådgiver møder den samme enhed hele terminen."
    order = 62

    def post(self, ctx: PlanningContext) -> None:
        if ctx.explain:
            return
        model = ctx.model
        for series_id, occs in ctx.by_series.items():
            used: dict[tuple[str, str], object] = {}
            lits_of: dict[tuple[str, str], list] = defaultdict(list)
            counts: dict[str, int] = {}
            for occ in occs:
                for choice in occ.seats:
                    if choice.seat.rota or choice.seat.person is not None or len(choice.lits) < 2:
                        continue
                    counts[choice.key] = choice.seat.count
                    for pid, lit in choice.lits.items():
                        lits_of[(choice.key, pid)].append(lit)
            for (key, pid), lits in lits_of.items():
                used[(key, pid)] = var = model.NewBoolVar(f"uses[{series_id}|{key}|{pid}]")
                for lit in lits:
                    model.AddImplication(lit, var)
            for key, count in counts.items():
                chosen = [v for (k, _), v in used.items() if k == key]
                # people beyond the seat's count are the breaks in continuity
                ctx.penalize(self.name, sum(chosen) - count)  # type: ignore[arg-type]


RULE = Continuity()
