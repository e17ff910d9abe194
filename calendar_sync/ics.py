"""ICS output for a plan: files per person, unit and district, to import or subscribe to.

This is the first back-end and the simplest: one VEVENT per meeting, each with the meeting's
stable UID, so a re-published file updates events instead of duplicating them. Times are written
as Copenhagen wall time with TZID=Europe/Copenhagen and a hand-built, RRULE-based VTIMEZONE,
because Outlook ignores RDATE-based VTIMEZONEs (what generators derived from the tz database
emit) and would then misplace meetings around the summer-time switch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vRecur,
)

from calendar_sync.privacy import check_meeting_texts
from scheduler.calendar import TZ
from scheduler.config import all_roles
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Person, Plan, Site

PRODID = "-//moedeplan//Ballerup//DA"
TZID = "Europe/Copenhagen"


def build_vtimezone() -> Timezone:
    """Europe/Copenhagen as RRULE rules (EU summer time since 1996), which every client reads."""
    daylight = TimezoneDaylight()
    daylight.add("TZNAME", "CEST")
    daylight.add("TZOFFSETFROM", timedelta(hours=1))
    daylight.add("TZOFFSETTO", timedelta(hours=2))
    daylight.add("DTSTART", datetime(1970, 3, 29, 2, 0, 0))
    daylight.add("RRULE", vRecur(FREQ="YEARLY", BYMONTH=3, BYDAY="-1SU"))

    standard = TimezoneStandard()
    standard.add("TZNAME", "CET")
    standard.add("TZOFFSETFROM", timedelta(hours=2))
    standard.add("TZOFFSETTO", timedelta(hours=1))
    standard.add("DTSTART", datetime(1970, 10, 25, 3, 0, 0))
    standard.add("RRULE", vRecur(FREQ="YEARLY", BYMONTH=10, BYDAY="-1SU"))

    timezone = Timezone()
    timezone.add("TZID", TZID)
    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


# --------------------------------------------------------------------------- one calendar


def _local(moment: datetime, uid: str) -> datetime:
    """The meeting's wall time in Copenhagen; a plan read back from JSON has fixed offsets."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"meeting {uid}: {moment.isoformat()} has no time zone")
    return moment.astimezone(TZ)


def _location(site: Site) -> str:
    return f"{site.name}, {site.address}" if site.address else site.name


def _people_of(meeting: Meeting, people: dict[str, Person]) -> list[tuple[Attendee, Person]]:
    """Each person once, in plan order; a person in two seats counts as required if either is."""
    chosen: dict[str, Attendee] = {}
    for attendee in meeting.attendees:
        if attendee.person not in people:
            raise ValueError(f"meeting {meeting.uid}: unknown person '{attendee.person}'")
        held = chosen.get(attendee.person)
        if held is None or (attendee.required and not held.required):
            chosen[attendee.person] = attendee
    return [(attendee, people[pid]) for pid, attendee in chosen.items()]


def _description(meeting: Meeting, people: dict[str, Person], role_labels: dict[str, str]) -> str:
    """Who comes and in which role, in Danish: names and role labels only, nothing else."""
    lines: list[str] = []
    for seat, label in (("chair", "Mødeleder"), ("minute_taker", "Referent")):
        names = [people[a.person].name for a in meeting.attendees if a.seat == seat]
        if names:
            lines.append(f"{label}: {', '.join(dict.fromkeys(names))}")
    if lines:
        lines.append("")
    lines.append("Deltagere:")
    for attendee, person in _people_of(meeting, people):
        role = role_labels.get(attendee.role, attendee.role)
        optional = "" if attendee.required else " (valgfri)"
        lines.append(f"- {person.name}, {role}{optional}")
    return "\n".join(lines)


def _address(name: str, email: str, role: str | None = None) -> vCalAddress:
    """A fresh address per property: icalendar shares parameter dicts between uses of one object."""
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = name
    if role is not None:
        address.params["ROLE"] = role
    return address


def _event(
    meeting: Meeting,
    texts: dict[str, str],
    people: dict[str, Person],
    stamp: datetime,
) -> Event:
    event = Event()
    event.add("UID", meeting.uid)
    event.add("DTSTAMP", stamp)
    event.add("DTSTART", _local(meeting.start, meeting.uid))
    event.add("DTEND", _local(meeting.end, meeting.uid))
    event.add("SUMMARY", texts["SUMMARY"])
    event.add("LOCATION", texts["LOCATION"])
    event.add("DESCRIPTION", texts["DESCRIPTION"])
    chair = next(
        (people[a.person] for a in meeting.attendees if a.seat == "chair" and people[a.person].email),
        None,
    )
    if chair is not None and chair.email:
        event.add("ORGANIZER", _address(chair.name, chair.email))
    for attendee, person in _people_of(meeting, people):
        if person.email:
            role = "REQ-PARTICIPANT" if attendee.required else "OPT-PARTICIPANT"
            event.add("ATTENDEE", _address(person.name, person.email, role))
    event.add("SEQUENCE", 0)
    event.add("STATUS", "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    return event


def calendar_for(
    config: MunicipalityConfig,
    plan: Plan,
    meetings: Iterable[Meeting],
    name: str,
    now: datetime | None = None,
) -> bytes:
    """One VCALENDAR (METHOD:PUBLISH) with a VEVENT per meeting, checked for CPR numbers first.

    `plan` is the version the meetings come from; this back-end only needs the meetings, but
    later back-ends take the same arguments (the version decides SEQUENCE). `now` fixes DTSTAMP
    for reproducible tests. Every meeting is checked before any is built, so a PrivacyError
    never leaves half a calendar behind.
    """
    del plan  # the same signature for every back-end; see the docstring
    people = {p.id: p for p in config.staff}
    sites = {s.id: s for s in config.sites}
    role_labels = all_roles(config)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)

    ordered = sorted(meetings, key=lambda m: (m.start, m.uid))
    checked: list[tuple[Meeting, dict[str, str]]] = []
    for meeting in ordered:
        if meeting.site not in sites:
            raise ValueError(f"meeting {meeting.uid}: unknown site '{meeting.site}'")
        texts = {
            "SUMMARY": meeting.title,
            "LOCATION": _location(sites[meeting.site]),
            "DESCRIPTION": _description(meeting, people, role_labels),
        }
        check_meeting_texts(meeting.uid, texts)
        checked.append((meeting, texts))
    check_meeting_texts("", {"X-WR-CALNAME": name})

    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-WR-TIMEZONE", TZID)
    calendar.add_component(build_vtimezone())
    for meeting, texts in checked:
        calendar.add_component(_event(meeting, texts, people, stamp))
    return calendar.to_ical()


# --------------------------------------------------------------------------- per reader


def _attends(meeting: Meeting, person_id: str) -> bool:
    return any(a.person == person_id for a in meeting.attendees)


def person_meetings(plan: Plan, person_id: str) -> list[Meeting]:
    return [m for m in plan.meetings if _attends(m, person_id)]


def person_calendars(config: MunicipalityConfig, plan: Plan, now: datetime | None = None) -> dict[str, bytes]:
    """Person id -> the meetings they attend; everyone in the config, even with none (a feed)."""
    return {
        person.id: calendar_for(config, plan, person_meetings(plan, person.id), f"Møder – {person.name}", now)
        for person in config.staff
    }


def unit_calendars(config: MunicipalityConfig, plan: Plan, now: datetime | None = None) -> dict[str, bytes]:
    """Unit id -> the meetings the unit hosts: the leader's overview of their own calendar."""
    return {
        unit.id: calendar_for(
            config,
            plan,
            [m for m in plan.meetings if m.unit == unit.id],
            f"Møder – {unit.name}",
            now,
        )
        for unit in config.units
    }


def district_calendars(
    config: MunicipalityConfig, plan: Plan, now: datetime | None = None
) -> dict[str, bytes]:
    """District id -> meetings of units that belong to it; a two-district club is in both."""
    unit_districts = {u.id: set(u.districts) for u in config.units}
    return {
        district.id: calendar_for(
            config,
            plan,
            [m for m in plan.meetings if district.id in unit_districts.get(m.unit, set())],
            f"Møder – {district.name}",
            now,
        )
        for district in config.districts
    }


def _write(path: Path, data: bytes) -> Path:
    """Write via a temporary file and rename, so a subscriber never fetches half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write_calendars(
    config: MunicipalityConfig, plan: Plan, out_dir: Path, now: datetime | None = None
) -> list[Path]:
    """Write ics/personer, ics/enheder and ics/distrikter under `out_dir`; return the files.

    People without meetings get no file. All calendars are built (and privacy-checked) before
    the first file is written.
    """
    ics = Path(out_dir) / "ics"
    attending = {a.person for m in plan.meetings for a in m.attendees}
    people = {pid: data for pid, data in person_calendars(config, plan, now).items() if pid in attending}
    groups = [
        ("personer", people),
        ("enheder", unit_calendars(config, plan, now)),
        ("distrikter", district_calendars(config, plan, now)),
    ]
    files = [
        (ics / folder / f"{key}.ics", data) for folder, calendars in groups for key, data in calendars.items()
    ]
    return [_write(path, data) for path, data in files]
