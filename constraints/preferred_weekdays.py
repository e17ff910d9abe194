"""Meet on the preferred weekday where possible, so others know when the unit is bound."""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.context import Occurrence, PlanningContext
from scheduler.model import CadenceKind, Weekday
from scheduler.rules import Rule


class PreferredWeekdays(Rule):
    name = "preferred_weekdays"
    level = "soft"
    default_weight = 3
    local = True
    bound_group = "series"
    title_da = "Foretrukne ugedage"
    explanation_da = "Møderne lægges helst på seriens foretrukne ugedage."
    order = 61
    count_da = (
        "{n} møde ligger ikke på en foretrukken ugedag",
        "{n} møder ligger ikke på en foretrukken ugedag",
    )

    def post(self, ctx: PlanningContext) -> None:
        if ctx.explain:
            return
        for occ in ctx.occurrences:
            preferred = occ.series.preferred_weekdays
            if not preferred:
                continue
            off = [o.var for o in occ.options if Weekday.of(o.day) not in preferred]
            if not off:
                continue
            count_off = cp_model.LinearExpr.sum(off)
            ctx.penalize(self.name, count_off)
            self._link_to_pattern(ctx, occ, count_off)

    @staticmethod
    def _link_to_pattern(ctx: PlanningContext, occ: Occurrence, off: cp_model.LinearExpr) -> None:
        """Redundant, for a tighter bound: a regular meeting of a series whose usual weekday is
        not preferred is itself off the preferred days."""
        patterns = ctx.memo.get("patterns", {}).get(occ.series.id)
        irregular = ctx.memo.get("irregular", {}).get(occ.index)
        if patterns is None or irregular is None or occ.series.cadence.kind == CadenceKind.daily:
            return
        preferred = {d.number for d in occ.series.preferred_weekdays}
        off_patterns = [var for (_, weekday, _), var in patterns.items() if weekday not in preferred]
        if off_patterns:  # (in partial mode only when the meeting is placed)
            ctx.model.add(off >= sum(off_patterns) - irregular + occ.placed() - 1)


RULE = PreferredWeekdays()
