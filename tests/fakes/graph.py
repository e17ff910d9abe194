"""A small Microsoft Graph endpoint (and token issuer) on 127.0.0.1 over HTTPS, for tests.

msal insists on an https authority, so the server runs TLS with a self-signed certificate made
at start (`ca_file` is what clients trust). It answers:

- the OpenID configuration and the token endpoint of a tenant (client credentials: client_id and
  client_secret checked; a bearer token is issued and then required by every Graph call);
- `/v1.0/users/{mailbox}/events`: POST (create; `transactionId` de-duplicates, as Graph does),
  GET with a `$filter` on one single-value extended property,
  GET/PATCH/DELETE `/events/{id}` (PATCH honours `If-Match` with the event's `@odata.etag` and
  answers 412 when it is stale), GET `/events/{id}/instances?startDateTime=&endDateTime=` for a
  series (weekly and relativeMonthly patterns with an end date), where an occurrence can be
  deleted or patched but, as in Graph, not moved onto or past the day of a neighbour (400);
- POST `/v1.0/users/{mailbox}/calendar/getSchedule`: scheduleItems for each address, from the
  events where it is organiser or attendee and from `busy` blocks seeded by the test.

Faults are injected per call (`fail_on`): 429 with Retry-After, 503, a dropped connection before
or after the request took effect, a delay. Every call is recorded in `calls`.
"""

from __future__ import annotations

import datetime as dt
import http.server
import itertools
import json
import re
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlparse
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

from tests.fakes.http import FakeServer, ThreadedServer

TZ = ZoneInfo("Europe/Copenhagen")
# What `fail_on(n, kind)` can make a call do here.
FaultKind = Literal["429", "503", "drop", "drop_after", "delay"]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_ZONES = {"Romance Standard Time": TZ, "Europe/Copenhagen": TZ, "UTC": dt.UTC}


def parse_moment(value: dict[str, str]) -> dt.datetime:
    """A Graph dateTimeTimeZone as an aware datetime."""
    moment = dt.datetime.fromisoformat(value["dateTime"][:19])
    return moment.replace(tzinfo=_ZONES[value.get("timeZone", "UTC")])


def as_graph(moment: dt.datetime, zone: str = "UTC") -> dict[str, str]:
    local = moment.astimezone(_ZONES[zone])
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone}


@dataclass
class Event:
    id: str
    mailbox: str
    data: dict[str, Any]
    change: int = 1
    deleted: set[dt.datetime] = field(default_factory=set)
    modified: dict[dt.datetime, dict[str, Any]] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'W/"DwAAABYAAA{self.change:06d}"'

    @property
    def start(self) -> dt.datetime:
        return parse_moment(self.data["start"])

    @property
    def end(self) -> dt.datetime:
        return parse_moment(self.data["end"])

    def extended(self, name: str) -> str | None:
        for prop in self.data.get("singleValueExtendedProperties", []):
            if prop["id"].endswith(f"Name {name}"):
                return str(prop["value"])
        return None

    def pattern(self) -> list[dt.datetime]:
        """The series' instance starts (deleted ones included), or [start] for a single event."""
        recurrence = self.data.get("recurrence")
        if not recurrence:
            return [self.start]
        pattern, span = recurrence["pattern"], recurrence["range"]
        local = self.start.astimezone(TZ).replace(tzinfo=None)
        until = dt.datetime.combine(dt.date.fromisoformat(span["endDate"]), dt.time.max)
        days = [_DAYS.index(d) for d in pattern.get("daysOfWeek", [])]
        if pattern["type"] == "weekly":
            found = rrule(
                WEEKLY, interval=pattern["interval"], byweekday=days, dtstart=local, until=until, wkst=0
            )
        elif pattern["type"] == "relativeMonthly":
            day = weekday(days[0], _INDEX[pattern.get("index", "first")])
            found = rrule(MONTHLY, interval=pattern["interval"], byweekday=day, dtstart=local, until=until)
        else:
            raise ValueError(pattern["type"])
        return [moment.replace(tzinfo=TZ) for moment in found]

    def occurrences(self) -> list[dict[str, Any]]:
        """What the calendar shows: one dict (id, originalStart, start, end, location, attendees) each."""
        duration = self.end - self.start
        shown = []
        for start in self.pattern():
            if start in self.deleted:
                continue
            changes = self.modified.get(start, {})
            shown.append(
                {
                    "id": f"{self.id}_{start.astimezone(dt.UTC):%Y%m%dT%H%M}"
                    if self.data.get("recurrence")
                    else self.id,
                    "originalStart": start,
                    "start": changes.get("start", start),
                    "end": changes.get("end", start + duration),
                    "location": changes.get("location", self.data.get("location", {}).get("displayName", "")),
                    "attendees": changes.get("attendees", self.data.get("attendees", [])),
                }
            )
        return shown


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    number: int


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class GraphServer(FakeServer):
    """`start()`, use `authority`, `url` and `ca_file`, inspect `events` and `calls`, `stop()`."""

    tenant = "ballerup-tenant"

    def __init__(self, client_id: str = "moedeplan-app", client_secret: str = "app-hemmelighed"):
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.events: dict[str, Event] = {}
        self.calls: list[Call] = []
        self.busy: dict[str, list[tuple[dt.datetime, dt.datetime, str]]] = {}
        self.tokens: set[str] = set()
        self.retry_after = "1"
        self._ids = itertools.count(1)
        self._folder = Path(tempfile.mkdtemp(prefix="fake-graph-"))
        self.ca_file = ""

    # ------------------------------------------------------------------ running

    @property
    def base(self) -> str:
        assert self._server is not None, "not started"
        return f"https://{self.host}:{self._server.server_address[1]}"

    @property
    def authority(self) -> str:
        return f"{self.base}"

    @property
    def url(self) -> str:
        return f"{self.base}/v1.0"

    def start(self) -> GraphServer:
        owner = self
        cert, key = _self_signed(self._folder)
        self.ca_file = str(cert)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read `calls`."""

            def do_GET(self) -> None:
                owner._handle(self, "GET")

            def do_POST(self) -> None:
                owner._handle(self, "POST")

            def do_PATCH(self) -> None:
                owner._handle(self, "PATCH")

            def do_DELETE(self) -> None:
                owner._handle(self, "DELETE")

        server = ThreadedServer((self.host, 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._serve(server)
        return self

    # ------------------------------------------------------------------ views for tests

    def calendar(self, mailbox: str) -> list[Event]:
        with self.lock:
            return [e for e in self.events.values() if e.mailbox == mailbox.lower()]

    def operations(self) -> list[str]:
        return [f"{c.method} {_operation(c.path)}" for c in self.calls]

    def edit_in_outlook(self, event_id: str, subject: str) -> None:
        with self.lock:
            event = self.events[event_id]
            event.data["subject"] = subject
            event.change += 1

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: http.server.BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        parsed = urlparse(request.path)
        path = unquote(parsed.path)
        if path.startswith(f"/{self.tenant}/"):
            self._identity(request, method, path, raw)
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._json(request, 400, _error("BadRequest", "Invalid JSON."))
            return
        headers = {
            k: v for k, v in request.headers.items() if k.lower() in ("if-match", "prefer", "authorization")
        }
        operation = f"{method} {_operation(path)}"
        with self.lock:
            number = len(self.calls) + 1
            self.calls.append(Call(method, path, headers, body, number))
            fault = self._fault_for(operation)
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "drop":
                request.close_connection = True
                request.connection.close()
                return
            elif fault.kind == "429":
                self._json(
                    request,
                    429,
                    _error("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
                    {"Retry-After": self.retry_after},
                )
                return
            elif fault.kind == "503":
                self._json(request, 503, _error("ServiceUnavailable", "Service unavailable."))
                return
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if token not in self.tokens:
            self._json(
                request, 401, _error("InvalidAuthenticationToken", "Access token is empty or invalid.")
            )
            return
        try:
            with self.lock:
                status, answer = self._graph(method, path, parse_qs(parsed.query), body, headers)
        except GraphError as error:
            self._json(request, error.status, _error(error.code, error.message))
            return
        if fault is not None and fault.kind == "drop_after":
            request.close_connection = True
            request.connection.close()
            return
        self._json(request, status, answer)

    def _identity(
        self, request: http.server.BaseHTTPRequestHandler, method: str, path: str, raw: bytes
    ) -> None:
        prefix = f"{self.base}/{self.tenant}"
        if path.endswith("/.well-known/openid-configuration"):
            self._json(
                request,
                200,
                {
                    "token_endpoint": f"{prefix}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{prefix}/oauth2/v2.0/authorize",
                    "issuer": f"{prefix}/v2.0",
                },
            )
            return
        if path.endswith("/oauth2/v2.0/token") and method == "POST":
            form = parse_qs(raw.decode())
            if (
                form.get("grant_type") != ["client_credentials"]
                or form.get("client_id") != [self.client_id]
                or form.get("client_secret") != [self.client_secret]
            ):
                self._json(request, 401, {"error": "invalid_client", "error_description": "AADSTS7000215"})
                return
            token = f"fake-token-{next(self._ids)}"
            self.tokens.add(token)
            self._json(request, 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})
            return
        self._json(request, 404, {"error": "not_found"})

    @staticmethod
    def _json(
        request: http.server.BaseHTTPRequestHandler,
        status: int,
        data: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = b"" if data is None else json.dumps(data).encode()
        request.send_response(status)
        if payload:
            request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(payload)

    # ------------------------------------------------------------------ Graph

    def _graph(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        parts = path.removeprefix("/v1.0/").split("/")
        if len(parts) < 3 or parts[0] != "users":
            raise GraphError(400, "BadRequest", f"Unsupported path {path}.")
        mailbox = parts[1].lower()
        rest = parts[2:]
        if rest == ["events"] and method == "POST":
            return self._create(mailbox, body)
        if rest == ["events"] and method == "GET":
            return 200, {"value": self._filtered(mailbox, query.get("$filter", [""])[0])}
        if rest == ["calendar", "getSchedule"] and method == "POST":
            return 200, self._schedule(body, headers.get("Prefer", ""))
        if len(rest) >= 2 and rest[0] == "events":
            master_id, _, occurrence = rest[1].partition("_")
            event = self.events.get(master_id)
            if event is None or event.mailbox != mailbox:
                raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            if len(rest) == 3 and rest[2] == "instances" and method == "GET":
                return 200, {"value": [self._json_occurrence(event, o) for o in event.occurrences()]}
            if occurrence:
                return self._occurrence(event, occurrence, method, body)
            if method == "GET":
                return 200, self._json_event(event)
            if method == "PATCH":
                if "If-Match" in headers and headers["If-Match"] != event.etag:
                    raise GraphError(
                        412,
                        "ErrorIrresolvableConflict",
                        "The send or update operation could not be performed because the change key "
                        "passed in the request does not match the current change key for the item.",
                    )
                if "recurrence" in body:
                    event.deleted.clear()
                    event.modified.clear()
                event.data.update(body)
                event.change += 1
                return 200, self._json_event(event)
            if method == "DELETE":
                del self.events[event.id]
                return 204, None
        raise GraphError(400, "BadRequest", f"Unsupported {method} {path}.")

    def _filtered(self, mailbox: str, condition: str) -> list[dict[str, Any]]:
        """Events matching `singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`."""
        match = re.fullmatch(
            r"singleValueExtendedProperties/Any\(ep: ep/id eq '(.+?)' and ep/value eq '(.*)'\)", condition
        )
        if match is None:
            raise GraphError(
                400, "ErrorInvalidUrlQueryFilter", "The fake filters on one extended property only."
            )
        prop, value = match.group(1), match.group(2).replace("''", "'")
        found = []
        for event in self.events.values():
            props = {p["id"]: p["value"] for p in event.data.get("singleValueExtendedProperties", [])}
            if event.mailbox == mailbox and props.get(prop) == value:
                found.append({**self._json_event(event), "isOrganizer": True})
        return found

    def _create(self, mailbox: str, body: dict[str, Any]) -> tuple[int, Any]:
        transaction = body.get("transactionId")
        if transaction:
            for event in self.events.values():
                if event.mailbox == mailbox and event.data.get("transactionId") == transaction:
                    return 201, self._json_event(event)
        event = Event(id=f"AAMkAGI{next(self._ids):08d}", mailbox=mailbox, data=dict(body))
        self.events[event.id] = event
        return 201, self._json_event(event)

    def _occurrence(self, event: Event, key: str, method: str, body: Any) -> tuple[int, Any]:
        starts = event.pattern()
        found = [s for s in starts if f"{s.astimezone(dt.UTC):%Y%m%dT%H%M}" == key and s not in event.deleted]
        if not found:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        start = found[0]
        if method == "DELETE":
            event.deleted.add(start)
            event.modified.pop(start, None)
            event.change += 1
            return 204, None
        if method == "PATCH":
            changes: dict[str, Any] = {}
            if "start" in body:
                changes["start"] = parse_moment(body["start"])
                changes["end"] = parse_moment(body["end"])
                i = starts.index(start)
                day = changes["start"].astimezone(TZ).date()
                before = starts[i - 1].astimezone(TZ).date() if i > 0 else None
                after = starts[i + 1].astimezone(TZ).date() if i + 1 < len(starts) else None
                if (before and day <= before) or (after and day >= after):
                    raise GraphError(
                        400,
                        "ErrorOccurrenceCrossingBoundary",
                        "An occurrence cannot be moved to or before the day of the previous occurrence, "
                        "or to or after the day of the next occurrence.",
                    )
            if "location" in body:
                changes["location"] = body["location"].get("displayName", "")
            if "attendees" in body:
                changes["attendees"] = body["attendees"]
            event.modified.setdefault(start, {}).update(changes)
            event.change += 1
            occurrence = next(o for o in event.occurrences() if o["originalStart"] == start)
            return 200, self._json_occurrence(event, occurrence)
        raise GraphError(405, "ErrorInvalidRequest", "Method not allowed on an occurrence.")

    def _json_event(self, event: Event) -> dict[str, Any]:
        return {
            "@odata.etag": event.etag,
            "id": event.id,
            "changeKey": event.etag[3:-1],
            "iCalUId": f"040000008200E00074C5B7101A82E008{event.id}",
            "type": "seriesMaster" if event.data.get("recurrence") else "singleInstance",
            **event.data,
        }

    def _json_occurrence(self, event: Event, occurrence: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": occurrence["id"],
            "type": "exception" if occurrence["originalStart"] in event.modified else "occurrence",
            "seriesMasterId": event.id,
            "originalStart": occurrence["originalStart"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start": as_graph(occurrence["start"]),
            "end": as_graph(occurrence["end"]),
            "location": {"displayName": occurrence["location"]},
            "subject": event.data.get("subject"),
        }

    def _schedule(self, body: dict[str, Any], prefer: str) -> dict[str, Any]:
        zone = "Romance Standard Time" if "Romance Standard Time" in prefer else "UTC"
        start, end = parse_moment(body["startTime"]), parse_moment(body["endTime"])
        answers = []
        for address in body["schedules"]:
            address = address.lower()
            items = []
            for event in self.events.values():
                for occurrence in event.occurrences():
                    people = [a["emailAddress"]["address"].lower() for a in occurrence["attendees"]]
                    if (event.mailbox == address or address in people) and (
                        occurrence["start"] < end and occurrence["end"] > start
                    ):
                        items.append((occurrence["start"], occurrence["end"], event.data.get("subject", "")))
            items += [b for b in self.busy.get(address, []) if b[0] < end and b[1] > start]
            answers.append(
                {
                    "scheduleId": address,
                    "availabilityView": "",
                    "scheduleItems": [
                        {
                            "isPrivate": False,
                            "status": "busy",
                            "subject": subject,
                            "location": "",
                            "isMeeting": True,
                            "start": as_graph(s, zone),
                            "end": as_graph(e, zone),
                        }
                        for s, e, subject in sorted(items, key=lambda i: i[0])
                    ],
                }
            )
        return {"value": answers}


def _operation(path: str) -> str:
    """'events', 'events/{id}', 'events/{id}/instances', 'occurrence' or 'getSchedule', for faults."""
    parts = path.removeprefix("/v1.0/").split("/")[2:]
    if parts[:1] == ["calendar"]:
        return "getSchedule"
    if len(parts) == 1:
        return "events"
    if len(parts) == 3:
        return "instances"
    return "occurrence" if "_" in parts[1] else "event"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "fake"}}}
