"""CalDAV back-end: each person's meetings as events in a calendar of their own on a CalDAV server.

The server keeps calendar objects, not messages, so an item is stored the way it is published:
`itip.render(item, "PUBLISH", sequence)` without its METHOD line (RFC 4791 forbids METHOD in a
stored object), i.e. the VTIMEZONE, the master VEVENT and its overrides, with ORGANIZER but no
ATTENDEE lines (the description names who comes). ORGANIZER carries SCHEDULE-AGENT=CLIENT
(RFC 6638), so a server that does implicit scheduling (Nextcloud, SOGo, Apple) leaves invitations
to us instead of mailing the attendees itself.

Every write is idempotent by UID: create and update look the UID up first and PUT the new data
to the object that holds it (or to `<calendar>/<uid>.ics` if none does), so a create repeated
after a crash overwrites instead of duplicating; cancel deletes whatever object holds the UID,
and a missing object counts as done. The calendar (`calendar_path`, e.g. "/{person}/moedeplan/",
relative to `url`) is created with MKCALENDAR the first time a person gets an item, with a MKCOL
of its parent first where the server needs one (Radicale creates a user's home only on login).

Settings (`Settings`, from MOEDEPLAN_CALDAV_*; its `options`): url (the server root), username
and password (optional, HTTP auth; the password is never logged), calendar_path (a template with
{person}, {email} and {name}), calendar_name (display name of new calendars), timeout (seconds),
verify_tls (bool).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar
from urllib.parse import quote, urljoin

from caldav.calendarobjectresource import CalendarObjectResource, Event
from caldav.collection import Calendar, CalendarSet
from caldav.davclient import DAVClient
from caldav.elements import dav
from caldav.lib import error as dav_error
from icalendar import Calendar as ICalendar
from icalendar import vCalAddress
from pydantic import SecretStr

from calendar_sync import itip
from calendar_sync.backends.base import BackendSettings, CalendarBackend, DeliveryError, Recipient, secret
from calendar_sync.items import CalendarItem

log = logging.getLogger(__name__)

DEFAULT_CALENDAR_PATH = "/{person}/moedeplan/"
DEFAULT_CALENDAR_NAME = "Møder (moedeplan)"

# Statuses that a retry will not change: the login, the rights, the path or the data are wrong.
_PERMANENT_STATUSES = {400, 401, 403, 404, 405, 409, 410, 411, 412, 413, 415, 422}


class Settings(BackendSettings):
    """MOEDEPLAN_CALDAV_*: the server, the login and where each person's calendar is."""

    caldav_url: str | None = None
    caldav_username: str | None = None
    caldav_password: SecretStr | None = None
    caldav_calendar_path: str = DEFAULT_CALENDAR_PATH

    def options(self) -> dict[str, Any]:
        return {
            "url": self.caldav_url,
            "username": self.caldav_username,
            "password": secret(self.caldav_password),
            "calendar_path": self.caldav_calendar_path,
        }


def stored_ics(item: CalendarItem, sequence: int, person: str | None = None) -> bytes:
    """The calendar object for `item` as `person` holds it: PUBLISH without METHOD, never scheduled."""
    calendar = ICalendar.from_ical(itip.render(item, "PUBLISH", sequence, recipient=person))
    calendar.pop("METHOD", None)
    for component in calendar.walk("VEVENT"):
        organizer = component.get("ORGANIZER")
        if isinstance(organizer, vCalAddress):
            organizer.params["SCHEDULE-AGENT"] = "CLIENT"
        for attendee in _as_list(component.get("ATTENDEE")):
            if isinstance(attendee, vCalAddress):
                attendee.params["SCHEDULE-AGENT"] = "CLIENT"
    data: bytes = calendar.to_ical()
    return data


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status
    try:
        return int(str(status)) if status is not None else None
    except ValueError:
        return None


class Backend(CalendarBackend):
    """Stores items in per-person calendars on one CalDAV server, through the `caldav` library."""

    name: ClassVar[str] = "caldav"
    settings_class = Settings

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        url = settings.get("url")
        if not url:
            raise ValueError("the CalDAV back-end needs the server's url (settings['url'])")
        self.url: str = str(url).rstrip("/") + "/"
        self.username: str | None = settings.get("username") or None
        self._password: str | None = settings.get("password") or None
        self.calendar_path: str = str(settings.get("calendar_path") or DEFAULT_CALENDAR_PATH)
        self.calendar_name: str = str(settings.get("calendar_name") or DEFAULT_CALENDAR_NAME)
        self.timeout: float = float(settings.get("timeout") or 30.0)
        self.verify_tls: bool = bool(settings.get("verify_tls", True))
        self._client: DAVClient | None = None
        self._calendars: dict[str, Calendar] = {}

    def __repr__(self) -> str:
        return f"<caldav Backend {self.url} as {self.username or 'anonymous'}>"

    # -- the interface

    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        return self._save(item, sequence, recipient, remote_id=None)

    def update(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> str:
        return self._save(item, sequence, recipient, remote_id=remote_id)

    def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
        where = f"cancel {item.uid} for {recipient.person}"
        with _mapped_errors(where):
            calendar = self._calendar(recipient, create=False)
            if calendar is None:
                log.info("%s: no calendar, so nothing to remove", where)
                return
            existing = self._find(calendar, item.uid)
            urls = [str(existing.url)] if existing is not None else []
            if remote_id and self._inside(calendar, remote_id) and remote_id not in urls:
                urls.append(remote_id)  # an object the UID search missed: delete it by its URL
            for url in urls:
                Event(client=self._dav(), url=url, parent=calendar).delete()  # 404 counts as done
            log.info("%s: removed %s", where, ", ".join(urls) or "nothing (already gone)")

    def close(self) -> None:
        client, self._client = self._client, None
        self._calendars.clear()
        if client is not None:
            client.close()

    # -- calendars

    def calendar_url(self, recipient: Recipient) -> str:
        """The URL of the recipient's calendar, from `calendar_path`."""
        fields = {"person": recipient.person, "email": recipient.email or "", "name": recipient.name}
        if ("{email}" in self.calendar_path) and not recipient.email:
            raise DeliveryError(
                f"{recipient.person} har ingen e-mailadresse, som kalenderstien kræver", permanent=True
            )
        path = self.calendar_path.format(**{key: quote(value, safe="@") for key, value in fields.items()})
        return urljoin(self.url, path.lstrip("/")).rstrip("/") + "/"

    def _dav(self) -> DAVClient:
        if self._client is None:
            self._client = DAVClient(
                url=self.url,
                username=self.username,
                password=self._password,
                timeout=int(self.timeout) or 1,
                ssl_verify_cert=self.verify_tls,
                enable_rfc6764=False,
            )
        return self._client

    def _calendar(self, recipient: Recipient, create: bool = True) -> Calendar | None:
        """The recipient's calendar, created if missing (and `create`); None if missing otherwise."""
        url = self.calendar_url(recipient)
        if url in self._calendars:
            return self._calendars[url]
        calendar = Calendar(client=self._dav(), url=url)
        try:
            calendar.get_properties([dav.ResourceType()])
        except dav_error.NotFoundError:
            if not create:
                return None
            calendar = self._make_calendar(url)
        self._calendars[url] = calendar
        return calendar

    def _make_calendar(self, url: str) -> Calendar:
        parent_url, _, cal_id = url.rstrip("/").rpartition("/")
        parent = CalendarSet(client=self._dav(), url=parent_url + "/")
        try:
            made = parent.make_calendar(name=self.calendar_name, cal_id=cal_id)
        except dav_error.MkcalendarError as exc:
            if _status(exc) != 409:  # 409: the parent collection does not exist yet
                raise
            response = self._dav().mkcol(parent_url + "/", "")
            if response.status not in (200, 201, 405):  # 405: it exists after all
                raise DeliveryError(
                    f"cannot create {parent_url}/: {response.status} {response.reason}",
                    permanent=response.status in _PERMANENT_STATUSES,
                ) from exc
            made = parent.make_calendar(name=self.calendar_name, cal_id=cal_id)
        assert isinstance(made, Calendar)
        log.info("created calendar %s", made.url)
        return made

    # -- objects

    def _inside(self, calendar: Calendar, url: str) -> bool:
        return str(url).startswith(str(calendar.url))

    def _find(self, calendar: Calendar, uid: str) -> CalendarObjectResource | None:
        try:
            found = calendar.get_event_by_uid(uid)  # one REPORT; without a type a miss costs four
        except dav_error.NotFoundError:
            return None
        assert isinstance(found, CalendarObjectResource)
        return found

    def _save(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str | None) -> str:
        where = f"{'update' if remote_id else 'create'} {item.uid} for {recipient.person}"
        data = stored_ics(item, sequence, recipient.person)
        with _mapped_errors(where):
            calendar = self._calendar(recipient)
            assert calendar is not None
            existing = self._find(calendar, item.uid)
            url = str(existing.url) if existing is not None else None
            event = Event(client=self._dav(), url=url, parent=calendar)
            event.save(raw_data=data)
            stored = str(event.url)
        log.info("%s: stored SEQUENCE %d at %s", where, sequence, stored)
        return stored


@contextmanager
def _mapped_errors(where: str) -> Iterator[None]:
    """Turn what the caldav library and the HTTP stack raise into `DeliveryError`s.

    401/403 and other client errors (a wrong path, a refused object) are permanent; connection
    errors, time-outs, rate limits and 5xx are temporary. The messages name the operation, the
    status and the server's words, never the password."""
    try:
        yield
    except DeliveryError:
        raise
    except dav_error.RateLimitError:
        raise DeliveryError(f"{where}: the server asks us to slow down", permanent=False) from None
    except dav_error.AuthorizationError as exc:
        raise DeliveryError(f"{where}: {_status(exc) or 401} not authorised", permanent=True) from None
    except dav_error.DAVError as exc:
        status = _status(exc)
        raise DeliveryError(
            f"{where}: {type(exc).__name__} {status or ''}: {_short(exc)}",
            permanent=status in _PERMANENT_STATUSES,
        ) from None
    except (OSError, _HTTP_ERROR) as exc:
        raise DeliveryError(f"{where}: {type(exc).__name__}: {_short(exc)}", permanent=False) from None


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _http_error() -> type[BaseException]:
    """The HTTP library's base exception (caldav uses niquests, or requests without it)."""
    try:
        import niquests
    except ImportError:  # pragma: no cover - caldav falls back to requests
        import requests

        return requests.exceptions.RequestException
    base: type[BaseException] = niquests.exceptions.RequestException
    return base


_HTTP_ERROR = _http_error()
