"""How many messages people get: first publication of a term, then one meeting moved.

Plans the Ballerup example (or takes --plan), publishes it to the `ics` back-end in a temporary
folder with a fresh ledger, moves one meeting of a recurring series by one day and publishes
again. Prints messages per person and compares with one invitation per meeting.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

from calendar_sync.items import items_from_plan
from calendar_sync.publish import publish
from calendar_sync.settings import CalendarSettings
from scheduler.config import load_config
from scheduler.model import Plan
from scheduler.solve import SolveOptions, solve

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ballerup.yaml"


def moved_one_meeting(plan: Plan, series_id: str) -> tuple[Plan, str]:
    """A copy of the plan with the series' third meeting one day later (a typical reschedule)."""
    changed = plan.model_copy(deep=True)
    meeting = [m for m in changed.meetings if m.series == series_id][2]
    days = 1 if meeting.start.weekday() < 4 else -1
    meeting.start += timedelta(days=days)
    meeting.end += timedelta(days=days)
    return changed, meeting.uid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plan", type=Path, help="a plan.json of examples/ballerup.yaml")
    parser.add_argument("--time-limit", type=float, default=20.0)
    args = parser.parse_args()

    config = load_config(EXAMPLE)
    if args.plan:
        plan = Plan.model_validate_json(args.plan.read_bytes())
    else:
        plan = solve(config, "foraar-2027", SolveOptions(time_limit=args.time_limit, workers=2, seed=0))
    items = items_from_plan(config, plan)
    recurring = [i for i in items if i.rrule]
    per_meeting = sum(len({a.person for a in m.attendees}) for m in plan.meetings)

    with tempfile.TemporaryDirectory() as folder:
        settings = CalendarSettings(
            calendar_backend="ics",
            ics_directory=Path(folder) / "calendars",
            ledger_path=Path(folder) / "ledger.sqlite3",
        )
        first = publish(config, plan, settings)
        counts = sorted(first.messages.values())
        print(f"meetings {len(plan.meetings)}, calendar items {len(items)} ({len(recurring)} recurring)")
        print(
            f"first publication: {sum(counts)} messages to {len(counts)} people "
            f"(one per meeting would be {per_meeting}); per person median {statistics.median(counts):g}, "
            f"max {counts[-1]}"
        )
        series_item = max(recurring, key=lambda i: len(i.recipients))
        changed, uid = moved_one_meeting(plan, series_item.series)
        second = publish(config, changed, settings)
        print(
            f"one meeting moved ({uid}): {sum(second.messages.values())} messages to "
            f"{len(second.messages)} people; the series has {len(series_item.recipients)} recipients; "
            f"actions {dict(second.delivered)}"
        )
        again = publish(config, changed, settings)
        print(f"publishing the same plan again: {sum(again.messages.values())} messages")


if __name__ == "__main__":
    main()
