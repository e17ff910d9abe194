"""A quick greedy plan, handed to CP-SAT as a hint so the first feasible plan comes in seconds.

It walks occurrences in time order, keeps each series on the pattern of its first meeting where
it can, and gives each seat to the free pool member with the fewest meetings so far. It checks
the hard rules the model posts (availability, overlaps, travel, rooms, gaps, weekly ceilings)
on its own bookkeeping; whatever it cannot place is left unhinted, and the solver does the rest.
A hint is only a suggestion: correctness never depends on this module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from scheduler.calendar import week_monday
from scheduler.context import Occurrence, Option, PlanningContext


@dataclass
class _Booking:
    start: int
    end: int
    site: str


@dataclass
class _Ledger:
    people: dict[str, list[_Booking]] = field(default_factory=lambda: defaultdict(list))
    sites: dict[str, list[_Booking]] = field(default_factory=lambda: defaultdict(list))
    load: Counter[str] = field(default_factory=Counter)
    weekly: Counter[tuple[str, object]] = field(default_factory=Counter)
    series_last_day: dict[str, int] = field(default_factory=dict)
    series_shape: dict[str, tuple[int, int]] = field(default_factory=dict)


def _person_free(ctx: PlanningContext, ledger: _Ledger, pid: str, occ: Occurrence, option: Option) -> bool:
    if option.var.index in ctx.busy_options.get((occ.index, pid), ()):
        return False
    start, end = option.absolute_start, option.absolute_start + occ.duration
    for booking in ledger.people[pid]:
        travel = ctx.travel_minutes(booking.site, occ.site)
        if start < booking.end + travel and booking.start < end + travel:
            return False
    limit = ctx.people[pid].max_meetings_per_week
    return limit is None or ledger.weekly[(pid, week_monday(option.day))] < limit


def _room_free(ctx: PlanningContext, ledger: _Ledger, occ: Occurrence, option: Option) -> bool:
    start, end = option.absolute_start, option.absolute_start + occ.duration
    overlapping = sum(1 for b in ledger.sites[occ.site] if start < b.end and b.start < end)
    return overlapping < ctx.sites[occ.site].rooms


def _try(
    ctx: PlanningContext, ledger: _Ledger, occ: Occurrence, option: Option
) -> dict[str, list[str]] | None:
    """The people for each seat if the occurrence fits at this option, else None."""
    last = ledger.series_last_day.get(occ.series.id)
    if last is not None and option.day_index - last < occ.series.cadence.effective_min_gap_days:
        return None
    if not _room_free(ctx, ledger, occ, option):
        return None
    taken: set[str] = set()
    chosen: dict[str, list[str]] = {}
    for choice in occ.seats:
        free = [
            pid for pid in choice.lits if pid not in taken and _person_free(ctx, ledger, pid, occ, option)
        ]
        if len(free) < choice.seat.count:
            return None
        free.sort(key=lambda pid: ledger.load[pid])
        chosen[choice.key] = free[: choice.seat.count]
        taken.update(chosen[choice.key])
    return chosen


def greedy_hint(ctx: PlanningContext) -> int:
    """Add hints for every occurrence the greedy can place; returns how many it placed."""
    ledger = _Ledger()
    placed = 0
    order = sorted(ctx.occurrences, key=lambda o: (o.period.start, len(o.options)))
    for occ in order:
        shape = ledger.series_shape.get(occ.series.id)
        options = sorted(
            occ.options,
            key=lambda o: (shape is not None and (o.day.weekday(), o.start) != shape, o.day_index, o.start),
        )
        for option in options:
            chosen = _try(ctx, ledger, occ, option)
            if chosen is None:
                continue
            _commit(ctx, ledger, occ, option, chosen)
            placed += 1
            break
    return placed


def _commit(
    ctx: PlanningContext, ledger: _Ledger, occ: Occurrence, option: Option, chosen: dict[str, list[str]]
) -> None:
    model = ctx.model
    for other in occ.options:
        model.add_hint(other.var, other is option)
    booking = _Booking(option.absolute_start, option.absolute_start + occ.duration, occ.site)
    attending: set[str] = set()
    for choice in occ.seats:
        for pid, lit in choice.lits.items():
            sits = pid in chosen[choice.key]
            model.add_hint(lit, sits)
            if sits:
                attending.add(pid)
    for pid, lit in occ.optional.items():
        comes = pid in attending or _person_free(ctx, ledger, pid, occ, option)
        model.add_hint(lit, comes)
        if comes:
            attending.add(pid)
    for pid in attending:
        ledger.people[pid].append(booking)
        ledger.load[pid] += 1
        ledger.weekly[(pid, week_monday(option.day))] += 1
    ledger.sites[occ.site].append(booking)
    ledger.series_last_day[occ.series.id] = option.day_index
    ledger.series_shape.setdefault(occ.series.id, (option.day.weekday(), option.start))
