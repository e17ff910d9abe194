"""The `ics` back-end: one PUBLISH file per item per recipient, and a merged feed file each.

Files are the simplest calendar there is, and the merged feed is what a person subscribes to in
Outlook or Google (served from a file share or any web server); it is built from the stored
files, so it always shows exactly what was delivered, with each item's SEQUENCE. Layout:

    <directory>/<person>/<uid>.ics    one item, as the person's calendar holds it
    <directory>/<person>.ics          the person's merged feed: all their items in one calendar,
                                      rewritten after every change to them

the names percent-encoded (no '/' or '@' in a file name, no collisions, reversible); a person
id ending in '.ics' is refused, so a folder and a feed file never share a name. Every write goes
to a temporary file that is fsynced and renamed over the target, so a reader or a crash never
sees half a file; and writing the same (uid, SEQUENCE) again gives the same file, so the sync
engine may repeat a delivery it could not record.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from icalendar import Calendar

from calendar_sync import itip
from calendar_sync.backends.base import BackendSettings, CalendarBackend, DeliveryError, Recipient
from calendar_sync.items import CalendarItem
from calendar_sync.privacy import DEFAULT_GUARD

FEED_SUFFIX = ".ics"
"""A person's merged feed is `<directory>/<person>.ics`."""

MAX_NAME = 200
"""Bytes; longer encoded UIDs are shortened with a hash (file systems stop at 255)."""


class Settings(BackendSettings):
    """MOEDEPLAN_ICS_DIRECTORY: where the files go."""

    ics_directory: Path = Path("out/calendars")

    def options(self) -> dict[str, Any]:
        return {"directory": str(self.ics_directory)}


def _safe(name: str) -> str:
    encoded = quote(name, safe="")
    if len(encoded) > MAX_NAME:
        encoded = f"{encoded[: MAX_NAME - 65]}-{hashlib.sha256(name.encode()).hexdigest()}"
    return encoded


class Backend(CalendarBackend):
    name = "ics"
    settings_class = Settings

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        if not settings.get("directory"):
            raise ValueError("the ics back-end needs settings['directory']")
        self.directory = Path(settings["directory"])

    # ------------------------------------------------------------------ layout

    def folder(self, person: str) -> Path:
        """The recipient's folder; an id that would leave `directory` is refused."""
        name = _safe(person)
        if name in ("", ".", "..") or name.endswith(FEED_SUFFIX):
            raise DeliveryError(f"'{person}' cannot name a calendar folder", permanent=True)
        return self.directory / name

    def feed_path(self, person: str) -> Path:
        """The person's merged feed file, next to their folder."""
        folder = self.folder(person)
        return folder.with_name(folder.name + FEED_SUFFIX)

    def path(self, person: str, uid: str) -> Path:
        return self.folder(person) / f"{_safe(uid)}.ics"

    def _remote_id(self, person: str, uid: str) -> str:
        return self.path(person, uid).relative_to(self.directory).as_posix()

    # ------------------------------------------------------------------ CalendarBackend

    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        return self._store(item, sequence, recipient)

    def update(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> str:
        """The file is found by UID, so `remote_id` (its relative path) is not needed to replace it."""
        return self._store(item, sequence, recipient)

    def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
        """Delete the file: a feed drops what it no longer lists. Deleting twice is fine."""
        path = self.path(recipient.person, item.uid)
        path.unlink(missing_ok=True)
        _sync_dir(path.parent)
        self._write_feed(recipient)

    def _store(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        path = self.path(recipient.person, item.uid)
        _write_atomic(path, itip.render(item, "PUBLISH", sequence, recipient=recipient.person))
        self._write_feed(recipient)
        return self._remote_id(recipient.person, item.uid)

    def _write_feed(self, recipient: Recipient) -> None:
        """Rewrite the person's merged feed from their files (the same files give the same bytes,
        so a repeated delivery rewrites it unchanged)."""
        name = f"Møder – {recipient.name}" if recipient.name else None
        _write_atomic(self.feed_path(recipient.person), self.feed(recipient.person, name))

    # ------------------------------------------------------------------ the feed

    def feed(self, person: str, name: str | None = None) -> bytes:
        """All of a person's stored items as one PUBLISH calendar: the subscription feed.

        The components of the stored files are merged as they are (each keeps its SEQUENCE), with
        one VTIMEZONE per TZID; a person without items gets a valid calendar with no events.
        """
        title = name or f"Møder – {person}"
        DEFAULT_GUARD.check_text("", "X-WR-CALNAME", title)
        timezones: dict[str, Any] = {}
        events: list[Any] = []
        folder = self.folder(person)
        for path in sorted(folder.glob("*.ics")) if folder.is_dir() else []:
            try:
                stored = Calendar.from_ical(path.read_bytes())
            except FileNotFoundError:  # cancelled while we listed the folder
                continue
            for component in stored.subcomponents:
                if component.name == "VTIMEZONE":
                    timezones.setdefault(str(component["TZID"]), component)
                else:
                    events.append(component)
        if not timezones:
            timezones[itip.TZID] = itip.build_vtimezone()

        calendar = Calendar()
        calendar.add("PRODID", itip.PRODID)
        calendar.add("VERSION", "2.0")
        calendar.add("CALSCALE", "GREGORIAN")
        calendar.add("METHOD", "PUBLISH")
        calendar.add("X-WR-CALNAME", title)
        calendar.add("X-WR-TIMEZONE", itip.TZID)
        for component in [*timezones.values(), *events]:
            calendar.add_component(component)
        return calendar.to_ical()


def _sync_dir(folder: Path) -> None:
    """fsync a directory, so a rename or unlink survives power loss (a no-op where unsupported)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """Temporary file in the same folder, fsync, rename over the target, fsync the folder: a
    delivery the engine records as done is on disk, and a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_dir(path.parent)
