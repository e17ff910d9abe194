"""The sync engine, its ledger and the ics back-end: every calendar ends up exactly as desired.

Items are built by hand (no solver). The truth for "what a calendar holds" is the ics back-end's
files and feed, parsed with icalendar, never the ledger's own bookkeeping; the ledger is checked
separately (no pending rows, done rows counted). Crashes are a `BaseException` raised from inside
a back-end call, before or after the real delivery, which the engine does not catch: the same
as a killed process, after which the test reopens the ledger from its file and runs again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from calendar_sync.backends.base import CalendarBackend, DeliveryError, Recipient, load_backend
from calendar_sync.backends.ics import Backend as IcsBackend
from calendar_sync.items import CalendarItem, ItemAttendee, Override, fingerprint
from calendar_sync.itip import render
from calendar_sync.ledger import Ledger, item_from_json, item_to_json
from calendar_sync.privacy import PrivacyError, PrivacyGuard
from calendar_sync.recurrence import Recurrence
from calendar_sync.sync import SyncReport, deliver, plan, sync
from scheduler.privacy_text import match_key
from scheduler.term_dates import TZ

PEOPLE = {
    "psykolog-a": ("Psykolog A", "psykolog.a@ballerup.example"),
    "leder-b": ("Skoleleder B", "leder.b@ballerup.example"),
    "tale-c": ("Talehørelærer C", "tale.c@ballerup.example"),
    "sundhed-d": ("Sundhedsplejerske D", "sundhed.d@ballerup.example"),
}
RECIPIENTS = {pid: Recipient(pid, name, email) for pid, (name, email) in PEOPLE.items()}
GUARD = PrivacyGuard()  # CPR numbers; these items carry no confidential config text


def who(pid: str, required: bool = True) -> ItemAttendee:
    name, email = PEOPLE[pid]
    return ItemAttendee(person=pid, name=name, email=email, required=required, role_label="Psykolog")


def single(uid: str, people: Iterable[str], day: int = 3, hour: int = 13) -> CalendarItem:
    attendees = tuple(who(p) for p in people)
    start = datetime(2027, 2, day, hour, 0, tzinfo=TZ)
    return CalendarItem(
        uid=uid,
        series="koordinering-nordskolen",
        unit="nordskolen",
        title="Koordineringskonference",
        location="Nordskolen, Lindebjergvej 4",
        description="Deltagere: " + ", ".join(a.name for a in attendees),
        start=start,
        end=start + timedelta(hours=1, minutes=30),
        organizer=attendees[0],
        attendees=attendees,
        meeting_uids=(uid,),
    )


def recurring(uid: str, people: Iterable[str], hour: int = 14) -> CalendarItem:
    """Fortnightly on Tuesdays over the DST switch, with a skipped week and a moved meeting."""
    base = single(uid, people, day=2, hour=hour)
    first = base.start
    return replace(
        base,
        meeting_uids=(f"{uid}-0", f"{uid}-1", f"{uid}-3"),
        rrule=Recurrence("WEEKLY", weekdays=(1,), interval=2, until=datetime(2027, 4, 27, 22, tzinfo=UTC)),
        exdates=(first + timedelta(weeks=4),),
        overrides=(
            Override(
                recurrence_id=first + timedelta(weeks=8),
                start=first + timedelta(weeks=8, days=1),
                end=first + timedelta(weeks=8, days=1, hours=1),
                location="Ballerup Rådhus",
                meeting_uid=f"{uid}-3",
            ),
        ),
    )


V1 = [
    single("x1@moedeplan", ["psykolog-a", "leder-b"]),
    recurring("serie/nord@moedeplan", ["leder-b", "tale-c", "sundhed-d"]),
    single("x3@moedeplan", ["psykolog-a", "tale-c"]),
    single("x6@moedeplan", ["psykolog-a", "leder-b"], day=10),
]
V2 = [
    single("x1@moedeplan", ["psykolog-a", "leder-b"], hour=9),  # moved: update to a, b
    recurring("serie/nord@moedeplan", ["leder-b", "tale-c"]),  # d uninvited: cancel d, update b, c
    # x3 removed: cancel to a, c
    single("x4@moedeplan", ["tale-c", "sundhed-d"]),  # new: create to c, d
    single(
        "x6@moedeplan", ["psykolog-a", "leder-b", "sundhed-d"], day=10
    ),  # d invited: create d, update a, b
]
V2_ACTIONS = Counter(create=3, update=6, cancel=3)


# --------------------------------------------------------------------------- helpers


def pairs(items: Iterable[CalendarItem]) -> int:
    return sum(len(i.recipients) for i in items)


def stored(directory: Path) -> dict[str, dict[str, int]]:
    """person -> UID -> SEQUENCE of every file the ics back-end holds, read from the files."""
    found: dict[str, dict[str, int]] = {}
    for path in sorted(directory.glob("*/*.ics")):
        masters = [
            e for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT") if "RECURRENCE-ID" not in e
        ]
        assert len(masters) == 1, path
        found.setdefault(path.parent.name, {})[str(masters[0]["UID"])] = int(str(masters[0]["SEQUENCE"]))
    assert not list(directory.glob("*/.*.tmp")), "a temporary file was left behind"
    return found


def in_feed(backend: IcsBackend, person: str) -> dict[str, int]:
    return _masters(backend.feed(person))


def in_feed_file(backend: IcsBackend, person: str) -> dict[str, int]:
    """UID -> SEQUENCE of the merged feed file the back-end wrote for `person` (none: empty)."""
    path = backend.feed_path(person)
    return _masters(path.read_bytes()) if path.exists() else {}


def _masters(ics: bytes) -> dict[str, int]:
    events = Calendar.from_ical(ics).walk("VEVENT")
    return {str(e["UID"]): int(str(e["SEQUENCE"])) for e in events if "RECURRENCE-ID" not in e}


def desired(items: Iterable[CalendarItem], ledger: Ledger) -> dict[str, dict[str, int]]:
    sequences = {uid: state.sequence for uid, state in ledger.items().items()}
    wanted: dict[str, dict[str, int]] = {}
    for item in items:
        for person in item.recipients:
            wanted.setdefault(person, {})[item.uid] = sequences[item.uid]
    return wanted


_DTSTAMP = re.compile(rb"^DTSTAMP:[^\r\n]*\r?\n", re.MULTILINE)
_RENDERED: dict[tuple[int, int], tuple[CalendarItem, bytes]] = {}


def without_stamp(data: bytes) -> bytes:
    """Calendar text without DTSTAMP lines (the time of writing), for comparing content."""
    return _DTSTAMP.sub(b"", data)


def rendered(item: CalendarItem, sequence: int) -> bytes:
    """`render(item, "PUBLISH", sequence)` without DTSTAMP, once per item and SEQUENCE (the
    crash tests compare hundreds of files)."""
    key = (id(item), sequence)
    if key not in _RENDERED:
        _RENDERED[key] = (item, without_stamp(render(item, "PUBLISH", sequence)))
    return _RENDERED[key][1]


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every stored file by its path under `directory`, without DTSTAMP."""
    assert not list(directory.glob("*/.*.tmp")), "a temporary file was left behind"
    return {
        p.relative_to(directory).as_posix(): without_stamp(p.read_bytes()) for p in directory.glob("*/*.ics")
    }


def assert_exact(directory: Path, items: list[CalendarItem], ledger: Ledger) -> None:
    """Each calendar holds exactly the desired items, each file byte for byte the item rendered
    at the SEQUENCE the ledger says was delivered (never above the item's); nothing is left
    pending; the feed lists the same items at the same SEQUENCE."""
    backend = IcsBackend({"directory": directory})
    sequences = {uid: state.sequence for uid, state in ledger.items().items()}
    expected: dict[str, bytes] = {}
    feeds: dict[str, dict[str, int]] = {}
    for item in items:
        for person in item.recipients:
            held = ledger.current("ics", person).get(item.uid)
            assert held is not None and held.sequence <= sequences[item.uid], (person, item.uid)
            expected[backend.path(person, item.uid).relative_to(directory).as_posix()] = rendered(
                item, held.sequence
            )
            feeds.setdefault(person, {})[item.uid] = held.sequence
    assert snapshot(directory) == expected
    for person in RECIPIENTS:
        assert in_feed(backend, person) == feeds.get(person, {})
        assert in_feed_file(backend, person) == feeds.get(person, {}), f"{person}'s feed file is stale"
    assert [d for d in ledger.deliveries() if d.state == "pending"] == []


def done_count(ledger: Ledger) -> int:
    return sum(done_actions(ledger).values())


def done_actions(ledger: Ledger) -> Counter[str]:
    return Counter(d.action for d in ledger.deliveries() if d.state == "done")


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "calendars"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterable[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite3") as opened:
        yield opened


def run(items: list[CalendarItem], directory: Path, ledger: Ledger, **kwargs: Any) -> SyncReport:
    return sync(items, RECIPIENTS, IcsBackend({"directory": directory}), ledger, guard=GUARD, **kwargs)


# --------------------------------------------------------------------------- the engine


def test_first_sync_creates_one_delivery_per_item_and_recipient(directory: Path, ledger: Ledger) -> None:
    report = run(V1, directory, ledger)
    assert report.delivered == Counter(create=pairs(V1))
    assert report.planned == report.delivered
    assert report.ok and report.superseded == 0
    assert report.messages == Counter({"psykolog-a": 3, "leder-b": 3, "tale-c": 2, "sundhed-d": 1})
    assert_exact(directory, V1, ledger)
    assert {s for person in stored(directory).values() for s in person.values()} == {0}


def test_second_sync_with_the_same_items_delivers_nothing(directory: Path, ledger: Ledger) -> None:
    run(V1, directory, ledger)
    before = {p: p.stat().st_mtime_ns for p in directory.glob("*/*.ics")}
    report = run(V1, directory, ledger)
    assert report.planned == Counter() and report.delivered == Counter() and report.messages == Counter()
    assert {p: p.stat().st_mtime_ns for p in directory.glob("*/*.ics")} == before
    assert done_count(ledger) == pairs(V1)


def test_a_moved_item_is_one_update_per_recipient_with_sequence_plus_one(
    directory: Path, ledger: Ledger
) -> None:
    run(V1, directory, ledger)
    moved = [single("x1@moedeplan", ["psykolog-a", "leder-b"], hour=9), *V1[1:]]
    report = run(moved, directory, ledger)
    assert report.delivered == Counter(update=2)
    assert report.messages == Counter({"psykolog-a": 1, "leder-b": 1})
    files = stored(directory)
    assert files["psykolog-a"]["x1@moedeplan"] == files["leder-b"]["x1@moedeplan"] == 1
    assert {uid: s for p in files.values() for uid, s in p.items() if uid != "x1@moedeplan"} == {
        "serie/nord@moedeplan": 0,
        "x3@moedeplan": 0,
        "x6@moedeplan": 0,
    }
    assert_exact(directory, moved, ledger)
    text = (directory / "psykolog-a" / "x1%40moedeplan.ics").read_text()
    assert "DTSTART;TZID=Europe/Copenhagen:20270203T090000" in text


def test_a_removed_item_is_cancelled_with_a_raised_sequence(directory: Path, ledger: Ledger) -> None:
    run(V1, directory, ledger)
    sent: list[tuple[str, str, int, str, str]] = []

    class Recording(IcsBackend):
        def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
            sent.append((recipient.person, item.uid, sequence, item.title, remote_id))
            super().cancel(item, sequence, recipient, remote_id)

    report = sync(
        [i for i in V1 if i.uid != "x3@moedeplan"],
        RECIPIENTS,
        Recording({"directory": directory}),
        ledger,
        guard=GUARD,
    )
    assert report.delivered == Counter(cancel=2)
    assert sorted(sent) == [
        ("psykolog-a", "x3@moedeplan", 1, "Koordineringskonference", "psykolog-a/x3%40moedeplan.ics"),
        ("tale-c", "x3@moedeplan", 1, "Koordineringskonference", "tale-c/x3%40moedeplan.ics"),
    ]
    assert ledger.items()["x3@moedeplan"] == (1, fingerprint(V1[2]), True)
    assert_exact(directory, [i for i in V1 if i.uid != "x3@moedeplan"], ledger)
    # cancelled once: the next run neither raises SEQUENCE again nor sends anything
    assert run([i for i in V1 if i.uid != "x3@moedeplan"], directory, ledger).delivered == Counter()
    assert ledger.items()["x3@moedeplan"].sequence == 1


def test_a_revived_item_outranks_its_cancel(directory: Path, ledger: Ledger) -> None:
    run(V1, directory, ledger)
    run(V1[:2], directory, ledger)  # x3 and x6 cancelled at SEQUENCE 1
    report = run(V1, directory, ledger)  # back, unchanged: must not hide behind the CANCEL
    assert report.delivered == Counter(create=4)
    assert stored(directory)["tale-c"]["x3@moedeplan"] == 2
    assert_exact(directory, V1, ledger)


def test_an_uninvited_attendee_gets_a_cancel_and_the_others_an_update(
    directory: Path, ledger: Ledger
) -> None:
    run(V1, directory, ledger)
    seen: list[tuple[str, str, int, tuple[str, ...]]] = []

    class Recording(IcsBackend):
        def update(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> str:
            seen.append(("update", recipient.person, sequence, item.recipients))
            return super().update(item, sequence, recipient, remote_id)

        def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
            seen.append(("cancel", recipient.person, sequence, item.recipients))
            super().cancel(item, sequence, recipient, remote_id)

    fewer = [V1[0], recurring("serie/nord@moedeplan", ["leder-b", "tale-c"]), *V1[2:]]
    report = sync(fewer, RECIPIENTS, Recording({"directory": directory}), ledger, guard=GUARD)
    assert report.delivered == Counter(update=2, cancel=1)
    assert sorted(seen) == [
        # the CANCEL carries what d's calendar holds (d among the attendees), at the new SEQUENCE
        ("cancel", "sundhed-d", 1, ("leder-b", "tale-c", "sundhed-d")),
        ("update", "leder-b", 1, ("leder-b", "tale-c")),
        ("update", "tale-c", 1, ("leder-b", "tale-c")),
    ]
    assert "sundhed-d" not in stored(directory)
    assert_exact(directory, fewer, ledger)


def test_a_newly_invited_attendee_gets_a_create(directory: Path, ledger: Ledger) -> None:
    run(V1, directory, ledger)
    more = [*V1[:3], single("x6@moedeplan", ["psykolog-a", "leder-b", "sundhed-d"], day=10)]
    report = run(more, directory, ledger)
    assert report.delivered == Counter(create=1, update=2)
    assert stored(directory)["sundhed-d"]["x6@moedeplan"] == 1
    assert_exact(directory, more, ledger)


class Refusing(IcsBackend):
    """Tale C's mailbox does not exist: every delivery to them fails for good."""

    calls: Counter[str]

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        self.calls = Counter()

    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        self.calls[recipient.person] += 1
        if recipient.person == "tale-c":
            raise DeliveryError("550 mailbox unavailable", permanent=True)
        return super().create(item, sequence, recipient)


def test_a_permanent_failure_is_reported_and_the_others_still_get_theirs(
    directory: Path, ledger: Ledger
) -> None:
    backend = Refusing({"directory": directory})
    slept: list[float] = []
    report = sync(V1, RECIPIENTS, backend, ledger, sleep=slept.append, guard=GUARD)
    assert sorted(report.failures) == [
        ("tale-c", "serie/nord@moedeplan", "550 mailbox unavailable"),
        ("tale-c", "x3@moedeplan", "550 mailbox unavailable"),
    ]
    assert not report.ok and slept == [] and backend.calls["tale-c"] == 2  # no retry
    assert report.delivered == Counter(create=pairs(V1) - 2)
    assert "tale-c" not in stored(directory)
    assert stored(directory)["psykolog-a"] == {"x1@moedeplan": 0, "x3@moedeplan": 0, "x6@moedeplan": 0}
    failed = [d for d in ledger.deliveries() if d.state == "failed"]
    assert [(d.recipient, d.attempts, d.last_error) for d in failed] == [
        ("tale-c", 1, "550 mailbox unavailable")
    ] * 2
    # not retried on the next run while the item is unchanged ...
    again = Refusing({"directory": directory})
    report = sync(V1, RECIPIENTS, again, ledger, guard=GUARD)
    assert report.delivered == report.planned == Counter() and again.calls == Counter()
    assert report.blocked == 2 and report.ok
    # ... and retried once it changes (a fixed address is a change of the item)
    moved = [V1[0], V1[1], single("x3@moedeplan", ["psykolog-a", "tale-c"], hour=10), V1[3]]
    assert run(moved, directory, ledger).delivered == Counter(create=1, update=1)
    assert stored(directory)["tale-c"] == {"x3@moedeplan": 1}


def test_a_leaky_item_stops_the_run_before_the_outbox(directory: Path, ledger: Ledger) -> None:
    leaky = replace(V1[2], description="Drøftes: barn med CPR 241287-4321")
    with pytest.raises(PrivacyError) as caught:
        run([*V1[:2], leaky, V1[3]], directory, ledger)
    assert (caught.value.meeting_uid, caught.value.field) == ("x3@moedeplan", "DESCRIPTION")
    assert "241287" not in str(caught.value)
    assert ledger.deliveries() == [] and ledger.items() == {}  # nothing planned, for anyone
    assert stored(directory) == {}


def test_a_row_read_back_from_the_ledger_is_checked_again_before_the_call(
    directory: Path, ledger: Ledger
) -> None:
    """Planned, then killed; by the next run the text is known to be confidential (a new series
    note): the rows already in the outbox are checked again right before each back-end call."""
    note = "Drøftes: sag om familien Hansen"
    with_note = [*V1[:2], replace(V1[2], description=note), V1[3]]
    plan(with_note, RECIPIENTS, "ics", ledger, guard=GUARD)
    strict = PrivacyGuard(confidential=(match_key(note),))  # what for_config makes of such a note
    calls: list[str] = []

    class Recording(IcsBackend):
        def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
            calls.append(item.uid)
            return super().create(item, sequence, recipient)

    slept: list[float] = []
    report = deliver(
        Recording({"directory": directory}),
        RECIPIENTS,
        ledger,
        SyncReport(),
        guard=strict,
        sleep=slept.append,
    )
    assert sorted(f.recipient for f in report.failures if f.uid == "x3@moedeplan") == ["psykolog-a", "tale-c"]
    assert all("fortroligt felt" in f.error and "Hansen" not in f.error for f in report.failures)
    assert "x3@moedeplan" not in calls and slept == []  # never sent, not retried
    assert report.delivered == Counter(create=pairs(V1) - 2)
    assert {d.state for d in ledger.deliveries() if d.uid == "x3@moedeplan"} == {"failed"}


class Flaky(IcsBackend):
    """The first `failures` calls fail with a timeout, then it works."""

    def __init__(self, settings: dict[str, Any], failures: int):
        super().__init__(settings)
        self.failures = failures

    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        if self.failures:
            self.failures -= 1
            raise TimeoutError("smtp timed out")
        return super().create(item, sequence, recipient)


def test_transient_failures_are_retried_with_exponential_backoff(directory: Path, ledger: Ledger) -> None:
    slept: list[float] = []
    report = sync(
        V1[:1],
        RECIPIENTS,
        Flaky({"directory": directory}, 3),
        ledger,
        backoff=0.5,
        sleep=slept.append,
        guard=GUARD,
    )
    assert slept == [0.5, 1.0, 2.0]
    assert report.ok and report.delivered == Counter(create=2)
    assert sorted(d.attempts for d in ledger.deliveries()) == [1, 4]
    assert_exact(directory, V1[:1], ledger)


def test_exhausted_retries_stay_pending_for_the_next_run(directory: Path, ledger: Ledger) -> None:
    slept: list[float] = []
    report = sync(
        V1[:1],
        RECIPIENTS,
        Flaky({"directory": directory}, 3),
        ledger,
        max_attempts=2,
        sleep=slept.append,
        guard=GUARD,
    )
    assert slept == [1.0, 1.0]  # one pause between the two attempts of each delivery
    assert [f.error for f in report.failures] == ["TimeoutError: smtp timed out"]
    assert report.delivered == Counter(create=1)
    pending = [d for d in ledger.deliveries() if d.state == "pending"]
    assert [(d.attempts, d.last_error) for d in pending] == [(2, "TimeoutError: smtp timed out")]
    assert run(V1[:1], directory, ledger).delivered == Counter(create=1)
    assert_exact(directory, V1[:1], ledger)


def test_people_absent_from_recipients_are_left_alone(directory: Path, ledger: Ledger) -> None:
    known = {p: r for p, r in RECIPIENTS.items() if p != "sundhed-d"}
    report = sync(V1, known, IcsBackend({"directory": directory}), ledger, guard=GUARD)
    assert report.delivered == Counter(create=pairs(V1) - 1) and report.ok
    assert "sundhed-d" not in stored(directory)
    assert run(V1, directory, ledger).delivered == Counter(create=1)  # known again: caught up
    # absent again while their item goes: no cancel for them yet, one when they are known again
    report = sync(V1[:1], known, IcsBackend({"directory": directory}), ledger, guard=GUARD)
    assert report.delivered == Counter(cancel=pairs(V1[1:]) - 1)
    assert stored(directory)["sundhed-d"] == {"serie/nord@moedeplan": 0}
    assert run(V1[:1], directory, ledger).delivered == Counter(cancel=1)
    assert_exact(directory, V1[:1], ledger)


def test_duplicate_uids_are_refused_before_anything_is_written(directory: Path, ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="share the UID"):
        run([V1[0], V1[0]], directory, ledger)
    assert ledger.items() == {} and ledger.deliveries() == []


# --------------------------------------------------------------------------- crashes


class Crash(BaseException):
    """A kill: not an Exception, so the engine neither catches nor records it."""


class Crashing(CalendarBackend):
    """The real ics back-end, killed at the k-th call (counted over every instance that shares
    `counter`), either before the call reaches the files or after it did."""

    name = "ics"

    def __init__(self, directory: Path, counter: Counter[str], crash_at: int, after: bool):
        super().__init__({"directory": directory})
        self.inner = IcsBackend({"directory": directory})
        self.counter, self.crash_at, self.after = counter, crash_at, after

    def _call(self, deliver: Callable[[], Any]) -> Any:
        self.counter["calls"] += 1
        killed = self.counter["calls"] == self.crash_at
        if killed and not self.after:
            raise Crash
        result = deliver()
        self.counter["delivered"] += 1
        if killed:
            raise Crash
        return result

    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        return self._call(lambda: self.inner.create(item, sequence, recipient))  # type: ignore[no-any-return]

    def update(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> str:
        return self._call(lambda: self.inner.update(item, sequence, recipient, remote_id))  # type: ignore[no-any-return]

    def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
        self._call(lambda: self.inner.cancel(item, sequence, recipient, remote_id))


Outcome = tuple[Counter[str], Ledger, dict[str, bytes]]


def scenario(root: Path, crash_at: int = 0, after: bool = False) -> Outcome:
    """Publish V1, then change to V2, each rerun until it completes (a fresh process each time:
    the ledger reopened from its file, a new back-end). Returns the back-end's counts, the open
    ledger and the files as they were after V1."""
    counter: Counter[str] = Counter()
    path, directory = root / "ledger.sqlite3", root / "calendars"
    published: dict[str, bytes] = {}
    for items in (V1, V2):
        while True:
            ledger = Ledger(path)
            try:
                sync(items, RECIPIENTS, Crashing(directory, counter, crash_at, after), ledger, guard=GUARD)
            except Crash:
                ledger.close()
                continue
            break
        if items is V1:
            published = snapshot(directory)
            if not crash_at:
                assert_exact(directory, V1, ledger)
            ledger.close()
    return counter, ledger, published


def test_crash_at_every_call_resumes_exactly(tmp_path: Path) -> None:
    """For every k, a kill at the k-th back-end call, before or after it delivered: each calendar
    ends byte for byte as without the kill, every delivery is recorded done once, nothing stays
    pending, and the back-end saw a repeat only of the call the kill kept from being recorded."""
    clean, ledger, clean_published = scenario(tmp_path / "clean")
    clean_done = done_actions(ledger)
    assert clean_done == Counter(create=pairs(V1)) + V2_ACTIONS
    assert clean["calls"] == clean["delivered"] == sum(clean_done.values())
    sequences = ledger.items()
    assert_exact(tmp_path / "clean" / "calendars", V2, ledger)
    assert stored(tmp_path / "clean" / "calendars") == desired(
        V2, ledger
    )  # every file at its item's SEQUENCE
    clean_files = snapshot(tmp_path / "clean" / "calendars")
    ledger.close()

    for after in (False, True):
        for crash_at in range(1, clean["calls"] + 1):
            where = f"kill {'after' if after else 'before'} call {crash_at}"
            root = tmp_path / f"{'after' if after else 'before'}-{crash_at}"
            counter, ledger, published = scenario(root, crash_at, after)
            assert published == clean_published, where
            assert snapshot(root / "calendars") == clean_files, where  # byte for byte, DTSTAMP aside
            assert ledger.items() == sequences, where
            assert done_actions(ledger) == clean_done, where
            assert [d for d in ledger.deliveries() if d.state == "pending"] == [], where
            assert counter["delivered"] == clean["calls"] + after, where
            ledger.close()


def _kill_after_planning(tmp_path: Path, deliver_unrecorded: bool) -> None:
    path, directory = tmp_path / "ledger.sqlite3", tmp_path / "calendars"
    for items, expected in ((V1, Counter(create=pairs(V1))), (V2, V2_ACTIONS)):
        with Ledger(path) as ledger:
            assert plan(items, RECIPIENTS, "ics", ledger, guard=GUARD).planned == expected
            if deliver_unrecorded:  # the back-end got every call; the process died before mark_done
                backend = IcsBackend({"directory": directory})
                for row in ledger.pending("ics"):
                    item, recipient = ledger.item(row.uid, row.fingerprint), RECIPIENTS[row.recipient]
                    if row.action == "create":
                        backend.create(item, row.sequence, recipient)
                    elif row.action == "update":
                        backend.update(item, row.sequence, recipient, str(row.previous_remote_id))
                    else:
                        backend.cancel(item, row.sequence, recipient, str(row.previous_remote_id))
        with Ledger(path) as ledger:  # a fresh process
            report = run(items, directory, ledger)
            assert report.delivered == report.planned == expected and report.ok  # the same rows again
            assert_exact(directory, items, ledger)
    with Ledger(path) as ledger:
        assert done_count(ledger) == pairs(V1) + sum(V2_ACTIONS.values())


def test_kill_between_outbox_write_and_delivery(tmp_path: Path) -> None:
    _kill_after_planning(tmp_path, deliver_unrecorded=False)


def test_kill_between_delivery_and_mark_done(tmp_path: Path) -> None:
    _kill_after_planning(tmp_path, deliver_unrecorded=True)


def test_rows_left_pending_are_superseded_by_a_newer_plan(directory: Path, ledger: Ledger) -> None:
    run(V1, directory, ledger)
    plan(
        V2, RECIPIENTS, "ics", ledger, guard=GUARD
    )  # killed before delivering; meanwhile the plan changed again
    v3 = [single("x1@moedeplan", ["psykolog-a", "leder-b"], hour=10), V1[2]]  # x3 back, x4 never sent
    report = run(v3, directory, ledger)
    states = Counter(d.state for d in ledger.deliveries())
    assert report.superseded == states["superseded"] > 0
    # x4 was never created, so it is not cancelled either; x3 kept its file and needs nothing
    assert "x4@moedeplan" not in {uid for person in stored(directory).values() for uid in person}
    assert stored(directory)["tale-c"] == {"x3@moedeplan": 0}
    assert_exact(directory, v3, ledger)


# --------------------------------------------------------------------------- random histories

VARIANTS = [
    single("p1@moedeplan", ["psykolog-a", "leder-b"]),
    single("p1@moedeplan", ["psykolog-a", "leder-b"], hour=9),
    single("p1@moedeplan", ["leder-b", "sundhed-d"]),
    recurring("p2@moedeplan", ["tale-c", "sundhed-d"]),
    recurring("p2@moedeplan", ["tale-c", "psykolog-a", "sundhed-d"], hour=15),
    single("p3@moedeplan", ["sundhed-d"]),
    single("p3@moedeplan", ["sundhed-d", "psykolog-a"], day=4),
]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[list[CalendarItem]], int]:
    """A few plan versions (per UID: absent or one of its variants) and a call to crash at."""
    uids = sorted({v.uid for v in VARIANTS})
    versions = []
    for _ in range(draw(st.integers(1, 4))):
        chosen = [draw(st.sampled_from([None, *(v for v in VARIANTS if v.uid == uid)])) for uid in uids]
        versions.append([c for c in chosen if c is not None])
    return versions, draw(st.integers(0, 12))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_any_history_with_a_crash_ends_exact_with_rising_sequences(
    tmp_path_factory: Any, history: Any
) -> None:
    versions, crash_at = history
    root = tmp_path_factory.mktemp("history")
    counter: Counter[str] = Counter()
    seen: dict[str, int] = {}
    for items in versions:
        while True:
            ledger = Ledger(root / "ledger.sqlite3")
            try:
                sync(
                    items,
                    RECIPIENTS,
                    Crashing(root / "calendars", counter, crash_at, after=crash_at % 2 == 1),
                    ledger,
                    guard=GUARD,
                )
            except Crash:
                ledger.close()
                continue
            break
        assert_exact(root / "calendars", items, ledger)
        for uid, state in ledger.items().items():
            assert state.sequence >= seen.get(uid, 0)
            seen[uid] = state.sequence
        ledger.close()


# --------------------------------------------------------------------------- ledger


def test_items_round_trip_through_json_exactly() -> None:
    for item in [*V1, *V2, *VARIANTS]:
        back = item_from_json(item_to_json(item))
        assert back == item and fingerprint(back) == fingerprint(item)
        assert back.start.tzinfo is TZ and back.overrides == item.overrides


def test_sequence_rises_once_per_change(ledger: Ledger) -> None:
    item = V1[0]
    assert ledger.sequence_for(item, fingerprint(item)) == 0
    assert ledger.sequence_for(item, fingerprint(item)) == 0
    moved = replace(item, location="Ballerup Rådhus")
    assert ledger.sequence_for(moved, fingerprint(moved)) == 1
    assert ledger.sequence_for(item, fingerprint(item)) == 2  # back to the old content is a change too
    assert ledger.cancel_item(item.uid) == ledger.cancel_item(item.uid) == 3
    assert ledger.sequence_for(item, fingerprint(item)) == 4
    assert ledger.item(item.uid, fingerprint(moved)) == moved


def test_a_failed_transaction_leaves_nothing(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError), ledger.transaction():
        ledger.sequence_for(V1[0], fingerprint(V1[0]))
        ledger.plan_delivery("ics", "psykolog-a", V1[0].uid, 0, "create", fingerprint(V1[0]))
        raise RuntimeError("killed")
    assert ledger.items() == {} and ledger.deliveries() == []


def test_ledger_uses_wal(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as opened:
        assert opened._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --------------------------------------------------------------------------- the ics back-end


def test_ics_backend_is_loaded_by_name(directory: Path) -> None:
    backend = load_backend("ics", {"directory": str(directory)})
    assert isinstance(backend, IcsBackend) and backend.name == "ics"
    with pytest.raises(ValueError, match="directory"):
        load_backend("ics", {})


def test_ics_files_have_safe_names_and_writes_are_idempotent(directory: Path) -> None:
    backend = IcsBackend({"directory": directory})
    item, recipient = V1[1], RECIPIENTS["tale-c"]
    remote = backend.create(item, 0, recipient)
    assert remote == "tale-c/serie%2Fnord%40moedeplan.ics"
    assert backend.update(item, 0, recipient, remote) == remote
    assert backend.update(item, 1, recipient, remote) == remote
    assert stored(directory) == {"tale-c": {"serie/nord@moedeplan": 1}}
    calendar = Calendar.from_ical((directory / remote).read_bytes())
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert len(calendar.walk("VEVENT")) == 2  # the master and its moved instance
    backend.cancel(item, 2, recipient, remote)
    backend.cancel(item, 2, recipient, remote)
    assert stored(directory) == {}
    with pytest.raises(DeliveryError) as refused:
        backend.create(item, 0, Recipient("..", "x", None))
    assert refused.value.permanent
    with pytest.raises(DeliveryError):  # its folder would be someone's feed file
        backend.create(item, 0, Recipient("tale-c.ics", "x", None))


def test_ics_feed_merges_the_files_with_one_vtimezone(directory: Path, ledger: Ledger) -> None:
    run(V1, directory, ledger)
    backend = IcsBackend({"directory": directory})
    feed = Calendar.from_ical(backend.feed("leder-b", "Møder – Skoleleder B"))
    assert [str(t["TZID"]) for t in feed.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    assert str(feed["X-WR-CALNAME"]) == "Møder – Skoleleder B"
    assert in_feed(backend, "leder-b") == {"x1@moedeplan": 0, "serie/nord@moedeplan": 0, "x6@moedeplan": 0}
    assert len(feed.walk("VEVENT")) == 4  # three masters and one moved instance
    written = directory / "leder-b.ics"  # the merged feed on disk, as the README says
    assert written.read_bytes() == backend.feed("leder-b", f"Møder – {RECIPIENTS['leder-b'].name}")
    assert str(Calendar.from_ical(written.read_bytes())["METHOD"]) == "PUBLISH"
    empty = Calendar.from_ical(backend.feed("nobody"))
    assert empty.walk("VEVENT") == [] and len(empty.walk("VTIMEZONE")) == 1
    with pytest.raises(PrivacyError):
        backend.feed("leder-b", "Barn 241287-4321")


def test_a_sync_of_one_term_never_cancels_another_terms_meetings(directory: Path, ledger: Ledger) -> None:
    """Both terms are live at once (a feed holds both); publishing the spring term again, with a
    meeting fewer, cancels that meeting only — never the autumn's."""
    autumn = [
        single("efteraar.1@moedeplan", ["psykolog-a"], day=1),
        single("efteraar.2@moedeplan", ["leder-b"]),
    ]
    spring = [single("foraar.1@moedeplan", ["psykolog-a"], day=8), single("foraar.2@moedeplan", ["tale-c"])]
    run(autumn, directory, ledger, scope="efteraar-2026")
    run(spring, directory, ledger, scope="foraar-2027")
    assert stored(directory)["psykolog-a"] == {"efteraar.1@moedeplan": 0, "foraar.1@moedeplan": 0}
    report = run(spring[:1], directory, ledger, scope="foraar-2027")
    assert report.delivered == Counter(cancel=1)
    assert stored(directory)["psykolog-a"] == {"efteraar.1@moedeplan": 0, "foraar.1@moedeplan": 0}
    assert stored(directory)["leder-b"] == {"efteraar.2@moedeplan": 0}
    assert "tale-c" not in stored(directory)
    # without a scope, a sync still means "these are all the items" (the file-based CLI)
    run(spring[:1], directory, ledger)
    assert stored(directory)["psykolog-a"] == {"foraar.1@moedeplan": 0}
