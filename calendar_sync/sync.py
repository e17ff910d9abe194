"""The sync engine: bring every recipient's calendar on one back-end to the desired items.

Two steps, so that a crash at any point can be resumed without duplicates or losses:

1. `plan` — in ONE ledger transaction: give each item its SEQUENCE, cancel items that left the
   plan, compare each recipient's desired items with what the ledger says their calendar holds
   (create / update / cancel / nothing), write those actions to the outbox and supersede
   older pending rows they replace, each with why the person gets it (`Reason`: a cancel of
   someone taken off a meeting that still takes place is "removed", not "cancelled"). Nothing
   is sent before this commits.
2. `deliver` — work through the outbox oldest first (rows a crashed run left pending included),
   calling the back-end and marking each row done right after it returned. Permanent errors are
   recorded and reported; other errors are retried with exponential backoff, and a row that
   still fails stays pending for the next run.

What a calendar holds is taken from *done* deliveries only, so rerunning `plan` after a crash
plans the same rows again (the outbox's UNIQUE key makes that a no-op) and never assumes that
something was sent when it was not.

A back-end with `delivers_per_item` (Exchange) gets each item once, in its organiser's calendar:
the engine plans as if the organiser were the item's only recipient (`SERVICE_RECIPIENT` when
it has none), and the back-end's server invites the attendees.

`stage` is step 1 as a kind of back-end needs it and `outbox` the rows step 2 sends; the
publish preview (`calendar_sync.publish.preview`) runs the same two on a copy of the ledger,
so it shows exactly what a publish sends, per organiser on Exchange and per attendee elsewhere.

The privacy guard (`calendar_sync.privacy.PrivacyGuard`, built from the config) is required, and
the engine applies it itself, so no back-end can skip it:

- `plan` checks every item and recipient before it writes anything: a leaky plan raises
  `PrivacyError` with nothing in the outbox and nothing sent, to anyone, on any back-end;
- `deliver` checks the item it read back from the ledger, and the recipient, right before each
  back-end call; a row that fails (left by an earlier run, or a cancel of something delivered
  before the guard knew better) is marked failed for good and reported, and the others go on.

A back-end that cannot be reached at all (`BackendUnavailable`: no connection to the SMTP server,
a refused login) ends delivery at once: one failure for the run, every row left pending for the
next run, instead of a retry with backoff per recipient.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from calendar_sync.backends.base import (
    SERVICE_RECIPIENT,
    BackendUnavailable,
    CalendarBackend,
    DeliveryError,
    Recipient,
)
from calendar_sync.items import CalendarItem, Reason, fingerprint, instances, meetings_of, view_for
from calendar_sync.ledger import Action, Delivery, Held, Ledger
from calendar_sync.privacy import PrivacyError, PrivacyGuard

MAX_BACKOFF = 60.0
"""Seconds; the longest pause between two attempts of one delivery."""


class Failure(NamedTuple):
    recipient: str
    uid: str
    error: str


@dataclass
class SyncReport:
    """What a run planned and delivered; `messages` is per recipient (one back-end call each)."""

    planned: Counter[str] = field(default_factory=Counter)
    """actions written to the outbox by this run, per action"""
    delivered: Counter[str] = field(default_factory=Counter)
    """successful back-end calls per action (rows left by an earlier run included)"""
    failures: list[Failure] = field(default_factory=list)
    messages: Counter[str] = field(default_factory=Counter)
    """successful back-end calls per recipient: the messages each person got from this run"""
    superseded: int = 0
    """pending rows that a newer plan replaced before they were sent"""
    skipped: int = 0
    """pending rows for people absent from `recipients`, left for a run that knows them"""
    blocked: int = 0
    """needed actions that failed permanently in an earlier run; retried once the item changes"""
    unavailable: str | None = None
    """why delivery stopped early: the back-end could not be reached (Danish, names the setting)"""
    unsent: int = 0
    """rows left pending because delivery stopped early; the next run sends them"""

    @property
    def ok(self) -> bool:
        return not self.failures


def sync(
    items: Iterable[CalendarItem],
    recipients: Mapping[str, Recipient],
    backend: CalendarBackend,
    ledger: Ledger,
    *,
    guard: PrivacyGuard,
    scope: str | None = None,
    max_attempts: int = 5,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Plan, then deliver; `recipients` maps person id -> Recipient, and people not in it are
    left alone (neither sent to nor cancelled). `guard` checks everything first (see the module
    docstring): `PrivacyError` means nothing was written or sent. `scope` (a term): `items` are
    everything of that scope, and items of other scopes are left alone. `backoff` is the first
    pause in seconds, doubled per attempt; `sleep` is injectable so tests do not wait. Closes the
    back-end afterwards."""
    try:
        report, recipients = stage(items, recipients, type(backend), ledger, guard=guard, scope=scope)
        deliver(
            backend,
            recipients,
            ledger,
            report,
            guard=guard,
            scope=scope,
            max_attempts=max_attempts,
            backoff=backoff,
            sleep=sleep,
        )
        return report
    finally:
        backend.close()


def stage(
    items: Iterable[CalendarItem],
    recipients: Mapping[str, Recipient],
    backend: type[CalendarBackend],
    ledger: Ledger,
    *,
    guard: PrivacyGuard,
    scope: str | None = None,
) -> tuple[SyncReport, dict[str, Recipient]]:
    """Step 1 as the back-end kind needs it: the outbox of a run, nothing sent, and the calendars
    that outbox is for. A `delivers_per_item` back-end gets each item once, in its organiser's
    calendar (the service recipient's when it has none). `sync` sends what this planned; the
    publish preview counts it (`outbox`), so what a preview shows is what a publish sends."""
    calendars = dict(recipients)
    if backend.delivers_per_item:
        calendars = {SERVICE_RECIPIENT: Recipient(SERVICE_RECIPIENT, "Mødeplan", None), **calendars}
    guard.check_recipients(calendars.values())
    report = plan(
        items, calendars, backend.name, ledger, guard=guard, per_item=backend.delivers_per_item, scope=scope
    )
    return report, calendars


def outbox(
    ledger: Ledger, backend: str, recipients: Mapping[str, Recipient], scope: str | None = None
) -> tuple[list[Delivery], int]:
    """(the rows `deliver` sends, oldest first; how many pending rows it leaves for people absent
    from `recipients`). Rows of another scope are that term's sender's to send."""
    rows = ledger.pending(backend)
    if scope is not None:
        mine = ledger.items(scope)
        rows = [row for row in rows if row.uid in mine]
    sendable = [row for row in rows if row.recipient in recipients]
    return sendable, len(rows) - len(sendable)


# --------------------------------------------------------------------------- step 1: plan


def _step(
    uid: str,
    wanted: bool,
    held: Held | None,
    desired: Mapping[str, tuple[int, str]],
    sequences: Mapping[str, int],
) -> tuple[Action, int, str] | None:
    """(action, SEQUENCE, fingerprint of the content sent) for one calendar and UID, or None.

    A cancel carries the content the calendar holds, so the recipient's client can match it
    (and an uninvited attendee still finds themselves in it), under the item's raised SEQUENCE.
    """
    if wanted:
        sequence, print_ = desired[uid]
        if held is None:
            return "create", sequence, print_
        return ("update", sequence, print_) if held.fingerprint != print_ else None
    if held is not None:
        return "cancel", sequences[uid], held.fingerprint
    return None


def organizer_of(item: CalendarItem) -> str:
    """Whose calendar holds the item on a `delivers_per_item` back-end."""
    return item.organizer.person if item.organizer is not None else SERVICE_RECIPIENT


class _Reasons:
    """Why each planned message is sent (`Reason`), from what the calendar held and what the plan
    now gives that person. Meetings are compared by their plan uids, which are stable across
    versions, so a meeting that leaves one item for another is not mistaken for a cancellation.

    On a `delivers_per_item` back-end the organiser's calendar holds the whole item."""

    def __init__(self, items: Iterable[CalendarItem], ledger: Ledger, per_item: bool):
        self.ledger = ledger
        self.per_item = per_item
        self.planned: defaultdict[str, set[str]] = defaultdict(set)
        """meeting uid -> who comes to it in the new plan"""
        for item in items:
            for person in (organizer_of(item),) if per_item else item.recipients:
                for meeting in self.mine(item, person):
                    self.planned[meeting].add(person)
        self._items: dict[tuple[str, str], CalendarItem] = {}
        self._had_by: dict[str, frozenset[str]] = {}

    def mine(self, item: CalendarItem, person: str) -> frozenset[str]:
        if self.per_item:
            return frozenset(item.meeting_uids) if organizer_of(item) == person else frozenset()
        return meetings_of(item, person)

    def held(self, held: Held, uid: str) -> CalendarItem:
        key = (uid, held.fingerprint)
        if key not in self._items:
            self._items[key] = self.ledger.item(uid, held.fingerprint)
        return self._items[key]

    def _had(self, person: str, holds: Mapping[str, Held]) -> frozenset[str]:
        """Every meeting the person's calendar holds, through any item (worked out once each)."""
        if person not in self._had_by:
            mine = (self.mine(self.held(h, uid), person) for uid, h in holds.items())
            self._had_by[person] = frozenset().union(*mine)
        return self._had_by[person]

    def _slots(self, item: CalendarItem, person: str) -> set[tuple[object, ...]]:
        view = item if self.per_item else view_for(item, person)
        return set() if view is None else {(i.start, i.end, i.location) for i in instances(view)}

    def why(
        self,
        action: Action,
        person: str,
        old: CalendarItem | None,
        new: CalendarItem | None,
        holds: Mapping[str, Held],
    ) -> Reason:
        """`holds`: what the person's calendar holds now, UID -> Held."""
        if action == "create" and new is not None:
            return "changed" if self.mine(new, person) <= self._had(person, holds) else "new"
        if old is None:
            return "changed"
        if action == "cancel":
            new = None
        before = self.mine(old, person)
        if action == "cancel" and not before:
            return "cancelled"  # nothing to tell it by: the plain meaning
        after = self.mine(new, person) if new is not None else frozenset()
        lost = before - after
        only_lost = new is None or self._slots(new, person) <= self._slots(old, person)
        if lost and not after - before and only_lost:
            still = {m for m in lost if m in self.planned}
            if any(person not in self.planned[m] for m in still):
                return "removed"
            if not still:
                return "cancelled"
            return "changed"  # the meetings reach them in another item
        if new is not None and self._slots(new, person) != self._slots(old, person):
            return "moved"
        return "changed"


def plan(
    items: Iterable[CalendarItem],
    recipients: Iterable[str],
    backend: str,
    ledger: Ledger,
    *,
    guard: PrivacyGuard,
    per_item: bool = False,
    scope: str | None = None,
) -> SyncReport:
    """Write every action this run needs into the outbox, in one transaction; send nothing.
    Every item and recipient passes `guard` first, so a `PrivacyError` leaves the ledger as it
    was. `per_item`: each item goes to its organiser only (see the module docstring). `scope`:
    only items of that scope (a term) are compared, created or cancelled — publishing the
    spring term never cancels the autumn's meetings."""
    items = list(items)
    recipients = list(recipients)
    guard.check_items(items)
    for person in recipients:
        guard.check_text("", "modtager", person)
    report = SyncReport()
    reasons = _Reasons(items, ledger, per_item)
    by_uid = {item.uid: item for item in items}
    with ledger.transaction():
        desired: dict[str, tuple[int, str]] = {}
        wanted_by: defaultdict[str, set[str]] = defaultdict(set)
        for item in items:
            if item.uid in desired:
                raise ValueError(f"two calendar items share the UID '{item.uid}'")
            print_ = fingerprint(item)
            desired[item.uid] = (ledger.sequence_for(item, print_, scope), print_)
            for person in (organizer_of(item),) if per_item else item.recipients:
                wanted_by[person].add(item.uid)
        for uid, state in ledger.items(scope).items():
            if uid not in desired and not state.cancelled:
                ledger.cancel_item(uid)
        sequences = {uid: state.sequence for uid, state in ledger.items(scope).items()}

        holdings = ledger.holdings(backend)
        open_rows: defaultdict[str, set[str]] = defaultdict(set)
        for row in ledger.pending(backend):
            if row.uid in sequences:
                open_rows[row.recipient].add(row.uid)

        for person in sorted(set(recipients)):
            held = {uid: h for uid, h in holdings.get(person, {}).items() if uid in sequences}
            wanted = wanted_by.get(person, set())

            for uid in sorted(wanted | held.keys() | open_rows[person]):
                step = _step(uid, uid in wanted, held.get(uid), desired, sequences)
                keep = None
                if step is not None:
                    action, sequence, print_ = step
                    was = held.get(uid)
                    old = reasons.held(was, uid) if was is not None else None
                    reason = reasons.why(
                        action, person, old, by_uid.get(uid) if uid in wanted else None, held
                    )
                    keep, row_state = ledger.plan_delivery(
                        backend, person, uid, sequence, action, print_, reason
                    )
                    if row_state == "pending":
                        report.planned[action] += 1
                    elif row_state == "failed":
                        report.blocked += 1
                if uid in open_rows[person]:  # rows an earlier run left: this plan replaces them
                    report.superseded += ledger.supersede(backend, person, uid, keep)
    return report


# --------------------------------------------------------------------------- step 2: deliver


def _describe(error: Exception) -> str:
    return str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"


def _is_permanent(error: Exception) -> bool:
    """Retrying cannot help: the back-end says so, or the privacy guard stopped the content."""
    return isinstance(error, PrivacyError) or (isinstance(error, DeliveryError) and error.permanent)


def _call(
    backend: CalendarBackend,
    ledger: Ledger,
    guard: PrivacyGuard,
    delivery: Delivery,
    recipient: Recipient,
    remote_id: str | None,
) -> str | None:
    """One back-end call for one outbox row, with exactly what the guard has just checked;
    returns the remote id to record."""
    item = ledger.item(delivery.uid, delivery.fingerprint)
    if delivery.reason is not None:  # what the message says: an uninvitation is not a cancellation
        item = replace(item, reason=delivery.reason)
    guard.check_item(item)
    guard.check_recipient(recipient)
    if delivery.action == "create":
        return backend.create(item, delivery.sequence, recipient)
    if remote_id is None:  # the planner only updates or cancels what a done delivery put there
        raise DeliveryError(f"no remote id to {delivery.action} '{delivery.uid}'", permanent=True)
    if delivery.action == "update":
        return backend.update(item, delivery.sequence, recipient, remote_id)
    backend.cancel(item, delivery.sequence, recipient, remote_id)
    return remote_id


def deliver(
    backend: CalendarBackend,
    recipients: Mapping[str, Recipient],
    ledger: Ledger,
    report: SyncReport,
    *,
    guard: PrivacyGuard,
    scope: str | None = None,
    max_attempts: int = 5,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Send the outbox of `backend` (of one `scope`, if given), oldest row first, recording each
    outcome as it happens. Stops at the first `BackendUnavailable`, leaving that row and the rest
    pending."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    remote_ids: dict[tuple[str, str], str | None] = {}  # set by this run, newer than the query's
    rows, skipped = outbox(ledger, backend.name, recipients, scope)
    report.skipped += skipped
    for index, delivery in enumerate(rows):
        recipient = recipients[delivery.recipient]
        key = (delivery.recipient, delivery.uid)
        for attempt in range(1, max_attempts + 1):
            try:
                remote_id = _call(
                    backend,
                    ledger,
                    guard,
                    delivery,
                    recipient,
                    remote_ids.get(key, delivery.previous_remote_id),
                )
            except BackendUnavailable as error:  # no one can be reached: one failure for the run
                ledger.mark_failed(delivery.id, str(error), permanent=False)
                report.failures.append(Failure(delivery.recipient, delivery.uid, str(error)))
                report.unavailable = str(error)
                report.unsent = len(rows) - index
                return report
            except Exception as error:  # every other failure is recorded; none ends the run
                permanent = _is_permanent(error)
                ledger.mark_failed(delivery.id, _describe(error), permanent)
                if permanent or attempt == max_attempts:
                    report.failures.append(Failure(delivery.recipient, delivery.uid, _describe(error)))
                    break
                sleep(min(backoff * 2 ** (attempt - 1), MAX_BACKOFF))
            else:
                ledger.mark_done(delivery.id, remote_id)
                remote_ids[key] = remote_id
                report.delivered[delivery.action] += 1
                report.messages[delivery.recipient] += 1
                break
    return report
