"""E-mail back-end: iTIP invitations (RFC 6047, iMIP) sent over SMTP.

Every calendar program understands an e-mail whose `text/calendar; method=REQUEST` part carries
the event: Outlook, Gmail and Apple Mail show it as an invitation with accept/decline buttons
and, because the UID stays the same and SEQUENCE rises, later REQUESTs update the event and a
CANCEL removes it. The message is the layout Google and Microsoft send themselves:

    multipart/mixed
      multipart/alternative
        text/plain            Danish: title, when, where, exceptions, who
        text/html             the same
        text/calendar; method=REQUEST|CANCEL; charset=UTF-8
      application/ics         invite.ics, for programs that only look at attachments

The Message-ID is derived from (uid, sequence, recipient), so a message resent after a crash
(the sync engine repeats a call it could not record as done) is recognisably the same message.
One SMTP connection serves a whole sync run and is reopened once if the server dropped it.

A server that cannot be reached (connection refused, unknown host, no answer within `timeout`,
login refused) raises `BackendUnavailable`, with a Danish message naming the settings to check
(MOEDEPLAN_SMTP_HOST, …): the sync engine then stops the run at once and leaves the rest of the
outbox for the next run, instead of retrying every recipient with backoff.

Who organises: the sender's mailbox is the invitations' ORGANIZER, the person who calls the
meeting is an ATTENDEE with ROLE=CHAIR, no one is asked to RSVP (replies are not processed), and
Reply-To is the caller, for a human answer (the decision and why: `calendar_sync.itip`).

Settings (`Settings`, from MOEDEPLAN_SMTP_*; its `options`): host, port, starttls (bool), ssl
(bool, SMTPS on connect; optional), username and password (optional; the password is used for
LOGIN only and never logged or put in an error), sender (the From address), timeout (seconds;
connect, each reply and each write).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any, ClassVar, TypeVar

from pydantic import Field, SecretStr

from calendar_sync import itip, texts
from calendar_sync.backends.base import (
    BackendSettings,
    BackendUnavailable,
    CalendarBackend,
    DeliveryError,
    Recipient,
    secret,
)
from calendar_sync.items import CalendarItem, ItemAttendee, Method, notice, rule_starts, view_for
from calendar_sync.recurrence import Recurrence
from calendar_sync.settings import env_name
from scheduler.danish import clock_da, join_da, long_date_da, ordinal_da, weekday_da
from scheduler.model import one_address
from scheduler.term_dates import TZ

log = logging.getLogger(__name__)

T = TypeVar("T")

MESSAGE_ID_DOMAIN = "moedeplan"

SMTP_TIMEOUT = 10.0
"""Seconds the SMTP connection waits for the server (connect, each reply, each write): an
unreachable or silent server is one quick failure, not minutes per message."""


class Settings(BackendSettings):
    """MOEDEPLAN_SMTP_*: the server, the login and the sender."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "moedeplan@ballerup.example"
    smtp_timeout: float = Field(default=SMTP_TIMEOUT, gt=0, le=300)

    def options(self) -> dict[str, Any]:
        return {
            "host": self.smtp_host,
            "port": self.smtp_port,
            "starttls": self.smtp_starttls,
            "username": self.smtp_username,
            "password": secret(self.smtp_password),
            "sender": self.smtp_sender,
            "timeout": self.smtp_timeout,
        }


def _env(setting: str) -> str:
    return env_name(setting, Settings)


# --------------------------------------------------------------------------- Danish wording


def danish_time_span(start: datetime, end: datetime) -> str:
    """'tirsdag 9. marts 2027 kl. 13:00-15:00', in Copenhagen wall time."""
    start, end = start.astimezone(TZ), end.astimezone(TZ)
    if start.date() == end.date():
        return f"{long_date_da(start.date())} kl. {clock_da(start)}-{clock_da(end)}"
    return (
        f"{long_date_da(start.date())} kl. {clock_da(start)} "
        f"til {long_date_da(end.date())} kl. {clock_da(end)}"
    )


def _every(interval: int, unit: str) -> str:
    """'hver tirsdag', 'hver anden tirsdag', 'hver 10. tirsdag'."""
    return f"hver {unit}" if interval <= 1 else f"hver {ordinal_da(interval)} {unit}"


def _rule_phrase(rule: Recurrence, start: datetime) -> str:
    """The rhythm of a rule in Danish, e.g. 'hver anden tirsdag'."""
    days = join_da([weekday_da(day) for day in rule.weekdays])
    if rule.frequency == "DAILY":
        return f"hver {days}" if days else _every(rule.interval, "dag")
    if rule.frequency == "WEEKLY":
        return _every(rule.interval, days or weekday_da(start.date()))
    months = "måned" if rule.interval <= 1 else f"{ordinal_da(rule.interval)} måned"
    if not rule.weekdays:
        return f"den {start.day}. i hver {months}"
    day_name = weekday_da(rule.weekdays[0])
    if rule.nth is not None:
        return f"den {ordinal_da(rule.nth)} {day_name} i hver {months}"
    return f"hver {day_name} i hver {months}"


def when_text(item: CalendarItem) -> str:
    """'tirsdag 9. marts 2027 kl. 13:00-15:00' for a single item; for a recurring one
    'hver anden tirsdag kl. 13:00-15:00 fra 12. januar 2027 til 22. juni 2027'."""
    if item.instances_only:  # invited to some instances of a series only
        return ", ".join(danish_time_span(o.start, o.end) for o in item.overrides)
    if item.rrule is None:
        return danish_time_span(item.start, item.end)
    start, end = item.start.astimezone(TZ), item.end.astimezone(TZ)
    rhythm = _rule_phrase(item.rrule, start)
    text = f"{rhythm} kl. {clock_da(start)}-{clock_da(end)} fra {long_date_da(start.date(), weekday=False)}"
    if item.rrule.bounded:  # an endless rule names its start only
        skipped = {moment.astimezone(TZ) for moment in item.exdates}
        starts = [moment for moment in rule_starts(item) if moment not in skipped]
        if starts:
            text += f" til {long_date_da(starts[-1].date(), weekday=False)}"
    return text


def exception_lines(item: CalendarItem) -> list[str]:
    """Skipped and moved meetings of a recurring item, one line each, in time order."""
    lines: list[tuple[datetime, str]] = []
    if item.instances_only:
        return []  # their times are the whole message (when_text)
    for skipped in item.exdates:
        lines.append((skipped, f"Intet møde {long_date_da(skipped.astimezone(TZ).date())}"))
    for override in item.overrides:
        if override.start == override.recurrence_id and override.location == item.location:
            continue  # the same time and place, only other attendees
        moved = danish_time_span(override.start, override.end)
        place = f", {override.location}" if override.location and override.location != item.location else ""
        original = long_date_da(override.recurrence_id.astimezone(TZ).date())
        lines.append((override.recurrence_id, f"Mødet {original} er flyttet til {moved}{place}"))
    return [text for _, text in sorted(lines, key=lambda pair: pair[0])]


def participant_lines(item: CalendarItem) -> list[str]:
    """'Navn, rolle' for the organizer (marked arrangør) and each attendee (valgfri if optional),
    then the guests by their label ('familien (gæst)')."""
    lines: list[str] = []
    seen: set[str] = set()
    people: list[tuple[ItemAttendee, bool]] = []
    if item.organizer is not None:
        people.append((item.organizer, True))
    people += [(attendee, False) for attendee in item.attendees]
    for person, is_organizer in people:
        if person.person in seen:
            continue
        seen.add(person.person)
        notes = []
        if is_organizer:
            notes.append("arrangør")
        if not person.required and not is_organizer:
            notes.append("valgfri")
        role = f", {person.role_label}" if person.role_label else ""
        suffix = f" ({', '.join(notes)})" if notes else ""
        lines.append(f"{person.name}{role}{suffix}")
    return lines + [texts.guest_label(guest) for guest in item.guests]


_HEADLINES: dict[str, str] = {
    "create": "Du er inviteret til mødet.",
    "update": "Mødet er ændret. Her er det, som det ser ud nu.",
    "cancel": "Mødet er aflyst.",
}
_SUBJECTS: dict[str, str] = {"create": "Invitation", "update": "Opdateret", "cancel": "Aflyst"}
_UPDATE_HEADLINES: dict[str, str] = {
    "moved": "Mødet er flyttet. Her er det, som det ser ud nu.",
    "removed": "Du deltager ikke længere i alle møderne. Her er det, som det ser ud nu for dig.",
}
_CANCEL_SUBJECTS: dict[str, str] = {
    "removed": "Du deltager ikke længere",
    "changed": "Flyttet til ny invitation",
}
FOOTER = "Sendt automatisk af mødeplanlægningen (moedeplan). Svar via din kalender."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def subject(item: CalendarItem, action: str) -> str:
    """'Invitation: …', 'Opdateret: …', 'Aflyst: …' only when the meeting is gone, and 'Du deltager
    ikke længere: …' for someone taken off a meeting that still takes place."""
    word = (
        _CANCEL_SUBJECTS.get(item.reason or "", _SUBJECTS[action])
        if action == "cancel"
        else _SUBJECTS[action]
    )
    return f"{word}: {_one_line(item.title)}"


def headline(item: CalendarItem, action: str) -> str:
    """The body's first line: why this person gets this message (the item's `reason`)."""
    if action == "cancel":
        return notice(item) or _HEADLINES[action]
    if action == "update":
        return _UPDATE_HEADLINES.get(item.reason or "", _HEADLINES[action])
    return _HEADLINES[action]


def plain_body(item: CalendarItem, action: str) -> str:
    lines = [_one_line(item.title), "", headline(item, action), "", f"Tidspunkt: {when_text(item)}"]
    if item.location:
        lines.append(f"Sted: {_one_line(item.location)}")
    exceptions = exception_lines(item)
    if exceptions:
        lines += ["", "Undtagelser:"] + [f"- {line}" for line in exceptions]
    lines += ["", "Deltagere:"] + [f"- {line}" for line in participant_lines(item)]
    lines += ["", "-- ", FOOTER]
    return "\n".join(lines) + "\n"


def html_body(item: CalendarItem, action: str) -> str:
    e = html.escape

    def items(lines: Sequence[str]) -> str:
        return "".join(f"<li>{e(line)}</li>" for line in lines)

    parts = [
        '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">',
        f"<title>{e(subject(item, action))}</title></head><body>",
        f"<h1>{e(_one_line(item.title))}</h1>",
        f"<p><strong>{e(headline(item, action))}</strong></p>",
        "<table>",
        f'<tr><th align="left">Tidspunkt</th><td>{e(when_text(item))}</td></tr>',
    ]
    if item.location:
        parts.append(f'<tr><th align="left">Sted</th><td>{e(_one_line(item.location))}</td></tr>')
    parts.append("</table>")
    exceptions = exception_lines(item)
    if exceptions:
        parts.append(f"<h2>Undtagelser</h2><ul>{items(exceptions)}</ul>")
    parts.append(f"<h2>Deltagere</h2><ul>{items(participant_lines(item))}</ul>")
    parts.append(f"<p><small>{e(FOOTER)}</small></p></body></html>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- the message


SERVICE_NAME = "Mødeplan"
"""The organiser's name in invitations when MOEDEPLAN_SMTP_SENDER gives none."""


def service_mailbox(sender: str) -> itip.Mailbox:
    """The sender ('Mødeplan <moedeplan@ballerup.dk>') as the invitations' organiser."""
    name, address = parseaddr(sender)
    return itip.Mailbox(name=name or SERVICE_NAME, email=address)


def message_id(item: CalendarItem, sequence: int, recipient: Recipient) -> str:
    """'<sha1@moedeplan>', the same for the same (uid, sequence, recipient) every time."""
    key = "\n".join((item.uid, str(sequence), recipient.person, (recipient.email or "").lower()))
    return f"<{hashlib.sha1(key.encode('utf-8')).hexdigest()}@{MESSAGE_ID_DOMAIN}>"


def build_message(
    item: CalendarItem,
    action: str,
    method: Method,
    sequence: int,
    recipient: Recipient,
    sender: str,
    now: datetime | None = None,
) -> EmailMessage:
    """The whole invitation to one recipient (who must have an e-mail address), from `sender`,
    which is the invitation's ORGANIZER (see `calendar_sync.itip`)."""
    assert recipient.email, "build_message needs a recipient with an e-mail address"
    # the recipient's view of the item; render runs the privacy guard on every text first
    ics = itip.render(
        item, method, sequence, now, recipient=recipient.person, organizer=service_mailbox(sender)
    )
    item = view_for(item, recipient.person) or item  # the bodies describe what they receive

    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((_one_line(recipient.name), recipient.email))
    if item.organizer is not None and item.organizer.email:
        message["Reply-To"] = formataddr((_one_line(item.organizer.name), item.organizer.email))
    message["Subject"] = subject(item, action)
    message["Date"] = format_datetime((now or datetime.now(TZ)).astimezone(TZ))
    message["Message-ID"] = message_id(item, sequence, recipient)
    message["Auto-Submitted"] = "auto-generated"

    message.set_content(plain_body(item, action), charset="utf-8")
    message.add_alternative(html_body(item, action), subtype="html", charset="utf-8")
    message.add_alternative(
        ics,
        maintype="text",
        subtype="calendar",
        cte="base64",
        params={"method": method, "charset": "UTF-8"},
    )
    message.make_mixed()
    message.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    # after the body: set_content() clears every Content-* header
    message["Content-Language"] = "da"
    message["Content-Class"] = "urn:content-classes:calendarmessage"
    return message


# --------------------------------------------------------------------------- the back-end

_RECONNECT_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionError)


class Backend(CalendarBackend):
    """Sends one iTIP message per (item, recipient) through one SMTP connection per sync run."""

    name: ClassVar[str] = "email"
    settings_class = Settings

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        self.host: str = str(settings.get("host") or "localhost")
        self.use_ssl: bool = bool(settings.get("ssl", False))
        self.starttls: bool = bool(settings.get("starttls", False))
        self.port: int = int(settings.get("port") or (465 if self.use_ssl else 587 if self.starttls else 25))
        self.username: str | None = settings.get("username") or None
        self._password: str | None = settings.get("password") or None
        self.sender: str = str(settings.get("sender") or "")
        """the From header, e.g. 'Mødeplan <moedeplan@ballerup.dk>'"""
        self.envelope_sender: str = parseaddr(self.sender)[1]
        self.timeout: float = float(settings.get("timeout") or SMTP_TIMEOUT)
        if "@" not in self.envelope_sender:
            raise ValueError("the e-mail back-end needs a sender address (settings['sender'])")
        self._smtp: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return f"<email Backend {self.host}:{self.port} as {self.username or 'anonymous'}>"

    # -- the interface

    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        return self._deliver(item, "create", "REQUEST", sequence, recipient)

    def update(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> str:
        return self._deliver(item, "update", "REQUEST", sequence, recipient)

    def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
        self._deliver(item, "cancel", "CANCEL", sequence, recipient)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    # -- delivery

    def _deliver(
        self, item: CalendarItem, action: str, method: Method, sequence: int, recipient: Recipient
    ) -> str:
        if not recipient.email:
            raise DeliveryError(
                f"{recipient.person} har ingen e-mailadresse; invitationen til {item.uid} kan ikke sendes",
                permanent=True,
            )
        email = recipient.email
        try:  # one recipient per person, however the Recipient was made: never a list in To:
            one_address(email)
        except ValueError:
            raise DeliveryError(
                f"{recipient.person} har ikke én gyldig e-mailadresse; invitationen til {item.uid} "
                "kan ikke sendes",
                permanent=True,
            ) from None
        message = build_message(item, action, method, sequence, recipient, self.sender)
        self._with_connection(
            lambda smtp: smtp.send_message(message, from_addr=self.envelope_sender, to_addrs=[email]),
            f"{method} {item.uid} (SEQUENCE {sequence}) to {email}",
        )
        msgid = str(message["Message-ID"])
        log.info("sent %s for %s (SEQUENCE %d) to %s as %s", method, item.uid, sequence, email, msgid)
        return msgid

    def _with_connection(self, send: Callable[[smtplib.SMTP], T], what: str) -> T:
        """Run `send` on the open connection; reopen it once if the server had dropped it."""
        for attempt in (1, 2):
            reused = self._smtp is not None
            smtp = self._connection()
            try:
                return send(smtp)
            except _RECONNECT_ERRORS as error:
                self._discard()
                if attempt == 1 and reused:
                    log.info("SMTP connection to %s:%d was dropped; reconnecting", self.host, self.port)
                    continue
                raise self._unavailable(error) from None  # a fresh connection failed: no one gets mail
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()), (0, b""))
                raise _refusal(what, "recipient refused", code, reply) from None
            except smtplib.SMTPSenderRefused as error:
                raise _refusal(
                    what, f"sender {error.sender} refused", error.smtp_code, error.smtp_error
                ) from None
            except smtplib.SMTPResponseException as error:
                raise _refusal(what, "server refused", error.smtp_code, error.smtp_error) from None
            except (smtplib.SMTPException, OSError) as error:
                self._discard()
                if _timed_out(error):
                    raise self._unavailable(error) from None
                raise DeliveryError(f"{what}: {type(error).__name__}: {error}", permanent=False) from None
        raise AssertionError("unreachable")

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        try:
            smtp: smtplib.SMTP
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as error:
            raise self._unavailable(error) from None
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self._password or "")
        except smtplib.SMTPAuthenticationError as error:
            smtp.close()
            # a wrong login is the operator's to fix; the invitations themselves are fine
            raise BackendUnavailable(
                f"SMTP-serveren {self.host}:{self.port} afviste login som {self.username} "
                f"({_reply_text(error.smtp_code, error.smtp_error)}); tjek {_env('smtp_username')} "
                f"og {_env('smtp_password')}. {_LEFT_FOR_LATER}"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise self._unavailable(error) from None
        log.debug(
            "connected to SMTP %s:%d (starttls=%s, login=%s)",
            self.host,
            self.port,
            self.starttls,
            bool(self.username),
        )
        self._smtp = smtp
        return smtp

    def _unavailable(self, error: BaseException) -> BackendUnavailable:
        """The server cannot be used at all, in Danish, naming the settings to check."""
        check = f"tjek {_env('smtp_host')} og {_env('smtp_port')}"
        if _timed_out(error):
            what = f"svarede ikke inden for {self.timeout:g} sekunder ({_env('smtp_timeout')})"
        elif isinstance(error, ConnectionRefusedError):
            what = "afviste forbindelsen (ingen SMTP-server på den port)"
        elif isinstance(error, socket.gaierror):
            what = "findes ikke (ukendt værtsnavn)"
        elif isinstance(error, smtplib.SMTPResponseException):
            what = f"tager ikke imod post ({_reply_text(error.smtp_code, error.smtp_error)})"
        elif isinstance(error, _RECONNECT_ERRORS):
            what = "afbrød forbindelsen"
        elif isinstance(error, ssl.SSLError | smtplib.SMTPNotSupportedError):
            what = f"kunne ikke starte en krypteret forbindelse ({type(error).__name__})"
            check += f" og {_env('smtp_starttls')}"
        else:
            what = f"kan ikke nås ({type(error).__name__}: {error})"
        return BackendUnavailable(f"SMTP-serveren {self.host}:{self.port} {what}; {check}. {_LEFT_FOR_LATER}")

    def _discard(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()


_LEFT_FOR_LATER = "Det, der ikke blev sendt, venter i udbakken og sendes ved næste udsendelse."


def _timed_out(error: BaseException) -> bool:
    """A socket time-out, also when smtplib re-raised it as 'connection unexpectedly closed'."""
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}".strip()


def _refusal(what: str, reason: str, code: int, reply: bytes | str) -> DeliveryError:
    """5xx: the server will never take it (permanent); 4xx and anything else: try again later."""
    return DeliveryError(f"{what}: {reason}: {_reply_text(code, reply)}", permanent=500 <= code < 600)
