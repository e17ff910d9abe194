"""The EWS back-end against a local EWS endpoint (tests/fakes/ews.py) over real HTTP with exchangelib.

The truth is what the fake server keeps (items per mailbox with ItemId/ChangeKey, their pattern,
deleted and modified occurrences) and the attributes it saw on each request; faults are injected
per call and a rerun of the sync must leave each meeting exactly once, with the right content.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calendar_sync.backends.base import SERVICE_RECIPIENT, DeliveryError
from calendar_sync.backends.exchange_ews import Backend
from calendar_sync.items import CalendarItem, rule_starts
from calendar_sync.ledger import Ledger
from calendar_sync.privacy import PrivacyGuard
from calendar_sync.sync import SyncReport, sync
from scheduler.term_dates import TZ
from tests.fakes.ews import EwsServer
from tests.fakes.exchange_items import PEOPLE, RECIPIENTS, V1, V2, series, single

USERS = {"svc-moedeplan": "hemmeligt-kodeord"}
SERVICE_MAILBOX = "moedeplan@ballerup.example"
GUARD = PrivacyGuard()  # CPR numbers; these items carry no confidential config text


@pytest.fixture
def ews() -> Iterator[EwsServer]:
    server = EwsServer(users=USERS).start()
    try:
        yield server
    finally:
        server.stop()


def backend(server: EwsServer, **extra: Any) -> Backend:
    settings = {
        "url": server.url,
        "auth": "basic",
        "username": "svc-moedeplan",
        "password": "hemmeligt-kodeord",
        "timeout": 2.0,
        "max_backoff": 0.05,
        "service_mailbox": SERVICE_MAILBOX,
        **extra,
    }
    return Backend(settings, sleep=lambda seconds: None)


def run(server: EwsServer, items: list[CalendarItem], ledger: Ledger, **kwargs: Any) -> SyncReport:
    return sync(
        items, RECIPIENTS, backend(server), ledger, backoff=0.0, sleep=lambda s: None, guard=GUARD, **kwargs
    )


def mailbox(pid: str) -> str:
    return PEOPLE[pid][1]


def expected_occurrences(item: CalendarItem) -> list[tuple[datetime, datetime, str]]:
    """(start, end, place) of every meeting the item means, from the item alone."""
    duration = item.end - item.start
    moved = {o.recurrence_id: o for o in item.overrides}
    out = []
    for start in rule_starts(item):
        if start in item.exdates:
            continue
        o = moved.get(start)
        out.append((o.start, o.end, o.location) if o else (start, start + duration, item.location))
    return sorted(out)


def assert_calendars(server: EwsServer, items: list[CalendarItem]) -> None:
    """Each item exactly once, in its organiser's calendar, with its content; nothing else."""
    held = {}
    for stored in server.items.values():
        uid = stored.marker
        assert uid not in held, f"{uid} twice"
        held[uid] = stored
    assert set(held) == {i.uid for i in items}
    for item in items:
        stored = held[item.uid]
        organizer = item.organizer
        assert stored.mailbox == (organizer.email if organizer else SERVICE_MAILBOX)
        assert stored.fields["subject"] == item.title
        others = [a for a in item.attendees if organizer is None or a.person != organizer.person]
        assert stored.fields["required"] == [a.email for a in others if a.required]
        assert stored.fields["optional"] == [a.email for a in others if not a.required]
        found = sorted(
            (o.start.astimezone(TZ), o.end.astimezone(TZ), o.location or "") for o in stored.occurrences()
        )
        assert found == expected_occurrences(item), item.uid


# --------------------------------------------------------------------------- the operations


def test_create_sends_invitations_with_required_and_optional_attendees(ews: EwsServer) -> None:
    item = single("m1@moedeplan", "leder-a", ["psykolog-b"], optional=["sundhed-d"])
    remote = backend(ews).create(item, 0, RECIPIENTS["leder-a"])
    create = next(c for c in ews.calls if c.operation == "CreateItem")
    assert create.attributes["SendMeetingInvitations"] == "SendToAllAndSaveCopy"
    assert create.mailbox == "leder.a@ballerup.example"  # impersonated organiser
    (stored,) = ews.calendar("leder.a@ballerup.example")
    assert stored.fields["required"] == ["psykolog.b@ballerup.example"]
    assert stored.fields["optional"] == ["sundhed.d@ballerup.example"]
    assert stored.id in remote and stored.changekey in remote
    assert stored.marker == "m1@moedeplan" and stored.fields["uid"] == "m1@moedeplan"


def test_engine_calls_once_per_item_keyed_by_organiser(ews: EwsServer, tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        report = run(ews, V1, ledger)
        assert report.ok and report.delivered == {"create": 3}
        assert sorted(d.recipient for d in ledger.deliveries()) == ["leder-a", "leder-a", "psykolog-b"]
        assert_calendars(ews, V1)
        assert run(ews, V1, ledger).delivered == {}  # nothing changed, nothing sent


def test_item_without_organiser_goes_to_the_service_mailbox(ews: EwsServer, tmp_path: Path) -> None:
    from dataclasses import replace

    item = replace(single("m9@moedeplan", "leder-a", ["psykolog-b"]), organizer=None)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert run(ews, [item], ledger).ok
        assert [d.recipient for d in ledger.deliveries()] == [SERVICE_RECIPIENT]
    (stored,) = ews.calendar("moedeplan@ballerup.example")
    assert stored.fields["required"] == ["psykolog.b@ballerup.example"]


def test_new_chair_moves_the_meeting_to_their_calendar(ews: EwsServer, tmp_path: Path) -> None:
    before = single("m1@moedeplan", "leder-a", ["psykolog-b"])
    after = single("m1@moedeplan", "psykolog-b", ["leder-a"])
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        run(ews, [before], ledger)
        report = run(ews, [after], ledger)
        assert report.ok and report.delivered == {"cancel": 1, "create": 1}
        assert [(d.recipient, d.action) for d in ledger.deliveries()][1:] == [
            ("leder-a", "cancel"),
            ("psykolog-b", "create"),
        ]
    assert_calendars(ews, [after])


def test_an_attendee_copy_with_our_uid_is_not_taken_for_our_item(ews: EwsServer) -> None:
    item = single("m1@moedeplan", "psykolog-b", ["leder-a"])
    b = backend(ews)
    b.create(single("m1@moedeplan", "leder-a", ["psykolog-b"]), 0, RECIPIENTS["leder-a"])
    (copy,) = ews.items.values()  # as if it were psykolog-b's copy of leder-a's meeting
    copy.mailbox, copy.fields["response"] = "psykolog.b@ballerup.example", "Accept"
    b.create(item, 1, RECIPIENTS["psykolog-b"])
    assert len(ews.calendar("psykolog.b@ballerup.example")) == 2


def test_update_sends_only_to_changed_and_cancel_deletes(ews: EwsServer, tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        run(ews, V1, ledger)
        ews.calls.clear()
        report = run(ews, V2, ledger)
        assert report.ok, report.failures
        assert report.delivered == {"create": 1, "update": 2, "cancel": 1}
        updates = [c for c in ews.calls if c.operation == "UpdateItem"]
        assert updates and all(
            c.attributes["SendMeetingInvitationsOrCancellations"] == "SendOnlyToChanged" for c in updates
        )
        master_updates = [c for c in updates if c.attributes.get("ConflictResolution") == "NeverOverwrite"]
        assert len(master_updates) == 2
        deletes = [c for c in ews.calls if c.operation == "DeleteItem"]
        assert [c.attributes["SendMeetingCancellations"] for c in deletes] == ["SendToAllAndSaveCopy"]
        assert_calendars(ews, V2)


def test_recurring_series_has_a_deleted_and_a_modified_occurrence(ews: EwsServer) -> None:
    item = series("serie-nord@moedeplan", "leder-a", ["tale-c", "sundhed-d"])
    backend(ews).create(item, 0, RECIPIENTS["leder-a"])
    (stored,) = ews.calendar("leder.a@ballerup.example")
    assert stored.fields["recurrence"]["kind"] == "WeeklyRecurrence"
    assert stored.fields["recurrence"]["interval"] == 2
    assert stored.deleted == {3}
    assert set(stored.modified) == {5}
    assert stored.modified[5]["location"] == "Ballerup Rådhus"
    assert len(stored.occurrences()) == 6
    assert_calendars(ews, [item])


def test_a_meeting_moved_past_its_neighbour_is_refused_before_anything_is_sent(ews: EwsServer) -> None:
    from dataclasses import replace

    from calendar_sync.items import Override

    base = series("serie-nord@moedeplan", "leder-a", ["tale-c"])
    far = Override(
        recurrence_id=base.start + timedelta(weeks=2),
        start=base.start + timedelta(weeks=4, days=2),
        end=base.start + timedelta(weeks=4, days=3),
        location="Ballerup Rådhus",
        meeting_uid="x",
    )
    with pytest.raises(DeliveryError, match="nabomødets dag") as refused:
        backend(ews).create(replace(base, overrides=(far,)), 0, RECIPIENTS["leder-a"])
    assert refused.value.permanent and not ews.items


def test_unchanged_pattern_is_not_resent(ews: EwsServer) -> None:
    item = series("serie-nord@moedeplan", "leder-a", ["tale-c", "sundhed-d"])
    b = backend(ews)
    remote = b.create(item, 0, RECIPIENTS["leder-a"])
    ews.calls.clear()
    from dataclasses import replace

    b.update(replace(item, title="Koordinering, Nordskolen"), 1, RECIPIENTS["leder-a"], remote)
    assert ews.operations() == ["UpdateItem"]  # no pattern, so no exceptions to apply again
    (stored,) = ews.calendar("leder.a@ballerup.example")
    assert stored.deleted == {3} and set(stored.modified) == {5}


def test_change_in_outlook_is_reported_not_overwritten(ews: EwsServer, tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        run(ews, V1, ledger)
        (m1,) = [i for i in ews.items.values() if i.marker == "m1@moedeplan"]
        ews.edit_in_outlook(m1.id, "Flyttet af lederen")
        report = run(ews, V2, ledger)
        (failure,) = report.failures
        assert failure.uid == "m1@moedeplan"
        assert "ændret i Outlook" in failure.error
        assert ews.items[m1.id].fields["subject"] == "Flyttet af lederen"
        assert [d.state for d in ledger.deliveries() if d.uid == "m1@moedeplan"][-1] == "failed"


def test_meeting_deleted_in_outlook_is_reported(ews: EwsServer, tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        run(ews, V1, ledger)
        (m1,) = [i for i in ews.items.values() if i.marker == "m1@moedeplan"]
        del ews.items[m1.id]
        (failure,) = run(ews, V2, ledger).failures
        assert failure.uid == "m1@moedeplan" and "findes ikke længere" in failure.error


def test_update_whose_answer_was_lost_completes_without_false_conflict(
    ews: EwsServer, tmp_path: Path
) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        run(ews, V1, ledger)
        ews.fail_on(1, "drop_after", operation="UpdateItem")  # m1's update lands, its answer is lost
        report = run(ews, V2, ledger, max_attempts=1)
        assert report.failures
        report = run(ews, V2, ledger)
        assert report.ok, report.failures
        assert_calendars(ews, V2)


def test_lost_create_answer_does_not_duplicate(ews: EwsServer, tmp_path: Path) -> None:
    item = single("m1@moedeplan", "leder-a", ["psykolog-b"])
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        b = backend(ews)
        ews.fail_on(1, "drop_after", operation="CreateItem")  # created, but the answer is lost
        report = sync(
            [item], RECIPIENTS, b, ledger, max_attempts=1, backoff=0.0, sleep=lambda s: None, guard=GUARD
        )
        assert report.failures and len(ews.items) == 1
        assert run(ews, [item], ledger).ok
    assert_calendars(ews, [item])


def test_server_busy_back_off_is_honoured(ews: EwsServer) -> None:
    waits: list[float] = []
    b = Backend(backend(ews).settings, sleep=waits.append)
    assert b.account("leder.a@ballerup.example").calendar is not None  # folder lookups out of the way
    ews.fail_on(1, "busy")
    b.create(single("m1@moedeplan", "leder-a", ["psykolog-b"]), 0, RECIPIENTS["leder-a"])
    assert waits == [0.05]  # BackOffMilliseconds 50, capped by max_backoff
    assert len(ews.items) == 1


def test_timeout_and_http_500_are_temporary(ews: EwsServer) -> None:
    b = backend(ews, timeout=0.3)
    item = single("m1@moedeplan", "leder-a", ["psykolog-b"])
    assert b.account("leder.a@ballerup.example").calendar is not None  # folder lookups out of the way
    ews.fail_on(1, "delay", seconds=1.0)
    with pytest.raises(DeliveryError) as slow:
        b.create(item, 0, RECIPIENTS["leder-a"])
    assert not slow.value.permanent
    ews.fail_on(1, "http500")
    with pytest.raises(DeliveryError) as broken:
        b.create(item, 0, RECIPIENTS["leder-a"])
    assert not broken.value.permanent


def test_wrong_password_is_permanent_and_not_in_the_message(ews: EwsServer) -> None:
    b = backend(ews, password="forkert-kodeord")
    with pytest.raises(DeliveryError) as refused:
        b.create(single("m1@moedeplan", "leder-a", ["psykolog-b"]), 0, RECIPIENTS["leder-a"])
    assert refused.value.permanent
    assert "forkert-kodeord" not in str(refused.value) and "forkert-kodeord" not in repr(b)


# --------------------------------------------------------------------------- fault injection


def _calls_of_clean_run(tmp_path: Path) -> int:
    server = EwsServer(users=USERS).start()
    try:
        with Ledger(tmp_path / "clean.sqlite3") as ledger:
            run(server, V1, ledger)
            first = len(server.calls)
            run(server, V2, ledger)
            return len(server.calls) - first
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["drop_after", "drop"])  # HTTP 500: test_timeout_and_http_500_…
def test_a_fault_at_every_call_then_a_rerun_leaves_each_meeting_once(tmp_path: Path, kind: str) -> None:
    """V1 published; publishing V2 fails at call k (every k); a rerun completes it exactly."""
    calls = _calls_of_clean_run(tmp_path)
    assert calls > 10
    for k in range(1, calls + 1):
        server = EwsServer(users=USERS).start()
        try:
            with Ledger(tmp_path / f"{kind}-{k}.sqlite3") as ledger:
                assert run(server, V1, ledger).ok
                server.fail_on(k, kind)  # type: ignore[arg-type]
                run(server, V2, ledger, max_attempts=1)
                report = run(server, V2, ledger)
                assert report.ok, (k, report.failures)
                assert_calendars(server, V2)
                assert not ledger.pending("exchange_ews")
        finally:
            server.stop()


def test_oauth_and_settings_from_the_environment_keep_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from calendar_sync.settings import CalendarSettings

    monkeypatch.setenv("MOEDEPLAN_EWS_URL", "https://mail.ballerup.example/EWS/Exchange.asmx")
    monkeypatch.setenv("MOEDEPLAN_EWS_CLIENT_ID", "app-id")
    monkeypatch.setenv("MOEDEPLAN_EWS_CLIENT_SECRET", "meget-hemmeligt")
    monkeypatch.setenv("MOEDEPLAN_EWS_TENANT_ID", "tenant")
    monkeypatch.setenv("MOEDEPLAN_EWS_SERVICE_MAILBOX", "moedeplan@ballerup.example")
    settings = CalendarSettings()
    assert "meget-hemmeligt" not in repr(settings) + str(settings)
    b = Backend(settings.backend_settings("exchange_ews"))
    assert b.auth == "oauth" and "meget-hemmeligt" not in repr(b) + repr(b.config.credentials)
    assert b.config.credentials.identity.primary_smtp_address == "moedeplan@ballerup.example"
    with pytest.raises(ValueError, match="client_secret"):
        Backend({"url": "https://x/EWS/Exchange.asmx", "client_id": "a", "tenant_id": "t"})
