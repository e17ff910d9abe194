"""A quick greedy plan, handed to CP-SAT as a hint so the first feasible plan comes in seconds.

It walks occurrences in time order, keeps each series on the pattern of its first meeting where
it can, and gives each seat to the free pool member with the fewest meetings so far. It checks
the hard rules the model posts (availability, overlaps, travel, rooms, gaps, weekly ceilings,
the order between series) on its own bookkeeping; whatever it cannot place is left unhinted,
and the solver does the rest.
A hint is only a suggestion: correctness never depends on this module.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import groupby

from ortools.sat.python import cp_model

from scheduler.availability import MINUTES_PER_DAY, Span, within
from scheduler.context import Occurrence, Option, PlanningContext, SeatChoice
from scheduler.cpsat import HintWriter
from scheduler.roles import FULL_TIME_HOURS
from scheduler.term_dates import TZ, Pattern, pattern_of, week_monday


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
    """required meeting minutes so far, scaled to a full-time week as fair load counts them"""
    weekly: Counter[tuple[str, object]] = field(default_factory=Counter)
    series_last: dict[str, tuple[Occurrence, int]] = field(default_factory=dict)
    """per series, its last placed occurrence and that meeting's day index"""
    series_ends: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """per series, the ends of its placed meetings (model minutes), for `Series.after`"""
    series_pattern: dict[str, Pattern] = field(default_factory=dict)
    holders: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    day_sites: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    """per (person, day index), the sites of their bookings that day (`_elsewhere`)"""
    hints: HintWriter = field(default_factory=HintWriter)
    """the pass's hints, written to the model (in place of any it had) when it ends"""

    def book(self, pid: str, booking: _Booking) -> None:
        """The person is at `booking` (their times and the sites they are at each day)."""
        self.people[pid].append(booking)
        self.day_sites[(pid, booking.start // MINUTES_PER_DAY)].add(booking.site)


def _can_come(ctx: PlanningContext, pid: str, occ: Occurrence, option: Option) -> bool:
    """Free as the model sees it: available (`PlanningContext.is_free`) and clear of booked meetings."""
    return _fits(ctx, ctx.free_spans(pid, option.day, occ.site), pid, occ, option)


def _fits(ctx: PlanningContext, spans: tuple[Span, ...], pid: str, occ: Occurrence, option: Option) -> bool:
    """`_can_come` with the person's free spans that day at the meeting's site already looked up
    (where one day's many options are asked about)."""
    end = option.start + occ.duration
    if not within(spans, option.start, end):
        return False
    return not ctx.booked or not ctx.clashes_with_booked(pid, option.day, option.start, end, occ.site)


def _person_free(ctx: PlanningContext, ledger: _Ledger, pid: str, occ: Occurrence, option: Option) -> bool:
    if not _can_come(ctx, pid, occ, option):
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
    return overlapping < ctx.sites[occ.site].room_count


def _keeps_the_gaps(ledger: _Ledger, occ: Occurrence, option: Option) -> bool:
    """The cadence rule's gaps to the series' last placed meeting: the minimum always, the
    maximum when that meeting is of the period just before (both as `Cadence.gap_bounds` says)."""
    last = ledger.series_last.get(occ.series.id)
    if last is None:
        return True
    previous, day_index = last
    beside_holiday = bool(previous.period.holidays or occ.period.holidays)
    min_gap, max_gap = occ.series.cadence.gap_bounds(beside_holiday)
    gap = option.day_index - day_index
    if gap < min_gap:
        return False
    adjacent = occ.period.index == previous.period.index + 1
    return max_gap is None or not adjacent or gap <= max_gap


def _comes_after(ctx: PlanningContext, ledger: _Ledger, occ: Occurrence, option: Option) -> bool:
    """`Series.after`: at least n of the other series' placed meetings have ended by then (the
    `after_series` rule; a model without that series leaves it out, as the rule does)."""
    after = occ.series.after
    if after is None or after.series not in ctx.by_series:
        return True
    ended = sum(1 for end in ledger.series_ends[after.series] if end <= option.absolute_start)
    return ended >= after.meetings


def _elsewhere(ctx: PlanningContext, ledger: _Ledger, pid: str, occ: Occurrence, option: Option) -> bool:
    """Whether the person already meets at another site that day (a trip the travel rule counts)."""
    sites = ledger.day_sites.get((pid, option.day_index))
    return sites is not None and any(site != occ.site for site in sites)


def _try(
    ctx: PlanningContext, ledger: _Ledger, occ: Occurrence, option: Option, keep_holders: bool = False
) -> dict[str, list[str]] | None:
    """The people for each seat if the occurrence fits at this option, else None. `keep_holders`:
    only with each seat's usual holders where it has them (a continuity break costs more than a
    meeting off the pattern, so the greedy first looks for a time they can come)."""
    if not _keeps_the_gaps(ledger, occ, option) or not _comes_after(ctx, ledger, occ, option):
        return None
    if not _room_free(ctx, ledger, occ, option):
        return None
    taken: set[str] = set()
    chosen: dict[str, list[str]] = {}
    for choice in occ.seats:
        free = [
            pid
            for pid in choice.lits
            if pid not in taken
            and choice.may_sit(pid, option.day)
            and _person_free(ctx, ledger, pid, occ, option)
        ]
        if len(free) < choice.seat.count:
            return None
        usual = ledger.holders.get((occ.series.id, choice.key), ())
        kept = sum(pid in usual for pid in free)
        if keep_holders and usual and not choice.seat.rota and kept < choice.seat.count:
            return None
        # continuity first (the seat's usual holder), then no trip from another site that day,
        # then the least loaded; a rota only balances
        free.sort(
            key=lambda pid: (
                not choice.seat.rota and pid not in usual,
                _elsewhere(ctx, ledger, pid, occ, option),
                ledger.load[pid],
            )
        )
        chosen[choice.key] = free[: choice.seat.count]
        taken.update(chosen[choice.key])
    return chosen


def _pattern(occ: Occurrence, option: Option) -> Pattern:
    return pattern_of(option.day, option.start, occ.period, occ.series.cadence.kind)


def _optional_free(ctx: PlanningContext, occ: Occurrence) -> list[int]:
    """Per option (in order), how many of the occurrence's optional attendees can come."""
    counts: list[int] = []
    for _, same_day in groupby(occ.options, key=lambda o: o.day):
        options = list(same_day)
        spans = [(pid, ctx.free_spans(pid, options[0].day, occ.site)) for pid in occ.optional]
        counts += [sum(1 for pid, free in spans if _fits(ctx, free, pid, occ, option)) for option in options]
    return counts


@dataclass(frozen=True)
class _OptionFacts:
    """What the greedy asks about each option whatever is booked, worked out once for all passes:
    per occurrence (by index) and option (in order), its pattern and how many optional attendees
    can come."""

    patterns: dict[int, list[Pattern]]
    optional_free: dict[int, list[int]]


def _option_facts(ctx: PlanningContext) -> _OptionFacts:
    return _OptionFacts(
        {occ.index: [_pattern(occ, o) for o in occ.options] for occ in ctx.occurrences},
        {occ.index: _optional_free(ctx, occ) for occ in ctx.occurrences},
    )


def _pattern_scores(ctx: PlanningContext, facts: _OptionFacts) -> dict[str, Counter[Pattern]]:
    """Per series, how good each pattern looks before anything is booked: how many periods can
    hold it, on a preferred weekday and start, with optional attendees free."""
    scores: dict[str, Counter[Pattern]] = defaultdict(Counter)
    for occ in ctx.occurrences:
        preferred = {d.number for d in occ.series.preferred_weekdays}
        preferred_starts = set(occ.series.preferred_starts)
        patterns, optional_free = facts.patterns[occ.index], facts.optional_free[occ.index]
        best: dict[Pattern, int] = {}
        for k, option in enumerate(occ.options):
            score = (
                100
                + 10 * (option.day.weekday() in preferred)
                + 10 * (option.start in preferred_starts)
                + optional_free[k]
            )
            key = patterns[k]
            best[key] = max(best.get(key, 0), score)
        scores[occ.series.id].update(best)
    return scores


@dataclass(frozen=True)
class GreedyStart:
    """What the greedy hinted: how many of the meetings that must be placed it placed, and those
    it left out (the warm start frees the part of the plan around them, `repair_neighbourhood`)."""

    placed: int
    left_out: tuple[Occurrence, ...]
    hints: Mapping[int, int] = field(default_factory=dict)
    """what it hinted (proto index: value), as the model's hints now are"""


def greedy_hint(ctx: PlanningContext) -> int:
    """Add hints for every occurrence the greedy can place; returns how many it placed of those
    that must be (a holiday fortnight's meeting, `Period.optional`, may be skipped)."""
    return greedy_start(ctx).placed


def greedy_start(ctx: PlanningContext) -> GreedyStart:
    """Hint the greedy plan (see `greedy_hint`) and say what it left out.

    The greedy never backtracks; when it leaves a required meeting out, one more pass puts the
    series it failed first within each period (they then get the people and rooms they need),
    and the better of the two passes is the hint."""
    facts = _option_facts(ctx)
    scores = _pattern_scores(ctx, facts)  # the same for every pass: nothing is booked yet
    first = _greedy_pass(ctx, scores, facts, frozenset())
    if not first.left_out:
        return first
    retried = _greedy_pass(ctx, scores, facts, frozenset(o.series.id for o in first.left_out))
    if retried.placed >= first.placed:
        return retried
    return _greedy_pass(ctx, scores, facts, frozenset())  # each pass's hints replace the last's


def repair_neighbourhood(
    ctx: PlanningContext, left_out: tuple[Occurrence, ...], wide: bool
) -> list[Occurrence]:
    """The meetings to free around those the greedy left out, so a solve with the rest held at
    the greedy's choices can fit them: each one and its series' meetings in the periods next to
    it (the gaps tie them), and the meetings in an overlapping period that share a person or the
    site with one of those (`wide`: every meeting in such a period)."""
    core = [
        occ
        for occ in ctx.occurrences
        if any(occ.series.id == m.series.id and abs(occ.period.index - m.period.index) <= 1 for m in left_out)
    ]
    freed: list[Occurrence] = []
    for occ in ctx.occurrences:
        for near in core:
            overlaps = occ.period.start <= near.period.end and near.period.start <= occ.period.end
            if overlaps and (wide or occ.site == near.site or occ.attends.keys() & near.attends.keys()):
                freed.append(occ)
                break
    return freed


def occurrence_variables(occ: Occurrence) -> list[cp_model.IntVar]:
    """The decision literals of one meeting: presence, its time options, its seats, its optional guests."""
    variables: list[cp_model.IntVar] = [] if isinstance(occ.present, bool) else [occ.present]
    variables += [option.var for option in occ.options]
    variables += [lit for choice in occ.seats for lit in choice.lits.values()]
    variables += list(occ.optional.values())
    return variables


def _greedy_pass(
    ctx: PlanningContext, scores: dict[str, Counter[Pattern]], facts: _OptionFacts, first: frozenset[str]
) -> GreedyStart:
    """One greedy pass, hinting as it goes, with the series in `first` first within each period."""
    ledger = _Ledger()
    for meeting in ctx.booked:  # booked meetings stay: their people and rooms are taken
        start, end = ctx.span_of(meeting)
        booking = _Booking(start, end, meeting.site)
        ledger.sites[meeting.site].append(booking)
        for attendee in meeting.attendees:
            if attendee.person in ctx.people:
                ledger.book(attendee.person, booking)
                ledger.weekly[(attendee.person, week_monday(meeting.start.astimezone(TZ).date()))] += 1
    placed = 0
    # a series that comes after another goes after it within a period start (`Series.after`)
    order = sorted(
        ctx.occurrences,
        key=lambda o: (o.period.start, o.series.after is not None, o.series.id not in first, len(o.options)),
    )
    reachable = _reachable(ctx)
    failed: list[Occurrence] = []
    for occ in order:
        target = ledger.series_pattern.get(occ.series.id)
        rank = scores[occ.series.id]
        patterns, optional_free = facts.patterns[occ.index], facts.optional_free[occ.index]
        by_day = _day_facts(ctx, ledger, occ, reachable)
        ranked = sorted(  # the options' positions, so their facts are looked up, not worked out again
            range(len(occ.options)),
            key=lambda k: (
                by_day[occ.options[k].day_index][0],
                target is not None and patterns[k] != target,
                -rank[patterns[k]],
                by_day[occ.options[k].day_index][1],
                -optional_free[k],
                occ.options[k].day_index,
                occ.options[k].start,
            ),
        )
        if occ.period.optional and target is not None:
            # a holiday fortnight is held on the series' rhythm or skipped, never a week off it
            ranked = [k for k in ranked if patterns[k][0] == target[0]]
        options = [occ.options[k] for k in ranked]
        fit = next(
            (
                (option, chosen)
                for keep_holders in (True, False)
                for option in options
                if (chosen := _try(ctx, ledger, occ, option, keep_holders)) is not None
            ),
            None,
        )
        if fit is not None:
            _commit(ctx, ledger, occ, *fit)
            placed += 0 if occ.period.optional else 1
        else:
            _leave_out(ledger, occ)
            if not occ.period.optional:
                failed.append(occ)
    hints = ledger.hints.flush(ctx.model)
    return GreedyStart(placed, tuple(failed), hints)


def _day_facts(
    ctx: PlanningContext, ledger: _Ledger, occ: Occurrence, reachable: Callable[[Occurrence, Option], bool]
) -> dict[int, tuple[bool, int]]:
    """What ranks an occurrence's options by their day alone, once per day (×10's 113,830 options
    lie on 24,270 meeting-days): whether the day leaves the series' next meeting no
    possible day (`_reachable`), and how many of its named people would meet elsewhere that day."""
    facts: dict[int, tuple[bool, int]] = {}
    for option in occ.options:
        if option.day_index not in facts:
            facts[option.day_index] = (
                not reachable(occ, option),
                sum(_elsewhere(ctx, ledger, pid, occ, option) for pid in occ.fixed_people),
            )
    return facts


def _possible_days(ctx: PlanningContext, occ: Occurrence) -> set[int]:
    """The days (indices) the occurrence could be on as far as its people's availability goes,
    whatever else is booked: each seat has enough candidates who can come at some option."""
    days: set[int] = set()
    for day_index, same_day in groupby(occ.options, key=lambda o: o.day_index):
        spans: dict[str, tuple[Span, ...]] = {}  # looked up once a seat asks: most need one person
        if any(
            all(_fillable(ctx, occ, choice, option, spans) for choice in occ.seats) for option in same_day
        ):
            days.add(day_index)
    return days


def _fillable(
    ctx: PlanningContext,
    occ: Occurrence,
    choice: SeatChoice,
    option: Option,
    spans: dict[str, tuple[Span, ...]],
) -> bool:
    """Whether enough of the seat's people may sit and can come at the option (`spans`: their free
    spans that day at the meeting's site, filled in as they are asked about)."""
    found = 0  # a seat's count is at least 1 (`Seat.count`)
    for pid in choice.lits:
        if not choice.may_sit(pid, option.day):
            continue
        free = spans.get(pid)
        if free is None:
            free = spans[pid] = ctx.free_spans(pid, option.day, occ.site)
        if _fits(ctx, free, pid, occ, option):
            found += 1
            if found >= choice.seat.count:
                return True
    return False


def _reachable(ctx: PlanningContext) -> Callable[[Occurrence, Option], bool]:
    """Whether an option leaves the series' next meeting a possible day within the cadence's
    gaps: a one-step lookahead, so the greedy does not put a meeting early in its period when
    the next one can only be late in its own (a specialist away), which no later choice mends."""
    following: dict[int, Occurrence] = {}
    for occs in ctx.by_series.values():
        ordered = sorted(occs, key=lambda o: o.period.index)
        for occ, after in zip(ordered, ordered[1:], strict=False):
            if after.period.index == occ.period.index + 1 and not after.period.optional:
                following[occ.index] = after
    possible: dict[int, tuple[list[int], int, int | None]] = {}

    def reachable(occ: Occurrence, option: Option) -> bool:
        after = following.get(occ.index)
        if after is None:
            return True
        known = possible.get(after.index)
        if known is None:
            beside_holiday = bool(occ.period.holidays or after.period.holidays)
            gaps = occ.series.cadence.gap_bounds(beside_holiday)
            known = possible[after.index] = (sorted(_possible_days(ctx, after)), *gaps)
        days, min_gap, max_gap = known
        # the first possible day at least min_gap on, and whether it is within max_gap
        first = bisect_left(days, option.day_index + min_gap)
        return first < len(days) and (max_gap is None or days[first] <= option.day_index + max_gap)

    return reachable


def _leave_out(ledger: _Ledger, occ: Occurrence) -> None:
    """Partial mode or a holiday fortnight: hint a meeting the greedy cannot place as left out, so
    the hint stays a complete plan of what it did place (nothing to hint when it must be placed)."""
    if isinstance(occ.present, bool):
        return
    hints = ledger.hints
    hints.add(occ.present, False)
    for option in occ.options:
        hints.add(option.var, False)
    for choice in occ.seats:
        for lit in choice.lits.values():
            hints.add(lit, False)
    for lit in occ.optional.values():
        hints.add(lit, False)


def _commit(
    ctx: PlanningContext, ledger: _Ledger, occ: Occurrence, option: Option, chosen: dict[str, list[str]]
) -> None:
    hints = ledger.hints
    if not isinstance(occ.present, bool):
        hints.add(occ.present, True)
    for other in occ.options:
        hints.add(other.var, other is option)
    booking = _Booking(option.absolute_start, option.absolute_start + occ.duration, occ.site)
    attending: set[str] = set()
    for choice in occ.seats:
        for pid, lit in choice.lits.items():
            sits = pid in chosen[choice.key]
            hints.add(lit, sits)
            if sits and pid not in choice.stand_ins:  # a substitute holds the seat only while needed
                ledger.holders.setdefault((occ.series.id, choice.key), set()).add(pid)
            if sits:
                attending.add(pid)
    for pid, lit in occ.optional.items():
        comes = pid in attending or _person_free(ctx, ledger, pid, occ, option)
        hints.add(lit, comes)
        if comes:
            attending.add(pid)
    seated = {pid for choice in occ.seats for pid in chosen[choice.key]}
    for pid in attending:
        ledger.book(pid, booking)
        if pid in seated:
            offset, minutes = occ.span_of(pid)
            ledger.load[pid] += round(minutes * FULL_TIME_HOURS / ctx.people[pid].weekly_hours)
        ledger.weekly[(pid, week_monday(option.day))] += 1
    ledger.sites[occ.site].append(booking)
    ledger.series_last[occ.series.id] = (occ, option.day_index)
    ledger.series_ends[occ.series.id].append(option.absolute_start + occ.duration)
    ledger.series_pattern.setdefault(occ.series.id, _pattern(occ, option))
