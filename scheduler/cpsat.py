"""The one place CP-SAT's parameters are set, so a plan, a proposal and an explanation are solved
the same way (and a change of setting is one change)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from ortools.sat.python import cp_model

MIN_TIME_LIMIT = 0.5

WORK_UNITS_PER_SECOND = 0.5
"""Deterministic mode: CP-SAT's work units a second of the time limit buys. A unit is meant to be
about a second, but on the bundled example with two workers on the 2-core development machine
one unit took 1.3-2.5 s (the most at the start: presolve, the first LP), so a limit of 60 s is
30 units, which took 44 s there (2026-12-01)."""

WALL_CAP_FACTOR = 5.0
"""Deterministic mode: the wall clock may run this many times the limit before it stops the
search anyway (a safety cap on a slow or loaded machine; a run stopped by it is no longer
reproducible)."""


DETERMINISTIC_SKIPS = ("max_lp", "max_lp_sym")
"""Deterministic mode: CP-SAT workers left out of the interleaved search (see `new_solver`); the
bound is a little weaker, the plans far better (the example at 20 s: objective 991 -> 762)."""

BOUND_SUBSOLVERS = ("max_lp", "objective_shaving")
"""the workers of a search for a bound, not a plan (`new_solver(bound_search=True)`): the fullest LP
and shaving of the objective's lower end. On the relaxation "apart" (`scheduler.bound`) with two
workers they proved lilleby in 1 s, stramkommune in 10 s and the example×2 once of two in 14 s,
where CP-SAT's default pair (LP search and a first-solution heuristic) proved none within 30 s and
stopped near the LP root's first bound (the example 553-594 against its optimum 641; 2026-12-02)."""


_BOOLEAN = cp_model.Domain(0, 1)
_DIRECT_INT_VAR = hasattr(cp_model.IntVar, "with_domain") and hasattr(cp_model.IntVar, "with_name")
"""whether this ortools makes an `IntVar` on the proto directly (9.15 does), for `new_bool`"""


def new_bool(model: cp_model.CpModel, name: str) -> cp_model.IntVar:
    """`model.new_bool_var(name)` with one shared 0-1 domain instead of a new one each time: a
    third less time where a city's model makes 140,000 of them (ortools 9.15, 100,000 literals:
    0.32 s against 0.21 s). Where this ortools' `IntVar` cannot be made so, the usual call."""
    if _DIRECT_INT_VAR:
        return cp_model.IntVar(model.proto).with_name(name).with_domain(_BOOLEAN)
    return model.new_bool_var(name)


def new_solver(
    *,
    time_limit: float,
    workers: int,
    seed: int,
    log: bool = False,
    fix_to_hints: bool = False,
    deterministic: bool = False,
    first_solution: bool = False,
    bound_search: bool = False,
) -> cp_model.CpSolver:
    """A CP-SAT solver with our settings: at least half a second, `workers` threads, a fixed seed.

    Probing costs seconds of presolve on these models and buys little once the search starts
    from a complete plan (every solve here is warm-started), so it is off. `fix_to_hints` holds
    every hinted variable at its hint: a warm start completes a greedy plan instead of searching.
    `first_solution`: stop at the first plan (a repair that only has to make the plan complete).
    `bound_search`: the workers prove a lower bound (`BOUND_SUBSOLVERS`; one worker: the full LP),
    for a relaxation whose plans nobody uses.

    `deterministic`: `time_limit` buys a fixed amount of CP-SAT's work (deterministic time,
    `WORK_UNITS_PER_SECOND`) instead of seconds, so where the search stops does not depend on
    the machine's load;
    with several workers the search is interleaved in fixed batches (`interleave_search`, the
    only setting that makes parallel CP-SAT a function of its input). The wall clock stays a cap
    at `WALL_CAP_FACTOR` times the limit.
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.cp_model_probing_level = 0
    limit = max(MIN_TIME_LIMIT, time_limit)
    params.max_time_in_seconds = limit * WALL_CAP_FACTOR if deterministic else limit
    params.num_workers = max(1, workers)
    params.random_seed = seed
    params.log_search_progress = log
    params.fix_variables_to_their_hinted_value = fix_to_hints
    params.stop_after_first_solution = first_solution
    if bound_search and params.num_workers > 1:
        params.subsolvers.extend(BOUND_SUBSOLVERS[: params.num_workers])
    elif bound_search:
        params.linearization_level = 2  # what max_lp is: the bound rises fastest (the example: 608 in 2 s)
    if deterministic:
        params.max_deterministic_time = limit * WORK_UNITS_PER_SECOND
        params.interleave_search = params.num_workers > 1  # one worker is sequential already
        # interleaved, the LP-heavy full-problem workers took 9.7 of 10 units on the example and
        # the LNS workers none: the greedy's plan came back unimproved (2026-12-01)
        if not bound_search:
            params.ignore_subsolvers.extend(DETERMINISTIC_SKIPS)
    return solver


def is_deterministic(solver: cp_model.CpSolver) -> bool:
    """Whether the solver's limit is in work units (made by `new_solver(deterministic=True)`)."""
    return not math.isinf(solver.parameters.max_deterministic_time)


def budget_spent(solver: cp_model.CpSolver, started: float) -> float:
    """What a finished solve used of its time limit, in the limit's seconds: its work units in
    deterministic mode (the same on every run), else the seconds since `started` (a monotonic
    clock reading)."""
    if is_deterministic(solver):
        return float(solver.response_proto.deterministic_time) / WORK_UNITS_PER_SECOND
    return time.monotonic() - started


def solve_seconds(solver: cp_model.CpSolver) -> float:
    """What a finished solve took, in the limit's seconds: its work units in deterministic mode,
    else its own wall time."""
    if is_deterministic(solver):
        return float(solver.response_proto.deterministic_time) / WORK_UNITS_PER_SECOND
    return float(solver.wall_time)


def hint_all(model: cp_model.CpModel, values: Sequence[int]) -> None:
    """Every variable of the model hinted at `values` (a solution's, in proto order), written to
    the proto at once: 100,000 `add_hint` calls take a third of a second."""
    model.clear_hints()
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def hint_some(model: cp_model.CpModel, hints: Mapping[int, int]) -> None:
    """The model's hints replaced by `hints` (proto index: value), written at once as `hint_all`."""
    model.clear_hints()
    hint = model.proto.solution_hint
    hint.vars.extend(hints.keys())
    hint.values.extend(hints.values())


class HintWriter:
    """Hints gathered literal by literal and written to the proto at once (`flush`): the greedy
    hints every option and seat of the city's 1,100 meetings, 56,000 `add_hint` calls that took
    0.28 s of its 0.75 s (2026-12-04)."""

    def __init__(self) -> None:
        self.values: dict[int, int] = {}

    def add(self, literal: cp_model.IntVar, value: bool) -> None:
        index = literal.index
        if index >= 0:
            self.values[index] = int(value)
        else:  # a negated literal: its variable at the other value
            self.values[-index - 1] = int(not value)

    def flush(self, model: cp_model.CpModel) -> dict[int, int]:
        """The model's hints replaced by the gathered ones (one value per variable, the last given),
        which are returned (reading them back from the proto takes a city 0.1 s)."""
        written, self.values = self.values, {}
        hint_some(model, written)
        return written


class Holds:
    """Variables of a model held at values, one neighbourhood after another: each `hold` writes
    only the domains that differ from the last one's (a variable newly held, held at another
    value, or let go), and `release` gives every domain back. Saving and narrowing all of
    stramkommune's 18,000 decision variables per neighbourhood took 0.25 s of its 0.45 s, more
    than the solve (2026-12-02)."""

    def __init__(self, model: cp_model.CpModel):
        self._variables = model.proto.variables
        self._original: dict[int, list[int]] = {}
        self._held: dict[int, int] = {}

    def hold(self, fixed: Mapping[int, int]) -> None:
        """From now on exactly the variables `fixed` names (proto index -> value) are held."""
        for index in [index for index in self._held if index not in fixed]:
            self._restore(index)
        for index, value in fixed.items():
            if self._held.get(index) == value:
                continue
            domain = self._variables[index].domain
            if index not in self._original:
                self._original[index] = list(domain)
            domain.clear()
            domain.extend([value, value])
            self._held[index] = value

    def release(self) -> None:
        """Every held variable's domain as it was."""
        for index in list(self._held):
            self._restore(index)

    def _restore(self, index: int) -> None:
        domain = self._variables[index].domain
        domain.clear()
        domain.extend(self._original[index])
        del self._held[index]


@contextmanager
def held(model: cp_model.CpModel, fixed: Mapping[int, int]) -> Iterator[None]:
    """The variables `fixed` names (proto index -> value) held at those values for the solves
    inside, their domains given back after: a neighbourhood's solve is the whole model with the
    rest of the best solution fixed, without copying the model."""
    holds = Holds(model)
    try:
        holds.hold(fixed)
        yield
    finally:
        holds.release()
