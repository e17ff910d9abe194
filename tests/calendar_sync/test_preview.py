"""The publish preview is what a real publish then sends, per person, on every kind of back-end.

The preview and the publish share one delivery planning (`calendar_sync.sync.stage`), so a
back-end that delivers per item (Exchange: one item in the organiser's calendar, the server
invites the attendees) is previewed as one message per organiser, not one per attendee. Checked
against the real parts: the ics files, a real SMTP server (aiosmtpd) and the local Graph fake.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from copy import deepcopy
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from api.web.preview import shown
from calendar_sync.ledger import Ledger
from calendar_sync.publish import preview as publish_preview
from calendar_sync.publish import publish
from calendar_sync.settings import CalendarSettings
from scheduler.config import config_from_data
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.term_dates import closed_days_for, local_datetime, series_periods
from tests.builders import hand_plan
from tests.calendar_sync.test_itip import ATTENDEES
from tests.calendar_sync.test_itip import CONFIG_DATA as ITIP_CONFIG
from tests.fakes.graph import GraphServer
from tests.fakes.smtp import SmtpServer

TERM = "foraar-2027"
SERVICE_MAILBOX = "moedeplan@ballerup.example"


CONFIG_DATA: dict[str, Any] = deepcopy(ITIP_CONFIG)
for _person in CONFIG_DATA["staff"]:  # everyone can be mailed, so every back-end reaches everyone
    _person.setdefault("email", f"{_person['id']}@ballerup.example")


@pytest.fixture(scope="module")
def config() -> MunicipalityConfig:
    return config_from_data(CONFIG_DATA)


def make_plan(config: MunicipalityConfig, hour: int = 13) -> Plan:
    """The iTIP tests' weekly series (chaired by dl) on Tuesdays, and one meeting without a chair
    (the service mailbox organises it on Exchange). `hour` moves the whole series."""
    series, term = config.series[0], config.terms[0]
    meetings = [
        Meeting(
            uid=f"kk-hedegaardsskolen.{TERM}.{period.index}@moedeplan",
            series=series.id,
            occurrence=period.index,
            title="Koordineringskonference, skole – Hedegårdsskolen",
            unit="hedegaardsskolen",
            site="hedegaardsskolen",
            start=local_datetime(period.phase_origin + timedelta(days=1), hour * 60),
            end=local_datetime(period.phase_origin + timedelta(days=1), (hour + 1) * 60),
            attendees=ATTENDEES,
        )
        for period in series_periods(series, term, closed_days_for(config, term, series))
        if period.days
    ]
    day = term.start + timedelta(days=3)  # Thursday 4 March
    meetings.append(
        Meeting(
            uid=f"ekstra.{TERM}.0@moedeplan",
            series="ekstra",
            occurrence=0,
            title="Ekstra møde",
            unit="hedegaardsskolen",
            site="hedegaardsskolen",
            start=local_datetime(day, 10 * 60),
            end=local_datetime(day, 11 * 60),
            attendees=ATTENDEES[2:],  # psykolog-a and sundhedsplejerske-a, no chair
        )
    )
    return hand_plan(
        TERM, *meetings, municipality="Ballerup Kommune", status=PlanStatus.OPTIMAL, solve_seconds=0.1
    )


def previewed(config: MunicipalityConfig, plan: Plan, backend: str) -> Counter[str]:
    """Messages per recipient as the publish page shows them; settings from the environment."""
    return Counter(
        {pid: len(messages) for pid, messages in shown(config, plan, CalendarSettings(), backend)[0].items()}
    )


def published(config: MunicipalityConfig, plan: Plan, backend: str) -> Counter[str]:
    report = publish(config, plan, CalendarSettings(), backend)
    assert report.ok, report.failures
    return report.messages


def check_two_rounds(config: MunicipalityConfig, backend: str) -> list[Counter[str]]:
    """First publish, then a publish that moves the series: each preview equals what followed,
    and a third preview shows nothing. Returns the two rounds' previews."""
    rounds = []
    for plan in (make_plan(config), make_plan(config, hour=14)):
        shown = previewed(config, plan, backend)
        assert shown, "the preview shows messages"
        assert published(config, plan, backend) == shown, backend
        rounds.append(shown)
    assert previewed(config, make_plan(config, hour=14), backend) == Counter()
    return rounds


@pytest.fixture
def ledger_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOEDEPLAN_LEDGER_PATH", str(tmp_path / "ledger.sqlite3"))
    monkeypatch.setenv("MOEDEPLAN_ICS_DIRECTORY", str(tmp_path / "calendars"))
    return tmp_path


def test_ics_preview_is_what_publishing_writes(config: MunicipalityConfig, ledger_env: Path) -> None:
    first, second = check_two_rounds(config, "ics")
    everyone = {"dl", "referent", "psykolog-a", "sundhedsplejerske-a"}
    assert set(first) == everyone
    calendars = ledger_env / "calendars"
    files = {
        folder.name: len(list(folder.glob("*.ics"))) for folder in calendars.iterdir() if folder.is_dir()
    }
    assert files == {"dl": 1, "referent": 1, "psykolog-a": 2, "sundhedsplejerske-a": 2}
    assert {feed.name for feed in calendars.glob("*.ics")} == {f"{person}.ics" for person in everyone}
    assert set(second) == everyone


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    monkeypatch.setenv("MOEDEPLAN_SMTP_HOST", server.host)
    monkeypatch.setenv("MOEDEPLAN_SMTP_PORT", str(server.port))
    try:
        yield server
    finally:
        server.stop()


def test_email_preview_is_what_the_smtp_server_receives(
    config: MunicipalityConfig, ledger_env: Path, smtp: SmtpServer
) -> None:
    first, second = check_two_rounds(config, "email")
    person_of = {person.email: person.id for person in config.staff}
    received = Counter(person_of[to] for message in smtp.messages for to in message.rcpt_tos)
    assert received == first + second
    assert first == Counter({"dl": 1, "referent": 1, "psykolog-a": 2, "sundhedsplejerske-a": 2})


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphServer]:
    server = GraphServer().start()
    for key, value in {
        "MOEDEPLAN_GRAPH_TENANT_ID": server.tenant,
        "MOEDEPLAN_GRAPH_CLIENT_ID": server.client_id,
        "MOEDEPLAN_GRAPH_CLIENT_SECRET": server.client_secret,
        "MOEDEPLAN_GRAPH_AUTHORITY": server.authority,
        "MOEDEPLAN_GRAPH_URL": server.url,
        "MOEDEPLAN_GRAPH_CA_BUNDLE": server.ca_file,
        "MOEDEPLAN_GRAPH_SERVICE_MAILBOX": SERVICE_MAILBOX,
    }.items():
        monkeypatch.setenv(key, value)
    try:
        yield server
    finally:
        server.stop()


def test_exchange_preview_is_one_item_per_organiser(
    config: MunicipalityConfig, ledger_env: Path, graph: GraphServer
) -> None:
    """Exchange holds each meeting once, in its organiser's calendar: the series in dl's, the
    meeting without a chair in the service mailbox; the attendees hear from Exchange itself."""
    first, second = check_two_rounds(config, "exchange_graph")
    organisers = Counter(event.mailbox.split("@")[0] for event in graph.events.values())
    assert organisers == Counter({"dl": 1, "moedeplan": 1})
    assert first == Counter({"dl": 1, "@moedeplan": 1})
    assert second == Counter({"dl": 1})  # only the series moved


# --------------------------------------------------------------------------- why each message


def with_extra(plan: Plan, attendees: list[Attendee] | None) -> Plan:
    """`plan` with the chair-less extra meeting's attendees replaced, or the meeting dropped (None)."""
    meetings = [m for m in plan.meetings if m.series != "ekstra"]
    extra = next(m for m in plan.meetings if m.series == "ekstra")
    if attendees is not None:
        meetings.append(extra.model_copy(update={"attendees": attendees}))
    return plan.model_copy(update={"meetings": meetings})


def reasons(config: MunicipalityConfig, plan: Plan, backend: str) -> dict[tuple[str, str], str]:
    """(recipient, action) -> reason, as the preview gives them."""
    shown = publish_preview(config, plan, CalendarSettings(), backend)
    out: dict[tuple[str, str], str] = {(p.recipient, p.action): p.reason for p in shown}
    assert len(out) == len(shown)
    return out


REFERENT = Attendee(person="referent", role="referent", required=True, seat="required_people[0]")


def test_someone_taken_off_a_meeting_is_told_exactly_that_and_only_a_gone_meeting_is_cancelled(
    config: MunicipalityConfig, ledger_env: Path, smtp: SmtpServer
) -> None:
    """psykolog-a is replaced by the referent in the extra meeting: she gets a CANCEL of her copy
    that says she no longer attends (no STATUS:CANCELLED, only her ATTENDEE line, RFC 5546 3.2.5),
    while the meeting goes on; when the meeting itself goes, its people are told it is cancelled."""
    first = make_plan(config)
    published(config, first, "email")
    swapped = with_extra(first, [REFERENT, ATTENDEES[3]])
    assert reasons(config, swapped, "email") == {
        ("psykolog-a", "cancel"): "removed",
        ("referent", "create"): "new",
        ("sundhedsplejerske-a", "update"): "changed",
    }
    before = len(smtp.messages)
    published(config, swapped, "email")
    (taken_off,) = [m.message for m in smtp.messages[before:] if m.rcpt_tos == ("psykolog.a@example.dk",)]
    assert str(taken_off["Subject"]) == "Du deltager ikke længere: Ekstra møde"
    said = "Du deltager ikke længere i Ekstra møde torsdag 4. marts 2027. Mødet holdes som planlagt uden dig."
    for subtype in ("plain", "html"):
        body = message_text(taken_off, subtype)
        assert said in body and "aflyst" not in body
    calendar = calendar_of(taken_off)
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert "STATUS" not in event
    assert [str(a) for a in as_list(event["ATTENDEE"])] == ["mailto:psykolog.a@example.dk"]
    assert str(event["DESCRIPTION"]) == said
    assert str(event["SUMMARY"]) == "Ekstra møde"

    gone = with_extra(first, None)
    assert reasons(config, gone, "email") == {
        ("referent", "cancel"): "cancelled",
        ("sundhedsplejerske-a", "cancel"): "cancelled",
    }
    before = len(smtp.messages)
    published(config, gone, "email")
    cancelled = [m.message for m in smtp.messages[before:]]
    assert len(cancelled) == 2
    for message in cancelled:
        assert str(message["Subject"]) == "Aflyst: Ekstra møde"
        assert "Mødet er aflyst." in message_text(message, "plain")
        (event,) = calendar_of(message).walk("VEVENT")
        assert str(event["STATUS"]) == "CANCELLED"


def test_the_preview_says_why_each_message_goes(config: MunicipalityConfig, ledger_env: Path) -> None:
    """New on the first publish; moved when the series' time changes; nothing on a re-publish."""
    first = make_plan(config)
    assert {p.reason for p in publish_preview(config, first, CalendarSettings(), "ics")} == {"new"}
    published(config, first, "ics")
    later = make_plan(config, hour=14)
    assert reasons(config, later, "ics") == {
        ("dl", "update"): "moved",
        ("referent", "update"): "moved",
        ("psykolog-a", "update"): "moved",
        ("sundhedsplejerske-a", "update"): "moved",
    }
    published(config, later, "ics")
    assert reasons(config, later, "ics") == {}


def message_text(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None
    content = body.get_content()
    assert isinstance(content, str)
    return content


def calendar_of(message: EmailMessage) -> Calendar:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------- a stable series


def moved(plan: Plan, *indexes: int) -> Plan:
    """`plan` with the series' meetings at `indexes` (in time order) two days later, same week."""
    series = sorted((m for m in plan.meetings if m.series != "ekstra"), key=lambda m: m.start)
    later = {series[i].uid for i in indexes}
    meetings = [
        m.model_copy(update={"start": m.start + timedelta(days=2), "end": m.end + timedelta(days=2)})
        if m.uid in later
        else m
        for m in plan.meetings
    ]
    return plan.model_copy(update={"meetings": meetings})


def six_meetings(config: MunicipalityConfig) -> Plan:
    """The weekly series cut to six meetings, the extra meeting kept."""
    plan = make_plan(config)
    series = sorted((m for m in plan.meetings if m.series != "ekstra"), key=lambda m: m.start)
    keep = {m.uid for m in series[:6]}
    return plan.model_copy(
        update={"meetings": [m for m in plan.meetings if m.uid in keep or m.series == "ekstra"]}
    )


def test_one_move_that_leaves_a_delivered_series_less_regular_sends_one_update_per_attendee(
    config: MunicipalityConfig, ledger_env: Path, smtp: SmtpServer
) -> None:
    """Six meetings, one already moved (5 of 6 on the rule: one recurring item). Moving a second
    leaves 4 of 6 (67 %, under the 75 % a new series needs): the series the calendars hold stays
    one recurring item with a second RECURRENCE-ID override, so the move is one update to each
    of that meeting's people, not the series re-sent as six single events to everyone."""
    first = moved(six_meetings(config), 1)
    published(config, first, "email")
    series_uid = f"kk-hedegaardsskolen.{TERM}.serie@moedeplan"
    with Ledger(ledger_env / "ledger.sqlite3") as ledger:
        assert series_uid in ledger.items(TERM), "delivered as one recurring item"
    second = moved(first, 3)
    meeting = sorted((m for m in second.meetings if m.series != "ekstra"), key=lambda m: m.start)[3]
    attendees = {a.person for a in meeting.attendees}
    shown = publish_preview(config, second, CalendarSettings(), "email")
    assert {(p.recipient, p.action, p.item.uid, p.reason) for p in shown} == {
        (person, "update", series_uid, "moved") for person in attendees
    }
    before = len(smtp.messages)
    sent = published(config, second, "email")
    assert sent == Counter(dict.fromkeys(attendees, 1))
    assert len(smtp.messages) - before == len(attendees)
    events: list[Any] = calendar_of(smtp.messages[-1].message).walk("VEVENT")
    (override,) = [e for e in events if "RECURRENCE-ID" in e and e["DTSTART"].dt == meeting.start]
    assert str(override["UID"]) == series_uid


def test_a_person_swapped_out_of_one_meeting_of_a_series_is_removed_from_it_and_the_rest_only_changed(
    config: MunicipalityConfig, ledger_env: Path
) -> None:
    """The referent takes psykolog-a's seat in one meeting of the series: that meeting leaves the
    recurring item (other people) for a single one. Psykolog-a is told she no longer attends it;
    the others still come, so for them it is a change, not a cancellation or a new meeting."""
    first = make_plan(config)
    published(config, first, "ics")
    series = sorted((m for m in first.meetings if m.series != "ekstra"), key=lambda m: m.start)
    swapped = [
        a.model_copy(update={"person": "referent"}) if a.person == "psykolog-a" else a
        for a in series[2].attendees
        if a.seat != "minute_taker"
    ]
    second = first.model_copy(
        update={
            "meetings": [
                m.model_copy(update={"attendees": swapped}) if m.uid == series[2].uid else m
                for m in first.meetings
            ]
        }
    )
    shown = publish_preview(config, second, CalendarSettings(), "ics")
    got = {(p.recipient, p.action, p.item.rrule is not None, p.reason) for p in shown}
    assert ("psykolog-a", "update", True, "removed") in got
    assert {p.reason for p in shown if p.recipient != "psykolog-a"} == {"changed"}
    assert "cancelled" not in {p.reason for p in shown}
