"""The Graph back-end against a local Graph endpoint (tests/fakes/graph.py) over HTTPS with msal and httpx.

The token comes from the fake tenant through msal's client-credentials flow; the truth is the
fake's events per mailbox (series with cancelled and patched occurrences, or single events) and
the requests it saw.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calendar_sync.backends.base import DeliveryError
from calendar_sync.backends.exchange_graph import UID_PROPERTY, Backend, as_series
from calendar_sync.items import CalendarItem, Override, rule_starts
from calendar_sync.ledger import Ledger
from calendar_sync.privacy import PrivacyGuard
from calendar_sync.sync import SyncReport, sync
from scheduler.term_dates import TZ
from tests.builders import small_data, write_config
from tests.fakes.exchange_items import RECIPIENTS, V1, V2, series, single
from tests.fakes.graph import GraphServer

SERVICE_MAILBOX = "moedeplan@ballerup.example"
GUARD = PrivacyGuard()  # CPR numbers; these items carry no confidential config text


@pytest.fixture
def graph() -> Iterator[GraphServer]:
    server = GraphServer().start()
    try:
        yield server
    finally:
        server.stop()


def backend(server: GraphServer, sleeps: list[float] | None = None, **extra: Any) -> Backend:
    settings = {
        "tenant_id": server.tenant,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "authority": server.authority,
        "url": server.url,
        "verify": server.ca_file,
        "timeout": 2.0,
        "backoff": 0.01,
        "max_backoff": 5.0,
        "service_mailbox": SERVICE_MAILBOX,
        **extra,
    }
    return Backend(settings, sleep=(sleeps.append if sleeps is not None else lambda s: None))


def run(server: GraphServer, items: list[CalendarItem], ledger: Ledger, **kwargs: Any) -> SyncReport:
    b = backend(server, retries=kwargs.pop("retries", 4))
    return sync(items, RECIPIENTS, b, ledger, backoff=0.0, sleep=lambda s: None, guard=GUARD, **kwargs)


def expected(item: CalendarItem) -> list[tuple[datetime, datetime, str]]:
    duration = item.end - item.start
    moved = {o.recurrence_id: o for o in item.overrides}
    out = []
    for start in rule_starts(item):
        if start in item.exdates:
            continue
        o = moved.get(start)
        out.append((o.start, o.end, o.location) if o else (start, start + duration, item.location))
    return sorted(out)


def assert_calendars(server: GraphServer, items: list[CalendarItem]) -> None:
    """Each meeting exactly once, in its organiser's calendar, with the item's content."""
    held: dict[str, list[Any]] = {}
    for event in server.events.values():
        uid = event.extended("MoedeplanUid")
        assert uid is not None
        held.setdefault(uid, []).append(event)
    assert set(held) == {i.uid for i in items}
    for item in items:
        events = held[item.uid]
        if item.rrule is not None and not as_series(item):
            assert all(not e.data.get("recurrence") for e in events)
        else:
            assert len(events) == 1, f"{item.uid} {len(events)} times"
        shown = sorted(
            (o["start"].astimezone(TZ), o["end"].astimezone(TZ), o["location"])
            for e in events
            for o in e.occurrences()
        )
        assert shown == expected(item), item.uid
        for event in events:
            assert event.mailbox == (item.organizer.email if item.organizer else SERVICE_MAILBOX)
            assert event.data["subject"] == item.title


# --------------------------------------------------------------------------- the operations


def test_create_with_attendee_types_and_a_transaction_id(graph: GraphServer) -> None:
    item = single("m1@moedeplan", "leder-a", ["psykolog-b"], optional=["sundhed-d"])
    backend(graph).create(item, 0, RECIPIENTS["leder-a"])
    (call,) = [c for c in graph.calls if c.method == "POST"]
    assert call.path == "/v1.0/users/leder.a@ballerup.example/events"
    assert call.headers["Authorization"].startswith("Bearer fake-token-")
    assert [(a["emailAddress"]["address"], a["type"]) for a in call.body["attendees"]] == [
        ("psykolog.b@ballerup.example", "required"),
        ("sundhed.d@ballerup.example", "optional"),
    ]
    assert call.body["transactionId"]
    assert call.body["start"] == {"dateTime": "2027-02-03T13:00:00", "timeZone": "Romance Standard Time"}
    assert {"id": UID_PROPERTY, "value": "m1@moedeplan"} in call.body["singleValueExtendedProperties"]


def test_series_cancels_skipped_dates_and_patches_moved_meetings(graph: GraphServer) -> None:
    item = series("serie-nord@moedeplan", "leder-a", ["tale-c", "sundhed-d"])
    backend(graph).create(item, 0, RECIPIENTS["leder-a"])
    (event,) = graph.calendar("leder.a@ballerup.example")
    assert event.data["recurrence"]["pattern"] == {
        "type": "weekly",
        "interval": 2,
        "daysOfWeek": ["tuesday"],
        "firstDayOfWeek": "monday",
    }
    assert event.data["recurrence"]["range"]["endDate"] == "2027-04-27"
    assert len(event.deleted) == 1 and len(event.modified) == 1
    assert graph.operations() == [
        "GET events",
        "POST events",
        "GET instances",
        "DELETE occurrence",
        "PATCH occurrence",
        "GET event",
    ]
    assert_calendars(graph, [item])


def test_meeting_moved_past_its_neighbour_makes_single_events(graph: GraphServer, tmp_path: Path) -> None:
    base = series("serie-nord@moedeplan", "leder-a", ["tale-c"])
    first = base.start
    far = Override(  # the 2nd meeting moved past the (skipped) 3rd: Graph cannot do that in a series
        recurrence_id=first + timedelta(weeks=2),
        start=first + timedelta(weeks=4, days=2),
        end=first + timedelta(weeks=4, days=2, hours=1),
        location="Ballerup Rådhus",
        meeting_uid="serie-nord@moedeplan-1",
    )
    item = replace(base, overrides=(far,))
    assert not as_series(item)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert run(graph, [item], ledger).ok
        assert len(graph.events) == 6
        assert_calendars(graph, [item])
        graph.calls.clear()
        later = replace(item, exdates=(*item.exdates, first + timedelta(weeks=12)))  # one more skipped
        assert run(graph, [later], ledger).ok
        assert sorted(graph.operations()) == ["DELETE event"] + ["PATCH event"] * 5
        assert_calendars(graph, [later])


def test_update_uses_if_match_and_cancel_deletes(graph: GraphServer, tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert run(graph, V1, ledger).ok
        graph.calls.clear()
        report = run(graph, V2, ledger)
        assert report.ok, report.failures
        assert report.delivered == {"create": 1, "update": 2, "cancel": 1}
        patches = [c for c in graph.calls if c.method == "PATCH" and "_" not in c.path]
        assert len(patches) == 2 and all(c.headers["If-Match"].startswith('W/"') for c in patches)
        assert_calendars(graph, V2)


def test_change_in_outlook_is_reported_not_overwritten(graph: GraphServer, tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        run(graph, V1, ledger)
        (m1,) = [e for e in graph.events.values() if e.extended("MoedeplanUid") == "m1@moedeplan"]
        graph.edit_in_outlook(m1.id, "Flyttet af lederen")
        report = run(graph, V2, ledger)
        (failure,) = report.failures
        assert failure.uid == "m1@moedeplan" and "ændret i Outlook" in failure.error
        assert graph.events[m1.id].data["subject"] == "Flyttet af lederen"


def test_dropped_answer_to_a_create_is_not_a_duplicate(graph: GraphServer) -> None:
    graph.fail_on(1, "drop_after", operation="POST events")
    item = single("m1@moedeplan", "leder-a", ["psykolog-b"])
    backend(graph).create(item, 0, RECIPIENTS["leder-a"])
    posts = [c for c in graph.calls if c.method == "POST"]
    assert len(posts) == 2 and posts[0].body["transactionId"] == posts[1].body["transactionId"]
    assert len(graph.events) == 1


def test_timed_out_create_is_retried_without_a_duplicate(graph: GraphServer) -> None:
    graph.fail_on(1, "delay", seconds=0.8, operation="POST events")  # answered after the client gave up
    backend(graph, timeout=0.3).create(
        single("m1@moedeplan", "leder-a", ["psykolog-b"]), 0, RECIPIENTS["leder-a"]
    )
    time.sleep(0.8)  # let the slow request finish on the server too
    assert len([c for c in graph.calls if c.method == "POST"]) == 2
    assert len(graph.events) == 1


def test_event_from_a_lost_create_is_found_after_transaction_ids_are_forgotten(graph: GraphServer) -> None:
    item = series("serie-nord@moedeplan", "leder-a", ["tale-c", "sundhed-d"])
    graph.fail_on(1, "drop_after", operation="POST events")
    with pytest.raises(DeliveryError):
        backend(graph, retries=0).create(item, 0, RECIPIENTS["leder-a"])
    for event in graph.events.values():
        event.data.pop("transactionId")  # Graph no longer remembers it
    backend(graph).create(item, 0, RECIPIENTS["leder-a"])
    assert_calendars(graph, [item])


def test_throttling_honours_retry_after_and_503_backs_off(graph: GraphServer) -> None:
    sleeps: list[float] = []
    graph.retry_after = "3"
    graph.fail_on(1, "429")
    graph.fail_on(2, "503")
    backend(graph, sleeps).create(single("m1@moedeplan", "leder-a", ["psykolog-b"]), 0, RECIPIENTS["leder-a"])
    assert sleeps == [3.0, 0.02]  # Retry-After, then the backoff of a second attempt
    assert len(graph.events) == 1


def test_giving_up_is_temporary_and_a_bad_secret_is_permanent(graph: GraphServer) -> None:
    item = single("m1@moedeplan", "leder-a", ["psykolog-b"])
    for n in range(1, 4):
        graph.fail_on(n, "503")
    with pytest.raises(DeliveryError) as busy:
        backend(graph, retries=2).create(item, 0, RECIPIENTS["leder-a"])
    assert not busy.value.permanent and "503" in str(busy.value)
    bad = backend(graph, client_secret="forkert-hemmelighed")
    with pytest.raises(DeliveryError) as refused:
        bad.create(item, 0, RECIPIENTS["leder-a"])
    assert refused.value.permanent
    assert "forkert-hemmelighed" not in str(refused.value) + repr(bad)


# --------------------------------------------------------------------------- fault injection


@pytest.mark.parametrize("kind", ["drop_after", "503", "drop"])
def test_a_fault_at_every_call_then_a_rerun_leaves_each_meeting_once(tmp_path: Path, kind: str) -> None:
    """V1 published; publishing V2 fails at Graph call k (no retries); a rerun completes it."""
    clean = GraphServer().start()
    try:
        with Ledger(tmp_path / "clean.sqlite3") as ledger:
            run(clean, V1, ledger)
            before = len(clean.calls)
            run(clean, V2, ledger)
            calls = len(clean.calls) - before
    finally:
        clean.stop()
    assert calls > 5
    for k in range(1, calls + 1):
        server = GraphServer().start()
        try:
            with Ledger(tmp_path / f"{kind}-{k}.sqlite3") as ledger:
                assert run(server, V1, ledger).ok
                server.fail_on(k, kind)  # type: ignore[arg-type]
                run(server, V2, ledger, max_attempts=1, retries=0)
                report = run(server, V2, ledger)
                assert report.ok, (k, report.failures)
                assert_calendars(server, V2)
                assert not ledger.pending("exchange_graph")
        finally:
            server.stop()


def test_cli_publishes_a_real_plan_to_exchange_online(
    graph: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plan → publish --backend exchange_graph, settings from the environment; again: nothing sent."""
    from typer.testing import CliRunner

    from api.cli import app
    from calendar_sync.items import items_from_plan
    from scheduler.config import load_config
    from scheduler.model import Plan

    config_file = write_config(tmp_path, small_data())
    result = CliRunner().invoke(app, ["plan", str(config_file), "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    for key, value in {
        "MOEDEPLAN_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"),
        "MOEDEPLAN_GRAPH_TENANT_ID": graph.tenant,
        "MOEDEPLAN_GRAPH_CLIENT_ID": graph.client_id,
        "MOEDEPLAN_GRAPH_CLIENT_SECRET": graph.client_secret,
        "MOEDEPLAN_GRAPH_AUTHORITY": graph.authority,
        "MOEDEPLAN_GRAPH_URL": graph.url,
        "MOEDEPLAN_GRAPH_CA_BUNDLE": graph.ca_file,
        "MOEDEPLAN_GRAPH_SERVICE_MAILBOX": SERVICE_MAILBOX,
    }.items():
        monkeypatch.setenv(key, value)
    publish = ["publish", str(config_file), str(tmp_path / "plan.json"), "--backend", "exchange_graph"]
    result = CliRunner().invoke(app, publish)
    assert result.exit_code == 0, result.output
    assert graph.client_secret not in result.output
    items = items_from_plan(
        load_config(config_file), Plan.model_validate_json((tmp_path / "plan.json").read_bytes())
    )
    assert_calendars(graph, items)
    result = CliRunner().invoke(app, publish)
    assert result.exit_code == 0 and "ingen ændringer" in result.stdout
