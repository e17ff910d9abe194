"""The e-mail back-end against a real SMTP server (aiosmtpd on 127.0.0.1, `smtp_server` fixture).

What is checked is what arrives: the envelope, the headers, the Danish text and HTML, and the
iTIP part, read back with icalendar (and expanded with recurring_ical_events) rather than
compared with our own rendering.
"""

from __future__ import annotations

import logging
import re
import socket
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
from icalendar import Calendar

from calendar_sync.backends.base import BackendUnavailable, DeliveryError, Recipient, load_backend
from calendar_sync.backends.email import Backend, message_id, when_text
from calendar_sync.items import CalendarItem, ItemAttendee, Override
from calendar_sync.ledger import Ledger
from calendar_sync.privacy import PrivacyError, PrivacyGuard
from calendar_sync.recurrence import Recurrence
from calendar_sync.sync import sync
from scheduler.term_dates import TZ
from tests.fakes.smtp import SmtpServer
from tests.fakes.tcp import ClosedPort, SilentServer

pytestmark = [
    pytest.mark.timeout(30),
    # aiosmtpd itself sets the deprecated Session.login_data after a successful AUTH
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning"),
]

SENDER = "Mødeplan Ballerup <moedeplan@ballerup.example>"
PASSWORD = "hemmeligt-Kodeord-9137"

ANNE = ItemAttendee("anne", "Anne Ågård", "anne@ballerup.example", True, "Skoleleder")
BO = ItemAttendee("bo", "Bo Berg", "bo@ballerup.example", True, "PPR-psykolog")
CECILIE = ItemAttendee("cecilie", "Cecilie Ø. Holm", "cecilie@ballerup.example", False, "Sundhedsplejerske")
DORTE = ItemAttendee("dorte", "Dorte Dam", None, True, "Socialrådgiver")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def recipient(who: ItemAttendee) -> Recipient:
    return Recipient(person=who.person, name=who.name, email=who.email)


def recurring_item() -> CalendarItem:
    """Every other Tuesday 13-15 from 12 Jan 2027; 9 Feb skipped, 9 Mar moved to Wed 10 Mar 10-12."""
    return CalendarItem(
        uid="serie-ppr-hedegaarden@moedeplan",
        series="ppr-hedegaarden",
        unit="hedegaardsskolen",
        title="PPR-møde, Hedegårdsskolen",
        location="Hedegårdsskolen, Magleparken 8, 2750 Ballerup",
        description="Mødeleder: Anne Ågård\n\nDeltagere:\n- Bo Berg, PPR-psykolog",
        start=local(2027, 1, 12, 13),
        end=local(2027, 1, 12, 15),
        organizer=ANNE,
        attendees=(BO, CECILIE, DORTE),
        meeting_uids=("m1", "m2", "m4", "m5", "m6"),
        rrule=Recurrence("WEEKLY", weekdays=(1,), interval=2, until=datetime(2027, 3, 23, 12, tzinfo=UTC)),
        exdates=(local(2027, 2, 9, 13),),
        overrides=(
            Override(
                recurrence_id=local(2027, 3, 9, 13),
                start=local(2027, 3, 10, 10),
                end=local(2027, 3, 10, 12),
                location="Ballerup Rådhus, Hold-An Vej 7, 2750 Ballerup",
                meeting_uid="m5",
            ),
        ),
    )


def single_item() -> CalendarItem:
    return CalendarItem(
        uid="meeting-netvaerk-0309@moedeplan",
        series="netvaerk",
        unit="hedegaardsskolen",
        title="Netværksmøde om trivsel",
        location="Ballerup Rådhus, Hold-An Vej 7, 2750 Ballerup",
        description="Deltagere:\n- Bo Berg, PPR-psykolog",
        start=local(2027, 3, 9, 13),
        end=local(2027, 3, 9, 15),
        organizer=ANNE,
        attendees=(BO,),
        meeting_uids=("meeting-netvaerk-0309@moedeplan",),
    )


@pytest.fixture
def backend(smtp_server: SmtpServer) -> Iterator[Backend]:
    settings = {
        "host": smtp_server.host,
        "port": smtp_server.port,
        "starttls": False,
        "sender": SENDER,
        "timeout": 5,
    }
    loaded = load_backend("email", settings)
    assert isinstance(loaded, Backend)
    try:
        yield loaded
    finally:
        loaded.close()


# --------------------------------------------------------------------------- reading messages


def calendar_part(message: EmailMessage) -> EmailMessage:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    assert isinstance(part, EmailMessage)
    return part


def ics_of(message: EmailMessage) -> Calendar:
    payload = calendar_part(message).get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def text_of(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None and body.get_content_type() == f"text/{subtype}"
    content = body.get_content()
    assert isinstance(content, str)
    return content


def master(calendar: Calendar) -> Any:
    return next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)


def addresses(values: Any) -> list[str]:
    values = values if isinstance(values, list) else [values]
    return [str(v).removeprefix("mailto:") for v in values]


# --------------------------------------------------------------------------- tests


def test_create_update_cancel_of_a_series_arrive_as_itip_messages(
    backend: Backend, smtp_server: SmtpServer
) -> None:
    item = recurring_item()
    to = recipient(BO)
    first = backend.create(item, 0, to)
    moved = replace(item, start=local(2027, 1, 12, 14), end=local(2027, 1, 12, 16), overrides=())
    second = backend.update(moved, 1, to, first)
    backend.cancel(moved, 2, to, second)

    received = smtp_server.messages_to(BO.email or "")
    assert len(received) == 3
    subjects = ["Invitation", "Opdateret", "Aflyst"]
    methods = ["REQUEST", "REQUEST", "CANCEL"]
    for sequence, (got, prefix, method) in enumerate(zip(received, subjects, methods, strict=True)):
        message = got.message
        assert got.mail_from == "moedeplan@ballerup.example"
        assert got.rcpt_tos == (BO.email,)
        assert parseaddr(str(message["To"])) == (BO.name, BO.email)
        assert parseaddr(str(message["From"]))[1] == "moedeplan@ballerup.example"
        assert str(message["Subject"]) == f"{prefix}: PPR-møde, Hedegårdsskolen"
        assert parseaddr(str(message["Reply-To"]))[1] == ANNE.email

        part = calendar_part(message)
        assert part.get_param("method") == method
        assert str(part.get_param("charset")).upper() == "UTF-8"
        calendar = ics_of(message)
        assert str(calendar["METHOD"]) == method
        event = master(calendar)
        assert str(event["UID"]) == item.uid
        assert int(event["SEQUENCE"]) == sequence
        # the service mailbox organises (it sends); Anne, who calls the meeting, is its chair
        assert addresses(event["ORGANIZER"]) == ["moedeplan@ballerup.example"]
        assert set(addresses(event["ATTENDEE"])) == {ANNE.email, BO.email, CECILIE.email}  # Dorte: no address
        roles = {str(a): a.params["ROLE"] for a in event["ATTENDEE"]}
        assert roles[f"mailto:{ANNE.email}"] == "CHAIR"

        attachments = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
        assert len(attachments) == 1 and attachments[0].get_content_type() == "application/ics"
        assert attachments[0].get_payload(decode=True) == calendar_part(message).get_payload(decode=True)

    create, update, cancel = (r.message for r in received)
    assert first == str(create["Message-ID"]) and second == str(update["Message-ID"])
    assert re.fullmatch(r"<[0-9a-f]{40}@moedeplan>", first)
    assert len({str(m["Message-ID"]) for m in (create, update, cancel)}) == 3

    plain = text_of(create, "plain")
    assert "PPR-møde, Hedegårdsskolen" in plain
    assert "hver anden tirsdag kl. 13:00-15:00 fra 12. januar 2027 til 23. marts 2027" in plain
    assert "Sted: Hedegårdsskolen, Magleparken 8, 2750 Ballerup" in plain
    assert "Intet møde tirsdag 9. februar 2027" in plain
    assert "flyttet til onsdag 10. marts 2027 kl. 10:00-12:00, Ballerup Rådhus" in plain
    for line in (
        "Anne Ågård, Skoleleder (arrangør)",
        "Bo Berg, PPR-psykolog",
        "Cecilie Ø. Holm, Sundhedsplejerske (valgfri)",
        "Dorte Dam, Socialrådgiver",
    ):
        assert line in plain
    html = text_of(create, "html")
    assert "PPR-møde, Hedegårdsskolen" in html and "hver anden tirsdag kl. 13:00-15:00" in html
    assert "Cecilie Ø. Holm" in html

    assert "hver anden tirsdag kl. 14:00-16:00" in text_of(update, "plain")
    assert "Mødet er aflyst" in text_of(cancel, "plain")
    assert "Mødet er aflyst" in text_of(cancel, "html")
    assert str(master(ics_of(cancel))["STATUS"]) == "CANCELLED"


def test_the_invitation_of_a_series_expands_to_its_meetings(
    backend: Backend, smtp_server: SmtpServer
) -> None:
    backend.create(recurring_item(), 0, recipient(CECILIE))
    (got,) = smtp_server.messages_to(CECILIE.email or "")
    instances = recurring_ical_events.of(ics_of(got.message)).between(
        datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC)
    )
    starts = sorted(e["DTSTART"].dt.astimezone(TZ) for e in instances)
    assert starts == [
        local(2027, 1, 12, 13),
        local(2027, 1, 26, 13),
        local(2027, 2, 23, 13),
        local(2027, 3, 10, 10),  # moved from Tuesday 9 March
        local(2027, 3, 23, 13),
    ]


def test_a_single_meeting_names_its_date_and_time(backend: Backend, smtp_server: SmtpServer) -> None:
    item = single_item()
    backend.create(item, 0, recipient(BO))
    (got,) = smtp_server.messages
    plain, html = text_of(got.message, "plain"), text_of(got.message, "html")
    for body in (plain, html):
        assert "Netværksmøde om trivsel" in body
        assert "tirsdag 9. marts 2027 kl. 13:00-15:00" in body
        assert "Ballerup Rådhus, Hold-An Vej 7, 2750 Ballerup" in body
    event = master(ics_of(got.message))
    assert event["DTSTART"].dt == local(2027, 3, 9, 13)
    assert "RRULE" not in event


def test_the_message_id_is_the_same_for_a_resent_message(backend: Backend, smtp_server: SmtpServer) -> None:
    item = single_item()
    first = backend.create(item, 0, recipient(BO))
    again = backend.create(item, 0, recipient(BO))  # after a crash before the ledger was written
    assert first == again
    assert [str(m.message["Message-ID"]) for m in smtp_server.messages] == [first, first]
    assert message_id(item, 1, recipient(BO)) != first
    assert message_id(item, 0, recipient(CECILIE)) != first


def test_a_refused_mailbox_is_a_permanent_error_and_the_next_one_still_goes(
    backend: Backend, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse_permanently(BO.email or "")
    with pytest.raises(DeliveryError) as refused:
        backend.create(single_item(), 0, recipient(BO))
    assert refused.value.permanent
    assert "550" in str(refused.value)
    backend.create(single_item(), 0, recipient(ANNE))  # the same connection goes on
    assert [m.rcpt_tos for m in smtp_server.messages] == [(ANNE.email,)]


def test_a_busy_mailbox_is_a_temporary_error(backend: Backend, smtp_server: SmtpServer) -> None:
    smtp_server.refuse_temporarily(BO.email or "")
    with pytest.raises(DeliveryError) as deferred:
        backend.create(single_item(), 0, recipient(BO))
    assert not deferred.value.permanent
    assert "450" in str(deferred.value)


def test_a_recipient_without_an_address_is_a_permanent_error(
    backend: Backend, smtp_server: SmtpServer
) -> None:
    with pytest.raises(DeliveryError) as missing:
        backend.create(recurring_item(), 0, recipient(DORTE))
    assert missing.value.permanent
    assert smtp_server.messages == []


def test_a_dropped_connection_is_reopened(backend: Backend, smtp_server: SmtpServer) -> None:
    backend.create(single_item(), 0, recipient(BO))
    assert smtp_server.hang_up() == 1
    backend.create(single_item(), 0, recipient(ANNE))
    assert [m.rcpt_tos for m in smtp_server.messages] == [(BO.email,), (ANNE.email,)]


def test_no_server_is_a_temporary_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = Backend({"host": "127.0.0.1", "port": port, "sender": SENDER, "timeout": 2})
    with pytest.raises(DeliveryError) as down:
        backend.create(single_item(), 0, recipient(BO))
    assert not down.value.permanent


def test_a_recipient_with_more_than_one_address_gets_nothing(
    backend: Backend, smtp_server: SmtpServer
) -> None:
    """Issue 11: 'Psykolog A <a@x>, evil@x' became two recipients in To:; one person, one address."""
    for bad in [
        "Bo Berg <bo@ballerup.example>, evil@ballerup.example",
        "bo@ballerup.example, evil@ballerup.example",
    ]:
        with pytest.raises(DeliveryError) as refused:
            backend.create(single_item(), 0, Recipient("bo", "Bo Berg", bad))
        assert refused.value.permanent and "ikke én gyldig e-mailadresse" in str(refused.value)
    assert smtp_server.messages == []


# --------------------------------------------------------------------------- an unreachable server

CROWD = {f"p{i}": Recipient(f"p{i}", f"Deltager {i}", f"p{i}@ballerup.example") for i in range(5)}


def crowd_item() -> CalendarItem:
    """One meeting for Anne and five more: six messages, six chances to retry."""
    people = tuple(ItemAttendee(r.person, r.name, r.email, True, "Deltager") for r in CROWD.values())
    return replace(single_item(), attendees=people)


@pytest.mark.parametrize("kind", ["closed port", "silent server"])
def test_an_unreachable_smtp_server_is_one_quick_failure_and_nothing_is_lost(
    kind: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    recipients = {"anne": recipient(ANNE), **CROWD}
    item = crowd_item()
    down = ClosedPort() if kind == "closed port" else SilentServer().start()
    try:
        backend = Backend({"host": down.host, "port": down.port, "sender": SENDER, "timeout": 2})
        with Ledger(tmp_path / "ledger.sqlite3") as ledger:
            started = time.monotonic()
            report = sync([item], recipients, backend, ledger, guard=PrivacyGuard())  # real backoff sleeps
            assert time.monotonic() - started < 15  # not 5 attempts with backoff per recipient
            assert report.unavailable is not None
            for setting in ("MOEDEPLAN_SMTP_HOST", "MOEDEPLAN_SMTP_PORT"):
                assert setting in report.unavailable
            if kind == "silent server":
                assert "svarede ikke inden for 2 sekunder (MOEDEPLAN_SMTP_TIMEOUT)" in report.unavailable
            else:
                assert "afviste forbindelsen" in report.unavailable
            assert len(report.failures) == 1 and report.delivered == Counter() and report.unsent == 6
            assert [d.attempts for d in ledger.pending("email")] == [1, 0, 0, 0, 0, 0]
            # the server is back: the next run sends every invitation, once each
            up = Backend({"host": smtp_server.host, "port": smtp_server.port, "sender": SENDER, "timeout": 5})
            again = sync([item], recipients, up, ledger, guard=PrivacyGuard())
    finally:
        down.close() if isinstance(down, ClosedPort) else down.stop()
    assert again.ok and again.delivered == Counter(create=6)
    assert sorted(m.rcpt_tos for m in smtp_server.messages) == sorted((r.email,) for r in recipients.values())


def test_a_server_that_stops_answering_mid_session_stops_the_run(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Greeting and EHLO answered, then silence at DATA: the first time-out ends the run."""
    smtp_server.stall_data = 20.0
    recipients = {"anne": recipient(ANNE), **CROWD}
    backend = Backend({"host": smtp_server.host, "port": smtp_server.port, "sender": SENDER, "timeout": 1})
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        started = time.monotonic()
        report = sync([crowd_item()], recipients, backend, ledger, guard=PrivacyGuard())
        assert time.monotonic() - started < 15
        assert report.unavailable is not None and "MOEDEPLAN_SMTP_TIMEOUT" in report.unavailable
        assert len(report.failures) == 1 and report.unsent == 6
        assert len(ledger.pending("email")) == 6


def _everything_said(error: BaseException, caplog: pytest.LogCaptureFixture, backend: Backend) -> str:
    return "\n".join(
        [
            str(error),
            "".join(traceback.format_exception(error)),
            caplog.text,
            "\n".join(r.getMessage() for r in caplog.records),
            repr(backend),
        ]
    )


def test_the_password_is_used_but_never_shown(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp_server.credentials = ("moedeplan", PASSWORD)
    settings = {
        "host": smtp_server.host,
        "port": smtp_server.port,
        "username": "moedeplan",
        "password": PASSWORD,
        "sender": SENDER,
        "timeout": 5,
    }
    good = Backend(settings)
    try:
        good.create(single_item(), 0, recipient(BO))
    finally:
        good.close()
    (got,) = smtp_server.messages
    assert got.login == "moedeplan"
    assert PASSWORD not in caplog.text and PASSWORD not in repr(good)

    bad = Backend(settings | {"password": PASSWORD + "-wrong"})
    with pytest.raises(DeliveryError) as refused:
        bad.create(single_item(), 0, recipient(BO))
    assert not refused.value.permanent  # the login is the operator's to fix; then it goes
    assert "login" in str(refused.value)
    assert isinstance(refused.value, BackendUnavailable)  # no point trying the next recipient
    assert "MOEDEPLAN_SMTP_USERNAME" in str(refused.value) and "MOEDEPLAN_SMTP_PASSWORD" in str(refused.value)
    said = _everything_said(refused.value, caplog, bad)
    assert PASSWORD not in said
    assert len(smtp_server.messages) == 1


def test_rrule_wording_in_danish() -> None:
    item = recurring_item()
    weekly = replace(item, rrule=Recurrence("WEEKLY", weekdays=(1,)))
    assert when_text(weekly) == "hver tirsdag kl. 13:00-15:00 fra 12. januar 2027"
    last = replace(item, rrule=Recurrence("MONTHLY", weekdays=(1,), nth=-1, count=3), exdates=())
    assert (
        when_text(last)
        == "den sidste tirsdag i hver måned kl. 13:00-15:00 fra 12. januar 2027 til 30. marts 2027"
    )
    second = replace(item, rrule=Recurrence("MONTHLY", weekdays=(1,), nth=2))
    assert when_text(second).startswith("den anden tirsdag i hver måned kl. 13:00-15:00")
    daily = replace(item, rrule=Recurrence("DAILY", weekdays=(0, 1, 2)))
    assert when_text(daily).startswith("hver mandag, tirsdag og onsdag kl. 13:00-15:00")
    every_third = replace(item, rrule=Recurrence("WEEKLY", weekdays=(1,), interval=3))
    assert when_text(every_third).startswith("hver tredje tirsdag kl. 13:00-15:00")
    summer = replace(single_item(), start=local(2027, 6, 29, 9, 30), end=local(2027, 6, 29, 11))
    assert when_text(summer) == "tirsdag 29. juni 2027 kl. 09:30-11:00"


def test_a_cpr_number_stops_the_invitation_before_anything_is_sent(
    backend: Backend, smtp_server: SmtpServer
) -> None:
    leaky = replace(single_item(), title="Netværksmøde om 010203-1234")
    with pytest.raises(PrivacyError):
        backend.create(leaky, 0, recipient(BO))
    assert smtp_server.messages == []
