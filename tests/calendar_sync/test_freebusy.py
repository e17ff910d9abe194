"""Free/busy from Exchange (EWS and Graph fakes) into planning, without our own meetings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app
from calendar_sync.backends.exchange_ews import Backend as EwsBackend
from calendar_sync.backends.exchange_graph import Backend as GraphBackend
from calendar_sync.freebusy import Busy, apply_busy, load_busy, own_meetings, read_busy, save_busy
from calendar_sync.ledger import Ledger
from calendar_sync.privacy import PrivacyGuard
from calendar_sync.settings import CalendarSettings
from calendar_sync.sync import sync
from scheduler.availability import free_spans
from scheduler.config import load_config
from scheduler.model import MunicipalityConfig, Person
from scheduler.term_dates import TZ
from tests.builders import SMALL, small_data, write_config
from tests.fakes.ews import EwsServer
from tests.fakes.exchange_items import PEOPLE, RECIPIENTS, V1
from tests.fakes.graph import GraphServer

GUARD = PrivacyGuard()  # CPR numbers; these items carry no confidential config text

TERM = "foraar-2027"
DENTIST = (datetime(2027, 2, 10, 9, tzinfo=TZ), datetime(2027, 2, 10, 10, tzinfo=TZ), "Tandlæge")
# at exactly the time of our m1, but another meeting: still busy
CLASH = (datetime(2027, 2, 3, 13, tzinfo=TZ), datetime(2027, 2, 3, 14, 30, tzinfo=TZ), "Netværksmøde")


def config() -> MunicipalityConfig:
    """The small fixture, with the people of the Exchange items (with addresses) among its staff."""
    small = load_config(SMALL)
    ours = [
        Person(id=pid, name=name, roles=["psykolog"], email=email.upper() if pid == "tale-c" else email)
        for pid, (name, email) in PEOPLE.items()
    ]
    return small.model_copy(update={"staff": [p for p in small.staff if p.id not in PEOPLE] + ours})


def ews_settings(server: EwsServer) -> CalendarSettings:
    return CalendarSettings(
        ews_url=server.url, ews_auth="basic", ews_username="svc", ews_password="pw", ews_timeout=5
    )


def graph_settings(server: GraphServer) -> CalendarSettings:
    return CalendarSettings(
        graph_tenant_id=server.tenant,
        graph_client_id=server.client_id,
        graph_client_secret=server.client_secret,
        graph_authority=server.authority,
        graph_url=server.url,
        graph_service_mailbox="moedeplan@ballerup.example",
    )


@pytest.fixture
def ews() -> Iterator[EwsServer]:
    server = EwsServer(users={"svc": "pw"}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def graph() -> Iterator[GraphServer]:
    server = GraphServer().start()
    try:
        yield server
    finally:
        server.stop()


def expected_foreign(busy: dict[str, list[Busy]]) -> None:
    """Only the blocks other systems put there; our published meetings are gone."""
    assert [(b.start, b.end) for b in busy["tale-c"]] == [DENTIST[:2]]
    assert [(b.start, b.end) for b in busy["psykolog-b"]] == [CLASH[:2]]
    assert busy["leder-a"] == [] and busy["sundhed-d"] == []


def test_ews_free_busy_leaves_out_our_own_meetings(ews: EwsServer, tmp_path: Path) -> None:
    settings = ews_settings(ews)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        b = EwsBackend(settings.backend_settings("exchange_ews"))
        assert sync(V1, RECIPIENTS, b, ledger, guard=GUARD).ok
    ews.busy["tale.c@ballerup.example"] = [DENTIST]
    ews.busy["psykolog.b@ballerup.example"] = [CLASH]
    everything = read_busy(config(), TERM, settings, "exchange_ews")
    assert len(everything["tale-c"]) == 1 + 6 + 1  # the dentist, six meetings of our series, m3
    busy = read_busy(config(), TERM, settings, "exchange_ews", own=V1)
    expected_foreign(busy)
    requests = [c for c in ews.calls if c.operation == "GetUserAvailability"]
    assert len(requests) == 2 * 3  # the term in 42-day windows, twice


def test_graph_free_busy_leaves_out_our_own_meetings(graph: GraphServer, tmp_path: Path) -> None:
    settings = graph_settings(graph)
    backend_settings = {**settings.backend_settings("exchange_graph"), "verify": graph.ca_file}
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert sync(V1, RECIPIENTS, GraphBackend(backend_settings), ledger, guard=GUARD).ok
    graph.busy["tale.c@ballerup.example"] = [DENTIST]
    graph.busy["psykolog.b@ballerup.example"] = [CLASH]

    reader = GraphBackend(backend_settings)
    busy = read_busy(config(), TERM, settings, "exchange_graph", own=V1, reader=reader)
    reader.close()
    expected_foreign(busy)
    (call,) = {c.path for c in graph.calls if c.path.endswith("getSchedule")}
    assert call == "/v1.0/users/moedeplan@ballerup.example/calendar/getSchedule"
    windows = [c for c in graph.calls if c.path.endswith("getSchedule")]
    assert len(windows) == 2  # 116 days in 60-day windows
    assert windows[0].headers["Prefer"] == 'outlook.timezone="Romance Standard Time"'


def test_own_meetings_follow_each_persons_view() -> None:
    ours = own_meetings(V1)
    assert len(ours["tale-c"]) == 6 + 1  # series (7 less one skipped) and m3
    assert len(ours["psykolog-b"]) == 2


def test_busy_becomes_absences_the_planner_honours() -> None:
    tuesday = date(2027, 2, 9)
    busy = {
        "psykolog-b": [
            Busy(datetime(2027, 2, 9, 12, tzinfo=TZ), datetime(2027, 2, 9, 13, tzinfo=TZ)),
            Busy(datetime(2027, 2, 9, 12, 30, tzinfo=TZ), datetime(2027, 2, 9, 14, 30, tzinfo=TZ)),
        ],
        "somebody-else": [Busy(datetime(2027, 2, 9, 12, tzinfo=TZ), datetime(2027, 2, 9, 13, tzinfo=TZ))],
    }
    planned = apply_busy(config(), busy)
    person = next(p for p in planned.staff if p.id == "psykolog-b")
    assert [(a.start, str(a.time)) for a in person.absences] == [(tuesday, "12:00-14:30")]  # merged
    assert free_spans(person, tuesday, date(2027, 1, 5)) == ((8 * 60, 12 * 60), (14 * 60 + 30, 16 * 60))


def test_busy_file_round_trip_has_no_subjects(tmp_path: Path) -> None:
    busy = {"tale-c": [Busy(*DENTIST)]}
    save_busy(tmp_path / "busy.yaml", TERM, "exchange_graph", busy)
    text = (tmp_path / "busy.yaml").read_text(encoding="utf-8")
    assert "Tandlæge" not in text
    assert load_busy(tmp_path / "busy.yaml") == {"tale-c": [Busy(DENTIST[0], DENTIST[1])]}


def test_cli_freebusy_then_plan_with_busy(
    ews: EwsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = write_config(tmp_path, small_data())
    # psykolog-a works Tuesdays and Thursdays only; Exchange says every Tuesday afternoon is taken
    ews.busy["psykolog-a@ballerup.example"] = [
        (datetime(2027, 1, 5, 12, tzinfo=TZ) + week, datetime(2027, 1, 5, 16, tzinfo=TZ) + week, "Kursus")
        for week in (timedelta(weeks=i) for i in range(17))
    ]
    for key, value in {
        "MOEDEPLAN_EWS_URL": ews.url,
        "MOEDEPLAN_EWS_AUTH": "basic",
        "MOEDEPLAN_EWS_USERNAME": "svc",
        "MOEDEPLAN_EWS_PASSWORD": "pw",
    }.items():
        monkeypatch.setenv(key, value)
    busy_file = tmp_path / "busy.yaml"
    result = CliRunner().invoke(
        app,
        ["freebusy", str(config_file), "--term", TERM, "--backend", "exchange_ews", "--out", str(busy_file)],
    )
    assert result.exit_code == 0, result.output
    assert "17 optagede tidsrum for 1 personer" in result.stdout
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            str(config_file),
            "--busy",
            str(busy_file),
            "--out",
            str(out),
            "--time-limit",
            "10",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = yaml.safe_load((out / "plan.json").read_text(encoding="utf-8"))
    for meeting in plan["meetings"]:
        if any(a["person"] == "psykolog-a" for a in meeting["attendees"]):
            start = datetime.fromisoformat(meeting["start"])
            assert not (start.weekday() == 1 and start.hour >= 12), meeting["uid"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("busy: {psykolog-a: [{start: nonsense}]}", encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(config_file), "--busy", str(bad), "--out", str(out)])
    assert result.exit_code == 2 and "busy.psykolog-a[0]" in result.output


def test_cli_freebusy_needs_an_exchange_back_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["freebusy", str(SMALL), "--term", TERM, "--backend", "ics"])
    assert result.exit_code == 2 and "exchange_ews eller exchange_graph" in result.output
    assert "kalender-back-enden 'ics'" in result.output
