"""What a re-solve costs people who already have the live plan: `python -m bench.keep` (`make bench`).

Per instance (the Ballerup example and a generated x4 copy), the term is planned and published
to the `ics` back-end in a temporary folder (the live plan); then three configs are solved
against it, each twice: from the live plan with the least change (`scheduler.replan.replan`,
what a solve does by default) and afresh (`fresh=True`, "Start afresh": a plain solve here,
since nothing has begun a week before the term):

(a) the unchanged config, (b) one added specialist (a copy of the first psychologist),
(c) the first fortnightly series made monthly.

Printed per solve: meetings changed and people notified against the live plan, the messages
publishing it would send (`calendar_sync.publish.preview`, the publish's own code), the soft
cost, and the wall time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bench.generate import scale_config
from calendar_sync.publish import preview, publish
from calendar_sync.settings import CalendarSettings
from scheduler.config import load_config
from scheduler.model import Cadence, CadenceKind, MunicipalityConfig, Plan, PlanStatus
from scheduler.replan import replan
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ballerup.yaml"
TERM = "foraar-2027"


def unchanged(config: MunicipalityConfig) -> MunicipalityConfig:
    return config


def added_specialist(config: MunicipalityConfig) -> MunicipalityConfig:
    """A new psychologist serving where the first one does."""
    first = next(p for p in config.staff if "psykolog" in p.roles)
    email = None if first.email is None else f"ny-{first.email}"
    new = first.model_copy(update={"id": f"{first.id}-ny", "name": f"{first.name} (ny)", "email": email})
    return config.model_copy(update={"staff": [*config.staff, new]})


def fortnightly_to_monthly(config: MunicipalityConfig) -> MunicipalityConfig:
    """The first fortnightly series meets monthly instead."""
    target = next(s for s in config.series if s.cadence.kind == CadenceKind.fortnightly)
    monthly = target.model_copy(update={"cadence": Cadence(kind=CadenceKind.monthly)})
    return config.model_copy(update={"series": [monthly if s is target else s for s in config.series]})


SCENARIOS: list[tuple[str, Callable[[MunicipalityConfig], MunicipalityConfig]]] = [
    ("(a) unchanged config", unchanged),
    ("(b) one added specialist", added_specialist),
    ("(c) fortnightly -> monthly", fortnightly_to_monthly),
]


def _row(name: str, how: str, plan: Plan, messages: int | None, seconds: float) -> None:
    stats = plan.stats
    changed = "-" if stats is None else stats.changed_meetings
    told = "-" if stats is None else stats.notified_people
    soft = "-" if plan.objective is None else f"{plan.objective:g}"
    shown = "-" if messages is None else messages
    print(
        f"{name:<28}{how:<13}{plan.status.value:<11}{changed!s:>8}{told!s:>7}{shown!s:>9}{soft:>9}"
        f"{seconds:>8.1f}"
    )


def run(factor: int, plan_seconds: float, time_limit: float, workers: int) -> None:
    base = load_config(EXAMPLE)
    config = base if factor == 1 else scale_config(base, factor)
    live = solve(config, TERM, SolveOptions(time_limit=plan_seconds, workers=workers, seed=0))
    if live.status not in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        print(f"ballerup x{factor}: no live plan ({live.status.value})")
        return
    first_day = min(m.start for m in live.meetings).astimezone(TZ).date()
    now = datetime.combine(first_day - timedelta(days=7), datetime.min.time(), TZ)
    print(f"\nballerup x{factor}: live plan of {len(live.meetings)} meetings, published to ics")
    print(
        f"{'config':<28}{'solve':<13}{'status':<11}{'changed':>8}{'told':>7}{'messages':>9}"
        f"{'soft':>9}{'s':>8}"
    )
    with tempfile.TemporaryDirectory() as folder:
        settings = CalendarSettings(
            calendar_backend="ics",
            ics_directory=Path(folder) / "calendars",
            ledger_path=Path(folder) / "ledger.sqlite3",
        )
        publish(config, live, settings)
        for name, change in SCENARIOS:
            changed = change(config)
            started = time.monotonic()
            kept = replan(changed, live, now=now, time_limit=time_limit, workers=workers)
            _row(name, "least change", kept, _messages(changed, kept, settings), time.monotonic() - started)
            started = time.monotonic()
            fresh = replan(changed, live, now=now, fresh=True, time_limit=plan_seconds, workers=workers)
            _row(name, "afresh", fresh, _messages(changed, fresh, settings), time.monotonic() - started)


def _messages(config: MunicipalityConfig, plan: Plan, settings: CalendarSettings) -> int | None:
    if plan.status not in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        return None
    return len(preview(config, plan, settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--plan-seconds", type=float, default=60.0, help="the live plan and each fresh solve")
    parser.add_argument("--time-limit", type=float, default=30.0, help="each least-change solve")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for factor in args.factors:
        run(factor, args.plan_seconds, args.time_limit, args.workers)


if __name__ == "__main__":
    main()
