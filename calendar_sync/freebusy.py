"""Free/busy from Exchange into planning: what people already have in their calendars.

Before a term is planned, each person's busy times for the term are read from Exchange — EWS
`GetUserAvailability` (Exchange Server) or Graph `getSchedule` (Exchange Online) — and handed to
the planner as unavailability: `apply_busy` adds them to the config as absences with a time of
day, which the `availability` rule already honours. Only the times go in: subjects are used to
recognise our own meetings and then dropped (they may name a case).

**Our own meetings are not busy against themselves.** Neither GetUserAvailability nor getSchedule
returns an item's UID or our extended properties, so a busy block counts as ours when a meeting
moedeplan published (the calendar items of the current plan, `own`) has an instance for that
person at exactly that start and end and — where the view carries a subject — with that title.

Limits the readers respect: EWS answers at most 42 days per request and Graph 62, so the term is
read in windows of 42 and 60 days; Graph takes the addresses in groups of 20 per request.

`read_busy(config, term, settings, backend, own=…)` is the one call for the CLI and the API;
`save_busy`/`load_busy` write and read the BUSY.yaml the planner takes (`moedeplan plan --busy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml

from calendar_sync.items import CalendarItem, instances, view_for
from calendar_sync.settings import CalendarSettings
from scheduler.availability import Unavailability, config_with_unavailability
from scheduler.model import MunicipalityConfig
from scheduler.term_dates import TZ

BUSY_REASON = "optaget i Exchange-kalenderen"
"""The reason the absences carry; internal, like every absence reason."""

COUNTS_AS_BUSY = {"busy", "oof"}
"""Free/busy statuses that block planning (lower case; EWS says Busy/OOF, Graph busy/oof). Tentative
and working elsewhere do not: a meeting can still be asked for."""


@dataclass(frozen=True)
class Busy:
    """One busy block of one person (aware datetimes)."""

    start: datetime
    end: datetime
    subject: str | None = None


class FreeBusyReader(Protocol):
    """Busy blocks per mailbox (lower-case address) in [start, end)."""

    def busy(self, mailboxes: list[str], start: datetime, end: datetime) -> dict[str, list[Busy]]: ...

    def close(self) -> None: ...


def _windows(start: datetime, end: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
    while start < end:
        stop = min(start + timedelta(days=days), end)
        yield start, stop
        start = stop


# --------------------------------------------------------------------------- EWS


class EwsFreeBusy:
    """GetUserAvailability through exchangelib, with the Copenhagen time zone sent explicitly
    (so no GetServerTimeZones round trip is needed)."""

    WINDOW_DAYS = 42

    def __init__(self, settings: dict[str, Any]):
        from calendar_sync.backends.exchange_ews import Backend

        self.backend = Backend(settings)
        self._protocol: Any = None
        if self.backend.auth == "oauth" and not self.backend.service_mailbox:
            raise ValueError("ledig/optaget via EWS med OAuth kræver MOEDEPLAN_EWS_SERVICE_MAILBOX")

    def busy(self, mailboxes: list[str], start: datetime, end: datetime) -> dict[str, list[Busy]]:
        from exchangelib import EWSDateTime, EWSTimeZone
        from exchangelib.properties import (
            DaylightTime,
            FreeBusyViewOptions,
            MailboxData,
            StandardTime,
            TimeWindow,
            TimeZone,
        )
        from exchangelib.protocol import Protocol
        from exchangelib.services import GetUserAvailability

        zone = EWSTimeZone("Europe/Copenhagen")
        # Central European time: UTC+1, summer time from the last Sunday of March 02:00 to the
        # last Sunday of October 03:00. Bias is what is added to local time to get UTC.
        timezone = TimeZone(
            bias=-60,
            standard_time=StandardTime(bias=0, time=time(3), occurrence=5, iso_month=10, weekday=7),
            daylight_time=DaylightTime(bias=-60, time=time(2), occurrence=5, iso_month=3, weekday=7),
        )
        protocol = self._protocol = Protocol(config=self.backend.config)
        protocol.TIMEOUT = self.backend.timeout
        found: dict[str, list[Busy]] = {m: [] for m in mailboxes}
        for window_start, window_end in _windows(start, end, self.WINDOW_DAYS):
            views = GetUserAvailability(protocol=protocol).call(
                tzinfo=zone,
                mailbox_data=[
                    MailboxData(email=m, attendee_type="Required", exclude_conflicts=False) for m in mailboxes
                ],
                timezone=timezone,
                free_busy_view_options=FreeBusyViewOptions(
                    time_window=TimeWindow(
                        start=EWSDateTime.from_datetime(window_start.astimezone(TZ)).astimezone(zone),
                        end=EWSDateTime.from_datetime(window_end.astimezone(TZ)).astimezone(zone),
                    ),
                    merged_free_busy_interval=30,
                    requested_view="Detailed",
                ),
            )
            for mailbox, view in zip(mailboxes, views, strict=True):
                if isinstance(view, Exception):
                    raise view
                for event in view.calendar_events or []:
                    if str(event.busy_type).lower() not in COUNTS_AS_BUSY:
                        continue
                    subject = event.details.subject if event.details is not None else None
                    found[mailbox].append(Busy(_aware(event.start), _aware(event.end), subject))
        return found

    def close(self) -> None:
        if self._protocol is not None:
            self._protocol.close()
        self.backend.close()


def _aware(moment: datetime) -> datetime:
    """An exchangelib datetime as a plain aware one in Copenhagen."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return datetime.fromtimestamp(moment.timestamp(), tz=TZ)


# --------------------------------------------------------------------------- Graph


class GraphFreeBusy:
    """`POST /users/{service mailbox}/calendar/getSchedule`, times asked for in Copenhagen time."""

    WINDOW_DAYS = 60
    BATCH = 20

    def __init__(self, settings: dict[str, Any]):
        from calendar_sync.backends.exchange_graph import Backend

        self.backend = Backend(settings)

    def busy(self, mailboxes: list[str], start: datetime, end: datetime) -> dict[str, list[Busy]]:
        from urllib.parse import quote

        from calendar_sync.backends.exchange_graph import WINDOWS_ZONE, _check, graph_time

        caller = self.backend.service_mailbox or (mailboxes[0] if mailboxes else None)
        found: dict[str, list[Busy]] = {m: [] for m in mailboxes}
        if caller is None:
            return found
        for window_start, window_end in _windows(start, end, self.WINDOW_DAYS):
            for i in range(0, len(mailboxes), self.BATCH):
                response = self.backend.request(
                    "POST",
                    f"users/{quote(caller)}/calendar/getSchedule",
                    {
                        "schedules": mailboxes[i : i + self.BATCH],
                        "startTime": graph_time(window_start),
                        "endTime": graph_time(window_end),
                        "availabilityViewInterval": 30,
                    },
                    {"Prefer": f'outlook.timezone="{WINDOWS_ZONE}"'},
                )
                _check(response, "getSchedule")
                for schedule in response.json().get("value", []):
                    mailbox = str(schedule.get("scheduleId", "")).lower()
                    for entry in schedule.get("scheduleItems", []):
                        if str(entry.get("status", "")).lower() not in COUNTS_AS_BUSY:
                            continue
                        found.setdefault(mailbox, []).append(
                            Busy(
                                _graph_moment(entry["start"]),
                                _graph_moment(entry["end"]),
                                entry.get("subject"),
                            )
                        )
        return found

    def close(self) -> None:
        self.backend.close()


def _graph_moment(value: Mapping[str, str]) -> datetime:
    moment = datetime.fromisoformat(value["dateTime"][:19])
    zone = value.get("timeZone", "UTC")
    return moment.replace(tzinfo=UTC if zone == "UTC" else TZ).astimezone(TZ)


# --------------------------------------------------------------------------- reading


def reader_for(backend: str, settings: CalendarSettings) -> FreeBusyReader:
    if backend == "exchange_ews":
        return EwsFreeBusy(settings.backend_settings(backend))
    if backend == "exchange_graph":
        return GraphFreeBusy(settings.backend_settings(backend))
    raise ValueError(f"free/busy kan kun læses fra exchange_ews eller exchange_graph, ikke '{backend}'")


def own_meetings(items: Iterable[CalendarItem]) -> dict[str, set[tuple[datetime, datetime, str]]]:
    """person id -> (start, end, title) of every meeting instance we published to them."""
    found: dict[str, set[tuple[datetime, datetime, str]]] = {}
    for item in items:
        for person in item.recipients:
            view = view_for(item, person)
            if view is None:
                continue
            for instance in instances(view):
                start, end = instance.start.astimezone(UTC), instance.end.astimezone(UTC)
                found.setdefault(person, set()).add((start, end, item.title))
    return found


def read_busy(
    config: MunicipalityConfig,
    term: str,
    settings: CalendarSettings,
    backend: str | None = None,
    *,
    own: Iterable[CalendarItem] = (),
    reader: FreeBusyReader | None = None,
) -> dict[str, list[Busy]]:
    """person id -> busy blocks in the term from Exchange, our own meetings (`own`) left out.

    `backend` is exchange_ews or exchange_graph (default: MOEDEPLAN_CALENDAR_BACKEND); `reader`
    replaces the Exchange reader (tests, other sources). People without an e-mail are skipped.
    """
    the_term = next((t for t in config.terms if t.id == term), None)
    if the_term is None:
        raise ValueError(f"ukendt termin '{term}'")
    name = backend or settings.calendar_backend
    source = reader or reader_for(name, settings)
    people = {p.email.lower(): p.id for p in config.staff if p.email}
    start = datetime.combine(the_term.start, time(0), tzinfo=TZ)
    end = datetime.combine(the_term.end + timedelta(days=1), time(0), tzinfo=TZ)
    try:
        by_mailbox = source.busy(sorted(people), start, end)
    finally:
        if reader is None:
            source.close()
    ours = own_meetings(own)
    busy: dict[str, list[Busy]] = {}
    for mailbox, blocks in by_mailbox.items():
        person = people.get(mailbox.lower())
        if person is None:
            continue
        mine = ours.get(person, set())
        kept = [b for b in blocks if not _is_ours(b, mine)]
        busy[person] = sorted(kept, key=lambda b: (b.start, b.end))
    return busy


def _is_ours(block: Busy, mine: set[tuple[datetime, datetime, str]]) -> bool:
    start, end = block.start.astimezone(UTC), block.end.astimezone(UTC)
    return any(
        s == start and e == end and (not block.subject or block.subject == title) for s, e, title in mine
    )


# --------------------------------------------------------------------------- into the planner


def merged(blocks: Iterable[Busy]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching blocks as one."""
    spans: list[tuple[datetime, datetime]] = []
    for block in sorted(blocks, key=lambda b: b.start):
        if spans and block.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], block.end))
        else:
            spans.append((block.start, block.end))
    return spans


def apply_busy(config: MunicipalityConfig, busy: Mapping[str, Iterable[Busy]]) -> MunicipalityConfig:
    """A copy of the config where each person's busy blocks are absences (with a time of day), so
    the planner keeps their meetings clear of them. People unknown to the config are ignored."""
    known = {p.id for p in config.staff}
    for person, blocks in busy.items():
        if person not in known:
            continue
        for start, end in merged(blocks):
            config = config_with_unavailability(
                config, Unavailability(person=person, start=start, end=end, reason=BUSY_REASON)
            )
    return config


def save_busy(path: Path, term: str, source: str, busy: Mapping[str, list[Busy]]) -> None:
    """BUSY.yaml: times only (no subjects), in Copenhagen time with the offset."""
    data = {
        "term": term,
        "source": source,
        "busy": {
            person: [{"start": s.isoformat(), "end": e.isoformat()} for s, e in merged(blocks)]
            for person, blocks in sorted(busy.items())
            if blocks
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def load_busy(path: Path) -> dict[str, list[Busy]]:
    """Read BUSY.yaml back; raises ValueError naming the place of a bad entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("busy", {}), dict):
        raise ValueError(f"{path}: expected a mapping with 'busy: {{person: [{{start, end}}]}}'")
    busy: dict[str, list[Busy]] = {}
    for person, blocks in (data.get("busy") or {}).items():
        for i, block in enumerate(blocks or []):
            try:
                start, end = (_moment(block[k]) for k in ("start", "end"))
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{path}: busy.{person}[{i}]: {error}") from None
            if start.tzinfo is None or end <= start:
                raise ValueError(f"{path}: busy.{person}[{i}]: needs aware times with end after start")
            busy.setdefault(str(person), []).append(Busy(start, end))
    return busy


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise ValueError("a time of day is needed")
    return datetime.fromisoformat(str(value))
