"""BAL rollout: first fit (by hand) against moedeplan's rollout solver, per instance:
`python -m bench.bal` (part of `make bench`).

Figures, the same for both and both verified by `scheduler.verify_rollout`: rounds until every
team is through (and teams left waiting), teams per round, the facilitators' load (hours a week
over the rollout's rounds: the busiest, the mean, their ratio), the most institutions one
facilitator serves, and the facilitators' travel minutes. One worker, a short limit: the solver
starts from its greedy rollout, so the table shows what the search adds in that budget.

Then the joint figures of the first BAL term (`--seeds` term solves, min / median / max): the
meeting structure's plan without BAL, and with first fit's and the solver's round planned into it
the way `moedeplan bal-whatif` does (`scheduler.bal_whatif.structure_cost`: the structure kept as
it is with BAL fitted around it, else a joint solve and the least change from the plan without
BAL), judged by `bench.judge`, with the structure's meetings moved and the busiest facilitator's
minutes a week.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bal_baseline import first_fit_rollout
from bench.judge import judge
from bench.run import _cell
from scheduler.bal_facts import bal_rounds, programme, travel_of
from scheduler.bal_rollout import RolloutOptions, plan_rollout
from scheduler.bal_series import with_bal
from scheduler.bal_whatif import WhatIfOptions, compare, cost_term, structure_cost
from scheduler.config import load_config
from scheduler.model import PLANNED, BalRollout, MunicipalityConfig, Plan
from scheduler.solve import SolveOptions, solve
from scheduler.verify_rollout import verify_rollout

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = [ROOT / "examples" / "ballerup-bal.yaml", ROOT / "bench" / "instances" / "lilleby-bal.yaml"]


@dataclass
class Figures:
    rounds: int
    waiting: int
    teams_per_round: list[int]
    load_max: float
    """hours a week of the busiest facilitator, over rounds 1..rounds"""
    load_mean: float
    load_ratio: float
    institutions_max: int
    travel_minutes: int
    problems: int
    """hard-rule violations the verifier finds (0 for both, or the table is wrong)"""


def figures(config: MunicipalityConfig, rollout: BalRollout) -> Figures:
    """The rollout judged: the same figures whoever made it."""
    bal = programme(config)
    teams = {t.id: t for t in bal.teams}
    facilitators = {f.person: f for f in bal.facilitators}
    weeks = {r.number: r.weeks for r in bal_rounds(config)}
    used = rollout.rounds_used
    span = sum(weeks[n] for n in range(1, used + 1)) or 1
    per_week = {
        f: sum(h * weeks[n] for n, h in enumerate(hours, start=1)) / span
        for f, hours in rollout.facilitator_hours.items()
    }
    loads = [per_week.get(f, 0.0) for f in facilitators]
    mean = sum(loads) / len(loads) if loads else 0.0
    serves: dict[str, set[str]] = {}
    for a in rollout.assignments:
        serves.setdefault(a.facilitator, set()).add(teams[a.team].unit)
    return Figures(
        rounds=used,
        waiting=len(rollout.waiting),
        teams_per_round=[sum(1 for a in rollout.assignments if a.round == n) for n in range(1, used + 1)],
        load_max=max(loads, default=0.0),
        load_mean=mean,
        load_ratio=max(loads, default=0.0) / mean if mean else 0.0,
        institutions_max=max((len(u) for u in serves.values()), default=0),
        travel_minutes=sum(
            travel_of(config, teams[a.team], facilitators[a.facilitator]) for a in rollout.assignments
        ),
        problems=len(verify_rollout(config, rollout)),
    )


def _row(name: str, left: str, right: str) -> str:
    return f"  {name:<34} {left:>22} | {right:<22}"


def rollouts(
    config: MunicipalityConfig, time_limit: float, seed: int
) -> tuple[BalRollout, BalRollout, float]:
    """First fit's rollout, the solver's (1 worker, deterministic) and the solver's wall seconds."""
    hand = first_fit_rollout(config)
    started = time.monotonic()
    ours = plan_rollout(
        config, RolloutOptions(time_limit=time_limit, workers=1, seed=seed, deterministic=True)
    )
    return hand, ours, time.monotonic() - started


def table(
    path: Path, config: MunicipalityConfig, hand: BalRollout, ours: BalRollout, seconds: float, seed: int
) -> list[str]:
    a, b = figures(config, hand), figures(config, ours)
    bal = programme(config)
    lines = [
        f"{_shown(path)}: {len(bal.teams)} team, {len(bal.facilitators)} facilitatorer "
        f"(moedeplan {ours.status.value}, {seconds:.1f} s, 1 worker, seed {seed})",
        _row("", "first fit", "moedeplan"),
        _row(
            "rounds until all through",
            f"{a.rounds} ({a.waiting} waiting)",
            f"{b.rounds} ({b.waiting} waiting)",
        ),
        _row("teams per round", " ".join(map(str, a.teams_per_round)), " ".join(map(str, b.teams_per_round))),
        _row(
            "load max / mean h a week",
            f"{a.load_max:.2f} / {a.load_mean:.2f}",
            f"{b.load_max:.2f} / {b.load_mean:.2f}",
        ),
        _row("load max/mean", f"{a.load_ratio:.2f}", f"{b.load_ratio:.2f}"),
        _row("institutions per facilitator, max", str(a.institutions_max), str(b.institutions_max)),
        _row("travel minutes", str(a.travel_minutes), str(b.travel_minutes)),
        _row("verifier problems", str(a.problems), str(b.problems)),
    ]
    return lines


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


# --------------------------------------------------------------------------- the joint figures

JOINT_ROWS: list[tuple[str, str]] = [
    ("how", "BAL fitted in (or no plan: status)"),
    ("moved", "structure's meetings moved"),
    ("left_out", "structure's meetings left out"),
    ("added", "structure's meetings added"),
    ("bal_meetings", "BAL meetings placed"),
    ("bal_unplaced", "BAL meetings unplaced"),
    ("structure_regularity_pct", "structure same weekday and start %"),
    ("facilitator_minutes", "busiest facilitator min a week"),
    ("hard_violations", "hard violations (judge)"),
    ("regularity_pct", "all series same weekday and start %"),
    ("continuity_pct", "continuity %"),
    ("travel_minutes", "travel minutes"),
    ("worst_load_ratio", "worst specialist load / role mean"),
    ("wall_s", "wall s"),
]
"""(key of `joint_figures`, the row's label)"""


def joint_figures(
    config: MunicipalityConfig, rollout: BalRollout | None, base: Plan, limit: float, seed: int
) -> dict[str, Any]:
    """The term's plan judged (`bench.judge`): `base` (no BAL) when `rollout` is None, else the
    rollout's round planned into it as the what-if does (`scheduler.bal_whatif.structure_cost`:
    the structure kept and BAL around it, else a joint solve and the least change from `base`),
    with what it moved and the facilitators' load."""
    where = cost_term(config)
    assert where is not None  # the instances' first round is a term of theirs
    number, term = where
    if rollout is None:
        cost = compare(config, config, term, number, base, base, "kept", base.solve_seconds)
        full, plan = config, base
    else:
        options = WhatIfOptions(time_limit=limit, workers=1, seed=seed)
        cost = structure_cost(config, rollout, term, number, base, options)
        full, plan = with_bal(config, rollout), cost.plan
    if plan.status not in PLANNED:  # no plan with BAL in the limit: nothing to judge
        return {key: None for key, _ in JOINT_ROWS} | {"how": plan.status.value, "wall_s": cost.seconds}
    judged = judge(full, plan)
    return {
        "how": None if rollout is None else cost.how,
        "moved": cost.moved,
        "left_out": cost.left_out,
        "added": cost.added,
        "bal_meetings": cost.bal_meetings,
        "bal_unplaced": cost.bal_unplaced,
        "structure_regularity_pct": cost.regularity_after,
        "facilitator_minutes": cost.load_after,
        "hard_violations": judged.hard_violations,
        "regularity_pct": judged.regularity_pct,
        "continuity_pct": judged.continuity_pct,
        "travel_minutes": judged.travel_minutes,
        "worst_load_ratio": judged.worst_load_ratio,
        "wall_s": cost.seconds,
    }


def joint_table(
    path: Path,
    config: MunicipalityConfig,
    hand: BalRollout,
    ours: BalRollout,
    limit: float,
    seeds: int,
) -> list[str]:
    """The first BAL term's plan without BAL, with first fit's round and with the solver's, each
    seed a separate solve of the term (the rollouts stay): min / median / max over the seeds."""
    where = cost_term(config)
    if where is None:
        return [f"{_shown(path)}: no round of the rollout is a term of the config, no joint figures"]
    number, term = where
    columns: dict[str, list[dict[str, Any]]] = {"without BAL": [], "first fit": [], "moedeplan": []}
    for seed in range(seeds):
        started = time.monotonic()
        options = SolveOptions(time_limit=limit, workers=1, seed=seed, deterministic=True)
        base = solve(config, term.id, options)
        base_row = joint_figures(config, None, base, limit, seed)
        base_row["wall_s"] = round(time.monotonic() - started, 2)
        columns["without BAL"].append(base_row)
        columns["first fit"].append(joint_figures(config, hand, base, limit, seed))
        columns["moedeplan"].append(joint_figures(config, ours, base, limit, seed))
    lines = [
        f"{_shown(path)}: {term.name} (round {number}) planned without BAL and with each rollout's "
        f"round (as bal-whatif plans it; {limit:g} s a solve, 1 worker, "
        f"{seeds} seed(s): min / median / max)",
        f"  {'':<38}" + "".join(f"{name:>24}" for name in columns),
    ]
    for key, label in JOINT_ROWS:
        cells = [_cell([run[key] for run in runs]) for runs in columns.values()]
        lines.append(f"  {label:<38}" + "".join(f"{c:>24}" for c in cells))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("instances", nargs="*", type=Path, default=INSTANCES)
    parser.add_argument("--time-limit", type=float, default=10.0, help="the rollout solver's seconds")
    parser.add_argument("--seed", type=int, default=0, help="the rollout solver's seed")
    parser.add_argument("--term-limit", type=float, default=10.0, help="seconds a term solve (joint figures)")
    parser.add_argument("--seeds", type=int, default=3, help="term solves' seeds 0..N-1; 0: no joint figures")
    args = parser.parse_args()
    for path in args.instances:
        if not path.exists():
            print(f"{path}: missing, skipped")
            continue
        config = load_config(path.resolve())
        hand, ours, seconds = rollouts(config, args.time_limit, args.seed)
        print("\n".join(table(path.resolve(), config, hand, ours, seconds, args.seed)), flush=True)
        if args.seeds > 0:
            print()
            print("\n".join(joint_table(path.resolve(), config, hand, ours, args.term_limit, args.seeds)))
        print(flush=True)


if __name__ == "__main__":
    main()
