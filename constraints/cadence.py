"""The cadence holds: one meeting per period, and not two in a row too close together."""

from __future__ import annotations

from constraints._text import series_name
from scheduler.context import Occurrence, PlanningContext
from scheduler.model import CadenceKind
from scheduler.rules import Rule

CADENCE_DA = {
    CadenceKind.daily: "hver arbejdsdag",
    CadenceKind.weekly: "hver uge",
    CadenceKind.fortnightly: "hver 14. dag",
    CadenceKind.monthly: "hver måned",
}


class Cadence(Rule):
    name = "cadence"
    level = "hard"
    local = True
    title_da = "Mødefrekvens"
    explanation_da = (
        "Hver serie holder ét møde pr. periode (uge, 14 dage, måned) og holder den aftalte "
        "mindsteafstand mellem to møder."
    )
    order = 30

    def post(self, ctx: PlanningContext) -> None:
        for series_id, occs in ctx.by_series.items():
            cadence = occs[0].series.cadence
            some_left_out = ctx.partial or any(o.placed_lits() for o in occs)
            for i, (a, b) in enumerate(zip(occs, occs[1:], strict=False)):
                assert a.day is not None and b.day is not None
                min_gap, max_gap = cadence.gap_bounds(bool(a.period.holidays or b.period.holidays))
                if min_gap > 0:
                    ct = ctx.model.add(b.day - a.day >= min_gap)
                    a.when_placed(b.when_placed(ct))
                    ctx.enforce(ct, self.name, series_id)
                    if some_left_out:
                        self._gap_across_left_out(ctx, series_id, occs, i)
                if max_gap is not None and b.period.index == a.period.index + 1:
                    ct = ctx.model.add(b.day - a.day <= max_gap)
                    a.when_placed(b.when_placed(ct))
                    ctx.enforce(ct, self.name, series_id)

    def _gap_across_left_out(
        self, ctx: PlanningContext, series_id: str, occs: list[Occurrence], i: int
    ) -> None:
        """Partial mode or a skipped holiday fortnight: with a, b, c and b left out, a and c are
        consecutive meetings and keep the minimum gap too. Only pairs whose candidate days could
        come that close get it."""
        a = occs[i]
        cadence = a.series.cadence
        last_a = max(o.day_index for o in a.options)
        for j in range(i + 2, len(occs)):
            c = occs[j]
            if min(o.day_index for o in c.options) - last_a >= cadence.effective_min_gap_days:
                return  # later periods lie further away still
            min_gap, _ = cadence.gap_bounds(bool(a.period.holidays or c.period.holidays))
            assert a.day is not None and c.day is not None
            ct = ctx.model.add(c.day - a.day >= min_gap)
            between = [occ.present for occ in occs[i + 1 : j] if not isinstance(occ.present, bool)]
            ct.only_enforce_if([*a.placed_lits(), *c.placed_lits(), *(lit.negated() for lit in between)])
            ctx.enforce(ct, self.name, series_id)

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        series = ctx.index.series[subject]
        c = series.cadence
        how = CADENCE_DA.get(c.kind) or (
            f"hver {c.n}. uge" if c.kind == CadenceKind.every_n_weeks else f"{c.count} gange i terminen"
        )
        text = f"{series_name(ctx, subject)} holdes {how} med mindst {c.effective_min_gap_days} dage imellem"
        if c.effective_max_gap_days:
            text += f" og højst {c.effective_max_gap_days} mellem to perioder i træk"
        if c.holiday_shift_days:
            text += f" (ved en lukkedag må mødet flyttes op til {c.holiday_shift_days} dage)"
        return text + "."


RULE = Cadence()
