"""A small Exchange Web Services endpoint on 127.0.0.1, for tests: SOAP in, SOAP out.

It answers the operations the `exchange_ews` back-end and the free/busy reader send, with the
response shapes Microsoft documents (GetFolder, CreateItem, UpdateItem, DeleteItem, GetItem,
FindItem with an IsEqualTo restriction on an extended property, GetUserAvailability), and keeps
calendar items per mailbox with ItemId and ChangeKey:

- every write gives the item a new ChangeKey; UpdateItem with an older ChangeKey and
  ConflictResolution other than AlwaysOverwrite fails with ErrorIrresolvableConflict, as
  Exchange does when someone edited the meeting in Outlook since we last saw it;
- a recurring master keeps its pattern (Weekly, RelativeMonthly, Daily with an end date),
  deleted occurrences and modified occurrences by InstanceIndex (OccurrenceItemId); setting the
  recurrence again clears them, as Exchange does;
- every request is recorded in `calls` (operation, its attributes such as
  SendMeetingInvitations or SendMeetingInvitationsOrCancellations, the mailbox acted for);
- faults are injected per call number (`fail_on`): HTTP 500 without SOAP, a SOAP
  ErrorServerBusy with BackOffMilliseconds, a connection dropped before or after the request
  took effect, or a delay.

Times are Europe/Copenhagen where EWS sends local times (the availability window and events).
Only what the tests need is modelled; unknown requests get an ErrorInvalidRequest fault.
"""

from __future__ import annotations

import base64
import http.server
import itertools
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekday

from tests.fakes.http import FakeServer, ThreadedServer

S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
TZ = ZoneInfo("Europe/Copenhagen")

# What `fail_on(n, kind)` can make a call do here.
FaultKind = Literal["http500", "busy", "drop", "drop_after", "delay"]

_DAYS = {"Monday": 0, "Tuesday": 1, "Wednesday": 2, "Thursday": 3, "Friday": 4, "Saturday": 5, "Sunday": 6}
_INDEX = {"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": -1}


def _t(name: str) -> str:
    return f"{{{T}}}{name}"


def _m(name: str) -> str:
    return f"{{{M}}}{name}"


def parse_time(text: str) -> datetime:
    """An EWS date-time: UTC with Z, with an offset, or local (Copenhagen) without one."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=TZ) if moment.tzinfo is None else moment


@dataclass
class Occurrence:
    start: datetime
    end: datetime
    location: str | None
    required: list[str]
    optional: list[str]


@dataclass
class Item:
    """A calendar item in one mailbox's calendar."""

    id: str
    mailbox: str
    changekey: str
    fields: dict[str, Any] = field(default_factory=dict)
    """subject, body, location, start, end, uid, required, optional, recurrence, extended (dict)"""
    deleted: set[int] = field(default_factory=set)
    modified: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def marker(self) -> str | None:
        value = self.fields.get("extended", {}).get("MoedeplanUid")
        return str(value) if value is not None else None

    def instances(self) -> list[tuple[int, datetime]]:
        """(InstanceIndex, start) of the pattern, deleted ones included; [(1, start)] if single."""
        start: datetime = self.fields["start"]
        recurrence = self.fields.get("recurrence")
        if not recurrence:
            return [(1, start)]
        local = start.astimezone(TZ).replace(tzinfo=None)
        until = datetime.combine(recurrence["end"], datetime.max.time())
        kind = recurrence["kind"]
        if kind == "WeeklyRecurrence":
            rule = rrule(
                WEEKLY,
                interval=recurrence["interval"],
                byweekday=recurrence["days"],
                dtstart=local,
                until=until,
                wkst=0,
            )
        elif kind == "RelativeMonthlyRecurrence":
            day = weekday(recurrence["days"][0], recurrence["index"])
            rule = rrule(MONTHLY, interval=recurrence["interval"], byweekday=day, dtstart=local, until=until)
        else:
            rule = rrule(DAILY, interval=recurrence["interval"], dtstart=local, until=until)
        return [(i, moment.replace(tzinfo=TZ)) for i, moment in enumerate(rule, start=1)]

    def occurrences(self) -> list[Occurrence]:
        """What a calendar shows: pattern instances less deleted ones, modified ones as modified."""
        duration = self.fields["end"] - self.fields["start"]
        found = []
        for index, start in self.instances():
            if index in self.deleted:
                continue
            changes = self.modified.get(index, {})
            found.append(
                Occurrence(
                    start=changes.get("start", start),
                    end=changes.get("end", start + duration),
                    location=changes.get("location", self.fields.get("location")),
                    required=changes.get("required", self.fields.get("required", [])),
                    optional=changes.get("optional", self.fields.get("optional", [])),
                )
            )
        return found


@dataclass
class Call:
    operation: str
    attributes: dict[str, str]
    mailbox: str | None
    number: int


class EwsError(Exception):
    """Answered as a ResponseMessage with ResponseClass="Error"."""

    def __init__(self, code: str, text: str):
        super().__init__(text)
        self.code = code
        self.text = text


class EwsServer(FakeServer):
    """`start()`, point exchangelib at `url`, inspect `items` and `calls`, `stop()`."""

    def __init__(self, users: dict[str, str] | None = None):
        super().__init__()
        self.users = users
        self.items: dict[str, Item] = {}
        self.calls: list[Call] = []
        self.busy: dict[str, list[tuple[datetime, datetime, str]]] = {}
        """extra busy blocks per mailbox (start, end, subject), as other systems' meetings"""
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ running

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://{self.host}:{self._server.server_address[1]}/EWS/Exchange.asmx"

    def start(self) -> EwsServer:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read `calls`."""

            def do_POST(self) -> None:
                owner._handle(self)

        self._serve(ThreadedServer((self.host, 0), Handler))
        return self

    # ------------------------------------------------------------------ views for tests

    def calendar(self, mailbox: str) -> list[Item]:
        with self.lock:
            return [i for i in self.items.values() if i.mailbox == mailbox.lower()]

    def operations(self) -> list[str]:
        return [c.operation for c in self.calls]

    def edit_in_outlook(self, item_id: str, subject: str) -> None:
        """Someone changes the meeting in Outlook: new content, new ChangeKey."""
        with self.lock:
            item = self.items[item_id]
            item.fields["subject"] = subject
            self._touch(item)

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        if self.users is not None and not self._authorised(request.headers.get("Authorization")):
            self._send(request, 401, b"", content_type="text/plain")
            return
        try:
            envelope = ET.fromstring(body)
        except ET.ParseError:
            self._send(request, 400, b"bad XML", content_type="text/plain")
            return
        operation_elem = envelope.find(f"{{{S}}}Body/*")
        assert operation_elem is not None
        operation = operation_elem.tag.split("}")[1].removesuffix("Request")
        mailbox = self._acting_for(envelope, request.headers.get("X-AnchorMailbox"))
        with self.lock:
            number = len(self.calls) + 1
            self.calls.append(Call(operation, dict(operation_elem.attrib), mailbox, number))
            fault = self._fault_for(operation)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        elif fault is not None and fault.kind == "drop":
            request.close_connection = True
            request.connection.shutdown(2)
            return
        elif fault is not None and fault.kind == "http500":
            self._send(request, 500, b"Internal Server Error", content_type="text/html")
            return
        elif fault is not None and fault.kind == "busy":
            self._send(request, 500, _envelope(_busy_fault()).encode())
            return
        try:
            with self.lock:
                content = self._dispatch(operation, operation_elem, mailbox)
        except EwsError as error:  # request-level error, e.g. an unknown operation
            content = _fault(error.code, error.text)
            self._send(request, 500, _envelope(content).encode())
            return
        if fault is not None and fault.kind == "drop_after":  # it happened; the answer is lost
            request.close_connection = True
            request.connection.shutdown(2)
            return
        self._send(request, 200, _envelope(content).encode())

    def _authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return self.users is not None and self.users.get(user) == password

    @staticmethod
    def _acting_for(envelope: ET.Element, anchor: str | None) -> str | None:
        smtp = envelope.find(f"{{{S}}}Header/{_t('ExchangeImpersonation')}/{_t('ConnectingSID')}/*")
        if smtp is not None and smtp.text:
            return smtp.text.lower()
        return anchor.lower() if anchor else None

    @staticmethod
    def _send(
        request: http.server.BaseHTTPRequestHandler,
        status: int,
        payload: bytes,
        content_type: str = "text/xml; charset=utf-8",
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    # ------------------------------------------------------------------ operations

    def _dispatch(self, operation: str, elem: ET.Element, mailbox: str | None) -> str:
        handlers = {
            "GetFolder": self._get_folder,
            "CreateItem": self._create_item,
            "UpdateItem": self._update_item,
            "DeleteItem": self._delete_item,
            "GetItem": self._get_item,
            "FindItem": self._find_item,
            "GetUserAvailability": self._get_user_availability,
        }
        if operation not in handlers:
            raise EwsError("ErrorInvalidRequest", f"The fake EWS server does not know {operation}.")
        return handlers[operation](elem, mailbox)

    def _messages(self, operation: str, bodies: list[str | EwsError]) -> str:
        parts = []
        for body in bodies:
            if isinstance(body, EwsError):
                parts.append(
                    f'<m:{operation}ResponseMessage ResponseClass="Error">'
                    f"<m:MessageText>{escape(body.text)}</m:MessageText>"
                    f"<m:ResponseCode>{body.code}</m:ResponseCode>"
                    f"<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
                    f"</m:{operation}ResponseMessage>"
                )
            else:
                parts.append(
                    f'<m:{operation}ResponseMessage ResponseClass="Success">'
                    f"<m:ResponseCode>NoError</m:ResponseCode>{body}</m:{operation}ResponseMessage>"
                )
        messages = "".join(parts)
        return (
            f"<m:{operation}Response><m:ResponseMessages>{messages}</m:ResponseMessages>"
            f"</m:{operation}Response>"
        )

    def _folder_mailbox(self, elem: ET.Element | None, mailbox: str | None) -> str:
        if elem is not None:
            address = elem.find(f"{_t('Mailbox')}/{_t('EmailAddress')}")
            if address is not None and address.text:
                return address.text.lower()
            folder_id = elem.get("Id", "")
            if folder_id.startswith("cal-"):
                return folder_id[4:]
        if not mailbox:
            raise EwsError("ErrorMissingEmailAddress", "No mailbox to act for.")
        return mailbox

    def _get_folder(self, elem: ET.Element, mailbox: str | None) -> str:
        bodies: list[str | EwsError] = []
        for folder in elem.findall(f"{_m('FolderIds')}/*"):
            owner = self._folder_mailbox(folder, mailbox)
            name = folder.get("Id", "")
            if name == "calendar" or name.startswith("cal-"):
                xml = (
                    f'<t:CalendarFolder><t:FolderId Id="cal-{owner}" ChangeKey="AgAAAA=="/>'
                    f"<t:FolderClass>IPF.Appointment</t:FolderClass><t:DisplayName>Kalender</t:DisplayName>"
                    f"<t:TotalCount>0</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>"
                    f"</t:CalendarFolder>"
                )
            else:
                xml = (
                    f'<t:Folder><t:FolderId Id="{name}-{owner}" ChangeKey="AQAAAA=="/>'
                    f"<t:DisplayName>Top of Information Store</t:DisplayName>"
                    f"<t:TotalCount>0</t:TotalCount><t:ChildFolderCount>1</t:ChildFolderCount></t:Folder>"
                )
            bodies.append(f"<m:Folders>{xml}</m:Folders>")
        return self._messages("GetFolder", bodies)

    def _touch(self, item: Item) -> None:
        item.changekey = f"DwAAABYAAA{next(self._ids):06d}"

    def _create_item(self, elem: ET.Element, mailbox: str | None) -> str:
        owner = self._folder_mailbox(elem.find(f"{_m('SavedItemFolderId')}/*"), mailbox)
        bodies: list[str | EwsError] = []
        for source in elem.findall(f"{_m('Items')}/{_t('CalendarItem')}"):
            item = Item(id=f"AAMkAD{next(self._ids):08d}", mailbox=owner, changekey="")
            item.fields = {"required": [], "optional": [], "extended": {}}
            _read_fields(source, item.fields)
            self._touch(item)
            self.items[item.id] = item
            bodies.append(f"<m:Items><t:CalendarItem>{_item_id(item)}</t:CalendarItem></m:Items>")
        return self._messages("CreateItem", bodies)

    def _target(self, id_elem: ET.Element) -> tuple[Item, int | None, str | None]:
        """The item an ItemId or OccurrenceItemId names, the instance index and the ChangeKey sent."""
        if id_elem.tag == _t("OccurrenceItemId"):
            item_id, index = id_elem.get("RecurringMasterId", ""), int(id_elem.get("InstanceIndex", "0"))
        else:
            item_id, index = id_elem.get("Id", ""), None
        item = self.items.get(item_id)
        if item is None:
            raise EwsError("ErrorItemNotFound", "The specified object was not found in the store.")
        if index is not None and not any(i == index for i, _ in item.instances()):
            raise EwsError(
                "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange", "Occurrence index is out of range."
            )
        if index is not None and index in item.deleted:
            raise EwsError("ErrorCalendarOccurrenceIsDeletedFromRecurrence", "Occurrence was deleted.")
        return item, index, id_elem.get("ChangeKey")

    def _update_item(self, elem: ET.Element, mailbox: str | None) -> str:
        resolution = elem.get("ConflictResolution", "AutoResolve")
        bodies: list[str | EwsError] = []
        for change in elem.findall(f"{_m('ItemChanges')}/{_t('ItemChange')}"):
            try:
                item, index, changekey = self._target(change[0])
                if index is None and resolution != "AlwaysOverwrite" and changekey != item.changekey:
                    raise EwsError(
                        "ErrorIrresolvableConflict",
                        "The send or update operation could not be performed because the change key passed "
                        "in the request does not match the current change key for the item.",
                    )
                values: dict[str, Any] = {}
                for update in change.findall(f"{_t('Updates')}/*"):
                    if update.tag == _t("SetItemField"):
                        source = update.find(_t("CalendarItem"))
                        if source is not None:
                            _read_fields(source, values)
                    elif update.tag == _t("DeleteItemField"):
                        uri = update.find(_t("FieldURI"))
                        if uri is not None:
                            name = _FIELD_URIS.get(uri.get("FieldURI", ""), "?")
                            values[name] = [] if name in ("required", "optional") else None
                if index is None:
                    if "recurrence" in values:  # a new pattern drops the old exceptions
                        item.deleted.clear()
                        item.modified.clear()
                    extended = values.pop("extended", None)
                    item.fields.update(values)
                    if extended:
                        item.fields["extended"].update(extended)
                    self._touch(item)
                    bodies.append(
                        f"<m:Items><t:CalendarItem>{_item_id(item)}</t:CalendarItem></m:Items>"
                        f"<m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>"
                    )
                else:
                    _check_boundary(item, index, values.get("start"))
                    item.modified.setdefault(index, {}).update(values)
                    self._touch(item)  # the exception lives in the master: its ChangeKey moves
                    occurrence = f'<t:ItemId Id="{item.id}.{index}" ChangeKey="{item.changekey}"/>'
                    bodies.append(
                        f"<m:Items><t:CalendarItem>{occurrence}</t:CalendarItem></m:Items>"
                        f"<m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>"
                    )
            except EwsError as error:
                bodies.append(error)
        return self._messages("UpdateItem", bodies)

    def _delete_item(self, elem: ET.Element, mailbox: str | None) -> str:
        bodies: list[str | EwsError] = []
        for id_elem in elem.findall(f"{_m('ItemIds')}/*"):
            try:
                item, index, _ = self._target(id_elem)
                if index is None:
                    del self.items[item.id]
                else:
                    item.deleted.add(index)
                    item.modified.pop(index, None)
                    self._touch(item)
                bodies.append("")
            except EwsError as error:
                bodies.append(error)
        return self._messages("DeleteItem", bodies)

    def _get_item(self, elem: ET.Element, mailbox: str | None) -> str:
        bodies: list[str | EwsError] = []
        for id_elem in elem.findall(f"{_m('ItemIds')}/*"):
            try:
                item, _, _ = self._target(id_elem)
                bodies.append(f"<m:Items>{_item_xml(item)}</m:Items>")
            except EwsError as error:
                bodies.append(error)
        return self._messages("GetItem", bodies)

    def _find_item(self, elem: ET.Element, mailbox: str | None) -> str:
        owner = self._folder_mailbox(elem.find(f"{_m('ParentFolderIds')}/*"), mailbox)
        wanted: dict[str, str] = {}
        for equal in elem.iter(_t("IsEqualTo")):
            uri = equal.find(_t("ExtendedFieldURI"))
            constant = equal.find(f"{_t('FieldURIOrConstant')}/{_t('Constant')}")
            if uri is None or constant is None:
                raise EwsError("ErrorUnsupportedQueryFilter", "The fake filters on extended properties only.")
            wanted[uri.get("PropertyName", "")] = constant.get("Value", "")
        found = [
            item
            for item in self.items.values()
            if item.mailbox == owner
            and all(str(item.fields["extended"].get(k)) == v for k, v in wanted.items())
        ]
        items = "".join(_item_xml(item) for item in found)
        root = (
            f'<m:RootFolder IndexedPagingOffset="{len(found)}" TotalItemsInView="{len(found)}" '
            f'IncludesLastItemInRange="true"><t:Items>{items}</t:Items></m:RootFolder>'
        )
        return self._messages("FindItem", [root])

    def _get_user_availability(self, elem: ET.Element, mailbox: str | None) -> str:
        window = elem.find(f"{_t('FreeBusyViewOptions')}/{_t('TimeWindow')}")
        assert window is not None
        start = parse_time(window.findtext(_t("StartTime"), ""))
        end = parse_time(window.findtext(_t("EndTime"), ""))
        responses = []
        for data in elem.findall(f"{_m('MailboxDataArray')}/{_t('MailboxData')}"):
            address = (data.findtext(f"{_t('Email')}/{_t('Address')}") or "").lower()
            events = []
            for item in self.items.values():
                attendees = item.mailbox == address
                for occurrence in item.occurrences():
                    present = attendees or address in [
                        a.lower() for a in occurrence.required + occurrence.optional
                    ]
                    if present and occurrence.start < end and occurrence.end > start:
                        events.append(
                            (
                                occurrence.start,
                                occurrence.end,
                                item.fields.get("subject") or "",
                                occurrence.location,
                            )
                        )
            for b_start, b_end, subject in self.busy.get(address, []):
                if b_start < end and b_end > start:
                    events.append((b_start, b_end, subject, None))
            xml = "".join(
                "<t:CalendarEvent>"
                f"<t:StartTime>{_local(s)}</t:StartTime><t:EndTime>{_local(e)}</t:EndTime>"
                "<t:BusyType>Busy</t:BusyType><t:CalendarEventDetails>"
                f"<t:ID>{next(self._ids):08d}</t:ID><t:Subject>{escape(subject)}</t:Subject>"
                f"<t:Location>{escape(location or '')}</t:Location><t:IsMeeting>true</t:IsMeeting>"
                "<t:IsRecurring>false</t:IsRecurring><t:IsException>false</t:IsException>"
                "<t:IsReminderSet>false</t:IsReminderSet><t:IsPrivate>false</t:IsPrivate>"
                "</t:CalendarEventDetails></t:CalendarEvent>"
                for s, e, subject, location in sorted(events, key=lambda event: event[0])
            )
            responses.append(
                '<m:FreeBusyResponse><m:ResponseMessage ResponseClass="Success">'
                "<m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage>"
                "<m:FreeBusyView><t:FreeBusyViewType>Detailed</t:FreeBusyViewType>"
                f"<t:CalendarEventArray>{xml}</t:CalendarEventArray></m:FreeBusyView></m:FreeBusyResponse>"
            )
        return (
            f"<m:GetUserAvailabilityResponse><m:FreeBusyResponseArray>{''.join(responses)}"
            "</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse>"
        )


def _check_boundary(item: Item, index: int, start: datetime | None) -> None:
    """Exchange refuses to move an occurrence onto or past the day of a neighbouring one."""
    if start is None:
        return
    starts = dict(item.instances())
    day = start.astimezone(TZ).date()
    before, after = starts.get(index - 1), starts.get(index + 1)
    if (before and day <= before.astimezone(TZ).date()) or (after and day >= after.astimezone(TZ).date()):
        raise EwsError(
            "ErrorOccurrenceCrossingBoundary",
            "A modified occurrence is crossing or overlapping an adjacent occurrence.",
        )


# --------------------------------------------------------------------------- XML helpers

_FIELD_URIS = {
    "item:Subject": "subject",
    "item:Body": "body",
    "calendar:Location": "location",
    "calendar:Start": "start",
    "calendar:End": "end",
    "calendar:RequiredAttendees": "required",
    "calendar:OptionalAttendees": "optional",
    "calendar:Recurrence": "recurrence",
    "calendar:UID": "uid",
}


def _attendees(elem: ET.Element) -> list[str]:
    return [
        (a.findtext(f"{_t('Mailbox')}/{_t('EmailAddress')}") or "").lower()
        for a in elem.findall(_t("Attendee"))
    ]


def _read_fields(source: ET.Element, into: dict[str, Any]) -> None:
    """The fields of a t:CalendarItem element the tests care about, into `into`."""
    for child in source:
        name = child.tag.split("}")[1]
        if name == "Subject":
            into["subject"] = child.text or ""
        elif name == "Body":
            into["body"] = child.text or ""
        elif name == "Location":
            into["location"] = child.text or ""
        elif name == "Start":
            into["start"] = parse_time(child.text or "")
        elif name == "End":
            into["end"] = parse_time(child.text or "")
        elif name == "UID":
            into["uid"] = child.text or ""
        elif name == "RequiredAttendees":
            into["required"] = _attendees(child)
        elif name == "OptionalAttendees":
            into["optional"] = _attendees(child)
        elif name == "ExtendedProperty":
            uri = child.find(_t("ExtendedFieldURI"))
            value = child.findtext(_t("Value"))
            if uri is not None:
                into.setdefault("extended", {})[uri.get("PropertyName", "")] = value
        elif name == "Recurrence":
            into["recurrence"] = _recurrence(child)


def _recurrence(elem: ET.Element) -> dict[str, Any]:
    pattern, boundary = elem[0], elem[1]
    kind = pattern.tag.split("}")[1]
    days = [_DAYS[d] for d in (pattern.findtext(_t("DaysOfWeek")) or "").split()]
    if boundary.tag != _t("EndDateRecurrence"):
        raise EwsError("ErrorInvalidRecurrence", "The fake needs an end date.")
    return {
        "kind": kind,
        "interval": int(pattern.findtext(_t("Interval")) or "1"),
        "days": days,
        "index": _INDEX.get(pattern.findtext(_t("DayOfWeekIndex")) or "", 1),
        "start": date.fromisoformat((boundary.findtext(_t("StartDate")) or "")[:10]),
        "end": date.fromisoformat((boundary.findtext(_t("EndDate")) or "")[:10]),
    }


def _item_id(item: Item) -> str:
    return f'<t:ItemId Id="{item.id}" ChangeKey="{item.changekey}"/>'


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: datetime) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%dT%H:%M:%S")


def _item_xml(item: Item) -> str:
    fields = item.fields
    kind = "RecurringMaster" if fields.get("recurrence") else "Single"
    extended = "".join(
        f'<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" '
        f'PropertyName="{name}" PropertyType="String"/><t:Value>{escape(str(value))}</t:Value>'
        "</t:ExtendedProperty>"
        for name, value in sorted(fields.get("extended", {}).items())
    )
    return (
        f"<t:CalendarItem>{_item_id(item)}"
        f"<t:Subject>{escape(fields.get('subject') or '')}</t:Subject>"
        f"<t:Start>{_utc(fields['start'])}</t:Start><t:End>{_utc(fields['end'])}</t:End>"
        f"<t:Location>{escape(fields.get('location') or '')}</t:Location>"
        f"<t:CalendarItemType>{kind}</t:CalendarItemType>"
        f"<t:MyResponseType>{fields.get('response', 'Organizer')}</t:MyResponseType>"
        f"{extended}</t:CalendarItem>"
    )


def _envelope(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{S}" xmlns:m="{M}" xmlns:t="{T}">'
        "<s:Header>"
        f'<h:ServerVersionInfo xmlns:h="{T}" MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" '
        'MinorBuildNumber="4" Version="V2017_07_11"/>'
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )


def _fault(code: str, text: str) -> str:
    return (
        f"<s:Fault><faultcode>a:{code}</faultcode><faultstring>{escape(text)}</faultstring>"
        f'<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">'
        f"{code}</e:ResponseCode>"
        f'<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{escape(text)}'
        f"</e:Message></detail></s:Fault>"
    )


def _busy_fault(back_off_ms: int = 50) -> str:
    errors = "http://schemas.microsoft.com/exchange/services/2006/errors"
    return (
        "<s:Fault><faultcode>a:ErrorServerBusy</faultcode>"
        "<faultstring>The server cannot service this request right now. Try again later.</faultstring>"
        f'<detail><e:ResponseCode xmlns:e="{errors}">ErrorServerBusy</e:ResponseCode>'
        f'<e:Message xmlns:e="{errors}">The server cannot service this request right now.</e:Message>'
        f'<t:MessageXml><t:Value Name="BackOffMilliseconds">{back_off_ms}</t:Value></t:MessageXml>'
        "</detail></s:Fault>"
    )
