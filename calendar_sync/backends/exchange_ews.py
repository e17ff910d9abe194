"""Exchange Web Services back-end (exchangelib): meetings in the organiser's Exchange calendar.

For Exchange Server on premises (Subscription Edition keeps EWS). Exchange Online blocks EWS
from 1 October 2026 and switches it off on 1 April 2027; use `exchange_graph` there.

**Per item, not per recipient.** In Exchange a meeting is one calendar item in the organiser's
mailbox; Exchange itself sends the invitations, updates and cancellations to the attendees and
keeps their copies in step. So this back-end sets `delivers_per_item`: the sync engine calls it
once per item, with the organiser (the series' convener, by default the meeting's chair, or the
configured service mailbox when a meeting has none) as the recipient, and the ledger row of that
call holds the item's ItemId and ChangeKey. Required and optional attendees go in as `Attendee` objects.

**Recurring series** (as `calendar_sync.items` chose them): one recurring master with a Weekly
or RelativeMonthly pattern and an end date; each EXDATE becomes a deleted occurrence and each
override a modified occurrence (start, end, place and, where they differ, its attendees),
addressed by InstanceIndex (`OccurrenceItemId`). A new pattern resets Exchange's exceptions, so
the pattern is only sent again when it or its exceptions changed, and then every exception is
applied again. InstanceIndex counts the pattern's instances, deleted ones included. Exchange
refuses to move an occurrence onto or past a neighbour's day; `items` keeps a moved meeting in
its own cadence period, so that does not happen, and an item that did would be refused before
anything is sent.

**Messages.** Create: `SendToAllAndSaveCopy`. Update: `SendOnlyToChanged`, so only attendees
whose meeting changed hear about it. Cancel: `DeleteItem` with `SendToAllAndSaveCopy`
cancellations.

**Idempotency and conflicts.** Each item carries two extended properties (PublicStrings):
`MoedeplanUid` (our UID) and `MoedeplanVersion` (SEQUENCE and fingerprint of what we wrote).
A create first looks the UID up (FindItem), so a create whose answer was lost is not repeated but
completed. An update sends the ChangeKey from the ledger with `NeverOverwrite`: if someone edited
the meeting in Outlook since, Exchange answers ErrorIrresolvableConflict and this back-end reports
a permanent `DeliveryError` instead of overwriting their change — unless the item already carries
the version we are writing (our own earlier write whose answer was lost), in which case the
exceptions are applied again (idempotent) and the delivery completes.

**Free/busy**: `busy` reads GetUserAvailability for `calendar_sync.freebusy` (`supports_busy`).

**Settings** (`Settings`, from MOEDEPLAN_EWS_* and MOEDEPLAN_EXCHANGE_*; its `options`): url
(the EWS endpoint, no autodiscover), auth (`oauth` client credentials with impersonation,
`ntlm` or `basic` for on premises), username/password or client_id/client_secret/tenant_id,
access_type (`impersonation` or `delegate`), version (server build, e.g. "15.2.1544.4", so no
version probing), service_mailbox, timeout, busy_retries and max_backoff (ErrorServerBusy's
BackOffMilliseconds is honoured up to that many seconds). Secrets are never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from datetime import time as time_of_day
from functools import partial
from typing import Any, ClassVar, TypeVar

import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    NTLM,
    OAUTH2,
    Account,
    Attendee,
    Body,
    CalendarItem,
    Configuration,
    Credentials,
    EWSDateTime,
    EWSTimeZone,
    ExtendedProperty,
    FailFast,
    Identity,
    Mailbox,
    OAuth2Credentials,
)
from exchangelib import errors as ews_errors
from exchangelib.properties import ItemId, OccurrenceItemId
from exchangelib.recurrence import EndDatePattern, Recurrence, RelativeMonthlyPattern, WeeklyPattern
from exchangelib.version import Build, Version
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
from calendar_sync.items import CalendarItem as Item
from calendar_sync.items import ItemAttendee, crosses_neighbour, fingerprint, recurrence_shape, rule_starts
from scheduler.term_dates import TZ

log = logging.getLogger(__name__)

R = TypeVar("R")

DEFAULT_VERSION = "15.2.1544.4"
"""Exchange Server 2019 CU14 / Subscription Edition RTM; any 15.x build speaks Exchange2016 EWS."""


class MoedeplanUid(ExtendedProperty):
    """Our calendar UID on the Exchange item: finds it again after a lost answer, and marks it ours."""

    distinguished_property_set_id = "PublicStrings"
    property_name = "MoedeplanUid"
    property_type = "String"


class MoedeplanVersion(ExtendedProperty):
    """'<SEQUENCE>:<fingerprint>' of the content we last wrote."""

    distinguished_property_set_id = "PublicStrings"
    property_name = "MoedeplanVersion"
    property_type = "String"


for _name, _cls in (("moedeplan_uid", MoedeplanUid), ("moedeplan_version", MoedeplanVersion)):
    with suppress(ValueError):  # already registered (module reloaded)
        CalendarItem.register(_name, _cls)

_PERMANENT = (
    ews_errors.ErrorAccessDenied,
    ews_errors.ErrorImpersonateUserDenied,
    ews_errors.ErrorNonExistentMailbox,
    ews_errors.ErrorItemNotFound,
    ews_errors.UnauthorizedError,
    ews_errors.ErrorRecurrenceHasNoOccurrence,
    ews_errors.ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
)
_TRANSIENT = (
    ews_errors.ErrorServerBusy,
    ews_errors.ErrorInternalServerError,
    ews_errors.ErrorInternalServerTransientError,
    ews_errors.ErrorTimeoutExpired,
    ews_errors.ErrorTooManyObjectsOpened,
    ews_errors.TransportError,
    ews_errors.MalformedResponseError,
    ews_errors.SOAPError,
    ews_errors.CASError,
    ews_errors.RateLimitError,
)


class Settings(ExchangeRetrySettings):
    """MOEDEPLAN_EWS_* (and the Exchange retries, shared with exchange_graph's names)."""

    ews_url: str | None = None
    ews_auth: str = "oauth"
    ews_username: str | None = None
    ews_password: SecretStr | None = None
    ews_client_id: str | None = None
    ews_client_secret: SecretStr | None = None
    ews_tenant_id: str | None = None
    ews_access_type: str = "impersonation"
    ews_version: str = DEFAULT_VERSION
    ews_service_mailbox: str | None = None
    ews_timeout: float = 60.0

    def options(self) -> dict[str, Any]:
        return {
            "url": self.ews_url,
            "auth": self.ews_auth,
            "username": self.ews_username,
            "password": secret(self.ews_password),
            "client_id": self.ews_client_id,
            "client_secret": secret(self.ews_client_secret),
            "tenant_id": self.ews_tenant_id,
            "access_type": self.ews_access_type,
            "version": self.ews_version,
            "service_mailbox": self.ews_service_mailbox,
            "timeout": self.ews_timeout,
            "busy_retries": self.exchange_retries,
            "max_backoff": self.exchange_max_backoff,
        }


def version_of(build: str) -> Version:
    """'15.2.1544.4' as an exchangelib Version, so no request is spent guessing it."""
    parts = [int(p) for p in build.split(".")]
    return Version(build=Build(*parts), api_version="Exchange2016")


def recurrence_of(item: Item) -> Recurrence | None:
    """The EWS pattern of an item's rule: weekly (also for daily on working days) or by n-th weekday.
    EWS numbers weekdays from Monday = 1."""
    rule = item.rrule
    if rule is None:
        return None
    days = [day + 1 for day in rule.weekdays_or(item.start)]
    if rule.frequency in ("WEEKLY", "DAILY"):
        if rule.frequency == "DAILY" and rule.interval != 1:
            raise DeliveryError(
                f"{item.uid}: EWS kan ikke gentage hver {rule.interval}. dag på hverdage", permanent=True
            )
        pattern: Any = WeeklyPattern(interval=rule.interval, weekdays=days, first_day_of_week=1)
    else:
        nth = rule.nth or 1
        pattern = RelativeMonthlyPattern(
            interval=rule.interval, weekday=days[0], week_number=5 if nth < 0 else nth
        )
    first = item.start.astimezone(TZ).date()
    return Recurrence(pattern=pattern, boundary=EndDatePattern(start=first, end=rule_starts(item)[-1].date()))


class RemoteId:
    """What the ledger keeps for an EWS item: mailbox, ItemId, ChangeKey, and the pattern shape."""

    def __init__(self, mailbox: str, item_id: str, changekey: str, shape: str | None):
        self.mailbox, self.item_id, self.changekey, self.shape = mailbox, item_id, changekey, shape

    def dump(self) -> str:
        return json.dumps(
            {"mailbox": self.mailbox, "id": self.item_id, "changekey": self.changekey, "shape": self.shape},
            sort_keys=True,
        )

    @classmethod
    def load(cls, text: str) -> RemoteId:
        try:
            data = json.loads(text)
            return cls(data["mailbox"], data["id"], data["changekey"], data.get("shape"))
        except (ValueError, KeyError, TypeError):
            raise DeliveryError(
                f"ugyldigt Exchange-id i sync-loggen: {text[:80]!r}", permanent=True
            ) from None


class Backend(CalendarBackend):
    """Meetings in the organisers' Exchange calendars through EWS."""

    name: ClassVar[str] = "exchange_ews"
    delivers_per_item: ClassVar[bool] = True
    settings_class = Settings
    supports_busy: ClassVar[bool] = True
    BUSY_WINDOW_DAYS = 42
    """GetUserAvailability answers at most 42 days per request"""

    def __init__(self, settings: dict[str, Any], sleep: Callable[[float], None] = time.sleep):
        super().__init__(settings)
        url = settings.get("url")
        if not url:
            raise ValueError("the EWS back-end needs the EWS endpoint (MOEDEPLAN_EWS_URL)")
        self.url: str = str(url)
        self.auth: str = str(settings.get("auth") or "oauth").lower()
        if self.auth not in ("oauth", "ntlm", "basic"):
            raise ValueError(f"MOEDEPLAN_EWS_AUTH must be oauth, ntlm or basic, not {self.auth!r}")
        self.service_mailbox: str | None = settings.get("service_mailbox") or None
        self.timeout: float = float(settings.get("timeout") or 60.0)
        self.busy_retries: int = int(settings.get("busy_retries", 3))
        self.max_backoff: float = float(settings.get("max_backoff", 60.0))
        access = str(settings.get("access_type") or "impersonation").lower()
        self.access_type = DELEGATE if access == "delegate" else IMPERSONATION
        self._sleep = sleep
        self.config = Configuration(
            service_endpoint=self.url,
            credentials=self._credentials(settings),
            auth_type={"oauth": OAUTH2, "ntlm": NTLM, "basic": BASIC}[self.auth],
            version=version_of(str(settings.get("version") or DEFAULT_VERSION)),
            retry_policy=FailFast(),
        )
        self._accounts: dict[str, Account] = {}
        self._busy_protocol: Any = None

    def _credentials(self, settings: dict[str, Any]) -> Any:
        if self.auth == "oauth":
            missing = [k for k in ("client_id", "client_secret", "tenant_id") if not settings.get(k)]
            if missing:
                raise ValueError(f"EWS with OAuth needs {', '.join(missing)} (MOEDEPLAN_EWS_CLIENT_ID …)")
            # Account calls impersonate the organiser; calls without an account (free/busy) act as
            # the service mailbox, which app-only OAuth needs.
            identity = Identity(primary_smtp_address=self.service_mailbox) if self.service_mailbox else None
            return OAuth2Credentials(
                client_id=settings["client_id"],
                client_secret=settings["client_secret"],
                tenant_id=settings["tenant_id"],
                identity=identity,
            )
        if not settings.get("username") or not settings.get("password"):
            raise ValueError(f"EWS with {self.auth} needs MOEDEPLAN_EWS_USERNAME and MOEDEPLAN_EWS_PASSWORD")
        return Credentials(username=settings["username"], password=settings["password"])

    def __repr__(self) -> str:
        return f"<exchange_ews Backend {self.url} auth={self.auth}>"

    # ------------------------------------------------------------------ accounts

    def mailbox_of(self, recipient: Recipient) -> str:
        """The organiser's mailbox: the recipient's address, or the service mailbox for none."""
        address = recipient.email or (self.service_mailbox if recipient.person == SERVICE_RECIPIENT else None)
        if not address:
            raise DeliveryError(f"{recipient.person} har ingen e-mailadresse i Exchange", permanent=True)
        return address.lower()

    def account(self, mailbox: str) -> Account:
        if mailbox not in self._accounts:
            account = Account(
                primary_smtp_address=mailbox,
                config=self.config,
                autodiscover=False,
                access_type=self.access_type,
                default_timezone=EWSTimeZone("Europe/Copenhagen"),
            )
            account.protocol.TIMEOUT = self.timeout
            self._accounts[mailbox] = account
        return self._accounts[mailbox]

    def close(self) -> None:
        for account in self._accounts.values():
            account.protocol.close()
        self._accounts.clear()
        if self._busy_protocol is not None:
            self._busy_protocol.close()
            self._busy_protocol = None

    # ------------------------------------------------------------------ free/busy

    def busy(self, mailboxes: list[str], start: datetime, end: datetime) -> dict[str, list[Busy]]:
        """GetUserAvailability, in windows of 42 days, with the Copenhagen time zone sent
        explicitly (so no GetServerTimeZones round trip is needed)."""
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

        if self.auth == "oauth" and not self.service_mailbox:
            raise ValueError("ledig/optaget via EWS med OAuth kræver MOEDEPLAN_EWS_SERVICE_MAILBOX")
        zone = EWSTimeZone("Europe/Copenhagen")
        # Central European time: UTC+1, summer time from the last Sunday of March 02:00 to the
        # last Sunday of October 03:00. Bias is what is added to local time to get UTC.
        timezone = TimeZone(
            bias=-60,
            standard_time=StandardTime(bias=0, time=time_of_day(3), occurrence=5, iso_month=10, weekday=7),
            daylight_time=DaylightTime(bias=-60, time=time_of_day(2), occurrence=5, iso_month=3, weekday=7),
        )
        if self._busy_protocol is None:
            self._busy_protocol = Protocol(config=self.config)
            self._busy_protocol.TIMEOUT = self.timeout
        found: dict[str, list[Busy]] = {m: [] for m in mailboxes}
        for window_start, window_end in busy_windows(start, end, self.BUSY_WINDOW_DAYS):
            views = GetUserAvailability(protocol=self._busy_protocol).call(
                tzinfo=zone,
                mailbox_data=[
                    MailboxData(email=m, attendee_type="Required", exclude_conflicts=False) for m in mailboxes
                ],
                timezone=timezone,
                free_busy_view_options=FreeBusyViewOptions(
                    time_window=TimeWindow(start=_ews_time(window_start), end=_ews_time(window_end)),
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

    # ------------------------------------------------------------------ the interface

    def create(self, item: Item, sequence: int, recipient: Recipient) -> str:
        mailbox = self.mailbox_of(recipient)
        where = f"opret {item.uid} i {mailbox}"
        with _mapped(where):
            account = self.account(mailbox)
            found = self._busy_retry(lambda: self._find(account, item.uid))
            if found is not None:  # our earlier create whose answer was lost: complete it
                log.info("%s: already there (%s), completing it", where, found.id)
                return self._write(account, item, sequence, found.id, found.changekey, None, found)
            fields = self._fields(item, sequence)
            # the iCalendar UID too, so a copy that came as an e-mail invite earlier is the same meeting
            calendar = CalendarItem(account=account, folder=account.calendar, uid=item.uid, **fields)
            self._busy_retry(lambda: calendar.save(send_meeting_invitations="SendToAllAndSaveCopy"))
            changekey = self._exceptions(account, item, calendar.id, calendar.changekey)
            log.info("%s: created %s (SEQUENCE %d)", where, calendar.id, sequence)
            return RemoteId(mailbox, calendar.id, changekey, recurrence_shape(item)).dump()

    def update(self, item: Item, sequence: int, recipient: Recipient, remote_id: str) -> str:
        remote = RemoteId.load(remote_id)
        with _mapped(f"opdater {item.uid} i {remote.mailbox}"):
            account = self.account(remote.mailbox)
            try:
                return self._write(
                    account, item, sequence, remote.item_id, remote.changekey, remote.shape, None
                )
            except ews_errors.ErrorItemNotFound:
                raise DeliveryError(
                    f"{item.uid}: mødet findes ikke længere i {remote.mailbox}s kalender "
                    "(slettet i Outlook?); det genoprettes ikke af sig selv",
                    permanent=True,
                ) from None

    def cancel(self, item: Item, sequence: int, recipient: Recipient, remote_id: str) -> None:
        remote = RemoteId.load(remote_id)
        where = f"aflys {item.uid} i {remote.mailbox}"
        with _mapped(where):
            account = self.account(remote.mailbox)
            calendar = CalendarItem(
                account=account, folder=account.calendar, _id=ItemId(remote.item_id, remote.changekey)
            )
            try:
                self._busy_retry(lambda: calendar.delete(send_meeting_cancellations="SendToAllAndSaveCopy"))
            except ews_errors.ErrorItemNotFound:
                log.info("%s: already gone", where)
                return
            log.info("%s: deleted, cancellations sent", where)

    # ------------------------------------------------------------------ the work

    def _fields(self, item: Item, sequence: int) -> dict[str, Any]:
        if crosses_neighbour(item):
            raise DeliveryError(
                f"{item.uid}: et flyttet møde ligger på eller forbi nabomødets dag, hvad en Exchange-serie "
                "ikke kan rumme",
                permanent=True,
            )
        required, optional = _split(item, item.attendees)
        fields: dict[str, Any] = {
            "subject": item.title,
            "body": Body(item.description),
            "location": item.location,
            "start": _ews_time(item.start),
            "end": _ews_time(item.end),
            "required_attendees": [_attendee(a) for a in required] or None,
            "optional_attendees": [_attendee(a) for a in optional] or None,
            "moedeplan_uid": item.uid,
            "moedeplan_version": f"{sequence}:{fingerprint(item)}",
        }
        recurrence = recurrence_of(item)
        if recurrence is not None:
            fields["recurrence"] = recurrence
        return fields

    def _write(
        self,
        account: Account,
        item: Item,
        sequence: int,
        item_id: str,
        changekey: str,
        shape: str | None,
        found: CalendarItem | None,
    ) -> str:
        """Bring an existing master to `item`: fields (pattern only if its shape changed), then exceptions."""
        version = f"{sequence}:{fingerprint(item)}"
        new_shape = recurrence_shape(item)
        fields = self._fields(item, sequence)
        reset = new_shape != shape and item.rrule is not None
        names = [
            "subject",
            "body",
            "location",
            "start",
            "end",
            "required_attendees",
            "optional_attendees",
            "moedeplan_uid",
            "moedeplan_version",
        ]
        if reset:
            names.append("recurrence")
        calendar = CalendarItem(
            account=account, folder=account.calendar, _id=ItemId(item_id, changekey), **fields
        )
        already = found is not None and getattr(found, "moedeplan_version", None) == version
        if not already:
            try:
                self._busy_retry(
                    lambda: calendar.save(
                        update_fields=names,
                        conflict_resolution="NeverOverwrite",
                        send_meeting_invitations="SendOnlyToChanged",
                    )
                )
            except ews_errors.ErrorIrresolvableConflict:
                current = self._busy_retry(lambda: self._get(account, item_id))
                if getattr(current, "moedeplan_version", None) != version:
                    raise DeliveryError(
                        f"{item.uid}: mødet er ændret i Outlook siden sidste udsendelse (ChangeKey passer "
                        "ikke); ændringen overskrives ikke. Ret mødet i Outlook eller slet det, "
                        "og udsend igen.",
                        permanent=True,
                    ) from None
                log.info("%s: our own earlier update had landed; completing it", item.uid)
                calendar = current
                reset = True
        else:
            reset = True
        changekey = calendar.changekey
        if reset:
            changekey = self._exceptions(account, item, calendar.id, changekey)
        return RemoteId(account.primary_smtp_address, calendar.id, changekey, new_shape).dump()

    def _exceptions(self, account: Account, item: Item, master_id: str, changekey: str) -> str:
        """Delete the EXDATE occurrences and modify the overridden ones; returns the master's ChangeKey."""
        if item.rrule is None or not (item.exdates or item.overrides):
            return changekey
        index = {moment: i for i, moment in enumerate(rule_starts(item), start=1)}

        def occurrence(moment: datetime) -> CalendarItem:
            number = index.get(moment.astimezone(TZ))
            if number is None:
                raise DeliveryError(
                    f"{item.uid}: {moment.isoformat()} er ikke en forekomst af serien", permanent=True
                )
            return CalendarItem(
                account=account,
                folder=account.calendar,
                _id=OccurrenceItemId(id=master_id, changekey=changekey, instance_index=number),
            )

        for moment in item.exdates:
            target = occurrence(moment)
            with suppress(ews_errors.ErrorCalendarOccurrenceIsDeletedFromRecurrence):  # done before a crash
                self._busy_retry(partial(target.delete, send_meeting_cancellations="SendToAllAndSaveCopy"))
        for override in item.overrides:
            target = occurrence(override.recurrence_id)
            target.start, target.end = _ews_time(override.start), _ews_time(override.end)
            target.location = override.location
            names = ["start", "end", "location"]
            if override.attendees is not None:
                required, optional = _split(item, override.attendees)
                target.required_attendees = [_attendee(a) for a in required] or None
                target.optional_attendees = [_attendee(a) for a in optional] or None
                names += ["required_attendees", "optional_attendees"]
            self._busy_retry(
                partial(
                    target.save,
                    update_fields=names,
                    conflict_resolution="AutoResolve",
                    send_meeting_invitations="SendOnlyToChanged",
                )
            )
        current = self._busy_retry(lambda: self._get(account, master_id))
        return str(current.changekey)

    def _find(self, account: Account, uid: str) -> CalendarItem | None:
        """Our item with this UID in the mailbox, as its organiser: an attendee's copy of a meeting a
        previous chair organised may carry the same properties, and is not ours to write."""
        query = account.calendar.filter(moedeplan_uid=uid)
        found = list(query.only("moedeplan_uid", "moedeplan_version", "my_response_type"))
        mine = [item for item in found if item.my_response_type in (None, "Organizer")]
        return mine[0] if mine else None

    def _get(self, account: Account, item_id: str) -> CalendarItem:
        fetched = list(account.fetch(ids=[(item_id, None)], only_fields=["moedeplan_version"]))
        result = fetched[0]
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, CalendarItem)
        return result

    def _busy_retry(self, call: Callable[[], R]) -> R:
        """Run one EWS call, honouring ErrorServerBusy's BackOffMilliseconds a few times."""
        for attempt in range(self.busy_retries + 1):
            try:
                return call()
            except ews_errors.ErrorServerBusy as busy:
                if attempt == self.busy_retries:
                    raise
                wait = min(float(busy.back_off or 1.0), self.max_backoff)
                log.info("EWS is busy; waiting %.1f s as asked", wait)
                self._sleep(wait)
        raise AssertionError("unreachable")


def _aware(moment: datetime) -> datetime:
    """An exchangelib datetime as a plain aware one in Copenhagen."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return datetime.fromtimestamp(moment.timestamp(), tz=TZ)


def _ews_time(moment: datetime) -> EWSDateTime:
    return EWSDateTime.from_datetime(moment.astimezone(TZ)).astimezone(EWSTimeZone("Europe/Copenhagen"))


def _split(item: Item, people: tuple[ItemAttendee, ...]) -> tuple[list[ItemAttendee], list[ItemAttendee]]:
    """Required and optional attendees, without the organiser (whose calendar holds the item)."""
    organizer = item.organizer.person if item.organizer is not None else None
    others = [a for a in people if a.person != organizer]
    return [a for a in others if a.required], [a for a in others if not a.required]


def _attendee(who: ItemAttendee) -> Attendee:
    return Attendee(mailbox=Mailbox(email_address=who.email, name=who.name), response_type="Unknown")


@contextmanager
def _mapped(where: str) -> Iterator[None]:
    """exchangelib's and the HTTP stack's errors as `DeliveryError`s; never with a secret in them."""
    try:
        yield
    except DeliveryError:
        raise
    except _PERMANENT as error:
        raise DeliveryError(f"{where}: {type(error).__name__}: {_short(error)}", permanent=True) from None
    except _TRANSIENT as error:
        raise DeliveryError(f"{where}: {type(error).__name__}: {_short(error)}", permanent=False) from None
    except (requests.RequestException, OSError) as error:
        raise DeliveryError(f"{where}: {type(error).__name__}: {_short(error)}", permanent=False) from None
    except ews_errors.EWSError as error:
        raise DeliveryError(f"{where}: {type(error).__name__}: {_short(error)}", permanent=True) from None


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:300]
