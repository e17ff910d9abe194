"""Microsoft Graph back-end (httpx + msal): meetings in the organiser's Exchange Online calendar.

For Exchange Online, where EWS is blocked from 1 October 2026 and switched off on 1 April 2027.
Like `exchange_ews` it delivers per item (`delivers_per_item`): the event lives in the organiser's
calendar (`/users/{mailbox}/events`) and Exchange invites the attendees (type required/optional);
see `calendar_sync.backends.base` for how the engine keys the ledger by organiser.

**Series.** Graph cannot exclude dates when it creates a recurrence, and cannot move an occurrence
onto or past the day of a neighbouring occurrence. So a recurring item becomes:

- a series (`recurrence` weekly / relativeMonthly with an end date) when every moved meeting stays
  between its neighbours' days: after the master is created, the skipped dates are cancelled
  (DELETE of the occurrence found through `/instances`) and moved meetings are patched;
- otherwise single events, one per meeting, each keyed by its place in the rule, so a later
  version patches, adds or deletes exactly the meetings that changed.

**Idempotency and conflicts.** Every create carries a `transactionId` derived from (UID,
organiser, SEQUENCE[, instance]), so Graph answers a repeated create (after a lost answer or a
crash) with the event it already made instead of a duplicate; since Graph remembers transaction
ids only for a while, a create also looks for an event with our UID property first (a `$filter`
on `singleValueExtendedProperties`) and completes that one. The ledger keeps the event id and
`@odata.etag`; a PATCH sends `If-Match`, and Graph's 412 (someone edited the meeting in Outlook)
becomes a permanent `DeliveryError` — unless the event already carries the version we are writing
(extended property `MoedeplanVersion`, our own write whose answer was lost), then we complete it.

**Throttling.** 429 and 5xx are retried up to `retries` times, waiting `Retry-After` (or an
exponential backoff from `backoff` seconds) up to `max_backoff`; time-outs and dropped connections
are retried the same way, which is safe because creates carry a transactionId and PATCH/DELETE are
idempotent.

**Free/busy**: `busy` reads getSchedule for `calendar_sync.freebusy` (`supports_busy`).

**Settings** (`Settings`, from MOEDEPLAN_GRAPH_* and MOEDEPLAN_EXCHANGE_*; its `options`):
tenant_id, client_id, client_secret (client-credentials flow; the app needs the
Calendars.ReadWrite application permission, best limited to the organisers' mailboxes by an
application access policy), authority, url, service_mailbox, timeout, verify (CA bundle path or
bool), retries, backoff, max_backoff. The secret is never logged.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote, urlparse

import httpx
import msal
import requests
from pydantic import SecretStr

from calendar_sync.backends.base import (
    COUNTS_AS_BUSY,
    SERVICE_RECIPIENT,
    Busy,
    CalendarBackend,
    DeliveryError,
    ExchangeRetrySettings,
    Recipient,
    busy_windows,
    secret,
)
from calendar_sync.items import (
    CalendarItem,
    ItemAttendee,
    crosses_neighbour,
    fingerprint,
    instances,
    recurrence_shape,
    rule_starts,
)
from scheduler.term_dates import TZ

log = logging.getLogger(__name__)

WINDOWS_ZONE = "Romance Standard Time"
"""Europe/Copenhagen as Exchange names it."""
PUBLIC_STRINGS = "{00020329-0000-0000-C000-000000000046}"
UID_PROPERTY = f"String {PUBLIC_STRINGS} Name MoedeplanUid"
VERSION_PROPERTY = f"String {PUBLIC_STRINGS} Name MoedeplanVersion"
"""The same named properties the EWS back-end writes, so both see an item as ours."""

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INDEX = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
_RETRY_STATUSES = {429, 500, 502, 503, 504}


class Settings(ExchangeRetrySettings):
    """MOEDEPLAN_GRAPH_* (and the Exchange retries, shared with exchange_ews's names)."""

    graph_tenant_id: str | None = None
    graph_client_id: str | None = None
    graph_client_secret: SecretStr | None = None
    graph_authority: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    graph_service_mailbox: str | None = None
    graph_timeout: float = 30.0
    graph_ca_bundle: str | None = None
    """a CA bundle (PEM) to trust instead of the system's, e.g. behind a TLS-inspecting proxy"""

    def options(self) -> dict[str, Any]:
        return {
            "tenant_id": self.graph_tenant_id,
            "client_id": self.graph_client_id,
            "client_secret": secret(self.graph_client_secret),
            "authority": self.graph_authority,
            "url": self.graph_url,
            "service_mailbox": self.graph_service_mailbox,
            "timeout": self.graph_timeout,
            "verify": self.graph_ca_bundle or True,
            "retries": self.exchange_retries,
            "max_backoff": self.exchange_max_backoff,
        }


def graph_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.astimezone(TZ).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": WINDOWS_ZONE}


def recurrence_of(item: CalendarItem) -> dict[str, Any] | None:
    """Graph's patternedRecurrence for the item's rule, or None if Graph cannot say it."""
    rule = item.rrule
    if rule is None:
        return None
    days = [_DAYS[day] for day in rule.weekdays_or(item.start)]
    if rule.frequency == "WEEKLY" or (rule.frequency == "DAILY" and rule.interval == 1):
        pattern: dict[str, Any] = {
            "type": "weekly",
            "interval": rule.interval,
            "daysOfWeek": days,
            "firstDayOfWeek": "monday",
        }
    elif rule.frequency == "MONTHLY" and len(days) == 1 and (rule.nth or 1) in _INDEX:
        pattern = {
            "type": "relativeMonthly",
            "interval": rule.interval,
            "daysOfWeek": days,
            "index": _INDEX[rule.nth or 1],
        }
    else:
        return None
    starts = rule_starts(item)
    return {
        "pattern": pattern,
        "range": {
            "type": "endDate",
            "startDate": starts[0].date().isoformat(),
            "endDate": starts[-1].date().isoformat(),
            "recurrenceTimeZone": WINDOWS_ZONE,
        },
    }


def as_series(item: CalendarItem) -> bool:
    """Whether Graph can hold the item as one series: a pattern it knows, and every moved meeting
    on a day strictly between its neighbours' days."""
    return recurrence_of(item) is not None and not crosses_neighbour(item)


class Backend(CalendarBackend):
    """Events in the organisers' calendars through Microsoft Graph."""

    name: ClassVar[str] = "exchange_graph"
    delivers_per_item: ClassVar[bool] = True
    settings_class = Settings
    supports_busy: ClassVar[bool] = True
    BUSY_WINDOW_DAYS = 60
    """getSchedule answers at most 62 days per request"""
    BUSY_BATCH = 20
    """addresses per getSchedule request"""

    def __init__(self, settings: dict[str, Any], sleep: Callable[[float], None] = time.sleep):
        super().__init__(settings)
        missing = [k for k in ("tenant_id", "client_id", "client_secret") if not settings.get(k)]
        if missing:
            raise ValueError(f"the Graph back-end needs {', '.join(missing)} (MOEDEPLAN_GRAPH_…)")
        self.url = str(settings.get("url") or "https://graph.microsoft.com/v1.0").rstrip("/")
        self.authority = str(settings.get("authority") or "https://login.microsoftonline.com").rstrip("/")
        self.tenant_id = str(settings["tenant_id"])
        self.client_id = str(settings["client_id"])
        self._secret = str(settings["client_secret"])
        self.service_mailbox: str | None = settings.get("service_mailbox") or None
        self.timeout = float(settings.get("timeout") or 30.0)
        self.retries = int(settings.get("retries", 4))
        self.backoff = float(settings.get("backoff", 1.0))
        self.max_backoff = float(settings.get("max_backoff", 60.0))
        verify = settings.get("verify", True)
        self.verify: bool | str = verify if isinstance(verify, bool) else str(verify)
        parsed = urlparse(self.url)
        self.scope = f"{parsed.scheme}://{parsed.netloc}/.default"
        self._sleep = sleep
        self._app: msal.ConfidentialClientApplication | None = None
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"<exchange_graph Backend {self.url} tenant={self.tenant_id} client={self.client_id}>"

    # ------------------------------------------------------------------ HTTP

    def _token(self) -> str:
        if self._app is None:
            # Our own session: requests lets REQUESTS_CA_BUNDLE override a session's `verify`, but
            # not a per-request one, and a configured CA bundle must win.
            session = requests.Session()
            session.request = partial(  # type: ignore[method-assign]
                session.request, timeout=self.timeout, verify=self.verify
            )
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._secret,
                    authority=f"{self.authority}/{self.tenant_id}",
                    validate_authority=False,
                    instance_discovery=False,
                    http_client=session,
                )
            except (ValueError, OSError, requests.RequestException) as error:
                raise DeliveryError(f"Graph-login: {type(error).__name__}: {str(error)[:300]}") from None
        try:
            result = self._app.acquire_token_for_client(scopes=[self.scope])
        except (ValueError, OSError, requests.RequestException) as error:
            raise DeliveryError(f"Graph-login: {type(error).__name__}") from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if not token:
            code = result.get("error", "ukendt") if isinstance(result, dict) else "ukendt"
            raise DeliveryError(
                f"Graph-login afvist ({code})", permanent=code in ("invalid_client", "unauthorized_client")
            )
        return str(token)

    def _http(self) -> httpx.Client:
        if self._client is None:
            verify = (
                self.verify
                if isinstance(self.verify, bool)
                else ssl.create_default_context(cafile=self.verify)
            )
            self._client = httpx.Client(base_url=self.url + "/", timeout=self.timeout, verify=verify)
        return self._client

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One Graph call, retried on throttling, 5xx, time-outs and dropped connections."""
        for attempt in range(self.retries + 1):
            wait = min(self.backoff * 2**attempt, self.max_backoff)
            try:
                response = self._http().request(
                    method,
                    path.lstrip("/"),
                    json=body,
                    headers={"Authorization": f"Bearer {self._token()}", **(headers or {})},
                )
            except httpx.TransportError as error:
                if attempt == self.retries:
                    raise DeliveryError(f"Graph {method} {path}: {type(error).__name__}") from None
                log.info("Graph %s %s: %s; retrying in %.1f s", method, path, type(error).__name__, wait)
                self._sleep(wait)
                continue
            if response.status_code not in _RETRY_STATUSES:
                return response
            if attempt == self.retries:
                raise DeliveryError(f"Graph {method} {path}: {response.status_code} {_graph_error(response)}")
            retry_after = response.headers.get("Retry-After")
            if retry_after and retry_after.isdigit():
                wait = min(float(retry_after), self.max_backoff)
            log.info("Graph %s %s: %d; retrying in %.1f s", method, path, response.status_code, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ free/busy

    def busy(self, mailboxes: list[str], start: datetime, end: datetime) -> dict[str, list[Busy]]:
        """`POST /users/{service mailbox}/calendar/getSchedule`, asked in Copenhagen time, in
        windows of 60 days and groups of 20 addresses."""
        caller = self.service_mailbox or (mailboxes[0] if mailboxes else None)
        found: dict[str, list[Busy]] = {m: [] for m in mailboxes}
        if caller is None:
            return found
        for window_start, window_end in busy_windows(start, end, self.BUSY_WINDOW_DAYS):
            for i in range(0, len(mailboxes), self.BUSY_BATCH):
                response = self.request(
                    "POST",
                    f"users/{quote(caller)}/calendar/getSchedule",
                    {
                        "schedules": mailboxes[i : i + self.BUSY_BATCH],
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

    # ------------------------------------------------------------------ the interface

    def mailbox_of(self, recipient: Recipient) -> str:
        address = recipient.email or (self.service_mailbox if recipient.person == SERVICE_RECIPIENT else None)
        if not address:
            raise DeliveryError(f"{recipient.person} har ingen e-mailadresse i Exchange", permanent=True)
        return address.lower()

    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        mailbox = self.mailbox_of(recipient)
        return self._put(item, sequence, mailbox, None)

    def update(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> str:
        remote = _load(remote_id)
        mode = "singles" if item.rrule is not None and not as_series(item) else "event"
        if remote["mode"] != mode:  # a series became single events or back: replace it
            self._delete_all(remote)
            return self._put(item, sequence, remote["mailbox"], None)
        return self._put(item, sequence, remote["mailbox"], remote)

    def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
        self._delete_all(_load(remote_id))

    # ------------------------------------------------------------------ the work

    def _events(self, mailbox: str) -> str:
        return f"users/{quote(mailbox)}/events"

    def _body(self, item: CalendarItem, sequence: int, attendees: tuple[ItemAttendee, ...]) -> dict[str, Any]:
        organizer = item.organizer.person if item.organizer is not None else None
        return {
            "subject": item.title,
            "body": {"contentType": "text", "content": item.description},
            "start": graph_time(item.start),
            "end": graph_time(item.end),
            "location": {"displayName": item.location},
            "attendees": [
                {
                    "emailAddress": {"address": a.email, "name": a.name},
                    "type": "required" if a.required else "optional",
                }
                for a in attendees
                if a.person != organizer and a.email
            ],
            "singleValueExtendedProperties": [
                {"id": UID_PROPERTY, "value": item.uid},
                {"id": VERSION_PROPERTY, "value": f"{sequence}:{fingerprint(item)}"},
            ],
        }

    def _put(self, item: CalendarItem, sequence: int, mailbox: str, remote: dict[str, Any] | None) -> str:
        """Create (remote None) or update the item's event(s); returns the new remote id."""
        if item.rrule is not None and not as_series(item):
            return self._put_singles(item, sequence, mailbox, remote)
        body = self._body(item, sequence, item.attendees)
        recurrence = recurrence_of(item)
        reset = True
        if remote is None:  # an event from a create whose answer never came (transactionId's window
            found = self._existing(mailbox, item.uid)  # is short; a rerun may come much later)
            if found is not None:
                remote = {"id": found["id"], "etag": found["@odata.etag"], "shape": None}
        if remote is None:
            if recurrence is not None:
                body["recurrence"] = recurrence
            event = self._create(mailbox, body, _transaction(item.uid, mailbox, sequence))
        else:
            reset = remote.get("shape") != recurrence_shape(item) and recurrence is not None
            if reset:
                body["recurrence"] = recurrence
            event, landed_before = self._patch(mailbox, remote["id"], remote["etag"], body, item.uid)
            reset = reset or landed_before
        etag = event["@odata.etag"]
        if recurrence is not None and reset and (item.exdates or item.overrides):
            etag = self._exceptions(mailbox, event["id"], item)
        return json.dumps(
            {
                "mailbox": mailbox,
                "mode": "event",
                "id": event["id"],
                "etag": etag,
                "shape": recurrence_shape(item),
            },
            sort_keys=True,
        )

    def _put_singles(
        self, item: CalendarItem, sequence: int, mailbox: str, remote: dict[str, Any] | None
    ) -> str:
        """A series Graph cannot hold: one event per meeting, keyed by its start in the rule."""
        held: dict[str, list[str]] = dict(remote["events"]) if remote else {}
        events: dict[str, list[str]] = {}
        for instance in instances(item):
            o = instance.override
            key = (o.recurrence_id if o else instance.start).astimezone(TZ).isoformat()
            one = CalendarItem(
                uid=item.uid,
                series=item.series,
                unit=item.unit,
                title=item.title,
                location=instance.location,
                description=(o.description if o and o.description else item.description),
                start=instance.start,
                end=instance.end,
                organizer=item.organizer,
                attendees=(o.attendees if o and o.attendees is not None else item.attendees),
                meeting_uids=item.meeting_uids,
            )
            body = self._body(one, sequence, one.attendees)
            body["singleValueExtendedProperties"][1]["value"] = f"{sequence}:{fingerprint(item)}"
            if key in held:
                event, _ = self._patch(mailbox, held[key][0], held[key][1], body, item.uid)
            else:
                event = self._create(mailbox, body, _transaction(item.uid, mailbox, sequence, key))
            events[key] = [event["id"], event["@odata.etag"]]
        for key, (event_id, _) in held.items():
            if key not in events:
                self._delete(mailbox, event_id)
        return json.dumps(
            {"mailbox": mailbox, "mode": "singles", "events": events, "shape": recurrence_shape(item)},
            sort_keys=True,
        )

    def _existing(self, mailbox: str, uid: str) -> dict[str, Any] | None:
        """The event with our UID property that this mailbox organises, if there is one."""
        value = uid.replace("'", "''")
        wanted = f"singleValueExtendedProperties/Any(ep: ep/id eq '{UID_PROPERTY}' and ep/value eq '{value}')"
        response = self.request(
            "GET", f"{self._events(mailbox)}?$filter={quote(wanted)}&$select=id,isOrganizer,type"
        )
        _check(response, f"søg {uid} i {mailbox}")
        for event in response.json().get("value", []):
            if event.get("isOrganizer", True) and event.get("type", "singleInstance") != "occurrence":
                return dict(event)
        return None

    def _create(self, mailbox: str, body: dict[str, Any], transaction: str) -> dict[str, Any]:
        response = self.request("POST", self._events(mailbox), {**body, "transactionId": transaction})
        _check(response, f"opret i {mailbox}")
        event: dict[str, Any] = response.json()
        log.info("Graph: created %s in %s", event["id"], mailbox)
        return event

    def _patch(
        self, mailbox: str, event_id: str, etag: str, body: dict[str, Any], uid: str
    ) -> tuple[dict[str, Any], bool]:
        """PATCH with If-Match; (event, True) when a 412 turned out to be our own landed write."""
        path = f"{self._events(mailbox)}/{quote(event_id)}"
        response = self.request("PATCH", path, body, {"If-Match": etag})
        if response.status_code != 412:
            _check(response, f"opdater {uid} i {mailbox}")
            return response.json(), False
        expand = f"singleValueExtendedProperties($filter=id eq '{VERSION_PROPERTY}')"
        current = self.request("GET", f"{path}?$expand={quote(expand)}")
        _check(current, f"hent {uid} i {mailbox}")
        event: dict[str, Any] = current.json()
        wanted = next(
            p["value"] for p in body["singleValueExtendedProperties"] if p["id"] == VERSION_PROPERTY
        )
        theirs = {p["id"]: p["value"] for p in event.get("singleValueExtendedProperties", [])}
        if theirs.get(VERSION_PROPERTY) != wanted:
            raise DeliveryError(
                f"{uid}: mødet er ændret i Outlook siden sidste udsendelse (ændringsnøglen passer ikke); "
                "ændringen overskrives ikke. Ret mødet i Outlook eller slet det, og udsend igen.",
                permanent=True,
            )
        log.info("Graph: %s already carries our version; completing it", uid)
        return event, True

    def _exceptions(self, mailbox: str, master_id: str, item: CalendarItem) -> str:
        """Cancel the skipped dates and patch the moved meetings of a series; returns the master's etag."""
        starts = rule_starts(item)
        first, last = starts[0] - timedelta(days=1), starts[-1] + timedelta(days=1)  # any offset
        window = f"startDateTime={first.date()}T00:00:00Z&endDateTime={last.date()}T00:00:00Z"
        base = f"{self._events(mailbox)}/{quote(master_id)}"
        response = self.request("GET", f"{base}/instances?{window}")
        _check(response, f"hent forekomster af {item.uid}")
        by_start = {
            datetime.fromisoformat(o["originalStart"].replace("Z", "+00:00")): o["id"]
            for o in response.json().get("value", [])
        }
        for moment in item.exdates:
            occurrence = by_start.get(moment)
            if occurrence is not None:  # None: cancelled before a crash
                self._delete(mailbox, occurrence)
        for override in item.overrides:
            occurrence = by_start.get(override.recurrence_id)
            if occurrence is None:
                raise DeliveryError(
                    f"{item.uid}: forekomsten {override.recurrence_id} findes ikke", permanent=True
                )
            body: dict[str, Any] = {
                "start": graph_time(override.start),
                "end": graph_time(override.end),
                "location": {"displayName": override.location},
            }
            if override.attendees is not None:
                body["attendees"] = self._body(item, 0, override.attendees)["attendees"]
            patched = self.request("PATCH", f"{self._events(mailbox)}/{quote(occurrence)}", body)
            _check(patched, f"flyt forekomst af {item.uid}")
        master = self.request("GET", base)
        _check(master, f"hent {item.uid}")
        return str(master.json()["@odata.etag"])

    def _delete(self, mailbox: str, event_id: str) -> None:
        response = self.request("DELETE", f"{self._events(mailbox)}/{quote(event_id)}")
        if response.status_code != 404:  # already gone counts as done
            _check(response, f"aflys i {mailbox}")

    def _delete_all(self, remote: dict[str, Any]) -> None:
        ids = [remote["id"]] if remote["mode"] == "event" else [e[0] for e in remote["events"].values()]
        for event_id in ids:
            self._delete(remote["mailbox"], event_id)


def _graph_moment(value: Mapping[str, str]) -> datetime:
    moment = datetime.fromisoformat(value["dateTime"][:19])
    zone = value.get("timeZone", "UTC")
    return moment.replace(tzinfo=UTC if zone == "UTC" else TZ).astimezone(TZ)


def _transaction(uid: str, mailbox: str, sequence: int, key: str = "") -> str:
    """Stable per (UID, organiser, SEQUENCE, instance): a repeated create is recognised by Graph."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"moedeplan:{uid}|{mailbox}|{sequence}|{key}"))


def _load(remote_id: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(remote_id)
        if data["mode"] in ("event", "singles") and data["mailbox"]:
            return data
    except (ValueError, KeyError, TypeError):
        pass
    raise DeliveryError(f"ugyldigt Graph-id i sync-loggen: {remote_id[:80]!r}", permanent=True)


def _graph_error(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error.get('code')}: {str(error.get('message'))[:200]}"
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase


def _check(response: httpx.Response, where: str) -> None:
    """2xx passes; client errors are permanent (the data, the rights or the mailbox are wrong)."""
    if response.is_success:
        return
    permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 409, 429)
    raise DeliveryError(f"{where}: {response.status_code} {_graph_error(response)}", permanent=permanent)
