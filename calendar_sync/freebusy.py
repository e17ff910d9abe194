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

Reading is an optional capability of a back-end (`CalendarBackend.busy`, `supports_busy`):
`exchange_ews` and `exchange_graph` implement it themselves, with their servers' limits (EWS
answers at most 42 days per request, Graph 62 and 20 addresses); this module keeps what is the
same for every source (our own meetings, merging, the config, BUSY.yaml). A back-end without
the capability is refused with a Danish message naming it.

`read_busy(config, term, settings, backend, own=…)` is the one call for the CLI and the API;
`save_busy`/`load_busy` write and read the BUSY.yaml the planner takes (`moedeplan plan --busy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

import yaml

from calendar_sync.backends.base import (
    COUNTS_AS_BUSY,
    Busy,
    backend_class,
    busy_unsupported,
    load_backend,
)
from calendar_sync.items import CalendarItem, instances, view_for
from calendar_sync.settings import CalendarSettings
from scheduler.availability import Unavailability, config_with_unavailability
from scheduler.index import index_of
from scheduler.model import MunicipalityConfig
from scheduler.term_dates import TZ

BUSY_REASON = "optaget i Exchange-kalenderen"
"""The reason the absences carry; internal, like every absence reason."""


class FreeBusyReader(Protocol):
    """Busy blocks per mailbox (lower-case address) in [start, end): a back-end with the free/busy
    capability (`CalendarBackend.supports_busy`), or a stand-in for tests and other sources."""

    def busy(self, mailboxes: list[str], start: datetime, end: datetime) -> dict[str, list[Busy]]: ...

    def close(self) -> None: ...


def reader_for(backend: str, settings: CalendarSettings) -> FreeBusyReader:
    """The back-end `backend`, configured, if it can read free/busy; a Danish error naming it if not."""
    kind = backend_class(backend)
    if not kind.supports_busy:
        raise busy_unsupported(backend)
    return load_backend(backend, settings.backend_settings(backend))


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

    `backend` is one that can read free/busy (exchange_ews, exchange_graph; default:
    MOEDEPLAN_CALENDAR_BACKEND); `reader` replaces it (tests, other sources). People without an
    e-mail are skipped.
    """
    the_term = index_of(config).terms.get(term)
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
    known = index_of(config).people
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
        raise ValueError(f"{path}: filen skal være et afsnit som 'busy: {{person: [{{start, end}}]}}'")
    busy: dict[str, list[Busy]] = {}
    for person, blocks in (data.get("busy") or {}).items():
        for i, block in enumerate(blocks or []):
            try:
                start, end = (_moment(block[k]) for k in ("start", "end"))
            except KeyError as missing:
                raise ValueError(f"{path}: busy.{person}[{i}].{missing.args[0]}: mangler") from None
            except (TypeError, ValueError):
                raise ValueError(
                    f"{path}: busy.{person}[{i}]: start og end skal være tidspunkter som "
                    "2027-03-08T13:00+01:00"
                ) from None
            if start.tzinfo is None or end <= start:
                raise ValueError(
                    f"{path}: busy.{person}[{i}]: start og end skal have en tidszone (fx +01:00), "
                    "og end skal ligge efter start"
                )
            busy.setdefault(str(person), []).append(Busy(start, end))
    return busy


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise ValueError("et klokkeslæt mangler")
    return datetime.fromisoformat(str(value))


__all__ = [
    "BUSY_REASON",
    "COUNTS_AS_BUSY",
    "Busy",
    "FreeBusyReader",
    "apply_busy",
    "load_busy",
    "merged",
    "own_meetings",
    "read_busy",
    "reader_for",
    "save_busy",
]
