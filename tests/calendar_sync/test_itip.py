"""iTIP messages and feeds from calendar items: what REQUEST, CANCEL and PUBLISH carry.

Read back three ways: icalendar (properties and parameters), recurring_ical_events (instances,
with TZID resolved by the tz database) and the raw unfolded lines (what a strict client sees).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import recurring_ical_events
from icalendar import Calendar, vCalAddress, vRecur

from calendar_sync.items import CalendarItem, items_from_plan
from calendar_sync.itip import render, render_feed
from calendar_sync.privacy import PrivacyError
from scheduler.config import config_from_data
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.term_dates import TZ, closed_days_for, local_datetime, series_periods
from tests.builders import hand_plan, person, unit

NOW = datetime(2027, 2, 15, 9, 30, 12, tzinfo=UTC)
TERM = "foraar-2027"
SERIES_UID = f"kk-hedegaardsskolen.{TERM}.serie@moedeplan"

CONFIG_DATA: dict[str, Any] = {
    "municipality": "Ballerup Kommune",
    "districts": [{"id": "hedegaarden", "name": "Hedegården"}],
    "sites": [
        {"id": "hedegaardsskolen", "name": "Hedegårdsskolen", "address": "Magleparken 8, 2750 Ballerup"},
        {"id": "raadhuset", "name": "Ballerup Rådhus", "address": "Hold-An Vej 7, 2750 Ballerup"},
    ],
    "units": [
        unit("hedegaardsskolen", "Hedegårdsskolen", "skole", "hedegaardsskolen", district="hedegaarden"),
    ],
    "staff": [
        person("dl", "distriktsleder", name="Distriktsleder Hedegården", email="dl@example.dk"),
        person("referent", "referent", name="Referent A"),
        person("psykolog-a", "psykolog", email="psykolog.a@example.dk"),
        person("sundhedsplejerske-a", "sundhedsplejerske", email="sp.a@example.dk"),
    ],
    "terms": [
        {
            "id": TERM,
            "name": "Forår 2027",
            "start": "2027-03-01",
            "end": "2027-04-30",
            # Tuesday 23 March to Thursday 25 March closed: that week has no meeting
            "school_holidays": [{"name": "Påskeferie", "start": "2027-03-22", "end": "2027-03-29"}],
        }
    ],
    "series": [
        {
            "id": "kk-hedegaardsskolen",
            "type": "koordineringskonference_skole",
            "unit": "hedegaardsskolen",
            "cadence": "weekly",
            "weekdays": ["tue", "wed", "thu"],
            "window": "12:30-16:00",
            "chair": "dl",
            "minute_taker": "referent",
            "required_people": ["psykolog-a"],
            "optional_people": ["sundhedsplejerske-a"],
        }
    ],
}

ATTENDEES = [
    Attendee(person="dl", role="distriktsleder", required=True, seat="chair"),
    Attendee(person="referent", role="referent", required=True, seat="minute_taker"),
    Attendee(person="psykolog-a", role="psykolog", required=True, seat="required_people[0]"),
    Attendee(person="sundhedsplejerske-a", role="sundhedsplejerske", required=False, seat="optional"),
]
MOVED_WEEK = date(2027, 4, 5)  # that week's meeting is on Thursday 8 April instead of Tuesday 6 April


@pytest.fixture(scope="module")
def config() -> MunicipalityConfig:
    return config_from_data(CONFIG_DATA)


@pytest.fixture(scope="module")
def plan(config: MunicipalityConfig) -> Plan:
    """Tuesdays 13:00-15:00 all term, around the switch to summer time on Sunday 28 March."""
    series = config.series[0]
    term = config.terms[0]
    meetings = []
    for period in series_periods(series, term, closed_days_for(config, term, series)):
        if not period.days:
            continue
        day = period.phase_origin + timedelta(days=3 if period.phase_origin == MOVED_WEEK else 1)
        meetings.append(
            Meeting(
                uid=f"kk-hedegaardsskolen.{TERM}.{period.index}@moedeplan",
                series=series.id,
                occurrence=period.index,
                title="Koordineringskonference, skole – Hedegårdsskolen",
                unit="hedegaardsskolen",
                site="hedegaardsskolen",
                start=local_datetime(day, 13 * 60),
                end=local_datetime(day, 15 * 60),
                attendees=ATTENDEES,
            )
        )
    return hand_plan(
        TERM, *meetings, municipality="Ballerup Kommune", status=PlanStatus.OPTIMAL, solve_seconds=0.1
    )


@pytest.fixture(scope="module")
def item(config: MunicipalityConfig, plan: Plan) -> CalendarItem:
    [only] = items_from_plan(config, plan)
    return only


def lines_of(ics: bytes) -> list[str]:
    """RFC 5545 unfolding by hand, so the raw checks do not lean on icalendar."""
    return ics.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def instances(ics: bytes) -> list[Any]:
    found = recurring_ical_events.of(Calendar.from_ical(ics)).between(date(2027, 1, 1), date(2027, 12, 31))
    return sorted(found, key=lambda o: o["DTSTART"].dt)


# --------------------------------------------------------------------------- the item itself


def test_the_item_has_one_exdate_and_one_override(item: CalendarItem, plan: Plan) -> None:
    assert item.uid == SERIES_UID
    assert item.exdates == (local_datetime(date(2027, 3, 23), 13 * 60),)
    [override] = item.overrides
    assert override.recurrence_id == local_datetime(date(2027, 4, 6), 13 * 60)
    assert override.start == local_datetime(date(2027, 4, 8), 13 * 60)
    assert set(item.meeting_uids) == {m.uid for m in plan.meetings}


# --------------------------------------------------------------------------- REQUEST


def test_request_carries_invitations(item: CalendarItem) -> None:
    ics = render(item, "REQUEST", 4, now=NOW)
    lines = lines_of(ics)
    assert {"VERSION:2.0", "PRODID:-//moedeplan//Ballerup//DA", "METHOD:REQUEST"} <= set(lines)
    assert not any(line.startswith("RDATE") for line in lines)

    cal = Calendar.from_ical(ics)
    assert str(cal["METHOD"]) == "REQUEST"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    events = cal.walk("VEVENT")
    master = next(e for e in events if "RECURRENCE-ID" not in e)
    [override] = [e for e in events if "RECURRENCE-ID" in e]

    for event in (master, override):
        assert str(event["UID"]) == SERIES_UID
        assert event.decoded("SEQUENCE") == 4
        assert event.decoded("DTSTAMP") == NOW
        assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
        assert event["DTEND"].params["TZID"] == "Europe/Copenhagen"
        organizer = event["ORGANIZER"]
        assert isinstance(organizer, vCalAddress)
        assert str(organizer) == "mailto:dl@example.dk"
        assert organizer.params["CN"] == "Distriktsleder Hedegården"
        invited = event["ATTENDEE"]
        assert isinstance(invited, list) and all(isinstance(a, vCalAddress) for a in invited)
        attendees = {str(a): a.params for a in invited}
        # the organizer, who gets this REQUEST too, is an attendee: the chair; Referent A has no address
        assert set(attendees) == {
            "mailto:dl@example.dk",
            "mailto:psykolog.a@example.dk",
            "mailto:sp.a@example.dk",
        }
        assert attendees["mailto:dl@example.dk"]["ROLE"] == "CHAIR"
        assert attendees["mailto:psykolog.a@example.dk"]["ROLE"] == "REQ-PARTICIPANT"
        assert attendees["mailto:sp.a@example.dk"]["ROLE"] == "OPT-PARTICIPANT"
        assert attendees["mailto:sp.a@example.dk"]["CN"] == "Sundhedsplejerske A"
        for params in attendees.values():  # no one processes replies: no one is asked for one
            assert params["PARTSTAT"] == "NEEDS-ACTION"
            assert params["RSVP"] == "FALSE"
        assert "Referent A" in str(event["DESCRIPTION"])
        assert str(event["STATUS"]) == "CONFIRMED"

    assert master.decoded("DTSTART") == local_datetime(date(2027, 3, 2), 13 * 60)
    rule = master["RRULE"]
    assert isinstance(rule, vRecur)
    assert rule["FREQ"] == ["WEEKLY"] and rule["INTERVAL"] == [1] and rule["BYDAY"] == ["TU"]
    assert rule["UNTIL"] == [local_datetime(date(2027, 4, 27), 13 * 60).astimezone(UTC)]
    assert override.decoded("RECURRENCE-ID") == local_datetime(date(2027, 4, 6), 13 * 60)
    assert override["RECURRENCE-ID"].params["TZID"] == "Europe/Copenhagen"
    assert override.decoded("DTSTART") == local_datetime(date(2027, 4, 8), 13 * 60)
    assert str(override["LOCATION"]) == "Hedegårdsskolen, Magleparken 8, 2750 Ballerup"

    # the raw lines a strict client reads
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270427T110000Z;INTERVAL=1;BYDAY=TU" in lines
    assert "EXDATE;TZID=Europe/Copenhagen:20270323T130000" in lines
    assert "RECURRENCE-ID;TZID=Europe/Copenhagen:20270406T130000" in lines
    assert "DTSTAMP:20270215T093012Z" in lines
    assert sum(line == "SEQUENCE:4" for line in lines) == 2


def test_request_expands_to_the_plan_across_dst(item: CalendarItem, plan: Plan) -> None:
    """Summer time starts Sunday 28 March 2027: 13:00 stays 13:00, so UTC moves from 12 to 11."""
    found = instances(render(item, "REQUEST", 0, now=NOW))
    assert [(o["DTSTART"].dt, o["DTEND"].dt) for o in found] == sorted(
        (m.start, m.end) for m in plan.meetings
    )
    for occurrence in found:
        start = occurrence["DTSTART"].dt
        assert start.astimezone(TZ).strftime("%H:%M") == "13:00"
        assert occurrence["DTEND"].dt.astimezone(TZ).strftime("%H:%M") == "15:00"
    by_day = {o["DTSTART"].dt.date(): o["DTSTART"].dt.astimezone(UTC).hour for o in found}
    assert by_day[date(2027, 3, 16)] == 12  # winter time, UTC+1
    assert by_day[date(2027, 3, 30)] == 11  # summer time, UTC+2
    assert date(2027, 3, 23) not in by_day  # the EXDATE (påskeferie)
    assert date(2027, 4, 6) not in by_day and date(2027, 4, 8) in by_day  # the override


# --------------------------------------------------------------------------- CANCEL and PUBLISH


def test_cancel_cancels_the_series(item: CalendarItem) -> None:
    ics = render(item, "CANCEL", 5, now=NOW)
    cal = Calendar.from_ical(ics)
    assert str(cal["METHOD"]) == "CANCEL"
    [master] = cal.walk("VEVENT")
    assert str(master["UID"]) == SERIES_UID
    assert str(master["STATUS"]) == "CANCELLED"
    assert master.decoded("SEQUENCE") == 5
    assert "RECURRENCE-ID" not in master
    assert "RSVP=TRUE" not in ics.decode()
    assert "STATUS:CANCELLED" in lines_of(ics)


def test_publish_has_no_attendees(item: CalendarItem) -> None:
    ics = render(item, "PUBLISH", 2, now=NOW)
    cal = Calendar.from_ical(ics)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert not any(line.startswith("ATTENDEE") for line in lines_of(ics))
    assert "RSVP" not in ics.decode()
    for event in cal.walk("VEVENT"):
        assert "ATTENDEE" not in event
        assert str(event["ORGANIZER"]) == "mailto:dl@example.dk"
        assert event.decoded("SEQUENCE") == 2


def test_single_item_has_no_rule(config: MunicipalityConfig, plan: Plan) -> None:
    single = plan.model_copy(update={"meetings": plan.meetings[:1]})
    [item] = items_from_plan(config, single)
    ics = render(item, "REQUEST", 0, now=NOW)
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["UID"]) == plan.meetings[0].uid
    assert "RRULE" not in event and "EXDATE" not in event
    assert event.decoded("DTSTART") == plan.meetings[0].start


def test_unknown_method_is_refused(item: CalendarItem) -> None:
    with pytest.raises(ValueError, match="method"):
        render(item, "REPLY", 0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- feeds


def test_feed_holds_every_item(config: MunicipalityConfig, plan: Plan) -> None:
    extra = Meeting(
        uid="ekstra.foraar-2027.0@moedeplan",
        series="ekstra",
        occurrence=0,
        title="Ekstra møde",
        unit="hedegaardsskolen",
        site="raadhuset",
        start=local_datetime(date(2027, 4, 1), 9 * 60),
        end=local_datetime(date(2027, 4, 1), 10 * 60),
        attendees=ATTENDEES[2:3],
    )
    both = plan.model_copy(update={"meetings": [*plan.meetings, extra]})
    items = items_from_plan(config, both)
    assert len(items) == 2
    ics = render_feed(items, "Møder – Hedegården", now=NOW)
    cal = Calendar.from_ical(ics)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Møder – Hedegården"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/Copenhagen"
    found = [(o["DTSTART"].dt, o["DTEND"].dt) for o in instances(ics)]
    assert found == sorted((m.start, m.end) for m in both.meetings)
    sequenced = Calendar.from_ical(render_feed(items, "x", now=NOW, sequences={SERIES_UID: 7}))
    assert {str(e["UID"]): e.decoded("SEQUENCE") for e in sequenced.walk("VEVENT")} == {
        SERIES_UID: 7,
        extra.uid: 0,
    }


# --------------------------------------------------------------------------- privacy


def test_cpr_in_title_stops_every_method(item: CalendarItem) -> None:
    bad = replace(item, title="Opfølgning 0101901234")
    for method in ("REQUEST", "CANCEL", "PUBLISH"):
        with pytest.raises(PrivacyError) as caught:
            render(bad, method, 1, now=NOW)  # type: ignore[arg-type]
        assert caught.value.meeting_uid == SERIES_UID
        assert caught.value.field == "SUMMARY"
        assert "0101901234" not in str(caught.value)
    with pytest.raises(PrivacyError):
        render_feed([bad], "x", now=NOW)


def test_cpr_in_a_participant_name_is_caught_in_description(plan: Plan) -> None:
    data = {**CONFIG_DATA, "staff": [dict(p) for p in CONFIG_DATA["staff"]]}
    data["staff"][2]["name"] = "Psykolog 010190-1234"
    [item] = items_from_plan(config_from_data(data), plan)
    with pytest.raises(PrivacyError) as caught:
        render(item, "REQUEST", 0, now=NOW)
    assert caught.value.field == "DESCRIPTION"


def test_cpr_in_feed_name_is_caught(item: CalendarItem) -> None:
    with pytest.raises(PrivacyError) as caught:
        render_feed([item], "Møder om 0101901234", now=NOW)
    assert (caught.value.meeting_uid, caught.value.field) == ("", "X-WR-CALNAME")
