"""`make bench`: solver figures on the Ballerup example and on 2x, 4x and 10x scaled copies.

Prints, per instance: model size, time to the first feasible plan, final objective, best bound,
gap, regularity and wall time. Compare figures within one run; machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.generate import scale_config
from scheduler.config import load_config
from scheduler.model import PlanStatus
from scheduler.solve import SolveOptions, solve

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ballerup.yaml"


def run(factors: list[int], time_limit: float, workers: int, term: str) -> list[dict[str, object]]:
    base = load_config(EXAMPLE)
    rows: list[dict[str, object]] = []
    for factor in factors:
        config = base if factor == 1 else scale_config(base, factor)
        started = time.monotonic()
        plan = solve(config, term, SolveOptions(time_limit=time_limit, workers=workers, seed=0))
        wall = time.monotonic() - started
        feasible = plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)
        gap = None
        if feasible and plan.objective is not None and plan.best_bound is not None:
            gap = (plan.objective - plan.best_bound) / max(1.0, abs(plan.objective))
        rows.append(
            {
                "instance": f"ballerup x{factor}",
                "series": len(config.series),
                "staff": len(config.staff),
                "meetings": len(plan.meetings),
                "status": plan.status.value,
                "first_feasible_s": plan.first_feasible_seconds,
                "objective": plan.objective,
                "best_bound": plan.best_bound,
                "gap_pct": round(100 * gap, 2) if gap is not None else None,
                "regularity_pct": plan.stats.regularity_pct if plan.stats else None,
                "continuity_pct": plan.stats.continuity_pct if plan.stats else None,
                "wall_s": round(wall, 2),
            }
        )
        _print_row(rows[-1], header=len(rows) == 1)
    return rows


COLUMNS = [
    ("instance", 14),
    ("series", 6),
    ("staff", 5),
    ("meetings", 8),
    ("status", 10),
    ("first_feasible_s", 16),
    ("objective", 10),
    ("best_bound", 10),
    ("gap_pct", 7),
    ("regularity_pct", 14),
    ("continuity_pct", 14),
    ("wall_s", 7),
]


def _print_row(row: dict[str, object], header: bool) -> None:
    if header:
        print(" | ".join(name.ljust(width) for name, width in COLUMNS), flush=True)
    cells = []
    for name, width in COLUMNS:
        value = row[name]
        text = "-" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
        cells.append(text.ljust(width))
    print(" | ".join(cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factors", default="1,2,4,10", help="comma-separated scale factors")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--term", default="foraar-2027")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    factors = [int(f) for f in args.factors.split(",")]
    rows = run(factors, args.time_limit, args.workers, args.term)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
