"""`make bench`: the optimiser against hand planning, one table per benchmark instance.

Rows are the judge's figures (`bench.judge`), columns the hand-planning baseline
(`bench.baseline`, deterministic: one plan) and moedeplan at each time limit, each solver cell
"min / median / max" over `--seeds` seeds (a separate solve per seed and limit, nothing reused).
Compare figures within one run; machines are noisy.

Quick smoke: `python -m bench.run --instances ballerup --seeds 1 --limits 5`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from bench.baseline import first_fit_plan
from bench.catalogue import Instance, benchmark_instances
from bench.judge import Figures, judge
from scheduler.model import Plan
from scheduler.solve import SolveOptions, solve

ROWS: list[tuple[str, str]] = [
    ("complete", "all placed, 0 hard violations"),
    ("placed", "meetings placed"),
    ("hard_violations", "hard violations"),
    ("regularity_pct", "same weekday and start all term %"),
    ("preferred_weekday_pct", "at the preferred weekday %"),
    ("preferred_start_pct", "at the preferred start %"),
    ("gap_pct", "gap to the proven bound %"),
    ("travel_minutes", "travel minutes"),
    ("continuity_pct", "continuity %"),
    ("worst_load_ratio", "worst specialist load / role mean"),
    ("first_feasible_s", "first plan s"),
    ("wall_s", "wall s"),
]
"""(key in a run's figures, the row's label)"""


def _figures(instance: Instance, plan_of: Callable[[], Plan]) -> dict[str, Any]:
    started = time.monotonic()
    plan = plan_of()
    wall = round(time.monotonic() - started, 2)
    figures: Figures = judge(instance.config, plan)
    return {
        **figures.as_dict(),
        "status": plan.status.value,
        "first_feasible_s": plan.first_feasible_seconds,
        "wall_s": wall,
    }


def measure(instance: Instance, limits: Sequence[float], seeds: int, workers: int) -> dict[str, Any]:
    """The baseline's figures and, per time limit, each seed's."""
    baseline = _figures(instance, partial(first_fit_plan, instance.config, instance.term))
    solver: dict[str, list[dict[str, Any]]] = {}
    for limit in limits:
        runs = []
        for seed in range(seeds):
            options = SolveOptions(time_limit=limit, workers=workers, seed=seed)
            figures = _figures(instance, partial(solve, instance.config, instance.term, options))
            runs.append({"seed": seed, **figures})
        solver[f"{limit:g}"] = runs
    return {
        "instance": instance.name,
        "shape": instance.shape,
        "series": len(instance.config.series),
        "staff": len(instance.config.staff),
        "baseline": baseline,
        "moedeplan": solver,
    }


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _cell(values: list[Any]) -> str:
    """One value as it is; several as 'min / median / max', or one value where all agree
    (booleans: 'yes', 'no' or 'k of n')."""
    if len(values) == 1:
        return _text(values[0])
    if all(isinstance(v, bool) for v in values):
        hits = sum(values)
        return "yes" if hits == len(values) else ("no" if hits == 0 else f"{hits} of {len(values)}")
    known = sorted(v for v in values if v is not None)
    if not known:
        return "–"
    if known[0] == known[-1] and len(known) == len(values):
        return _text(known[0])  # every seed agrees
    median = statistics.median(known)
    middle = round(median, 3) if isinstance(median, float) else median
    text = f"{_text(known[0])} / {_text(middle)} / {_text(known[-1])}"
    missing = len(values) - len(known)
    return text + (f" ({missing} –)" if missing else "")


def table(result: dict[str, Any], workers: int) -> str:
    """The instance's table in Markdown: rows = figures, columns = baseline | each limit."""
    limits = list(result["moedeplan"])
    seeds = max((len(runs) for runs in result["moedeplan"].values()), default=0)
    header = ["", "hand planning (first fit)", *(f"moedeplan {limit} s" for limit in limits)]
    lines = [
        f"### {result['instance']} ({result['shape']}; {result['series']} series, {result['staff']} staff; "
        f"{workers} workers, {seeds} seed(s): min / median / max)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for key, label in ROWS:
        cells = [_cell([result["baseline"][key]])]
        cells += [_cell([run[key] for run in result["moedeplan"][limit]]) for limit in limits]
        if key == "placed":
            expected = result["baseline"]["expected"]
            cells = [f"{c} of {expected}" for c in cells]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(
    names: Sequence[str] | None, limits: Sequence[float], seeds: int, workers: int
) -> list[dict[str, Any]]:
    instances = benchmark_instances()
    if names:
        unknown = sorted(set(names) - {i.name for i in instances})
        if unknown:
            known = ", ".join(i.name for i in instances)
            raise SystemExit(f"ukendt instans: {', '.join(unknown)} (kendte: {known})")
        instances = [i for i in instances if i.name in names]
    results = []
    for instance in instances:
        result = measure(instance, limits, seeds, workers)
        print(table(result, workers), end="\n\n", flush=True)
        results.append(result)
    return results


def _positive_floats(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' er ikke tidsgrænser i sekunder, fx 10,60") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"'{text}': tidsgrænserne skal være positive, fx 10,60")
    return values


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", help="comma-separated instance names (default: all)")
    parser.add_argument("--seeds", type=int, default=5, help="solver seeds per time limit (0..N-1)")
    parser.add_argument("--limits", type=_positive_floats, default=[10.0, 60.0], help="seconds, e.g. 10,60")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.workers < 1:
        parser.error("--seeds og --workers skal være mindst 1")
    names = [n.strip() for n in args.instances.split(",")] if args.instances else None
    results = run(names, args.limits, args.seeds, args.workers)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
