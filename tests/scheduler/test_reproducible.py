"""Reproducible solves and honest progress: the same config and seed in deterministic mode give the
same plan; the progress a user sees never shows a bound that goes down, below 0 or above the plan's
objective; a leader reads 'X % fra det bedst mulige' only where it is true."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from api.cli import progress_text
from scheduler.build import build_model, find_term, objective_floor
from scheduler.config import load_config
from scheduler.cpsat import WORK_UNITS_PER_SECOND, budget_spent, is_deterministic, new_solver
from scheduler.danish import distance_da, distance_pct
from scheduler.model import MunicipalityConfig, Plan
from scheduler.solve import HonestProgress, Progress, SolveOptions, solve
from tests.builders import EXAMPLE, TWO_DISTRICTS_FILE


def _fingerprint(plan: Plan) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """Meeting times and attendees: what two equal plans share."""
    return [
        (m.uid, m.start.isoformat(), m.end.isoformat(), sorted((a.person, a.seat) for a in m.attendees))
        for m in plan.meetings
    ]


def _deterministic(config: MunicipalityConfig) -> MunicipalityConfig:
    """The config with `planning.deterministic: true` and two workers."""
    planning = config.planning.model_copy(update={"deterministic": True, "workers": 2})
    return config.model_copy(update={"planning": planning})


def _twice(config: MunicipalityConfig, options: SolveOptions) -> tuple[Plan, Plan]:
    return solve(config, options=options), solve(config, options=options)


# --------------------------------------------------------------------------- deterministic mode


def test_new_solver_deterministic_counts_work_units_and_keeps_a_wall_cap() -> None:
    plain = new_solver(time_limit=10, workers=2, seed=3)
    assert not is_deterministic(plain) and not plain.parameters.interleave_search
    solver = new_solver(time_limit=10, workers=2, seed=3, deterministic=True)
    assert is_deterministic(solver)
    assert solver.parameters.max_deterministic_time == 10 * WORK_UNITS_PER_SECOND
    assert solver.parameters.interleave_search  # parallel CP-SAT is deterministic only interleaved
    assert solver.parameters.max_time_in_seconds > 10  # the wall clock is only a safety cap
    single = new_solver(time_limit=10, workers=1, seed=3, deterministic=True)
    assert not single.parameters.interleave_search  # one worker is sequential already


def test_budget_spent_is_work_units_in_deterministic_mode() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    from scheduler.build import build_model, find_term

    ctx = build_model(config, find_term(config, None))
    solver = new_solver(time_limit=2, workers=1, seed=0, deterministic=True)
    solver.solve(ctx.model)
    spent = budget_spent(solver, started=0.0)  # a clock reading of 0 would give hours of seconds
    assert spent == solver.response_proto.deterministic_time / WORK_UNITS_PER_SECOND <= 2.1


@pytest.mark.parametrize("workers", [1, 2])
def test_deterministic_solves_of_the_same_config_and_seed_give_the_same_plan(workers: int) -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    first, second = _twice(config, SolveOptions(time_limit=2, workers=workers, seed=4, deterministic=True))
    assert first.meetings and _fingerprint(first) == _fingerprint(second)
    assert (first.objective, first.best_bound) == (second.objective, second.best_bound)


def test_the_config_switches_deterministic_mode_on() -> None:
    config = _deterministic(load_config(TWO_DISTRICTS_FILE))
    first, second = _twice(config, SolveOptions(time_limit=2, seed=1))
    assert _fingerprint(first) == _fingerprint(second)


@pytest.mark.solve
@pytest.mark.parametrize("workers", [1, 2])
def test_a_solve_stopped_by_its_limit_is_reproducible_in_deterministic_mode(workers: int) -> None:
    """The example is not proven in a second's work: where the search stops must not depend on
    the machine's load (a wall-clock limit would make the two plans differ)."""
    config = load_config(EXAMPLE)
    options = SolveOptions(time_limit=2, workers=workers, seed=1, deterministic=True)
    first, second = _twice(config, options)
    assert first.status.value == "FEASIBLE"
    assert _fingerprint(first) == _fingerprint(second)
    assert first.objective == second.objective


# --------------------------------------------------------------------------- honest progress


def test_honest_progress_never_lowers_the_bound_nor_shows_it_below_0_or_above_the_objective() -> None:
    honest = HonestProgress()
    stream: list[tuple[float, float | None]] = [
        (900, -1190),  # CP-SAT's first bound from the variables' domains alone
        (800, 150),
        (780, 120),  # another phase's weaker bound
        (790, None),  # a phase whose bound speaks for another problem
        (700, 5000),  # a warm start's bound of its fixed choices
        (650, -math.inf),
    ]
    shown = [honest.step(objective, bound) for objective, bound in stream]
    bounds = [bound for _, bound in shown]
    objectives = [objective for objective, _ in shown]
    assert bounds == sorted(bounds)
    assert all(0 <= b <= o for o, b in shown)
    assert objectives == [900, 800, 780, 780, 700, 650]  # the best plan so far
    assert bounds == [0, 150, 150, 150, 150, 150]


def test_honest_progress_forgets_the_objective_when_it_changes_meaning() -> None:
    honest = HonestProgress()
    honest.step(40, None)  # a partial solve's first phase: few meetings, a low soft cost
    honest.new_objective()
    assert honest.step(90, 30) == (90, 30)


def _recorded(config: MunicipalityConfig, options: SolveOptions) -> tuple[Plan, list[Progress]]:
    events: list[Progress] = []
    plan = solve(config, options=options, progress=events.append)
    return plan, events


def _assert_honest(plan: Plan, events: list[Progress]) -> None:
    assert events
    bounds = [e.best_bound for e in events]
    assert bounds == sorted(bounds)
    assert all(0 <= e.best_bound <= e.objective for e in events)
    assert plan.objective is not None and plan.best_bound is not None
    assert 0 <= plan.best_bound <= plan.objective
    assert events[-1].best_bound <= plan.objective


def test_a_real_solve_reports_honest_progress() -> None:
    plan, events = _recorded(load_config(TWO_DISTRICTS_FILE), SolveOptions(time_limit=2, workers=2))
    _assert_honest(plan, events)


@pytest.mark.solve
def test_the_example_reports_honest_progress_through_warm_start_relaxations_and_search() -> None:
    config = load_config(EXAMPLE)
    plan, events = _recorded(config, SolveOptions(time_limit=12, workers=2, seed=0))
    _assert_honest(plan, events)
    domains = objective_floor(build_model(config, find_term(config, None)))
    assert any(e.best_bound > domains for e in events)  # the relaxations' bound is shown as it comes


# --------------------------------------------------------------------------- the distance a leader reads


def test_distance_is_said_of_an_optimal_plan_as_the_best_possible() -> None:
    assert distance_da("OPTIMAL", 255, 255) == "bevist bedst mulige"


def test_distance_of_a_feasible_plan_with_a_valid_bound_is_at_most_x_per_cent() -> None:
    assert distance_pct("FEASIBLE", 200, 150) == pytest.approx(25.0)
    assert distance_da("FEASIBLE", 767, 177) == "højst 76,9 % fra det bedst mulige"


@pytest.mark.parametrize(
    ("status", "objective", "bound"),
    [
        ("FEASIBLE", 200, 0),  # a bound of 0 says nothing
        ("FEASIBLE", 200, -40),  # not a bound of these counts
        ("FEASIBLE", 200, 250),  # above the plan: not a valid bound
        ("FEASIBLE", 200, None),
        ("FEASIBLE", None, 10),
        ("PARTIAL", 200, 150),  # some meetings are missing: the distance is not of this plan
        ("UNKNOWN", 200, 150),
        (None, 200, 150),
    ],
)
def test_distance_is_not_said_where_it_is_not_known(
    status: str | None, objective: float | None, bound: float | None
) -> None:
    assert distance_da(status, objective, bound) is None
    assert distance_pct(status, objective, bound) is None


def test_the_cli_progress_line_speaks_of_the_distance_not_the_bound() -> None:
    line = progress_text(Progress(3, 767, 177, 9.5))
    assert "højst 76,9 % fra det bedst mulige" in line and "grænse" not in line
    assert "fra det bedst mulige" not in progress_text(Progress(1, 1622, 0, 3.5))


def test_a_replanning_follows_the_configs_deterministic_mode() -> None:
    from datetime import datetime

    from scheduler.replan import replan
    from scheduler.term_dates import TZ

    config = _deterministic(load_config(TWO_DISTRICTS_FILE))
    live = solve(config, options=SolveOptions(time_limit=2, workers=2))
    now = datetime.combine(live.meetings[len(live.meetings) // 2].start.date(), datetime.min.time(), TZ)
    first, second = (replan(config, live, now=now, time_limit=2, workers=2) for _ in range(2))
    assert first.meetings and _fingerprint(first) == _fingerprint(second)


def test_the_cli_plans_deterministically_on_request(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from api.cli import app

    plans = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = ["plan", str(TWO_DISTRICTS_FILE), "--out", str(out), "--time-limit", "2"]
        result = CliRunner().invoke(app, [*args, "--workers", "2", "--deterministic", "--quiet"])
        assert result.exit_code == 0, result.output
        plans.append(Plan.model_validate(json.loads((out / "plan.json").read_text(encoding="utf-8"))))
    assert plans[0].meetings and _fingerprint(plans[0]) == _fingerprint(plans[1])


def test_a_partial_solve_reports_honest_progress_and_repeats_in_deterministic_mode() -> None:
    """Both phases (the most meetings placed, then the soft rules): the first phase's bound is on
    the count of meetings, not the plan's objective, so it is never shown as one."""
    from tests.builders import speech_config

    config = speech_config([{"start": "2027-09-20", "end": "2027-10-01"}])
    options = SolveOptions(time_limit=3, workers=2, seed=2, deterministic=True)
    plan, events = _recorded(config, options)
    again = solve(config, options=options)
    assert plan.status.value == "PARTIAL" and plan.unplaced
    assert events
    bounds = [e.best_bound for e in events]
    assert bounds == sorted(bounds) and all(0 <= e.best_bound <= e.objective for e in events)
    assert plan.best_bound is None or 0 <= plan.best_bound <= (plan.objective or 0)
    assert _fingerprint(plan) == _fingerprint(again)
