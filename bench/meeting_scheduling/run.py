"""`make bench-meetings`: the three instances at 60 s with 2 workers, as a Markdown table."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.meeting_scheduling.instance import load_instance
from bench.meeting_scheduling.solve import solve_instance

DEFAULT_DIR = Path("/work/shared/bench/meeting-scheduling")
TIMEFOLD = {"demo_x1": "0/-80/-4712", "demo_x2": "-8/-543/-16679", "demo_x5": "-55/-1771/-87321"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print("| instance | meetings | first feasible | hard / medium / soft | wall | Timefold 1.24 (60 s) |")
    print("|---|---|---|---|---|---|")
    for name in ("demo_x1", "demo_x2", "demo_x5"):
        instance = load_instance(args.dir / f"{name}.json")
        r = solve_instance(instance, time_limit=args.time_limit, workers=args.workers)
        first = "-" if r.first_feasible_s is None else f"{r.first_feasible_s:.2f} s"
        cells = [name, str(len(instance.meetings)), first, str(r.score), f"{r.wall_s:.1f} s", TIMEFOLD[name]]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
