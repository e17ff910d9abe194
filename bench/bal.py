"""BAL rollout: first fit (by hand) against moedeplan's rollout solver, per instance:
`python -m bench.bal` (part of `make bench`).

Figures, the same for both and both verified by `scheduler.verify_rollout`: rounds until every
team is through (and teams left waiting), teams per round, the facilitators' load (hours a week
over the rollout's rounds: the busiest, the mean, their ratio), the most institutions one
facilitator serves, and the facilitators' travel minutes. One worker, a short limit: the solver
starts from its greedy rollout, so the table shows what the search adds in that budget.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

from bench.bal_baseline import first_fit_rollout
from scheduler.bal_facts import bal_rounds, programme, travel_of
from scheduler.bal_rollout import RolloutOptions, plan_rollout
from scheduler.config import load_config
from scheduler.model import BalRollout, MunicipalityConfig
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


def table(path: Path, time_limit: float, seed: int) -> list[str]:
    config = load_config(path)
    hand = first_fit_rollout(config)
    started = time.monotonic()
    ours = plan_rollout(
        config, RolloutOptions(time_limit=time_limit, workers=1, seed=seed, deterministic=True)
    )
    seconds = time.monotonic() - started
    a, b = figures(config, hand), figures(config, ours)
    bal = programme(config)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    lines = [
        f"{shown}: {len(bal.teams)} team, {len(bal.facilitators)} facilitatorer "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("instances", nargs="*", type=Path, default=INSTANCES)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for path in args.instances:
        if not path.exists():
            print(f"{path}: missing, skipped")
            continue
        print("\n".join(table(path.resolve(), args.time_limit, args.seed)))
        print()


if __name__ == "__main__":
    main()
