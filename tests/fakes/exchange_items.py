"""Calendar items and people for the Exchange tests (EWS, Graph, free/busy), built by hand.

The chair organises; Exchange delivers per item, so these items are what the organisers'
calendars should hold: two single meetings, one fortnightly series over the DST switch with a
skipped week and a moved meeting, and a second version of the plan that moves, changes, adds
and removes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from calendar_sync.backends.base import Recipient
from calendar_sync.items import CalendarItem, ItemAttendee, Override
from calendar_sync.recurrence import Recurrence
from scheduler.term_dates import TZ

PEOPLE = {
    "leder-a": ("Skoleleder A", "leder.a@ballerup.example"),
    "psykolog-b": ("Psykolog B", "psykolog.b@ballerup.example"),
    "tale-c": ("Talehørelærer C", "tale.c@ballerup.example"),
    "sundhed-d": ("Sundhedsplejerske D", "sundhed.d@ballerup.example"),
}
RECIPIENTS = {pid: Recipient(pid, name, email) for pid, (name, email) in PEOPLE.items()}


def who(pid: str, required: bool = True) -> ItemAttendee:
    name, email = PEOPLE[pid]
    return ItemAttendee(person=pid, name=name, email=email, required=required, role_label="Deltager")


def single(
    uid: str,
    chair: str,
    people: Iterable[str],
    optional: Iterable[str] = (),
    day: int = 3,
    hour: int = 13,
    title: str = "Koordineringskonference",
) -> CalendarItem:
    attendees = tuple(who(p) for p in people) + tuple(who(p, required=False) for p in optional)
    start = datetime(2027, 2, day, hour, 0, tzinfo=TZ)
    return CalendarItem(
        uid=uid,
        series="koordinering-nordskolen",
        unit="nordskolen",
        title=title,
        location="Nordskolen, Lindebjergvej 4",
        description="Deltagere: " + ", ".join(a.name for a in attendees),
        start=start,
        end=start + timedelta(hours=1, minutes=30),
        organizer=who(chair),
        attendees=attendees,
        meeting_uids=(uid,),
    )


def series(uid: str, chair: str, people: Iterable[str], hour: int = 14) -> CalendarItem:
    """Fortnightly on Tuesdays 2 Feb - 27 Apr 2027 (7 instances, across DST): the 3rd skipped,
    the 5th (30 March) moved to Wednesday at the Rådhus."""
    base = single(uid, chair, people, day=2, hour=hour)
    first = base.start
    return replace(
        base,
        meeting_uids=tuple(f"{uid}-{i}" for i in (0, 1, 3, 4, 5, 6)),
        rrule=Recurrence("WEEKLY", weekdays=(1,), interval=2, until=datetime(2027, 4, 27, 22, tzinfo=UTC)),
        exdates=(first + timedelta(weeks=4),),
        overrides=(
            Override(
                recurrence_id=first + timedelta(weeks=8),
                start=first + timedelta(weeks=8, days=1),
                end=first + timedelta(weeks=8, days=1, hours=1),
                location="Ballerup Rådhus",
                meeting_uid=f"{uid}-4",
            ),
        ),
    )


V1 = [
    single("m1@moedeplan", "leder-a", ["psykolog-b"], optional=["sundhed-d"]),
    series("serie-nord@moedeplan", "leder-a", ["tale-c", "sundhed-d"]),
    single("m3@moedeplan", "psykolog-b", ["tale-c"], day=4),
]
V2 = [
    single("m1@moedeplan", "leder-a", ["psykolog-b"], optional=["sundhed-d"], hour=9),  # moved
    replace(series("serie-nord@moedeplan", "leder-a", ["tale-c", "sundhed-d"]), exdates=()),  # 3rd back
    # m3 removed: cancelled
    single("m4@moedeplan", "sundhed-d", ["tale-c"], day=5),  # new
]
