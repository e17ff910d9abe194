"""Time to travel: a person's meetings at different sites leave room for the trip between them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ortools.sat.python import cp_model

from scheduler.context import Occurrence, PlanningContext
from scheduler.rules import Rule

DaySpans = dict[date, tuple[int, int]]


def _day_spans(occ: Occurrence) -> DaySpans:
    """Per candidate day, the earliest start and the latest end the occurrence may take."""
    spans: dict[date, tuple[int, int]] = {}
    for option in occ.options:
        first, last = spans.get(option.day, (option.start, option.start + occ.duration))
        spans[option.day] = (min(first, option.start), max(last, option.start + occ.duration))
    return spans


def _may_come_close(a: DaySpans, b: DaySpans, travel: int) -> bool:
    for day in a.keys() & b.keys():
        (a_first, a_last), (b_first, b_last) = a[day], b[day]
        if a_first < b_last + travel and b_first < a_last + travel:
            return True
    return False


class TravelTime(Rule):
    name = "travel_time"
    level = "hard"
    title_da = "Transporttid"
    explanation_da = "Mellem to møder på forskellige adresser er der tid til at komme frem."
    order = 40
    relaxable = False

    def post(self, ctx: PlanningContext) -> None:
        """For each pair of a person's meetings at different sites that could fall close on one day,
        one order literal: either a ends and the trip is made before b starts, or the other way.

        Pairs that can never come within the travel time of each other get nothing, which keeps
        the model small (the daily 08:30 Fronten never meets an afternoon conference).
        """
        spans = {occ.index: _day_spans(occ) for occ in ctx.occurrences}
        # first and last candidate day, to pass over pairs in periods apart without a look at each day
        reach = {index: (min(days), max(days)) for index, days in spans.items() if days}
        ordered: dict[tuple[object, ...], cp_model.IntVar] = {}
        gaps: dict[tuple[int, int], tuple[cp_model.LinearExpr, cp_model.LinearExpr]] = {}
        for pid in ctx.people:
            by_site: dict[str, list[Occurrence]] = defaultdict(list)
            for occ in ctx.occurrences_of(pid):
                by_site[occ.site].append(occ)
            sites = sorted(by_site)
            for i, site_a in enumerate(sites):
                for site_b in sites[i + 1 :]:
                    travel = ctx.travel_minutes(site_a, site_b)
                    if travel == 0:
                        continue
                    for a in by_site[site_a]:
                        a_first_day, a_last_day = reach[a.index]
                        for b in by_site[site_b]:
                            b_first_day, b_last_day = reach[b.index]
                            if a_last_day < b_first_day or b_last_day < a_first_day:
                                continue
                            if not _may_come_close(spans[a.index], spans[b.index], travel):
                                continue
                            self._keep_apart(ctx, pid, a, b, travel, ordered, gaps)

    @staticmethod
    def _keep_apart(
        ctx: PlanningContext,
        pid: str,
        a: Occurrence,
        b: Occurrence,
        travel: int,
        ordered: dict[tuple[object, ...], cp_model.IntVar],
        gaps: dict[tuple[int, int], tuple[cp_model.LinearExpr, cp_model.LinearExpr]],
    ) -> None:
        assert a.start is not None and b.start is not None
        model = ctx.model
        gap = gaps.get((a.index, b.index))
        if gap is None:  # b.start - a.start and back, made once per pair and shared by all who attend both
            gap = gaps[(a.index, b.index)] = (b.start - a.start, a.start - b.start)
        b_after_a, a_after_b = gap
        (a_off, a_minutes), (b_off, b_minutes) = a.span_of(pid), b.span_of(pid)
        whole = (a_off, a_minutes, b_off, b_minutes) == (0, a.duration, 0, b.duration)
        key: tuple[object, ...] = (min(a.index, b.index), max(a.index, b.index))
        if not whole:  # a partial seat's part may fall in another order than the meetings
            key = (*key, pid)
        if key not in ordered:  # one order literal per pair of meetings, shared by all who attend both
            ordered[key] = model.new_bool_var(f"a_first[{a.uid}|{b.uid}]")
        a_first = ordered[key] if a.index < b.index else ordered[key].negated()
        both = [a.attends[pid], b.attends[pid]]
        # b starts after a's part and the trip: (b.start + b_off) >= (a.start + a_off) + a_minutes + travel
        model.add(b_after_a >= a_off + a_minutes + travel - b_off).only_enforce_if([*both, a_first])
        model.add(a_after_b >= b_off + b_minutes + travel - a_off).only_enforce_if([*both, a_first.negated()])


RULE = TravelTime()
