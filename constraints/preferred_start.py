"""Start at the series' preferred time where possible: people plan their day around "kl. 13"."""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule


class PreferredStart(Rule):
    name = "preferred_start"
    level = "soft"
    local = True
    bound_group = "series"
    # A little above preferred_weekdays (3): a meeting at another hour of the right day breaks
    # the day people planned around, while another weekday usually keeps the hour; both above
    # regularity-level noise, well below the hard rules' reach.
    default_weight = 4
    title_da = "Foretrukne starttidspunkter"
    explanation_da = "Møderne begynder helst på et af seriens foretrukne starttidspunkter."
    order = 61
    count_da = (
        "{n} møde begynder ikke på et foretrukket tidspunkt",
        "{n} møder begynder ikke på et foretrukket tidspunkt",
    )

    def post(self, ctx: PlanningContext) -> None:
        if ctx.explain:
            return
        for occ in ctx.occurrences:
            preferred = set(occ.series.preferred_starts)
            if not preferred:
                continue
            off = [o.var for o in occ.options if o.start not in preferred]
            if not off:
                continue
            count_off = cp_model.LinearExpr.sum(off)
            ctx.penalize(self.name, count_off)
            self._link_to_pattern(ctx, occ, preferred, count_off)

    @staticmethod
    def _link_to_pattern(
        ctx: PlanningContext, occ: Occurrence, preferred: set[int], off: cp_model.LinearExpr
    ) -> None:
        """Redundant, for a tighter bound (as in preferred_weekdays): a regular meeting of a
        series whose usual start is not preferred is itself off the preferred starts."""
        patterns = ctx.memo.get("patterns", {}).get(occ.series.id)
        irregular = ctx.memo.get("irregular", {}).get(occ.index)
        if patterns is None or irregular is None:
            return
        off_patterns = [var for (_, _, start), var in patterns.items() if start not in preferred]
        if off_patterns:  # (in partial mode only when the meeting is placed)
            ctx.model.add(off >= sum(off_patterns) - irregular + occ.placed() - 1)


RULE = PreferredStart()
