"""Why is there no plan? A small set of rules and people that cannot all hold at once.

The model is rebuilt in explain mode, where every relaxable constraint sits behind an assumption
literal (a person's availability, a series' weekdays, window, cadence, a seat). CP-SAT returns
assumptions sufficient for infeasibility; we shrink that set by dropping one assumption at a time
while the rest stays infeasible, and phrase what is left in Danish through each rule's `describe`.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from scheduler.build import build_model, find_term
from scheduler.context import PlanningContext
from scheduler.model import MunicipalityConfig
from scheduler.rules import rule_by_name

MINIMIZE_BUDGET_SECONDS = 20.0


def _solve_with(
    ctx_model: cp_model.CpModel, assumptions: list[cp_model.IntVar], time_limit: float
) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    ctx_model.clear_assumptions()
    ctx_model.add_assumptions(assumptions)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1  # cores from assumptions need a single worker
    solver.parameters.cp_model_probing_level = 0  # probing costs more than it saves here
    return solver.solve(ctx_model), solver


def infeasible_core(
    config: MunicipalityConfig, term_id: str | None = None, time_limit: float | None = None
) -> tuple[PlanningContext, list[tuple[str, str]] | None]:
    """(rule, subject) pairs that together admit no plan; None if no core was found."""
    term = find_term(config, term_id)
    ctx = build_model(config, term, explain=True)
    by_index = {lit.index: key for key, lit in ctx.guards.items()}
    assumptions = list(ctx.guards.values())
    limit = time_limit or config.planning.time_limit_seconds
    status, solver = _solve_with(ctx.model, assumptions, limit)
    if status != cp_model.INFEASIBLE:
        return ctx, None
    core = [lit for lit in assumptions if lit.index in set(solver.sufficient_assumptions_for_infeasibility())]

    deadline = time.monotonic() + MINIMIZE_BUDGET_SECONDS
    i = 0
    while i < len(core) and time.monotonic() < deadline:
        trial = core[:i] + core[i + 1 :]
        status, _ = _solve_with(ctx.model, trial, min(5.0, max(0.5, deadline - time.monotonic())))
        if status == cp_model.INFEASIBLE:
            core = trial
        else:
            i += 1
    return ctx, [by_index[lit.index] for lit in core]


def explain_infeasibility(
    config: MunicipalityConfig, term_id: str | None = None, time_limit: float | None = None
) -> list[str]:
    """Danish sentences: a headline, then one line per rule and person involved."""
    ctx, core = infeasible_core(config, term_id, time_limit)
    if core is None:
        return [
            "Der findes ingen plan, men årsagen kunne ikke indkredses inden for tidsgrænsen; "
            "prøv en længere tidsgrænse."
        ]
    if not core:
        return [
            "Der findes ingen plan, selv uden mødepligt og tidsrum: helligdage, ferier, lokaler og "
            "transporttid levner ikke plads til møderne."
        ]
    lines = ["Der findes ingen plan, fordi disse krav ikke kan opfyldes på samme tid:"]
    for rule_name, subject in sorted(core):
        lines.append("- " + rule_by_name(rule_name).describe(ctx, subject))
    return lines
