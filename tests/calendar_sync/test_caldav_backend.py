"""The CalDAV back-end against a real Radicale on 127.0.0.1 (`radicale_server` fixture).

Everything is read back through the caldav client, as another program would see it: which
calendars exist, how many objects carry a UID, what DTSTART and SEQUENCE they have, and which
meetings a series expands to (by Radicale's own server-side expansion and by
recurring_ical_events on the stored data).
"""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
from caldav.calendarobjectresource import CalendarObjectResource
from caldav.collection import Calendar as DavCalendar
from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from icalendar import Calendar

from calendar_sync.backends.base import DeliveryError, Recipient, load_backend
from calendar_sync.backends.caldav import Backend
from calendar_sync.items import CalendarItem, ItemAttendee, Override
from calendar_sync.recurrence import Recurrence
from scheduler.term_dates import TZ
from tests.fakes.radicale import RadicaleServer

pytestmark = pytest.mark.timeout(30)

PASSWORD = "radicale-Hemmelig-5521"

ANNE = ItemAttendee("anne", "Anne Ågård", "anne@ballerup.example", True, "Skoleleder")
BO = ItemAttendee("bo", "Bo Berg", "bo@ballerup.example", True, "PPR-psykolog")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def recipient(who: ItemAttendee) -> Recipient:
    return Recipient(person=who.person, name=who.name, email=who.email)


def single_item() -> CalendarItem:
    return CalendarItem(
        uid="meeting-netvaerk-0309@moedeplan",
        series="netvaerk",
        unit="hedegaardsskolen",
        title="Netværksmøde om trivsel",
        location="Ballerup Rådhus, Hold-An Vej 7, 2750 Ballerup",
        description="Mødeleder: Anne Ågård\n\nDeltagere:\n- Bo Berg, PPR-psykolog",
        start=local(2027, 3, 9, 13),
        end=local(2027, 3, 9, 15),
        organizer=ANNE,
        attendees=(BO,),
        meeting_uids=("meeting-netvaerk-0309@moedeplan",),
    )


def recurring_item() -> CalendarItem:
    """Every other Tuesday 13-15 from 12 Jan 2027 (across the switch to summer time on 28 March);
    9 Feb skipped, 9 Mar moved to Wednesday 10 Mar 10-12."""
    return CalendarItem(
        uid="serie-ppr-hedegaarden@moedeplan",
        series="ppr-hedegaarden",
        unit="hedegaardsskolen",
        title="PPR-møde, Hedegårdsskolen",
        location="Hedegårdsskolen, Magleparken 8, 2750 Ballerup",
        description="Mødeleder: Anne Ågård",
        start=local(2027, 1, 12, 13),
        end=local(2027, 1, 12, 15),
        organizer=ANNE,
        attendees=(BO,),
        meeting_uids=("m1", "m2", "m4", "m5", "m6", "m7"),
        rrule=Recurrence("WEEKLY", weekdays=(1,), interval=2, until=datetime(2027, 4, 6, 11, tzinfo=UTC)),
        exdates=(local(2027, 2, 9, 13),),
        overrides=(
            Override(
                recurrence_id=local(2027, 3, 9, 13),
                start=local(2027, 3, 10, 10),
                end=local(2027, 3, 10, 12),
                location="Ballerup Rådhus, Hold-An Vej 7, 2750 Ballerup",
                meeting_uid="m5",
            ),
        ),
    )


EXPECTED_STARTS = [
    local(2027, 1, 12, 13),
    local(2027, 1, 26, 13),
    local(2027, 2, 23, 13),
    local(2027, 3, 10, 10),  # moved from Tuesday 9 March
    local(2027, 3, 23, 13),
    local(2027, 4, 6, 13),  # summer time: still 13:00 on the wall
]


@pytest.fixture
def backend(radicale_server: str) -> Iterator[Backend]:
    loaded = load_backend(
        "caldav", {"url": radicale_server, "calendar_path": "/{person}/moedeplan/", "timeout": 5}
    )
    assert isinstance(loaded, Backend)
    try:
        yield loaded
    finally:
        loaded.close()


@pytest.fixture
def client(radicale_server: str) -> Iterator[DAVClient]:
    """An independent caldav client to read back what the back-end stored."""
    with DAVClient(url=radicale_server, timeout=5, enable_rfc6764=False) as reader:
        yield reader


def calendar_of(client: DAVClient, base: str, person: str) -> DavCalendar:
    return DavCalendar(client=client, url=f"{base}{person}/moedeplan/")


def objects_with_uid(calendar: DavCalendar, uid: str) -> list[Any]:
    events = calendar.get_events()
    assert isinstance(events, list)
    return [e for e in events if e.id == uid]


def master_of(data: bytes | str) -> Any:
    calendar = Calendar.from_ical(data)
    return next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)


def stored(calendar: DavCalendar, uid: str) -> bytes:
    found = calendar.get_object_by_uid(uid)
    assert isinstance(found, CalendarObjectResource)
    loaded = found.load()
    assert isinstance(loaded, CalendarObjectResource) and isinstance(loaded.raw_data, bytes)
    return loaded.raw_data


# --------------------------------------------------------------------------- tests


def test_each_recipient_gets_the_item_in_a_calendar_of_their_own(
    backend: Backend, client: DAVClient, radicale_server: str
) -> None:
    item = single_item()
    urls = {who.person: backend.create(item, 0, recipient(who)) for who in (ANNE, BO)}

    for who in (ANNE, BO):
        calendar = calendar_of(client, radicale_server, who.person)
        (found,) = objects_with_uid(calendar, item.uid)
        assert str(found.url) == urls[who.person]
        assert urls[who.person].startswith(f"{radicale_server}{who.person}/moedeplan/")
        data = stored(calendar, item.uid)
        assert b"METHOD" not in data
        event = master_of(data)
        assert event["DTSTART"].dt == local(2027, 3, 9, 13)
        assert int(event["SEQUENCE"]) == 0
        assert str(event["SUMMARY"]) == "Netværksmøde om trivsel"
        assert event["ORGANIZER"].params["SCHEDULE-AGENT"] == "CLIENT"


def test_update_moves_the_event_in_place_and_cancel_removes_it(
    backend: Backend, client: DAVClient, radicale_server: str
) -> None:
    item = single_item()
    to = recipient(BO)
    created = backend.create(item, 0, to)
    moved = replace(item, start=local(2027, 3, 11, 9), end=local(2027, 3, 11, 11), location="Lokale 2")
    updated = backend.update(moved, 1, to, created)
    assert updated == created

    calendar = calendar_of(client, radicale_server, BO.person)
    assert len(objects_with_uid(calendar, item.uid)) == 1
    event = master_of(stored(calendar, item.uid))
    assert event["DTSTART"].dt == local(2027, 3, 11, 9)
    assert int(event["SEQUENCE"]) == 1
    assert str(event["LOCATION"]) == "Lokale 2"

    backend.cancel(moved, 2, to, updated)
    with pytest.raises(dav_error.NotFoundError):
        calendar.get_object_by_uid(item.uid)
    backend.cancel(moved, 2, to, updated)  # already gone: done, not an error
    backend.cancel(moved, 2, recipient(ANNE), "")  # Anne never had a calendar: done too


def test_a_repeated_create_leaves_one_object(
    backend: Backend, client: DAVClient, radicale_server: str
) -> None:
    item = single_item()
    first = backend.create(item, 0, recipient(BO))
    backend.close()  # as if the run had crashed before the ledger was written
    again = backend.create(item, 0, recipient(BO))
    assert again == first
    calendar = calendar_of(client, radicale_server, BO.person)
    assert len(objects_with_uid(calendar, item.uid)) == 1


def test_a_series_expands_to_its_meetings(backend: Backend, client: DAVClient, radicale_server: str) -> None:
    item = recurring_item()
    backend.create(item, 0, recipient(BO))
    calendar = calendar_of(client, radicale_server, BO.person)

    window = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC))
    expanded = recurring_ical_events.of(Calendar.from_ical(stored(calendar, item.uid))).between(*window)
    assert sorted(e["DTSTART"].dt.astimezone(TZ) for e in expanded) == EXPECTED_STARTS

    by_server: Any = calendar.search(start=window[0], end=window[1], event=True, expand=True)
    assert isinstance(by_server, list)
    starts = sorted(o.icalendar_component["DTSTART"].dt.astimezone(TZ) for o in by_server)
    assert starts == EXPECTED_STARTS


def test_a_wrong_password_is_permanent_and_never_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = RadicaleServer(tmp_path / "radicale", users={"moedeplan": PASSWORD}).start()
    try:
        settings = {"url": server.url, "username": "moedeplan", "password": PASSWORD, "timeout": 5}
        good = Backend(settings)
        try:
            url = good.create(single_item(), 0, recipient(BO))
        finally:
            good.close()
        assert url.startswith(f"{server.url}bo/moedeplan/")

        bad = Backend(settings | {"password": PASSWORD + "-wrong"})
        with pytest.raises(DeliveryError) as refused:
            bad.create(single_item(), 0, recipient(BO))
        bad.close()
    finally:
        server.stop()
    assert refused.value.permanent
    assert "401" in str(refused.value)
    said = "\n".join(
        [str(refused.value), "".join(traceback.format_exception(refused.value)), caplog.text, repr(bad)]
    )
    assert PASSWORD not in said


def test_no_server_is_a_temporary_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = Backend({"url": f"http://127.0.0.1:{port}/", "timeout": 2})
    with pytest.raises(DeliveryError) as down:
        backend.create(single_item(), 0, recipient(BO))
    assert not down.value.permanent
