"""A series keeps one weekday and start time all term: people remember 'every other Tuesday 13-15'."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.rules import Rule
from scheduler.term_dates import Pattern, pattern_of


class Regularity(Rule):
    name = "regularity"
    level = "soft"
    default_weight = 10
    local = True
    bound_group = "series"
    title_da = "Regelmæssighed"
    explanation_da = "En serie holder samme ugedag og klokkeslæt hele terminen (fx hver anden tirsdag 13-15)."
    order = 60
    count_da = (
        "{n} møde ligger ikke på seriens faste ugedag og tid",
        "{n} møder ligger ikke på seriens faste ugedag og tid",
    )

    def post(self, ctx: PlanningContext) -> None:
        if ctx.explain:
            return
        model = ctx.model
        for series_id, occs in ctx.by_series.items():
            if len(occs) < 2:
                continue
            kind = occs[0].series.cadence.kind
            patterns: dict[Pattern, object] = {}
            for occ in occs:
                for option in occ.options:
                    key = pattern_of(option.day, option.start, occ.period, kind)
                    if key not in patterns:
                        patterns[key] = model.new_bool_var(f"pattern[{series_id}|{key}]")
            model.add_exactly_one(patterns.values())  # type: ignore[arg-type]
            ctx.memo.setdefault("patterns", {})[series_id] = patterns
            for occ in occs:
                irregular = model.new_bool_var(f"irregular[{occ.uid}]")
                ctx.memo.setdefault("irregular", {})[occ.index] = irregular
                available = set()
                for option in occ.options:
                    key = pattern_of(option.day, option.start, occ.period, kind)
                    available.add(key)
                    model.add_bool_or([option.var.negated(), patterns[key], irregular])  # type: ignore[list-item]
                # Redundant but strong: if the series' pattern cannot happen in this period at all
                # (a holiday, an absence), the meeting is irregular. Tightens the bound a lot.
                missing = [var for key, var in patterns.items() if key not in available]
                if missing:  # (in partial mode only when the meeting is placed)
                    model.add(irregular >= sum(missing) + occ.placed() - 1)  # type: ignore[arg-type]
                ctx.penalize(self.name, irregular)


RULE = Regularity()
