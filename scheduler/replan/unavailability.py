"""An absence seen from "now": the part still to come, the meetings it touches, and the notice period.

The unavailability itself (a person away from a start to an end, and the config with it added)
lives in `scheduler.availability`, which every solve uses. What is particular to replanning is
time: the past is history and is not replanned, and meetings within the notice period keep their
time (a substitution is still allowed), and no meeting is moved into it, unless the request
allows short notice. The notice period counts working days: Monday to Friday except helligdage
and extra closed days; school holidays are staff working days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from scheduler.availability import Unavailability
from scheduler.model import HELLIGDAGE, Meeting, MunicipalityConfig, Plan
from scheduler.term_dates import TZ, closed_reason


def clip_to_now(unavailability: Unavailability, now: datetime) -> Unavailability | None:
    """The part of the unavailability from now on: the past is history and is not replanned."""
    if unavailability.end <= now:
        return None
    if unavailability.start >= now:
        return unavailability
    return unavailability.model_copy(update={"start": now})


def touched_meetings(plan: Plan, unavailability: Unavailability, now: datetime) -> list[Meeting]:
    """The meetings still to come that the absent person attends during the unavailability."""
    return [
        m
        for m in plan.meetings
        if m.start >= now
        and any(
            a.person == unavailability.person and _overlaps(m.span_of(a), unavailability) for a in m.attendees
        )
    ]


def _overlaps(span: tuple[datetime, datetime], unavailability: Unavailability) -> bool:
    """Whether the person's part of a meeting (all of it, or a partial seat's part) is hit."""
    joins, leaves = span
    return joins < unavailability.end and unavailability.start < leaves


def working_day(config: MunicipalityConfig, day: date) -> bool:
    """Mon-Fri except helligdage and extra closed days (school holidays are staff working days)."""
    return closed_reason(config, day, [HELLIGDAGE]) is None


def notice_horizon(config: MunicipalityConfig, now: datetime, working_days: int) -> date:
    """The last day inside the notice period: the n-th working day after today (today when n is 0).

    A meeting on or before it is short notice: it keeps its time, and nothing moves onto it.
    """
    day = now.astimezone(TZ).date()
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if working_day(config, day):
            counted += 1
    return day


def within_notice(meeting: Meeting, horizon: date) -> bool:
    """Whether the meeting falls on or before the last day of the notice period (local date)."""
    return meeting.start.astimezone(TZ).date() <= horizon
