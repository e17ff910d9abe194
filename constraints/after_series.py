"""One series after another: every meeting of a series with `after` comes after the n-th meeting of
the series it names (a BAL team's analyses after its course group's first course session).

"After the n-th meeting" is posted as "at least n of that series' meetings have ended by this
one's start": exact whatever of them a partial plan leaves out, since a series' meetings lie in
its periods in order. Where the first n always take place (a full solve), it is the one linear
inequality against the n-th. Meetings of the other series that are already placed (`booked`, as
when one meeting is explained around the plan) count with their fixed end, and one with no
possible time counts as never held. Only a model of one meeting alone, without the other series
at all (an explanation's first look), leaves the order out.
"""

from __future__ import annotations

from datetime import date

from ortools.sat.python import cp_model

from constraints._text import series_name
from scheduler.context import Occurrence, PlanningContext
from scheduler.index import runs_in
from scheduler.rules import Rule
from scheduler.term_dates import series_periods


class AfterSeries(Rule):
    name = "after_series"
    level = "hard"
    title_da = "Rækkefølge mellem serier"
    explanation_da = (
        "En serie, der skal komme efter en anden, holder alle sine møder efter det angivne møde i "
        "den anden serie, fx et teams BAL-analyser efter holdets første kursusgang."
    )
    order = 32
    per_day = True

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        """A day before the other series' n-th open period can never come after its n-th meeting."""
        after = occ.series.after
        if after is None:
            return []
        first = self._earliest_day(ctx, after.series, after.meetings)
        return [occ.series.id] if first is not None and day < first else []

    def _earliest_day(self, ctx: PlanningContext, series_id: str, n: int) -> date | None:
        """The first day of the series' n-th open period in the term, or None when it has fewer
        (the constraint then says no; the config check names that case)."""
        key = ("after_series.earliest", series_id, n)
        if key not in ctx.memo:
            other = ctx.index.series.get(series_id)
            earliest = None
            if other is not None and runs_in(other, ctx.term):
                periods = [p for p in series_periods(other, ctx.term, ctx.closed_for(other)) if p.days]
                earliest = periods[n - 1].days[0] if len(periods) >= n else None
            ctx.memo[key] = earliest
        result: date | None = ctx.memo[key]
        return result

    def post(self, ctx: PlanningContext) -> None:
        for series_id, occs in ctx.by_series.items():
            after = occs[0].series.after
            if after is None:
                continue
            theirs = ctx.by_series.get(after.series, [])
            ends = [ctx.span_of(m)[1] for m in ctx.booked if m.series == after.series and not m.one_off]
            unplaceable = any(o.series.id == after.series for o in ctx.empty_occurrences)
            if not theirs and not ends and not unplaceable and not any(not m.one_off for m in ctx.booked):
                continue  # a model of one meeting alone, without the other series (explanations)
            for occ in occs:
                self._post_one(ctx, series_id, occ, theirs, sorted(ends), after.meetings)

    def _post_one(
        self,
        ctx: PlanningContext,
        series_id: str,
        occ: Occurrence,
        theirs: list[Occurrence],
        booked_ends: list[int],
        n: int,
    ) -> None:
        model = ctx.model
        assert occ.start is not None
        latest = max(o.absolute_start for o in occ.options)
        already = sum(1 for end in booked_ends if end <= latest)
        need = n - already
        firsts = theirs[:need]
        if not booked_ends and need > 0 and len(firsts) == need and all(o.present is True for o in firsts):
            nth = firsts[-1]
            assert nth.start is not None
            ct = model.add(occ.start >= nth.start + nth.duration)
            occ.when_placed(ct)
            ctx.enforce(ct, self.name, series_id)
            return
        # the count of the other series' meetings that have ended by this one's start
        ended: list[cp_model.LinearExprT] = []
        for end in booked_ends:
            lit = model.new_bool_var(f"after[{occ.uid}|booked|{end}]")
            model.add(occ.start >= end).only_enforce_if(lit)
            ended.append(lit)
        for other in theirs:
            earliest_end = min(o.absolute_start for o in other.options) + other.duration
            if earliest_end > latest:
                continue  # it can never end before this meeting begins
            assert other.start is not None
            lit = model.new_bool_var(f"after[{occ.uid}|{other.uid}]")
            model.add(occ.start >= other.start + other.duration).only_enforce_if(lit)
            if not isinstance(other.present, bool):
                model.add_implication(lit, other.present)
            ended.append(lit)
        ct = model.add(cp_model.LinearExpr.sum(ended) >= n)
        occ.when_placed(ct)
        ctx.enforce(ct, self.name, series_id)

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        series = ctx.index.series[subject]
        after = series.after
        if after is None:
            return f"{series_name(ctx, subject)} har ingen rækkefølge."
        other = series_name(ctx, after.series) if after.series in ctx.index.series else after.series
        return f"{series_name(ctx, subject)} holdes først efter {after.meetings}. møde i «{other}»."


RULE = AfterSeries()
