"""Rescheduling figures on the Ballerup example: `python -m bench.replan` (part of `make bench`).

The example is planned once; then, for a few typical absences (a psychologist ill for a day, a
health visitor on a week's course, a chair away for an afternoon), `propose` is timed and its
proposals are reported: the strategy, how many meetings change, how many people would be told,
and the soft cost. Every proposal's plan passes the verifier inside `propose`.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta
from pathlib import Path

from scheduler.availability import Unavailability
from scheduler.config import load_config
from scheduler.model import Meeting, Plan
from scheduler.replan import NoProposal, ReplanRequest, propose
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ballerup.yaml"


def _first_meeting_of_role(plan: Plan, role: str, after: int) -> tuple[Meeting, str]:
    for meeting in plan.meetings[after:]:
        for attendee in meeting.attendees:
            if attendee.role == role and attendee.required:
                return meeting, attendee.person
    raise LookupError(role)


def cases(plan: Plan) -> list[tuple[str, Unavailability]]:
    """Three absences taken from the plan itself, so they always touch meetings."""
    middle = len(plan.meetings) // 2
    out = []
    meeting, person = _first_meeting_of_role(plan, "psykolog", middle)
    day = meeting.start.astimezone(TZ).replace(hour=0, minute=0)
    out.append(
        (
            f"psykolog {person} syg en dag",
            Unavailability(person=person, start=day, end=day + timedelta(days=1)),
        )
    )
    meeting, person = _first_meeting_of_role(plan, "sundhedsplejerske", middle)
    monday = meeting.start.astimezone(TZ).replace(hour=0, minute=0) - timedelta(days=meeting.start.weekday())
    out.append(
        (
            f"sundhedsplejerske {person} på kursus en uge",
            Unavailability(person=person, start=monday, end=monday + timedelta(days=5)),
        )
    )
    meeting, person = _first_meeting_of_role(plan, "paedagogisk_leder", middle + 10)
    start = meeting.start.astimezone(TZ)
    out.append(
        (
            f"mødeleder {person} væk en eftermiddag",
            Unavailability(
                person=person, start=start.replace(hour=12, minute=0), end=start.replace(hour=17, minute=0)
            ),
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plan-seconds", type=float, default=20.0)
    parser.add_argument("--time-limit", type=float, default=10.0, help="per strategy")
    args = parser.parse_args()
    config = load_config(EXAMPLE)
    plan = solve(config, None, SolveOptions(time_limit=args.plan_seconds, workers=2, seed=0))
    first_day = min(m.start for m in plan.meetings)
    now = datetime.combine(first_day.date() - timedelta(days=7), datetime.min.time(), TZ)
    print(
        f"Rescheduling on {EXAMPLE.name} ({len(plan.meetings)} meetings), {args.time_limit:g} s per strategy"
    )
    print(f"{'absence':<56}{'affected':>9}{'s':>7}  proposals (kind: changed / told / soft cost)")
    for name, absence in cases(plan):
        affected = sum(
            1
            for m in plan.meetings
            if m.start < absence.end
            and m.end > absence.start
            and any(a.person == absence.person for a in m.attendees)
        )
        started = time.monotonic()
        try:
            proposals = propose(
                config, plan, ReplanRequest(unavailability=absence, now=now), time_limit=args.time_limit
            )
            shown = "; ".join(
                f"{p.kind}: {p.changed_meetings} / {len(p.notified)} / {p.soft_cost}" for p in proposals
            )
        except NoProposal as exc:
            shown = f"ingen: {exc.reasons[0]}"
        print(f"{name:<56}{affected:>9}{time.monotonic() - started:>7.1f}  {shown}")


if __name__ == "__main__":
    main()
