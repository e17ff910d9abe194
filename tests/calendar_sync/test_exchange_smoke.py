"""Smoke test against a real Exchange (a test tenant or server); skipped unless configured.

Set MOEDEPLAN_SMOKE_EXCHANGE to `exchange_graph` or `exchange_ews`, that back-end's settings
(MOEDEPLAN_GRAPH_TENANT_ID/CLIENT_ID/CLIENT_SECRET, or MOEDEPLAN_EWS_URL/AUTH/… — see the README,
section "Exchange"), MOEDEPLAN_SMOKE_ORGANIZER (a test mailbox the app may write to) and
MOEDEPLAN_SMOKE_ATTENDEE (a test mailbox that receives the invitations). The test creates a
meeting and a small weekly series with a skipped week 30 days ahead, changes the meeting, reads
the attendee's free/busy, and cancels both again. Use test mailboxes only: real invitations are
sent.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from calendar_sync.backends.base import Recipient, load_backend
from calendar_sync.freebusy import reader_for
from calendar_sync.items import CalendarItem, ItemAttendee
from calendar_sync.recurrence import Recurrence
from calendar_sync.settings import CalendarSettings
from scheduler.term_dates import TZ

BACKEND = os.environ.get("MOEDEPLAN_SMOKE_EXCHANGE", "")
ORGANIZER = os.environ.get("MOEDEPLAN_SMOKE_ORGANIZER", "")
ATTENDEE = os.environ.get("MOEDEPLAN_SMOKE_ATTENDEE", "")

pytestmark = pytest.mark.skipif(
    BACKEND not in ("exchange_graph", "exchange_ews") or not ORGANIZER or not ATTENDEE,
    reason="set MOEDEPLAN_SMOKE_EXCHANGE, MOEDEPLAN_SMOKE_ORGANIZER and MOEDEPLAN_SMOKE_ATTENDEE",
)


def _items() -> tuple[CalendarItem, CalendarItem]:
    day = (datetime.now(TZ) + timedelta(days=30)).date()
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday
    start = datetime.combine(day, time(10), tzinfo=TZ)
    organizer = ItemAttendee("smoke-organizer", "Mødeplan test (organisator)", ORGANIZER, True, "Mødeleder")
    attendee = ItemAttendee("smoke-attendee", "Mødeplan test (deltager)", ATTENDEE, True, "Deltager")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    meeting = CalendarItem(
        uid=f"smoke-{stamp}@moedeplan",
        series="smoke",
        unit="smoke",
        title="Mødeplan røgtest",
        location="Ballerup Rådhus",
        description="Automatisk test af kalenderudsendelsen; kan slettes.",
        start=start,
        end=start + timedelta(hours=1),
        organizer=organizer,
        attendees=(attendee,),
        meeting_uids=("smoke",),
    )
    series = replace(
        meeting,
        uid=f"smoke-serie-{stamp}@moedeplan",
        title="Mødeplan røgtest, serie",
        start=start + timedelta(hours=2),
        end=start + timedelta(hours=3),
        rrule=Recurrence(
            "WEEKLY", weekdays=(1,), until=(start + timedelta(weeks=2, hours=3)).astimezone(UTC)
        ),
        exdates=(start + timedelta(weeks=1, hours=2),),
    )
    return meeting, series


def test_create_update_read_and_cancel_on_a_real_exchange() -> None:
    settings = CalendarSettings()
    backend = load_backend(BACKEND, settings.backend_settings(BACKEND))
    organizer = Recipient("smoke-organizer", "Mødeplan test", ORGANIZER)
    meeting, series = _items()
    made: dict[str, tuple[CalendarItem, str]] = {}
    try:
        remote = backend.create(meeting, 0, organizer)
        made["meeting"] = (meeting, remote)
        changed = replace(meeting, title="Mødeplan røgtest (ændret)")
        made["meeting"] = (changed, backend.update(changed, 1, organizer, remote))
        made["series"] = (series, backend.create(series, 0, organizer))
        reader = reader_for(BACKEND, settings)
        try:
            window = (meeting.start - timedelta(hours=1), meeting.end + timedelta(days=15))
            busy = reader.busy([ATTENDEE.lower()], *window)
        finally:
            reader.close()
        starts = {b.start.astimezone(UTC) for b in busy.get(ATTENDEE.lower(), [])}
        assert meeting.start.astimezone(UTC) in starts  # the invitation reached the attendee's calendar
        assert series.start.astimezone(UTC) in starts
        assert series.exdates[0].astimezone(UTC) not in starts  # the skipped week
    finally:
        for item, remote_id in made.values():  # leave the test mailboxes clean, also after a failure
            backend.cancel(item, 9, organizer, remote_id)
        backend.close()
