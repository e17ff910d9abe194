"""E-mail invitations as a calendar client reads them: Mozilla's ical.js (Thunderbird's parser).

A plan is published through the real e-mail back-end to the real SMTP fake; every message that
arrives is handed to ical.js in node (`tests/fakes/ical_client.mjs`, ical.js vendored beside it),
and what that parser makes of it is checked: the service mailbox organises and is the sender,
each recipient is an ATTENDEE (the caller as CHAIR), no one is asked for a reply, the booked
room is in LOCATION and the family shows as a label only. Without node the test is skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

from calendar_sync.items import items_from_plan
from calendar_sync.privacy import PrivacyError, PrivacyGuard
from calendar_sync.publish import publish
from calendar_sync.settings import CalendarSettings
from scheduler.config import config_from_data
from tests.builders import small_data
from tests.calendar_sync.test_privacy import familiemoede, plan_of, series_meetings
from tests.fakes.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)

CLIENT = Path(__file__).resolve().parents[1] / "fakes" / "ical_client.mjs"
NODE = shutil.which("node")
SENDER = "Mødeplan Ballerup <moedeplan@ballerup.example>"


def ical_js(ics: bytes) -> dict[str, Any]:
    """What ical.js reads in an iCalendar text (see tests/fakes/ical_client.mjs)."""
    assert NODE is not None
    done = subprocess.run([NODE, str(CLIENT)], input=ics, capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return dict(json.loads(done.stdout))


def calendar_bytes(message: EmailMessage) -> bytes:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


@pytest.mark.skipif(NODE is None, reason="node is not installed: ical.js cannot run")
def test_invitations_read_by_ical_js_are_invitations_from_the_service(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    data = small_data()
    site = next(s for s in data["sites"] if s["id"] == "skole-a")
    site["rooms"] = [{"id": "moedelokale", "name": "Mødelokale 2"}, {"id": "kantine", "name": "Kantinen"}]
    config = config_from_data(data)
    plan = plan_of([*series_meetings(config), familiemoede(room="moedelokale")])
    settings = CalendarSettings(
        calendar_backend="email",
        ledger_path=tmp_path / "ledger.sqlite3",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_sender=SENDER,
    )
    report = publish(config, plan, settings)
    assert not report.failures

    names = {p.email: p.name for p in config.staff}
    received = smtp_server.messages
    assert received, "nothing was sent"
    families = 0
    for got in received:
        message = got.message
        to = parseaddr(str(message["To"]))[1]
        read = ical_js(calendar_bytes(message))
        assert read["method"] == "REQUEST"
        for event in read["events"]:
            organizer = event["organizer"]
            # the organiser is the mailbox the invitation comes from, so updates and
            # cancellations from it are accepted, and nobody is "organiser" of a meeting
            # their own mailbox never held
            assert organizer["value"] == "mailto:moedeplan@ballerup.example"
            assert organizer["cn"] == "Mødeplan Ballerup"
            assert parseaddr(str(message["From"]))[1] == organizer["value"].removeprefix("mailto:")
            attendees = {a["value"].removeprefix("mailto:"): a for a in event["attendees"]}
            assert to in attendees, f"{to} gets a REQUEST without being invited to it"
            assert organizer["value"].removeprefix("mailto:") not in attendees
            assert all(a["rsvp"] == "FALSE" for a in attendees.values()), "replies are asked for"
            assert all(a["partstat"] == "NEEDS-ACTION" for a in attendees.values())
            assert {a["cn"] for a in attendees.values()} <= set(names.values())
            if event["summary"] == "Familiemøde":
                families += 1
                assert event["location"] == "Mødelokale 2, Nordskolen afd. A, Skolevej 1"
                assert "familien (gæst)" in event["description"]
                assert "CHAIR" not in {a["role"] for a in attendees.values()}  # no chair seat
            else:
                chairs = [a for a in attendees.values() if a["role"] == "CHAIR"]
                assert [names[email] for email, a in attendees.items() if a in chairs] == [
                    next(p.name for p in config.staff if p.id == "leder-skole")
                ]
                assert event["location"] == "Nordskolen afd. A, Skolevej 1"  # no room booked
        raw = got.data.decode("utf-8", "replace")
        assert "familie@example.org" not in raw  # the family's address never reaches staff
        if "Familiemøde" in str(message["Subject"]):
            plain = message.get_body(("plain",))
            assert plain is not None and "- familien (gæst)" in plain.get_content()
            assert "Sted: Mødelokale 2, Nordskolen afd. A, Skolevej 1" in plain.get_content()
    assert families == 2  # the two staff at the Familiemøde


def test_a_guest_label_with_a_cpr_number_stops_the_invitation_naming_the_guest() -> None:
    """The label reaches the invite now, so the guard checks it there too (not only in the plan)."""
    config = config_from_data(small_data())
    [item] = items_from_plan(config, plan_of([familiemoede()]))
    assert item.guests == ("familien",)
    with pytest.raises(PrivacyError) as stopped:
        PrivacyGuard.for_config(config).check_item(replace(item, guests=("barn 010190-1234",)))
    assert stopped.value.field == "gæst" and "010190" not in str(stopped.value)
