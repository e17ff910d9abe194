"""Turn a config and a term into one CP-SAT model: occurrences, candidate times, seats, rules.

The expansion is explicit and small: a series becomes one occurrence per cadence period, an
occurrence a handful of candidate (day, start) options. Rules prune candidates they forbid
(`Rule.blocks`) and post the rest of their logic on the variables (`Rule.post`). In explain mode
nothing is pruned: forbidden candidates stay, guarded by the forbidding rule's assumption.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from ortools.sat.python import cp_model

from scheduler.config import seat_pool, stand_ins
from scheduler.context import Occurrence, Option, PlanningContext, SeatChoice
from scheduler.cpsat import new_bool
from scheduler.index import index_of
from scheduler.model import WORKDAYS, Meeting, MunicipalityConfig, Series, Term, Weekday
from scheduler.rules import Rule, load_rules, rule_by_name
from scheduler.term_dates import series_periods

EXPLAIN_DAY = (7 * 60, 18 * 60)
"""In explain mode candidates span the working day, so a too-narrow window can be named."""


def find_term(config: MunicipalityConfig, term_id: str | None) -> Term:
    return index_of(config).term(term_id)


def active_series(config: MunicipalityConfig, term: Term) -> list[Series]:
    return index_of(config).active_series(term)


def meeting_uid(series: Series, term: Term, period_index: int) -> str:
    """Stable per series, term and period, so a moved meeting keeps its calendar identity."""
    return f"{series.id}.{term.id}.{period_index}@moedeplan"


def build_model(
    config: MunicipalityConfig,
    term: Term,
    explain: bool = False,
    booked: list[Meeting] | None = None,
    partial: bool = False,
    only: set[str] | None = None,
    rules: Collection[str] | None = None,
    series_ids: Collection[str] | None = None,
) -> PlanningContext:
    """The joint model of a term; `booked` meetings stay as they are (see `PlanningContext`).

    `partial`: every meeting may be left out (`Occurrence.present`); the caller decides what to
    maximise (`placed_count`). A holiday fortnight's meeting (`Period.optional`) may always be
    left out; the `holiday_fortnight` rule makes that cost. `only`: just these occurrences (by
    uid), for explaining one of them.

    `rules`: post only the rules of these names (every rule still prunes the candidate times it
    forbids), and `series_ids`: only these series; the relaxations of `scheduler.bound`.
    """
    ctx = expand_model(
        config, term, explain=explain, booked=booked, partial=partial, only=only, series_ids=series_ids
    )
    post_rules(ctx, rules)
    return ctx


def expand_model(
    config: MunicipalityConfig,
    term: Term,
    explain: bool = False,
    booked: list[Meeting] | None = None,
    partial: bool = False,
    only: set[str] | None = None,
    series_ids: Collection[str] | None = None,
) -> PlanningContext:
    """The first half of `build_model` (same arguments): every meeting with its candidate times,
    its seats and who attends, but no rule between them yet (`post_rules`). A greedy plan needs no
    more, so a solve can have one before the rules are posted (on a 1,100-meeting city they take
    most of the build)."""
    ctx = PlanningContext(config, term, explain=explain, booked=booked, partial=partial)
    filters = [r for r in load_rules() if type(r).blocks is not Rule.blocks]
    for series in active_series(config, term):
        if series_ids is None or series.id in series_ids:
            _expand_series(ctx, series, filters, only)
    ctx.index_people()
    return ctx


def post_rules(ctx: PlanningContext, rules: Collection[str] | None = None) -> None:
    """The second half of `build_model`: post the rules (of these names; None: all) on an
    expanded model (`expand_model`) and minimise their penalties."""
    for rule in load_rules():
        if rules is not None and rule.name not in rules:
            continue
        if rule.level == "soft" and ctx.weight(rule.name, rule.default_weight) == 0:
            continue  # weight 0 turns a soft rule off: its penalty would be a free variable
        rule.post(ctx)
    objective = objective_terms(ctx)
    if objective and not ctx.explain:
        ctx.model.minimize(sum(objective))


def objective_terms(ctx: PlanningContext) -> list[cp_model.LinearExprT]:
    """Each registered penalty times its rule's weight: the plan's own objective, term by term.

    Public so a caller that adds its own terms (rescheduling's cost of change) can minimise them
    together with the plan's soft rules.
    """
    weights = _penalty_weights(ctx)
    return [weights[p.rule] * p.expr for p in ctx.penalties]


def _penalty_weights(ctx: PlanningContext) -> dict[str, int]:
    """Each penalised rule's weight, looked up once per rule: storby has ~50,000 penalties."""
    weights: dict[str, int] = {}
    for penalty in ctx.penalties:
        if penalty.rule not in weights:
            weights[penalty.rule] = ctx.weight(penalty.rule, rule_by_name(penalty.rule).default_weight)
    return weights


def objective_floor(ctx: PlanningContext, rules: Collection[str] | None = None) -> int:
    """A lower bound of the plan's objective (of the penalties of `rules`, None: all) known before
    any search: a penalty that is one variable counts the least value of its domain times its
    weight (fair load's busiest holder, whose domain starts at what the seats alone force); every
    other term counts 0. `scheduler.bound` raises it with relaxations solved on their own."""
    floor = 0
    variables = ctx.model.proto.variables
    weights = _penalty_weights(ctx)
    for penalty in ctx.penalties:
        if rules is not None and penalty.rule not in rules:
            continue
        if isinstance(penalty.expr, cp_model.IntVar):
            floor += weights[penalty.rule] * variables[penalty.expr.index].domain[0]
    return floor


def placed_count(ctx: PlanningContext) -> cp_model.LinearExprT:
    """How many meetings the model places: the first objective of a partial solve. A holiday
    fortnight's meeting (`Period.optional`) is not counted: left out it is skipped, not lost."""
    return sum(occ.placed() for occ in ctx.occurrences if not occ.period.optional)


def _expand_series(ctx: PlanningContext, series: Series, filters: list[Rule], only: set[str] | None) -> None:
    config, term = ctx.config, ctx.term
    assert ctx.index.series_sites(series), f"series {series.id}: unknown unit {series.unit}"  # checked
    seats = series.seats()
    pools = {key: seat_pool(config, series, seat) for key, seat in seats}
    named = frozenset(s.person for _, s in seats if s.person is not None)
    parts = _partial_spans(series, pools)
    for period in series_periods(series, term, ctx.closed_for(series)):
        if not period.days:
            continue  # reported as a skipped period when the plan is read
        if only is not None and meeting_uid(series, term, period.index) not in only:
            continue
        site = ctx.index.site_of(series, period.index)
        assert site is not None
        span = [period.start + timedelta(days=n) for n in range((period.end - period.start).days + 1)]
        extra = {key: stand_ins(config, pools[key], seat.role, span) for key, seat in seats}
        # a named person with a substitute in this period is chosen, not fixed: either may sit
        replaced = {
            pid for subs in extra.values() for days in subs.values() for by in days.values() for pid in by
        }
        occ = Occurrence(
            index=len(ctx.occurrences),
            series=series,
            period=period,
            uid=meeting_uid(series, term, period.index),
            site=site,
            duration=series.duration_minutes,
            fixed_people=named - replaced,
            # a stand-in's part, as for anyone in the seat's pool
            parts=_partial_spans(series, {k: [*pools[k], *extra[k]] for k in pools}) if replaced else parts,
        )
        _add_options(ctx, occ, filters)
        if not occ.options:
            if not period.optional:  # a holiday fortnight's meeting with no time is just skipped
                ctx.empty_occurrences.append(occ)
            continue
        model = ctx.model
        if ctx.partial or period.optional:
            occ.present = new_bool(model, f"present[{occ.uid}]")
            model.add(sum(occ.option_vars()) == occ.present)
        else:
            model.add_exactly_one(occ.option_vars())
        values = sorted({o.absolute_start for o in occ.options} | ({0} if occ.placed_lits() else set()))
        occ.start = model.new_int_var_from_domain(cp_model.Domain.from_values(values), f"start[{occ.uid}]")
        # weighted_sum: one expression, where sum() builds one per option (the same constraint)
        starts = [o.absolute_start for o in occ.options]
        model.add(occ.start == cp_model.LinearExpr.weighted_sum(occ.option_vars(), starts))
        occ.day = cp_model.LinearExpr.weighted_sum(occ.option_vars(), [o.day_index for o in occ.options])
        for key, seat in seats:
            pool = [*pools[key], *extra[key]]
            lits = {pid: new_bool(model, f"seat[{occ.uid}|{key}|{pid}]") for pid in pool}
            choice = SeatChoice(key, seat, lits, extra[key])
            for pid in choice.stand_ins:
                for option in occ.options:
                    if not choice.may_sit(pid, option.day):
                        model.add_implication(option.var, lits[pid].negated())
            occ.seats.append(choice)
        for pid in series.optional_people:
            occ.optional[pid] = new_bool(model, f"optional[{occ.uid}|{pid}]")
        _link_attendance(ctx, occ)
        ctx.occurrences.append(occ)
        ctx.by_series[series.id].append(occ)


def _partial_spans(series: Series, pools: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """person -> (offset, minutes) for people whose every possible seat is partial: the hull of
    those parts, so whichever seat they get, what they attend is inside it."""
    duration = series.duration_minutes
    hulls: dict[str, tuple[int, int]] = {}
    for key, seat in series.seats():
        joins, leaves = seat.part.span(duration) if seat.part else (0, duration)
        for pid in pools[key]:
            first, last = hulls.get(pid, (joins, leaves))
            hulls[pid] = (min(first, joins), max(last, leaves))
    for pid in series.optional_people:
        hulls[pid] = (0, duration)
    return {pid: (a, b - a) for pid, (a, b) in hulls.items() if (a, b) != (0, duration)}


def _candidate_days(ctx: PlanningContext, series: Series, start: date, end: date) -> list[date]:
    weekdays = set(series.weekdays) | (set(WORKDAYS) if ctx.explain else set())
    days = []
    day = start
    while day <= end:
        if Weekday.of(day) in weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def _candidate_starts(ctx: PlanningContext, series: Series) -> list[int]:
    return index_of(ctx.config).start_grid(series, EXPLAIN_DAY if ctx.explain else None)


def _add_options(ctx: PlanningContext, occ: Occurrence, filters: list[Rule]) -> None:
    series = occ.series
    starts = _candidate_starts(ctx, series)
    model = ctx.model
    for day in _candidate_days(ctx, series, occ.period.start, occ.period.end):
        if not ctx.explain:  # planning: one rule that forbids a time is enough to drop it
            kept = starts
            for rule in filters:
                kept = rule.allowed_starts(ctx, occ, day, kept)
                if not kept:
                    break
            day_index, prefix = ctx.day_index(day), f"x[{occ.uid}|{day}|"  # the day's text once
            for start in kept:
                occ.options.append(Option(day, start, new_bool(model, f"{prefix}{start}]"), day_index))
            continue
        for start in starts:  # explaining: every rule's subjects, each behind its guard
            blockers = [(r, subject) for r in filters for subject in r.blocks(ctx, occ, day, start)]
            if any(not r.relaxable for r, _ in blockers):
                continue
            var = new_bool(model, f"x[{occ.uid}|{day}|{start}]")
            for rule, subject in blockers:
                guard = ctx.guard(rule.name, subject)
                assert guard is not None
                model.add_implication(var, guard.negated())
            occ.options.append(Option(day, start, var, ctx.day_index(day)))


def _link_attendance(ctx: PlanningContext, occ: Occurrence) -> None:
    """attends[p] is true exactly when p holds a seat or comes as an optional attendee."""
    model = ctx.model
    sources: dict[str, list] = {}
    for choice in occ.seats:
        for pid, lit in choice.lits.items():
            sources.setdefault(pid, []).append(lit)
    for pid, lit in occ.optional.items():
        sources.setdefault(pid, []).append(lit)
    for pid, lits in sources.items():
        if len(lits) == 1:
            occ.attends[pid] = lits[0]
            continue
        attends = new_bool(model, f"attends[{occ.uid}|{pid}]")
        model.add_bool_or(lits).only_enforce_if(attends)
        for lit in lits:
            model.add_implication(lit, attends)
        occ.attends[pid] = attends
