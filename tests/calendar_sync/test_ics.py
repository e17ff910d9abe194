"""ICS output: read back by icalendar, by recurring_ical_events, and by hand against the VTIMEZONE.

The truth is the plan (and literal UTC instants written out below), never our own output: the
two library parsers resolve TZID=Europe/Copenhagen through the tz database, and a third check
evaluates the file's own VTIMEZONE rules and the event's RRULE with dateutil, as Outlook does,
so a wrong VTIMEZONE (or a wrong UNTIL) cannot hide behind a right TZID.

A regular series is one recurring VEVENT, so "which meetings are in this file" is answered by
expanding the file (recurring_ical_events) and matching the instances to the plan's meetings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from icalendar import Calendar, vCalAddress, vRecur, vUTCOffset

from calendar_sync.ics import (
    build_vtimezone,
    calendar_for,
    district_calendars,
    person_calendars,
    unit_calendars,
    write_calendars,
)
from calendar_sync.items import items_from_plan
from calendar_sync.itip import render
from calendar_sync.privacy import PrivacyError
from scheduler.config import config_from_data
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.term_dates import TZ, local_datetime
from tests.builders import hand_plan, person, unit

NOW = datetime(2027, 2, 15, 9, 30, 12, tzinfo=UTC)

CONFIG_DATA: dict[str, Any] = {
    "municipality": "Ballerup Kommune",
    "extra_roles": {"skolesekretaer": "Skolesekretær"},
    "districts": [{"id": "hedegaarden", "name": "Hedegården"}],
    "sites": [
        {
            "id": "hedegaardsskolen",
            "name": "Hedegårdsskolen",
            "address": "Magleparken 8, 2750 Ballerup",
        },
        {"id": "raadhuset", "name": "Ballerup Rådhus", "address": "Hold-An Vej 7, 2750 Ballerup"},
    ],
    "units": [
        unit("hedegaardsskolen", "Hedegårdsskolen", "skole", "hedegaardsskolen", district="hedegaarden"),
        {
            "id": "socialafsnittet",
            "name": "Socialafsnittet",
            "kind": "socialafsnit",
            "sites": ["raadhuset"],
        },
    ],
    "staff": [
        person(
            "dl-hedegaarden",
            "distriktsleder",
            name="Distriktsleder Hedegården",
            email="dl.hedegaarden@example.dk",
            serves={"districts": ["hedegaarden"]},
        ),
        person("psykolog-a", "psykolog", email="psykolog.a@example.dk"),
        person("sundhedsplejerske-a", "sundhedsplejerske", email="sundhedsplejerske.a@example.dk"),
        {"id": "referent-a", "name": "Referent A", "roles": ["referent", "skolesekretaer"]},
        {
            "id": "ssp-a",
            "name": "SSP-konsulent A",
            "roles": ["ssp_konsulent"],
            "email": "ssp.a@example.dk",
        },
    ],
    "terms": [
        {"id": "foraar-2027", "name": "Forår 2027", "start": "2027-03-01", "end": "2027-04-30"},
        {"id": "efteraar-2027", "name": "Efterår 2027", "start": "2027-10-01", "end": "2027-11-30"},
    ],
    "series": [
        {
            "id": "kk-hedegaardsskolen",
            "type": "koordineringskonference_skole",
            "unit": "hedegaardsskolen",
            "cadence": "weekly",
            "window": "12:30-16:00",
            "chair": "dl-hedegaarden",
            "minute_taker": "referent-a",
            "required_people": ["psykolog-a"],
            "optional_people": ["sundhedsplejerske-a"],
        },
        {
            "id": "kreative-raad",
            "type": "kreative_raad",
            "unit": "socialafsnittet",
            "cadence": "monthly",
            "required_people": ["sundhedsplejerske-a"],
        },
    ],
}

SCHOOL_ATTENDEES = [
    Attendee(person="dl-hedegaarden", role="distriktsleder", required=True, seat="chair"),
    Attendee(person="referent-a", role="skolesekretaer", required=True, seat="minute_taker"),
    Attendee(person="psykolog-a", role="psykolog", required=True, seat="required_people[0]"),
    Attendee(person="sundhedsplejerske-a", role="sundhedsplejerske", required=False, seat="optional"),
]

# Tuesdays 13:00-15:00 around each switch, with the UTC start hour written out by hand:
# summer time begins Sunday 28 March 2027 and ends Sunday 31 October 2027.
TERMS = {
    "foraar-2027": [
        (date(2027, 3, 16), 12),
        (date(2027, 3, 23), 12),
        (date(2027, 3, 30), 11),
        (date(2027, 4, 6), 11),
    ],
    "efteraar-2027": [
        (date(2027, 10, 19), 11),
        (date(2027, 10, 26), 11),
        (date(2027, 11, 2), 12),
        (date(2027, 11, 9), 12),
    ],
}
KREATIVE_DAY = {"foraar-2027": date(2027, 3, 31), "efteraar-2027": date(2027, 11, 3)}


@pytest.fixture(scope="module")
def config() -> MunicipalityConfig:
    return config_from_data(CONFIG_DATA)


def make_plan(term: str) -> Plan:
    meetings = [
        Meeting(
            uid=f"kk-hedegaardsskolen.{term}.{i}",
            series="kk-hedegaardsskolen",
            occurrence=i,
            title="Koordineringskonference, skole – Hedegårdsskolen",
            unit="hedegaardsskolen",
            site="hedegaardsskolen",
            start=local_datetime(day, 13 * 60),
            end=local_datetime(day, 15 * 60),
            attendees=SCHOOL_ATTENDEES,
        )
        for i, (day, _) in enumerate(TERMS[term])
    ]
    day = KREATIVE_DAY[term]
    meetings.append(
        Meeting(
            uid=f"kreative-raad.{term}.0",
            series="kreative-raad",
            occurrence=0,
            title="Det Kreative Råd",
            unit="socialafsnittet",
            site="raadhuset",
            start=local_datetime(day, 9 * 60),
            end=local_datetime(day, 11 * 60),
            attendees=[
                Attendee(
                    person="sundhedsplejerske-a",
                    role="sundhedsplejerske",
                    required=True,
                    seat="required_people[0]",
                )
            ],
        )
    )
    return hand_plan(
        term, *meetings, municipality="Ballerup Kommune", status=PlanStatus.OPTIMAL, solve_seconds=0.1
    )


def school_uids(term: str) -> set[str]:
    return {f"kk-hedegaardsskolen.{term}.{i}" for i in range(len(TERMS[term]))}


SCHOOL_SERIES_UID = {term: f"kk-hedegaardsskolen.{term}.serie@moedeplan" for term in TERMS}


def uids_of(ics: bytes) -> list[str]:
    """UIDs of the VEVENTs as written (a recurring series and its overrides share one)."""
    return list(dict.fromkeys(str(e["UID"]) for e in Calendar.from_ical(ics).walk("VEVENT")))


def meeting_uids_in(ics: bytes, plan: Plan) -> set[str]:
    """The plan meetings a file shows: its instances, expanded by recurring_ical_events.

    Every instance must be exactly one meeting of the plan (start and end), and no meeting may
    appear twice.
    """
    by_time = {(m.start, m.end): m.uid for m in plan.meetings}
    instances = recurring_ical_events.of(Calendar.from_ical(ics)).between(date(2020, 1, 1), date(2035, 1, 1))
    found = [by_time[(o["DTSTART"].dt, o["DTEND"].dt)] for o in instances]
    assert len(found) == len(set(found)), found
    return set(found)


# --------------------------------------------------------------------------- a reader of our own


def unfolded_lines(ics: bytes) -> list[str]:
    """RFC 5545 unfolding by hand, so the raw checks do not lean on icalendar."""
    return ics.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def vtimezone_rules(ics: bytes) -> list[tuple[list[datetime], timedelta]]:
    """(onsets up to 2050, TZOFFSETTO) of each STANDARD/DAYLIGHT block, read from the text.

    The onsets come from each block's DTSTART and RRULE, expanded by dateutil.
    """
    rules: list[tuple[list[datetime], timedelta]] = []
    block: dict[str, str] | None = None
    for line in unfolded_lines(ics):
        if line in ("BEGIN:STANDARD", "BEGIN:DAYLIGHT"):
            block = {}
        elif line in ("END:STANDARD", "END:DAYLIGHT") and block is not None:
            to = block["TZOFFSETTO"]
            offset = timedelta(hours=int(to[1:3]), minutes=int(to[3:5])) * (-1 if to[0] == "-" else 1)
            first = datetime.strptime(block["DTSTART"], "%Y%m%dT%H%M%S")
            onsets = rrulestr(block["RRULE"], dtstart=first).between(first, datetime(2050, 1, 1), inc=True)
            rules.append((onsets, offset))
            block = None
        elif block is not None:
            key, _, value = line.partition(":")
            block[key] = value
    return rules


def utc_by_vtimezone(rules: list[tuple[list[datetime], timedelta]], wall: datetime) -> datetime:
    """UTC for a Copenhagen wall time by the file's own VTIMEZONE, as a client that reads it would.

    The latest onset at or before the wall time wins. Onsets are compared in wall time, which
    is exact away from the switch hour itself.
    """
    latest: tuple[datetime, timedelta] | None = None
    for onsets, offset in rules:
        earlier = onsets[: bisect_right(onsets, wall)]
        if earlier and (latest is None or earlier[-1] > latest[0]):
            latest = (earlier[-1], offset)
    assert latest is not None, f"no VTIMEZONE rule covers {wall}"
    return (wall - latest[1]).replace(tzinfo=UTC)


def wall_starts(event: dict[str, str], rules: list[tuple[list[datetime], timedelta]]) -> list[datetime]:
    """Wall-clock starts of one VEVENT's instances, read from its raw lines (no EXDATE/overrides here)."""
    match = re.fullmatch(r"DTSTART;TZID=Europe/Copenhagen:(\d{8}T\d{6})", event["DTSTART"])
    assert match, event["DTSTART"]
    first = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S")
    if "RRULE" not in event:
        return [first]
    parts = dict(part.split("=", 1) for part in event["RRULE"].removeprefix("RRULE:").split(";"))
    until = parts.pop("UNTIL")
    assert until.endswith("Z"), "UNTIL must be UTC when DTSTART has a TZID"
    until_utc = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    rule = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=first)
    walls = [w for w in rule.between(first, first + timedelta(days=400), inc=True)]
    return [w for w in walls if utc_by_vtimezone(rules, w) <= until_utc]


# --------------------------------------------------------------------------- the VTIMEZONE


def test_vtimezone_is_rrule_based_without_rdate() -> None:
    tz = build_vtimezone()
    raw = tz.to_ical().decode()
    assert "RDATE" not in raw
    assert str(tz["TZID"]) == "Europe/Copenhagen"
    parts = {c.name: c for c in tz.subcomponents}
    assert set(parts) == {"STANDARD", "DAYLIGHT"}
    expect = {
        "DAYLIGHT": (datetime(1970, 3, 29, 2), [3], "CEST", timedelta(hours=1), timedelta(hours=2)),
        "STANDARD": (
            datetime(1970, 10, 25, 3),
            [10],
            "CET",
            timedelta(hours=2),
            timedelta(hours=1),
        ),
    }
    for name, (start, month, tzname, off_from, off_to) in expect.items():
        part = parts[name]
        rule = part["RRULE"]
        assert isinstance(rule, vRecur)
        assert part.decoded("DTSTART") == start
        assert rule["FREQ"] == ["YEARLY"]
        assert [int(m) for m in rule["BYMONTH"]] == month
        assert [str(d) for d in rule["BYDAY"]] == ["-1SU"]
        assert str(part["TZNAME"]) == tzname
        offset_from, offset_to = part["TZOFFSETFROM"], part["TZOFFSETTO"]
        assert isinstance(offset_from, vUTCOffset) and isinstance(offset_to, vUTCOffset)
        assert offset_from.td == off_from
        assert offset_to.td == off_to


def test_vtimezone_agrees_with_tz_database_2025_to_2040(config: MunicipalityConfig) -> None:
    rules = vtimezone_rules(calendar_for(config, make_plan("foraar-2027"), [], "x", now=NOW))
    assert len(rules) == 2
    day = date(2025, 1, 1)
    while day.year <= 2040:
        for hour in (0, 4, 13):  # before and after the 02:00/03:00 switch hours
            wall = datetime(day.year, day.month, day.day, hour)
            expected = wall.replace(tzinfo=TZ).astimezone(UTC)
            assert utc_by_vtimezone(rules, wall) == expected, wall
        day += timedelta(days=1)


# --------------------------------------------------------------------------- times across DST


@pytest.mark.parametrize("term", sorted(TERMS))
def test_times_survive_dst_switch_in_both_parsers(config: MunicipalityConfig, term: str) -> None:
    plan = make_plan(term)
    ics = calendar_for(config, plan, plan.meetings, "Hedegården", now=NOW)
    by_uid = {m.uid: m for m in plan.meetings}
    expected_utc = {
        f"kk-hedegaardsskolen.{term}.{i}": datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        for i, (day, hour) in enumerate(TERMS[term])
    }

    # 1. icalendar: the school series is one weekly VEVENT from its first meeting, bounded by
    # UNTIL = the last meeting's start in UTC; the Kreative Råd meeting is a single VEVENT.
    series_uid = SCHOOL_SERIES_UID[term]
    first_uid, last_uid = (
        f"kk-hedegaardsskolen.{term}.0",
        f"kk-hedegaardsskolen.{term}.{len(TERMS[term]) - 1}",
    )
    parsed = Calendar.from_ical(ics)
    events = list(parsed.walk("VEVENT"))
    assert sorted(str(e["UID"]) for e in events) == sorted([series_uid, f"kreative-raad.{term}.0"])
    for event in events:
        uid = str(event["UID"])
        meeting = by_uid[first_uid if uid == series_uid else uid]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
        assert event["DTEND"].params["TZID"] == "Europe/Copenhagen"
        assert start == meeting.start and end == meeting.end
        if uid == series_uid:
            rule = event["RRULE"]
            assert isinstance(rule, vRecur)
            assert rule["FREQ"] == ["WEEKLY"] and "COUNT" not in rule
            until = rule["UNTIL"][0]
            assert isinstance(until, datetime)
            assert until.tzinfo is not None and until.utcoffset() == timedelta(0)
            assert until == expected_utc[last_uid]
            assert "EXDATE" not in event and "RECURRENCE-ID" not in event
            assert start.astimezone(UTC) == expected_utc[first_uid]
            assert end.astimezone(UTC) == expected_utc[first_uid] + timedelta(hours=2)
            assert start.astimezone(TZ).strftime("%H:%M") == "13:00"
            assert end.astimezone(TZ).strftime("%H:%M") == "15:00"

    # 2. recurring_ical_events, from a fresh parse
    first, last = TERMS[term][0][0], TERMS[term][-1][0]
    occurrences = recurring_ical_events.of(Calendar.from_ical(ics)).between(
        first - timedelta(days=1), last + timedelta(days=7)
    )
    by_time = {(m.start, m.end): uid for uid, m in by_uid.items()}
    seen = {by_time[(o["DTSTART"].dt, o["DTEND"].dt)]: o for o in occurrences}
    assert len(seen) == len(occurrences) and set(seen) == set(by_uid)
    for uid, occurrence in seen.items():
        start = occurrence["DTSTART"].dt
        expected_uid = SCHOOL_SERIES_UID[term] if uid in expected_utc else uid
        assert str(occurrence["UID"]) == expected_uid
        if uid in expected_utc:
            assert start.astimezone(UTC) == expected_utc[uid]
            assert start.astimezone(TZ).hour == 13

    # 3. by hand: the wall times in the text (DTSTART, and the RRULE expanded in wall time as
    # RFC 5545 says, up to UNTIL compared as an instant), converted by the file's own VTIMEZONE
    rules = vtimezone_rules(ics)
    walls: list[datetime] = []
    fields: dict[str, str] = {}
    for line in unfolded_lines(ics):
        if line == "BEGIN:VEVENT":
            fields = {}
        elif line == "END:VEVENT":
            walls += wall_starts(fields, rules)
        else:
            fields[re.split("[;:]", line, maxsplit=1)[0]] = line
    assert sorted(utc_by_vtimezone(rules, wall) for wall in walls) == sorted(m.start for m in plan.meetings)
    school_walls = [w for w in walls if utc_by_vtimezone(rules, w) in expected_utc.values()]
    assert len(school_walls) == len(expected_utc)
    assert {wall.strftime("%H%M%S") for wall in school_walls} == {"130000"}


def test_plan_read_back_from_json_keeps_wall_time(config: MunicipalityConfig) -> None:
    """A stored plan has fixed +01:00/+02:00 offsets; the file must still say TZID 13:00."""
    plan = make_plan("foraar-2027")
    stored = Plan.model_validate_json(plan.model_dump_json())
    assert stored.meetings[2].start.tzinfo != TZ  # a fixed offset, as read from JSON
    ics = calendar_for(config, stored, stored.meetings, "x", now=NOW)
    assert ics == calendar_for(config, plan, plan.meetings, "x", now=NOW)


def test_naive_times_are_refused(config: MunicipalityConfig) -> None:
    plan = make_plan("foraar-2027")
    meeting = plan.meetings[0].model_copy(update={"start": datetime(2027, 3, 16, 13)})
    with pytest.raises(ValueError, match="no time zone"):
        calendar_for(config, plan, [meeting], "x", now=NOW)


# --------------------------------------------------------------------------- content


def test_calendar_headers_and_event_fields(config: MunicipalityConfig) -> None:
    plan = make_plan("foraar-2027")
    ics = calendar_for(config, plan, plan.meetings, "Møder – Hedegården", now=NOW)
    lines = unfolded_lines(ics)
    assert "METHOD:PUBLISH" in lines
    assert "VERSION:2.0" in lines
    assert "PRODID:-//moedeplan//Ballerup//DA" in lines
    assert "X-WR-TIMEZONE:Europe/Copenhagen" in lines
    assert "RDATE" not in ics.decode()
    # two in the VTIMEZONE, one for the weekly school series
    assert sum(line.startswith("RRULE:") for line in lines) == 3

    cal = Calendar.from_ical(ics)
    assert str(cal["X-WR-CALNAME"]) == "Møder – Hedegården"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert list(events) == [SCHOOL_SERIES_UID["foraar-2027"], "kreative-raad.foraar-2027.0"]

    event = events[SCHOOL_SERIES_UID["foraar-2027"]]
    assert str(event["SUMMARY"]) == "Koordineringskonference, skole – Hedegårdsskolen"
    assert str(event["LOCATION"]) == "Hedegårdsskolen, Magleparken 8, 2750 Ballerup"
    assert event.decoded("DTSTAMP") == NOW
    assert "DTSTAMP:20270215T093012Z" in lines
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:dl.hedegaarden@example.dk"
    assert organizer.params["CN"] == "Distriktsleder Hedegården"

    # A feed is METHOD:PUBLISH, which carries no ATTENDEE (RFC 5546); the description names
    # everyone, and invitations (METHOD:REQUEST, calendar_sync.itip) carry the ATTENDEE lines.
    assert "ATTENDEE" not in event
    assert not any(line.startswith("ATTENDEE") for line in lines)

    description = str(event["DESCRIPTION"])
    assert description.splitlines() == [
        "Mødeleder: Distriktsleder Hedegården",
        "Referent: Referent A",
        "",
        "Deltagere:",
        "- Distriktsleder Hedegården, Distriktsleder",
        "- Referent A, Skolesekretær",
        "- Psykolog A, Psykolog (PPR)",
        "- Sundhedsplejerske A, Sundhedsplejerske (valgfri)",
    ]

    other = events["kreative-raad.foraar-2027.0"]
    assert "ORGANIZER" not in other  # no chair seat
    assert str(other["LOCATION"]) == "Ballerup Rådhus, Hold-An Vej 7, 2750 Ballerup"
    assert "ATTENDEE" not in other
    assert "RRULE" not in other  # a single meeting
    assert other.decoded("DTSTART") == plan.meetings[-1].start


def test_description_carries_nothing_else_from_config(config: MunicipalityConfig) -> None:
    plan = make_plan("foraar-2027")
    cal = Calendar.from_ical(calendar_for(config, plan, plan.meetings, "x", now=NOW))
    for event in cal.walk("VEVENT"):
        description = str(event["DESCRIPTION"])
        assert "@" not in description
        assert "Magleparken" not in description and "Hold-An" not in description
        assert "psykolog-a" not in description  # ids stay internal


def test_person_in_two_seats_is_listed_once_as_required(config: MunicipalityConfig) -> None:
    plan = make_plan("foraar-2027")
    meeting = plan.meetings[0].model_copy(
        update={
            "attendees": [
                *SCHOOL_ATTENDEES,
                Attendee(person="psykolog-a", role="psykolog", required=False, seat="optional"),
            ]
        }
    )
    event = Calendar.from_ical(calendar_for(config, plan, [meeting], "x", now=NOW)).events[0]
    assert str(event["DESCRIPTION"]).count("Psykolog A") == 1
    [item] = items_from_plan(config, plan.model_copy(update={"meetings": [meeting]}))
    assert [(a.person, a.required) for a in item.attendees if a.person == "psykolog-a"] == [
        ("psykolog-a", True)
    ]
    invite = Calendar.from_ical(render(item, "REQUEST", 0, now=NOW)).events[0]
    attendees = invite["ATTENDEE"]
    assert isinstance(attendees, list) and all(isinstance(a, vCalAddress) for a in attendees)
    psykolog = [a for a in attendees if str(a) == "mailto:psykolog.a@example.dk"]
    assert [a.params["ROLE"] for a in psykolog] == ["REQ-PARTICIPANT"]


# --------------------------------------------------------------------------- per reader


def test_person_calendar_has_only_their_meetings(config: MunicipalityConfig) -> None:
    plan = make_plan("efteraar-2027")
    calendars = person_calendars(config, plan, now=NOW)
    assert set(calendars) == {p.id for p in config.staff}
    assert meeting_uids_in(calendars["psykolog-a"], plan) == school_uids("efteraar-2027")
    assert uids_of(calendars["psykolog-a"]) == [SCHOOL_SERIES_UID["efteraar-2027"]]
    assert meeting_uids_in(calendars["referent-a"], plan) == school_uids("efteraar-2027")
    assert meeting_uids_in(calendars["sundhedsplejerske-a"], plan) == school_uids("efteraar-2027") | {
        "kreative-raad.efteraar-2027.0"
    }
    assert uids_of(calendars["ssp-a"]) == []
    name = Calendar.from_ical(calendars["psykolog-a"])["X-WR-CALNAME"]
    assert str(name) == "Møder – Psykolog A"


def test_unit_and_district_calendars(config: MunicipalityConfig) -> None:
    plan = make_plan("foraar-2027")
    units = unit_calendars(config, plan, now=NOW)
    assert meeting_uids_in(units["hedegaardsskolen"], plan) == school_uids("foraar-2027")
    assert uids_of(units["socialafsnittet"]) == ["kreative-raad.foraar-2027.0"]
    districts = district_calendars(config, plan, now=NOW)
    # Socialafsnittet belongs to no district, so its meeting is not in Hedegården's calendar.
    assert set(districts) == {"hedegaarden"}
    assert meeting_uids_in(districts["hedegaarden"], plan) == school_uids("foraar-2027")


def test_write_calendars(config: MunicipalityConfig, tmp_path: Path) -> None:
    plan = make_plan("foraar-2027")
    written = write_calendars(config, plan, tmp_path, now=NOW)
    ics = tmp_path / "ics"
    expected = {
        ics / "personer" / "dl-hedegaarden.ics",
        ics / "personer" / "psykolog-a.ics",
        ics / "personer" / "sundhedsplejerske-a.ics",
        ics / "personer" / "referent-a.ics",
        ics / "enheder" / "hedegaardsskolen.ics",
        ics / "enheder" / "socialafsnittet.ics",
        ics / "distrikter" / "hedegaarden.ics",
    }
    assert set(written) == expected and len(written) == len(expected)
    assert set(ics.rglob("*")) - {ics / d for d in ("personer", "enheder", "distrikter")} == expected
    assert not (ics / "personer" / "ssp-a.ics").exists()  # no meetings, no file
    assert meeting_uids_in((ics / "personer" / "psykolog-a.ics").read_bytes(), plan) == school_uids(
        "foraar-2027"
    )
    assert uids_of((ics / "enheder" / "socialafsnittet.ics").read_bytes()) == ["kreative-raad.foraar-2027.0"]


# --------------------------------------------------------------------------- privacy


def test_cpr_in_title_stops_the_calendar(config: MunicipalityConfig, tmp_path: Path) -> None:
    plan = make_plan("foraar-2027")
    bad = plan.meetings[1].model_copy(update={"title": "Opfølgning 0101901234"})
    plan = plan.model_copy(update={"meetings": [plan.meetings[0], bad, *plan.meetings[2:]]})
    with pytest.raises(PrivacyError) as caught:
        calendar_for(config, plan, plan.meetings, "x", now=NOW)
    assert caught.value.meeting_uid == "kk-hedegaardsskolen.foraar-2027.1"
    assert caught.value.field == "SUMMARY"
    assert "kk-hedegaardsskolen.foraar-2027.1" in str(caught.value)
    assert "0101901234" not in str(caught.value)  # the error must not leak what it guards
    with pytest.raises(PrivacyError):
        write_calendars(config, plan, tmp_path, now=NOW)
    assert not (tmp_path / "ics").exists()  # nothing written before the check failed


def test_cpr_in_a_participant_name_is_caught_in_description() -> None:
    data = {**CONFIG_DATA, "staff": [dict(p) for p in CONFIG_DATA["staff"]]}
    data["staff"][1]["name"] = "Psykolog 010190-1234"
    config = config_from_data(data)
    plan = make_plan("foraar-2027")
    with pytest.raises(PrivacyError) as caught:
        calendar_for(config, plan, plan.meetings[:1], "x", now=NOW)
    assert caught.value.field == "DESCRIPTION"
    assert caught.value.meeting_uid == "kk-hedegaardsskolen.foraar-2027.0"


def test_cpr_in_calendar_name_is_caught(config: MunicipalityConfig) -> None:
    with pytest.raises(PrivacyError) as caught:
        calendar_for(config, make_plan("foraar-2027"), [], "Møder om 0101901234", now=NOW)
    assert (caught.value.meeting_uid, caught.value.field) == ("", "X-WR-CALNAME")
