"""The one place CP-SAT's parameters are set, so a plan, a proposal and an explanation are solved
the same way (and a change of setting is one change)."""

from __future__ import annotations

from ortools.sat.python import cp_model

MIN_TIME_LIMIT = 0.5


def new_solver(
    *, time_limit: float, workers: int, seed: int, log: bool = False, fix_to_hints: bool = False
) -> cp_model.CpSolver:
    """A CP-SAT solver with our settings: at least half a second, `workers` threads, a fixed seed.

    Probing costs seconds of presolve on these models and buys little once the search starts
    from a complete plan (every solve here is warm-started), so it is off. `fix_to_hints` holds
    every hinted variable at its hint: a warm start completes a greedy plan instead of searching.
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.cp_model_probing_level = 0
    params.max_time_in_seconds = max(MIN_TIME_LIMIT, time_limit)
    params.num_workers = max(1, workers)
    params.random_seed = seed
    params.log_search_progress = log
    params.fix_variables_to_their_hinted_value = fix_to_hints
    return solver
