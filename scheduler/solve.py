"""Solve the joint model and read the plan back; every plan is re-checked by the verifier."""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ortools.sat.python import cp_model

from scheduler.bal_facts import team_guests
from scheduler.bound import relaxed_floor, ungrouped_rules
from scheduler.build import (
    build_model,
    expand_model,
    find_term,
    objective_floor,
    objective_terms,
    placed_count,
    post_rules,
)
from scheduler.config import seat_pool, series_title
from scheduler.context import Occurrence, Option, PlanningContext
from scheduler.cpsat import budget_spent, hint_all, hint_some, new_solver, solve_seconds
from scheduler.deviation import regular_count
from scheduler.gcpause import paused_gc
from scheduler.hint import GreedyStart, greedy_hint, greedy_start, occurrence_variables, repair_neighbourhood
from scheduler.index import index_of
from scheduler.lns import (
    LOAD_FACTOR,
    MIN_MEETINGS,
    ROLE_SWEEPS,
    SUBSOLVE_SECONDS,
    Incumbent,
    SearchReport,
    improve,
)
from scheduler.model import (
    Attendee,
    Meeting,
    MunicipalityConfig,
    Plan,
    PlanStats,
    PlanStatus,
    RuleCost,
    SkippedPeriod,
    Term,
    UnplacedMeeting,
)
from scheduler.rules import load_rules
from scheduler.term_dates import (
    closed_days_for,
    local_datetime,
    series_periods,
    skip_reason,
)


@dataclass(frozen=True)
class Progress:
    solutions: int
    objective: float
    best_bound: float
    elapsed: float


ProgressCallback = Callable[[Progress], None]

LNS_SHARE = 0.5
"""of the time left after the warm start, what the neighbourhood search takes (`scheduler.lns`),
after the relaxations' `BOUND_SHARE` (as a share of what they leave: where they are proven early,
the neighbourhoods get more); the full search, which proves small models optimal, has the rest,
starting from the best plan. On the example the neighbourhoods reach 641-644 within about 20 s
(2026-12-02); 0.6 before the "apart" relaxation, which needs more time than the ones before it."""

FULL_SEARCH_SECONDS = 4.0
"""the least the full search keeps after the neighbourhood search, for a bound worth showing, on
a model of at most `FULL_SEARCH_MEETINGS` meetings"""

FULL_SEARCH_MEETINGS = 400
"""above this many meetings the full search keeps no time of its own: in seconds it neither
improves nor bounds a city's plan (storby at 10 s: its 4 s left the warm start's plan as it was),
where one neighbourhood does"""

MIN_FULL_SEARCH_SECONDS = 1.0
"""with less than this left after the neighbourhoods the full search is not started: loading the
model alone takes longer on a city's (2.3 s on storby)"""

BOUND_FIRST_SECONDS = 20.0
"""with less than this left after the warm start the neighbourhoods go first and the relaxations
bound the objective after them, in place of the full search (`_bound_seconds`)"""

BOUND_SHARE = 0.4
"""of the time left after the warm start, what the relaxations that bound the objective may take
(`scheduler.bound`), before the neighbourhoods, which stop at a plan that reaches the bound (it
is optimal; so does the full search). At 60 s on the example, five seeds: bounds of 641 (its
optimum) on four and 605 on one, plans of 641-643, two of them ended as proven optimal at 37-38 s;
with the relaxations after the neighbourhoods the plans were 641-664 (2026-12-02)."""

MIN_BOUND_SECONDS = 3.0
"""below this the relaxations are not tried: the example's load relaxation needs about 1 s to be
built and 2 s to be proven (given 0.5-1 s of solve it had 432-476 of its 512; 2026-12-02), and the
time is better left to the full search"""


class PlanVerificationError(RuntimeError):
    """The verifier rejected a plan the solver returned: a bug in a rule, never the user's fault."""


@dataclass
class SolveOptions:
    time_limit: float | None = None
    workers: int | None = None
    seed: int | None = None
    verify: bool = True
    partial: bool = True
    """when not every meeting fits, place as many as possible and answer PARTIAL (else INFEASIBLE)"""
    deterministic: bool | None = None
    """the limit in work units, so the same config and seed give the same plan (None: the config's)"""


@dataclass
class HonestProgress:
    """What a solve's progress may claim, across all its phases: the best plan's objective so far
    and a lower bound that never goes down, never below 0 (every objective term is a weight times
    a count) and never above that objective.

    A phase whose bound speaks for another problem (the warm start with every choice fixed, the
    partial solve's count of meetings placed) reports none, and the bound seen so far stands."""

    objective: float | None = None
    bound: float = 0.0

    def new_objective(self) -> None:
        """The objective changes meaning (a partial solve's second phase): forget the best one."""
        self.objective = None

    def step(self, objective: float, bound: float | None) -> tuple[float, float]:
        """(objective, bound) to show after a plan with `objective` and the solver's `bound`."""
        self.objective = objective if self.objective is None else min(self.objective, objective)
        if bound is not None and math.isfinite(bound) and bound <= self.objective:
            self.bound = max(self.bound, bound)  # one above the best plan bounds something else
        self.bound = max(0.0, min(self.bound, self.objective))
        return self.objective, self.bound


class _ProgressReporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, callback: ProgressCallback | None, started: float):
        super().__init__()
        self._callback = callback
        self._started = started
        self.solutions = 0
        self.first_feasible: float | None = None
        self.honest = HonestProgress()
        self.bound_valid = True
        """whether the running solve's bound is a bound of the plan's objective"""
        self.objective: cp_model.LinearExprT | None = None
        """the plan's objective, where the running solve optimises another (placed meetings)"""
        self.stop_at: float | None = None

    def phase(
        self,
        *,
        bound_valid: bool,
        objective: cp_model.LinearExprT | None = None,
        stop_at: float | None = None,
    ) -> None:
        """Say what the next solve's objective and bound mean (see `HonestProgress`); `stop_at`: a
        proven lower bound of its objective, where a plan that reaches it ends the solve."""
        self.bound_valid, self.objective, self.stop_at = bound_valid, objective, stop_at

    def new_bound(self, floor: float) -> None:
        """A bound proven outside the running solve (`scheduler.bound`): shown at once, so the
        progress line says how close the best plan is before the neighbourhoods start."""
        before = self.honest.bound
        self.honest.bound = max(self.honest.bound, floor)
        if self._callback and self.honest.objective is not None and self.honest.bound > before:
            objective, bound = self.honest.step(self.honest.objective, None)
            self._callback(Progress(self.solutions, objective, bound, time.monotonic() - self._started))

    def on_solution_callback(self) -> None:
        self.solutions += 1
        elapsed = time.monotonic() - self._started
        if self.first_feasible is None:
            self.first_feasible = elapsed
        if self.stop_at is not None and _reaches(self.objective_value, self.stop_at):
            self.stop_search()  # proven optimal by a relaxation's bound
        if self._callback:
            value = self.objective_value if self.objective is None else float(self.value(self.objective))
            bound = self.best_objective_bound if self.bound_valid else None
            objective, best_bound = self.honest.step(value, bound)
            self._callback(Progress(self.solutions, objective, best_bound, elapsed))


def solve(
    config: MunicipalityConfig,
    term_id: str | None = None,
    options: SolveOptions | None = None,
    progress: ProgressCallback | None = None,
    booked: list[Meeting] | None = None,
) -> Plan:
    """A plan of the term. `booked`: one-off meetings already in the plan (Familiemøder and
    follow-ups); they stay where they are, everything else is planned around them, and they are
    part of the plan that comes back. The garbage collector waits meanwhile (`paused_gc`)."""
    with paused_gc():
        return _solve(config, term_id, options, progress, booked)


def _solve(
    config: MunicipalityConfig,
    term_id: str | None,
    options: SolveOptions | None,
    progress: ProgressCallback | None,
    booked: list[Meeting] | None,
) -> Plan:
    options = options or SolveOptions()
    deterministic = _deterministic(config, options)
    term = find_term(config, term_id)
    started = time.monotonic()
    ctx = expand_model(config, term, booked=booked)

    limit = options.time_limit or config.planning.time_limit_seconds
    if ctx.empty_occurrences:
        return _partial_or_infeasible(config, term, options, progress, booked, started, limit)

    greedy = greedy_start(ctx)  # before the rules: it needs only the meetings' times and seats
    reporter = _ProgressReporter(progress, started)
    first = _greedy_plan(ctx, greedy, started) if options.verify else None
    reporter.first_feasible = first.first_feasible_seconds if first is not None else None
    post_rules(ctx)
    floor = objective_floor(ctx)
    reporter.honest.bound = floor  # known before any search: the progress starts from it
    warm = _warm_start(ctx, config, options, reporter, limit, greedy, started)

    if deterministic:  # what the warm start used, in work units (seconds vary)
        spent = budget_spent(warm, started) if warm is not None else 0.0
    else:
        spent = time.monotonic() - started
    best = warm
    if warm is not None and len(ctx.occurrences) >= 2 * MIN_MEETINGS:
        before, after = _bound_seconds(limit - spent)
        if before:  # so the neighbourhoods know when to stop
            floor = max(floor, _relaxed_floor(ctx, config, options, booked, before))
            reporter.new_bound(floor)
            if not deterministic:  # their work units do not change the plan
                spent = time.monotonic() - started
        left = limit - spent
        reporter.phase(bound_valid=False)

        def search(incumbent: Incumbent, budget: float, seed: int, sweeps: int = ROLE_SWEEPS) -> SearchReport:
            return improve(
                ctx,
                incumbent,
                budget=budget,
                workers=_workers(config, options),
                seed=seed,
                deterministic=deterministic,
                callback=reporter,  # its plans are complete plans; its bound is the held part's
                subsolve_seconds=max(SUBSOLVE_SECONDS, LOAD_FACTOR * solve_seconds(warm)),
                target=floor,
                role_sweeps=sweeps,
            )

        share = LNS_SHARE / (1 - BOUND_SHARE)
        report = search(
            Incumbent(list(warm.response_proto.solution), warm.objective_value, warm),
            left - after if after else min(share * left, left - _full_search_reserve(ctx)),
            _seed(config, options),
        )
        best = report.incumbent.solver
        spent = spent + report.spent if deterministic else time.monotonic() - started
        if after and not _reaches(best.objective_value, floor):
            floor = max(floor, _relaxed_floor(ctx, config, options, booked, after))
            reporter.new_bound(floor)
            spent = spent + after if deterministic else time.monotonic() - started
            if limit - spent >= MIN_FULL_SEARCH_SECONDS and not _reaches(best.objective_value, floor):
                # what the bound left of its time: more neighbourhoods, where the full search from
                # the plan did less (stramkommune at 10 s, 5 seeds: 1,139 every seed against 1,122-1,139)
                seed = _seed(config, options) + report.iterations
                report = search(report.incumbent, limit - spent, seed, sweeps=0)
                best = report.incumbent.solver
                spent = spent + report.spent if deterministic else time.monotonic() - started
    if best is not None and _reaches(best.objective_value, floor):
        solver, status, bound = best, cp_model.OPTIMAL, None  # the bound proves it: nothing to search
    elif best is not None and limit - spent < MIN_FULL_SEARCH_SECONDS:
        solver, status, bound = best, cp_model.FEASIBLE, None  # loading the model would overrun
    else:
        solver = _solver(config, options, spent, limit)
        reporter.phase(bound_valid=True, stop_at=floor)
        status = solver.solve(ctx.model, reporter)
        bound = solver.best_objective_bound if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
        if best is not None and (
            status not in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            or solver.objective_value > best.objective_value
        ):
            solver, status = best, cp_model.FEASIBLE  # the full search ran out of time before improving
        if status == cp_model.FEASIBLE and _reaches(solver.objective_value, floor):
            status = cp_model.OPTIMAL

    if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
        return _partial_or_infeasible(config, term, options, progress, booked, started, limit)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) and first is not None:
        return _unimproved(ctx, first, started)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Plan(
            municipality=config.municipality,
            term=term.id,
            status=PlanStatus.UNKNOWN,
            solve_seconds=round(time.monotonic() - started, 3),
            explanation=[
                "Der blev ikke fundet en plan inden for tidsgrænsen; prøv en længere tidsgrænse "
                "(--time-limit)."
            ],
        )
    plan = read_plan(ctx, solver, status, started, reporter.first_feasible)
    if solver is best:
        plan.best_bound = bound  # the warm start's own bound only speaks for its fixed choices
    plan.best_bound = _valid_bound(plan.objective, max(plan.best_bound or 0.0, floor))
    return _verified(config, plan, options)


def _bound_seconds(left: float) -> tuple[float, float]:
    """The relaxations' seconds (`BOUND_SHARE` of `left`, the time after the warm start) before
    the neighbourhoods and after them. A long solve bounds first, so the search stops at a plan
    that reaches the bound; a short one (`BOUND_FIRST_SECONDS`) searches first and bounds after,
    in place of the full search: at 10 s on a 2-core machine where the warm start ended at 2-3 s,
    bounding first left the neighbourhoods 2 s and plans 9-30 % worse (2026-12-02: the example
    802-938 against 738, stramkommune 1,446-1,571 against 1,213). 0 where it is too little."""
    seconds = BOUND_SHARE * left
    if left >= BOUND_FIRST_SECONDS:
        return (seconds if seconds >= MIN_BOUND_SECONDS else 0.0), 0.0
    if left < 2 * MIN_BOUND_SECONDS:
        return 0.0, 0.0
    return 0.0, max(MIN_BOUND_SECONDS, seconds)


def _full_search_reserve(ctx: PlanningContext) -> float:
    """The seconds the full search keeps after the neighbourhoods (`FULL_SEARCH_MEETINGS`)."""
    return FULL_SEARCH_SECONDS if len(ctx.occurrences) <= FULL_SEARCH_MEETINGS else 0.0


def _greedy_plan(ctx: PlanningContext, greedy: GreedyStart, started: float) -> Plan | None:
    """The greedy's plan when it is complete and the verifier finds no hard rule broken in it:
    the solve's first plan, `first_feasible_seconds` after `started` (on a city of 1,100 meetings
    the rules take seconds to post, and the warm start to complete this same plan in the model).
    None when the greedy left a meeting out or broke a rule it does not check as the model does."""
    if greedy.left_out:
        return None
    from scheduler.verify import verify_plan

    meetings, skipped = _with_booked(ctx, read_meetings(ctx, Hinted(ctx.model, greedy.hints)))
    plan = Plan(
        municipality=ctx.config.municipality,
        term=ctx.term.id,
        status=PlanStatus.FEASIBLE,
        solve_seconds=round(time.monotonic() - started, 3),
        meetings=meetings,
        skipped=skipped,
    )
    if verify_plan(ctx.config, plan):
        return None
    plan.first_feasible_seconds = time.monotonic() - started  # rounded where a plan is returned
    return plan


UNIMPROVED_DA = (
    "Der var ikke tid til at forbedre den første plan inden for tidsgrænsen; den overholder alle "
    "faste regler. Prøv en længere tidsgrænse (--time-limit) for en bedre plan."
)


def _unimproved(ctx: PlanningContext, first: Plan, started: float) -> Plan:
    """The greedy's verified plan (`_greedy_plan`) where the solver did not even complete it in
    the model within the limit (a city's model on a loaded machine, 2026-12-04: ×10 at 5 s ended
    UNKNOWN on one seed of two): a plan that keeps every hard rule, not none. Its soft rules'
    costs are not known without the model's solution, so it has no objective."""
    booked = {m.uid for m in ctx.booked}
    series_meetings = [m for m in first.meetings if m.uid not in booked]
    return first.model_copy(
        update={
            "solve_seconds": round(time.monotonic() - started, 3),
            "first_feasible_seconds": round(first.first_feasible_seconds or 0.0, 3),
            "stats": plan_stats(ctx.config, ctx.term, series_meetings),
            "explanation": [UNIMPROVED_DA],
        }
    )


def _relaxed_floor(
    ctx: PlanningContext,
    config: MunicipalityConfig,
    options: SolveOptions,
    booked: list[Meeting] | None,
    seconds: float,
) -> int:
    """The relaxations' bound of the plan's objective (`scheduler.bound`), with what the domains
    of the rules in no relaxation force."""
    grouped = relaxed_floor(
        config,
        ctx.term,
        booked,
        seconds=seconds,
        workers=_workers(config, options),
        seed=_seed(config, options),
        deterministic=_deterministic(config, options),
    )
    return grouped + objective_floor(ctx, ungrouped_rules())


def _reaches(objective: float, floor: float) -> bool:
    """Whether a plan's objective is down at a proven lower bound: the plan is optimal. Every
    term is an integer weight times a count, so a fraction below is solver rounding."""
    return objective <= floor + 1e-6


def _valid_bound(objective: float | None, bound: float | None) -> float | None:
    """A plan's lower bound as it may be shown: at least 0 (every term is a weight times a count),
    at most the plan's objective; None when there is no objective."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return max(0.0, min(bound, objective))


def _verified(config: MunicipalityConfig, plan: Plan, options: SolveOptions) -> Plan:
    if options.verify:
        from scheduler.verify import format_violations, verify_plan

        violations = verify_plan(config, plan)
        if violations:
            raise PlanVerificationError(format_violations(violations))
    return plan


WARM_START_SECONDS = 5.0
"""The least wall time the warm start may take to complete the greedy plan (about 0.3 s of CPU
on the bundled example, 2.6 s on a 1,000-meeting city): a plan a little after the limit beats none."""

PLACE_SHARE = 0.5
"""Share of a partial solve's time for the first objective (most meetings placed); the rest
minimises the soft rules with that many placed."""


def _partial_or_infeasible(
    config: MunicipalityConfig,
    term: Term,
    options: SolveOptions,
    progress: ProgressCallback | None,
    booked: list[Meeting] | None,
    started: float,
    limit: float,
) -> Plan:
    """Not every meeting fits: place as many as possible, then the soft rules (lexicographic, two
    solves), and list the rest with their reasons. INFEASIBLE only when none can be placed."""
    if not options.partial:
        return _infeasible(config, term.id, started, options)
    elapsed = 0.0 if _deterministic(config, options) else time.monotonic() - started
    budget = max(2.0, limit - elapsed)
    ctx = build_model(config, term, booked=booked, partial=True)
    reporter = _ProgressReporter(progress, started)
    greedy_hint(ctx)
    soft = objective_terms(ctx)
    most = place_most(
        ctx,
        sum(soft) if soft else 0,
        lambda seconds: _solver(config, options, 0.0, seconds),
        budget,
        reporter,
    )
    if most is None:
        return _infeasible(config, term.id, started, options)
    plan = read_plan(ctx, most.solver, most.status, started, reporter.first_feasible)
    plan.best_bound = _valid_bound(plan.objective, plan.best_bound) if most.minimised else None
    return _verified(config, with_unplaced(ctx, most, plan, booked), options)


@dataclass
class MostPlaced:
    """The answer of a partial solve (`place_most`): the solver holding it and what it proved."""

    solver: cp_model.CpSolver
    status: cp_model.CpSolverStatus
    placed: int
    proven: bool
    """no plan places more meetings (the first solve was optimal)"""
    minimised: bool = True
    """the solver holds the second solve (its objective and bound are `objective`'s); False when
    only the first (the count of meetings placed) found a plan"""

    def left_out(self, ctx: PlanningContext) -> list[Occurrence]:
        """The meetings missing from the plan; a holiday fortnight's left out is skipped, not missing."""
        return [o for o in ctx.occurrences if not o.period.optional and not _is_placed(self.solver, o)]


def place_most(
    ctx: PlanningContext,
    objective: cp_model.LinearExprT,
    make_solver: Callable[[float], cp_model.CpSolver],
    budget: float,
    callback: _ProgressReporter | None = None,
) -> MostPlaced | None:
    """The lexicographic partial solve of a partial-mode model: first the most meetings placed
    (`PLACE_SHARE` of `budget`, from the model's hints), then `objective` minimised with that many
    placed. One home for a fresh plan (the soft rules) and a replanning (the cost of change too).
    Adds the bound on the placed count to the model (a caller that reuses it removes it). None when
    no meeting can be placed (or none was found in time). `make_solver`'s budget is work units
    where its solvers are deterministic, and the second solve gets what the first left of it."""
    started = time.monotonic()
    model = ctx.model
    model.maximize(placed_count(ctx))
    solver = make_solver(budget * PLACE_SHARE)
    if callback is not None:  # the first solve counts meetings: show the plan's objective, no bound
        callback.phase(bound_valid=False, objective=objective)
    status = solver.solve(model, callback)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or round(solver.objective_value) == 0:
        return None
    best = round(solver.objective_value)
    proven = status == cp_model.OPTIMAL
    model.add(placed_count(ctx) >= best)
    model.minimize(objective)
    hint_all(model, list(solver.response_proto.solution))
    second = make_solver(budget - budget_spent(solver, started))
    if callback is not None:
        callback.honest.new_objective()  # the second phase's plans place the most: a new best
        callback.phase(bound_valid=True)
    second_status = second.solve(model, callback)
    if second_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return MostPlaced(second, second_status, best, proven)
    return MostPlaced(solver, status, best, proven, minimised=False)


def with_unplaced(
    ctx: PlanningContext,
    most: MostPlaced,
    plan: Plan,
    booked: list[Meeting] | None,
    reasons: dict[str, str] | None = None,
) -> Plan:
    """The plan read from a partial solve, made PARTIAL: each meeting left out (and each with no
    possible time) listed with its reason, and the explanation's summary. `reasons`: uid -> a
    reason the caller knows better than `why_unplaced` (a replanning's pinned time)."""
    from scheduler.explain import why_unplaced

    plan.status = PlanStatus.PARTIAL
    placed = [m for m in plan.meetings if not m.one_off]
    missing = most.left_out(ctx) + ctx.empty_occurrences
    explained = why_unplaced(ctx.config, ctx.term, missing, placed, booked, reasons)
    plan.unplaced = sorted(explained, key=lambda u: (u.period_start, u.series, u.occurrence))
    plan.explanation = partial_explanation(len(placed), plan.unplaced, most.proven)
    return plan


PARTIAL_LIST_INTRO = " Disse mangler:"
"""The end of a PARTIAL plan's headline, before its list of reasons (a view without the list drops it)."""


def partial_explanation(placed: int, unplaced: list[UnplacedMeeting], proven: bool = True) -> list[str]:
    """A PARTIAL plan's explanation: how many of its meetings are planned, then each missing one's
    reason (`proven` false: more might fit with more time)."""
    return [
        f"Ikke alle møder kan placeres: {placed} af {placed + len(unplaced)} møder er planlagt"
        + ("" if proven else " (flere kan måske placeres med en længere tidsgrænse)")
        + "."
        + PARTIAL_LIST_INTRO,
        *(f"- {reason}" for u in unplaced for reason in u.reason_da[:1]),
    ]


def _solver(
    config: MunicipalityConfig,
    options: SolveOptions,
    elapsed: float,
    limit: float,
    fix_to_hints: bool = False,
    first_solution: bool = False,
) -> cp_model.CpSolver:
    return new_solver(
        time_limit=limit - elapsed,
        workers=_workers(config, options),
        seed=_seed(config, options),
        fix_to_hints=fix_to_hints,
        first_solution=first_solution,
        deterministic=_deterministic(config, options),
    )


def _workers(config: MunicipalityConfig, options: SolveOptions) -> int:
    return options.workers or config.planning.workers


def _seed(config: MunicipalityConfig, options: SolveOptions) -> int:
    return config.planning.seed if options.seed is None else options.seed


def _deterministic(config: MunicipalityConfig, options: SolveOptions) -> bool:
    return config.planning.deterministic if options.deterministic is None else options.deterministic


def _warm_start(
    ctx: PlanningContext,
    config: MunicipalityConfig,
    options: SolveOptions,
    reporter: _ProgressReporter,
    limit: float,
    greedy: GreedyStart,
    started: float,
) -> cp_model.CpSolver | None:
    """Complete the greedy plan into a model solution, then hint the full search with all of it.

    With every choice fixed to the greedy's, CP-SAT only fills in the bookkeeping variables
    (patterns, penalties), which takes a fraction of a second even on the 10x instance. The
    full search then starts from a complete, feasible solution instead of presolving blind.

    Where the greedy left meetings out (it never backtracks), the meetings around them are
    freed (`repair_neighbourhood`: first those sharing a person or the site in an overlapping
    period, then every meeting in such a period) and the rest stays fixed: a small search that
    fits them in, instead of a cold start on the whole term. None when no repair completes.
    """
    model = ctx.model
    greedy_hints = dict(zip(model.proto.solution_hint.vars, model.proto.solution_hint.values, strict=True))
    rounds = [False, True] if greedy.left_out else [None]
    # it stops as soon as the plan is complete; on a loaded machine it may take what is left
    budget = (
        limit / 4
        if _deterministic(config, options)
        else max(WARM_START_SECONDS, limit / 4, limit - (time.monotonic() - started))
    )
    for wide in rounds:
        if wide is not None:
            freed = {
                v.index
                for occ in repair_neighbourhood(ctx, greedy.left_out, wide)
                for v in occurrence_variables(occ)
            }
            hint_some(model, {index: value for index, value in greedy_hints.items() if index not in freed})
        repair = wide is not None  # a plan that fits the freed meetings in will do: the search improves it
        solver = _solver(config, options, 0.0, budget, fix_to_hints=True, first_solution=repair)
        reporter.phase(bound_valid=False)  # its bound speaks for the greedy's choices only
        status = solver.solve(model, reporter)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            hint_all(model, list(solver.response_proto.solution))
            return solver
    if greedy.left_out:  # the cold search starts from what the greedy did place
        hint_some(model, greedy_hints)
    return None


def _infeasible(config: MunicipalityConfig, term_id: str, started: float, options: SolveOptions) -> Plan:
    from scheduler.explain import explain_infeasibility

    reasons = explain_infeasibility(config, term_id, time_limit=options.time_limit)
    return Plan(
        municipality=config.municipality,
        term=term_id,
        status=PlanStatus.INFEASIBLE,
        solve_seconds=round(time.monotonic() - started, 3),
        explanation=reasons,
    )


def _is_placed(values: Values, occ: Occurrence) -> bool:
    return occ.present is True or bool(values.boolean_value(occ.present))


def _chosen_option(values: Values, occ: Occurrence) -> Option:
    for option in occ.options:
        if values.boolean_value(option.var):
            return option
    raise AssertionError(f"no option chosen for {occ.uid}")


class Values(Protocol):
    """Where a plan is read from: a solver's solution, or a greedy plan's hints (`Hinted`)."""

    def boolean_value(self, literal: cp_model.LiteralT) -> bool: ...


class Hinted:
    """Hints as a solution to read a plan from: a greedy plan before any solve. `hints`: proto
    index to value, where they are at hand (`GreedyStart.hints`); else the model's own."""

    def __init__(self, model: cp_model.CpModel, hints: Mapping[int, int] | None = None):
        if hints is None:
            hint = model.proto.solution_hint
            hints = dict(zip(hint.vars, hint.values, strict=True))
        self._values = hints

    def boolean_value(self, literal: cp_model.LiteralT) -> bool:
        index: int | None = getattr(literal, "index", None)
        if index is None:
            return bool(literal)  # a constant: a meeting that is always placed
        return bool(self._values.get(index, 0)) if index >= 0 else not self._values.get(-index - 1, 0)


def read_plan(
    ctx: PlanningContext,
    solver: cp_model.CpSolver,
    status: cp_model.CpSolverStatus,
    started: float,
    first_feasible: float | None,
) -> Plan:
    config, term = ctx.config, ctx.term
    series_meetings = read_meetings(ctx, solver)
    meetings, skipped = _with_booked(ctx, series_meetings)
    rule_costs = _rule_costs(ctx, solver)
    return Plan(
        municipality=config.municipality,
        term=term.id,
        status=PlanStatus.OPTIMAL if status == cp_model.OPTIMAL else PlanStatus.FEASIBLE,
        objective=solver.objective_value,
        best_bound=solver.best_objective_bound,
        solve_seconds=round(time.monotonic() - started, 3),
        first_feasible_seconds=round(first_feasible, 3) if first_feasible is not None else None,
        rule_costs=rule_costs,
        stats=plan_stats(config, term, sorted(series_meetings, key=lambda m: (m.start, m.uid))),
        meetings=meetings,
        skipped=skipped,
    )


def _with_booked(
    ctx: PlanningContext, series_meetings: list[Meeting]
) -> tuple[list[Meeting], list[SkippedPeriod]]:
    """A plan's meetings, the series' and the booked ones in time order, and the periods it skips."""
    meetings = series_meetings + [m.model_copy(deep=True) for m in ctx.booked]
    meetings.sort(key=lambda m: (m.start, m.uid))
    held = {(m.series, m.occurrence) for m in series_meetings}
    return meetings, skipped_periods(ctx.config, ctx.term, held)


def read_meetings(ctx: PlanningContext, values: Values) -> list[Meeting]:
    """The term's meetings as `values` place them (the booked ones not among them)."""
    config = ctx.config
    meetings: list[Meeting] = []
    rooms = _rooms(ctx, values)
    for occ in ctx.occurrences:
        if not _is_placed(values, occ):
            continue  # partial mode: listed in `unplaced` by the caller
        chosen = _chosen_option(values, occ)
        day, start = chosen.day, chosen.start
        attendees: list[Attendee] = []
        seated: set[str] = set()
        for choice in occ.seats:
            for pid, lit in choice.lits.items():
                if values.boolean_value(lit):
                    role = choice.seat.role or ctx.people[pid].roles[0]
                    joins, leaves = choice.seat.part.span(occ.duration) if choice.seat.part else (None, None)
                    attendees.append(
                        Attendee(
                            person=pid,
                            role=role,
                            required=True,
                            seat=choice.key,
                            joins_after_minutes=joins,
                            leaves_after_minutes=leaves,
                        )
                    )
                    seated.add(pid)
        for pid, lit in occ.optional.items():
            if pid not in seated and values.boolean_value(lit):
                attendees.append(
                    Attendee(person=pid, role=ctx.people[pid].roles[0], required=False, seat="optional")
                )
        meetings.append(
            Meeting(
                uid=occ.uid,
                series=occ.series.id,
                occurrence=occ.period.index,
                title=series_title(config, occ.series),
                unit=occ.series.unit,
                site=occ.site,
                start=local_datetime(day, start),
                end=local_datetime(day, start + occ.duration),
                attendees=attendees,
                room=rooms.get(occ.uid),
                guests=team_guests(config, occ.series),
            )
        )
    return meetings


def skipped_periods(
    config: MunicipalityConfig, term: Term, held: set[tuple[str, int]]
) -> list[SkippedPeriod]:
    """The periods a plan holding `held` (series id, period index) skips, each with its reason:
    no open day, or a holiday fortnight left out (its meeting would be off the rhythm)."""
    skipped = []
    for series in index_of(config).active_series(term):
        closed = closed_days_for(config, term, series)
        skipped += [
            SkippedPeriod(
                series=series.id,
                occurrence=period.index,
                period_start=period.start,
                period_end=period.end,
                reason=skip_reason(period, closed, series),
            )
            for period in series_periods(series, term, closed)
            if not period.days or (period.optional and (series.id, period.index) not in held)
        ]
    return skipped


def _rooms(ctx: PlanningContext, values: Values) -> dict[str, str]:
    """Each meeting's room: the chosen one, or where rooms were only counted, the first room free
    (in start order this never needs more rooms than the site has, since the count held)."""
    out: dict[str, str] = {}
    counted: dict[str, list[Occurrence]] = defaultdict(list)
    for occ in ctx.occurrences:
        if not _is_placed(values, occ):
            continue
        chosen = [room for room, lit in occ.rooms.items() if values.boolean_value(lit)]
        if chosen:
            out[occ.uid] = chosen[0]
        else:
            counted[occ.site].append(occ)
    for site_id, occs in counted.items():
        taken: dict[str, list[tuple[int, int]]] = {room.id: [] for room in ctx.sites[site_id].room_list}
        for meeting in ctx.booked:  # a booked meeting keeps its room
            if meeting.site == site_id and meeting.room in taken:
                taken[meeting.room].append(ctx.span_of(meeting))
        starts = {o.uid: _chosen_option(values, o).absolute_start for o in occs}
        for occ in sorted(occs, key=lambda o: starts[o.uid]):
            start, end = starts[occ.uid], starts[occ.uid] + occ.duration
            free = (r for r, spans in taken.items() if all(e <= start or end <= s for s, e in spans))
            room = next(free, None)
            if room is None:
                continue  # cannot happen when the cumulative held; the verifier would say so
            out[occ.uid] = room
            taken[room].append((start, end))
    return out


def _rule_costs(ctx: PlanningContext, solver: cp_model.CpSolver) -> list[RuleCost]:
    violations: Counter[str] = Counter()
    for penalty in ctx.penalties:
        violations[penalty.rule] += int(solver.value(penalty.expr))
    costs = []
    for rule in load_rules():
        weight = ctx.weight(rule.name, rule.default_weight) if rule.level == "soft" else 0
        count = violations.get(rule.name, 0)
        costs.append(
            RuleCost(
                rule=rule.name,
                title_da=rule.title_da,
                level=rule.level,
                weight=weight,
                violations=count,
                cost=weight * count,
            )
        )
    return costs


def plan_stats(config: MunicipalityConfig, term: Term, meetings: list[Meeting]) -> PlanStats:
    """Regularity and continuity as users see them, computed from the meetings alone."""
    series_by_id = index_of(config).series
    by_series: dict[str, list[Meeting]] = defaultdict(list)
    for m in meetings:
        by_series[m.series].append(m)
    regular = counted = 0
    kept = seats = 0
    for series_id, series_meetings in by_series.items():
        if len(series_meetings) < 2:
            continue
        series = series_by_id[series_id]
        regular += regular_count(config, term, series, series_meetings)  # the summary's deviations agree
        counted += len(series_meetings)
        # a named substitute (outside the seat's pool) sits in for its holder: not counted, as in the rule
        continuity_seats = {
            key: set(seat_pool(config, series, seat))
            for key, seat in series.seats()
            if seat.person is None and not seat.rota
        }
        holders: dict[str, Counter[str]] = defaultdict(Counter)
        for m in series_meetings:
            for a in m.attendees:
                if a.seat in continuity_seats and a.person in continuity_seats[a.seat]:
                    holders[a.seat][a.person] += 1
        for counter in holders.values():
            kept += counter.most_common(1)[0][1]
            seats += sum(counter.values())
    return PlanStats(
        meetings=len(meetings),
        regularity_pct=round(100 * regular / counted, 1) if counted else 100.0,
        continuity_pct=round(100 * kept / seats, 1) if seats else 100.0,
    )
