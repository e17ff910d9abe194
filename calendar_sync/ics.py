"""ICS output for a plan: files per person, unit and district, to import or subscribe to.

Built from the plan's calendar items (`calendar_sync.items`): a regular series is one recurring
VEVENT (RRULE, EXDATE for skipped dates, RECURRENCE-ID overrides for moved meetings) under a
UID that stays the same in every plan version, other meetings are single VEVENTs with the
meeting's stable UID, so a re-published file updates events instead of duplicating them. The
text itself is `calendar_sync.itip.render_feed` (METHOD:PUBLISH, Copenhagen wall time with
TZID=Europe/Copenhagen and an RRULE-based VTIMEZONE, which Outlook reads correctly).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from calendar_sync.items import CalendarItem, view_for
from calendar_sync.itip import PRODID, TZID, build_vtimezone, render_feed
from calendar_sync.privacy import PrivacyGuard, guarded_items
from scheduler.model import Meeting, MunicipalityConfig, Plan

__all__ = [
    "PRODID",
    "TZID",
    "build_vtimezone",
    "calendar_for",
    "district_calendars",
    "person_calendars",
    "person_meetings",
    "unit_calendars",
    "write_calendars",
]


# --------------------------------------------------------------------------- one calendar


def calendar_for(
    config: MunicipalityConfig,
    plan: Plan,
    meetings: Iterable[Meeting],
    name: str,
    now: datetime | None = None,
) -> bytes:
    """One VCALENDAR (METHOD:PUBLISH) with the items of these meetings, privacy-checked first.

    The items are made from `meetings` alone (as if they were the whole plan of `plan`'s term),
    so a series is recurring here when these meetings of it are regular. `now` fixes DTSTAMP
    for reproducible tests. Every item is checked before any is built, so a PrivacyError never
    leaves half a calendar behind.
    """
    items, guard = guarded_items(config, plan.model_copy(update={"meetings": list(meetings)}))
    return render_feed(items, name, now, guard=guard)


# --------------------------------------------------------------------------- per reader
#
# The feeds below share the items of the whole plan. A person's feed holds each item as their
# calendar should (`view_for`): a series without the instances they skip, or only the instances
# they come to, so "the items a person receives" is exactly "their meetings".


def _attends(meeting: Meeting, person_id: str) -> bool:
    return any(a.person == person_id for a in meeting.attendees)


def person_meetings(plan: Plan, person_id: str) -> list[Meeting]:
    return [m for m in plan.meetings if _attends(m, person_id)]


def person_calendars(config: MunicipalityConfig, plan: Plan, now: datetime | None = None) -> dict[str, bytes]:
    """Person id -> the items they receive; everyone in the config, even with none (a feed)."""
    items, guard = guarded_items(config, plan)
    feeds = {}
    for person in config.staff:
        views = [view for view in (view_for(i, person.id) for i in items) if view is not None]
        feeds[person.id] = render_feed(views, f"Møder – {person.name}", now, guard=guard)
    return feeds


def unit_calendars(config: MunicipalityConfig, plan: Plan, now: datetime | None = None) -> dict[str, bytes]:
    """Unit id -> the items the unit hosts: the leader's overview of their own calendar."""
    items, guard = guarded_items(config, plan)
    return {
        unit.id: render_feed(
            [i for i in items if i.unit == unit.id], f"Møder – {unit.name}", now, guard=guard
        )
        for unit in config.units
    }


def district_calendars(
    config: MunicipalityConfig, plan: Plan, now: datetime | None = None
) -> dict[str, bytes]:
    """District id -> items of units that belong to it; a two-district club is in both."""
    unit_districts = {u.id: set(u.districts) for u in config.units}
    items, guard = guarded_items(config, plan)
    return {
        district.id: render_feed(
            [i for i in items if district.id in unit_districts.get(i.unit, set())],
            f"Møder – {district.name}",
            now,
            guard=guard,
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


# --------------------------------------------------------------------------- subscription feeds

FeedKind = str  # "person", "unit" or "district"


def reader_feeds(
    plans: Iterable[tuple[MunicipalityConfig, Plan]],
    kind: FeedKind,
    now: datetime | None = None,
    confidential: Iterable[str] = (),
) -> dict[str, bytes]:
    """Reader id -> one feed with their items from several plans (one per term), for the API.

    A subscription outlives a term: the feed holds every published term, so the calendar does
    not empty when a new term's plan is published. `confidential`: texts kept out besides the
    configs' own (the reasons of absences registered through the API).
    """
    confidential = list(confidential)
    readers: dict[str, str] = {}
    chosen: dict[str, list[CalendarItem]] = {}
    secrets: set[str] = set()  # the confidential texts of every config, for the merged feeds
    for config, plan in plans:
        items, guard = guarded_items(config, plan, confidential)
        secrets.update(guard.confidential)
        if kind == "person":
            for person in config.staff:
                readers[person.id] = person.name
                views = (view_for(i, person.id) for i in items)
                chosen.setdefault(person.id, []).extend(v for v in views if v is not None)
        elif kind == "unit":
            for unit in config.units:
                readers[unit.id] = unit.name
                chosen.setdefault(unit.id, []).extend(i for i in items if i.unit == unit.id)
        elif kind == "district":
            unit_districts = {u.id: set(u.districts) for u in config.units}
            for district in config.districts:
                readers[district.id] = district.name
                chosen.setdefault(district.id, []).extend(
                    i for i in items if district.id in unit_districts.get(i.unit, set())
                )
        else:
            raise ValueError(f"unknown feed kind '{kind}'")
    guard = PrivacyGuard(tuple(sorted(secrets)))
    return {
        rid: render_feed(chosen.get(rid, []), f"Møder – {name}", now, guard=guard)
        for rid, name in readers.items()
    }
