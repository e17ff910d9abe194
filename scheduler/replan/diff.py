"""The difference between two plans, meeting by meeting: what a planner reviews and who is told.

Meetings are matched by uid (series, term and period), so a moved meeting is one change, not a
removal and an addition. A meeting counts as changed when its time, site or anyone attending
(person or seat) differs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from scheduler.model import Attendee, Meeting, Plan

ChangeKind = Literal[
    "attendee_removed", "attendee_added", "attendee_substituted", "moved", "added", "removed"
]


class MeetingChange(BaseModel):
    """One meeting as it was and as it would be; `what` names the most visible difference."""

    uid: str
    series: str
    title: str
    what: ChangeKind
    before_start: datetime | None
    before_end: datetime | None
    before_site: str | None
    after_start: datetime | None
    after_end: datetime | None
    after_site: str | None
    before_attendees: list[Attendee]
    after_attendees: list[Attendee]


def _attendee_key(meeting: Meeting) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((a.person, a.seat) for a in meeting.attendees))


def _shape(meeting: Meeting) -> tuple[datetime, datetime, str, tuple[tuple[str, str], ...]]:
    return meeting.start, meeting.end, meeting.site, _attendee_key(meeting)


def _change_kind(before: Meeting | None, after: Meeting | None) -> ChangeKind:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    if (before.start, before.end, before.site) != (after.start, after.end, after.site):
        return "moved"
    people_before = {(a.person, a.seat) for a in before.attendees}
    people_after = {(a.person, a.seat) for a in after.attendees}
    if people_before - people_after and people_after - people_before:
        return "attendee_substituted"
    return "attendee_removed" if people_before - people_after else "attendee_added"


def diff_plans(before: Plan, after: Plan) -> list[MeetingChange]:
    """Every meeting whose time, site or attendees differ, matched by uid, in time order."""
    old = {m.uid: m for m in before.meetings}
    new = {m.uid: m for m in after.meetings}
    changes = []
    for uid in sorted(old.keys() | new.keys()):
        a, b = old.get(uid), new.get(uid)
        if a is not None and b is not None and _shape(a) == _shape(b):
            continue
        some = b or a
        assert some is not None
        changes.append(
            MeetingChange(
                uid=uid,
                series=some.series,
                title=some.title,
                what=_change_kind(a, b),
                before_start=a.start if a else None,
                before_end=a.end if a else None,
                before_site=a.site if a else None,
                after_start=b.start if b else None,
                after_end=b.end if b else None,
                after_site=b.site if b else None,
                before_attendees=list(a.attendees) if a else [],
                after_attendees=list(b.attendees) if b else [],
            )
        )
    changes.sort(key=lambda c: (c.before_start or c.after_start, c.uid))
    return changes
