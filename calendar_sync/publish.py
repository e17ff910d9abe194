"""Publish a plan version to one calendar back-end: items, recipients, ledger, sync.

The one entry point the CLI and the API call, so that the privacy guard, the empty-plan guard
and the ledger are never bypassed. A privacy hit anywhere in the plan refuses the whole publish
before the back-end is even opened: nothing is written to the outbox and nothing is sent to
anyone (the sync engine checks again, for any caller that goes to it directly).

`preview` is what `publish` would send now, by the same steps (`prepare`, the empty-plan guard,
`sync.stage` and `sync.outbox`) run against a throw-away copy of the ledger, so it shows one
message per organiser on a back-end that delivers per item (Exchange), one per attendee elsewhere.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from calendar_sync.backends.base import Recipient, backend_class, load_backend
from calendar_sync.items import TEAM_RECIPIENT, CalendarItem, Reason, delivered_series, fingerprint
from calendar_sync.ledger import Action, Delivery, Ledger
from calendar_sync.privacy import PrivacyGuard, guarded_items
from calendar_sync.settings import CalendarSettings
from calendar_sync.sync import SyncReport, outbox, stage, sync
from scheduler.model import PLANNED, MunicipalityConfig, Plan


class PublishError(Exception):
    """The plan cannot be published as asked; nothing was sent."""


def recipients_of(config: MunicipalityConfig) -> dict[str, Recipient]:
    """Whose calendars a publish writes: the staff, and the BAL teams' addresses ('team:<id>',
    guests of their course sessions and analyses; `calendar_sync.items.team_attendees`)."""
    people = {p.id: Recipient(person=p.id, name=p.name, email=p.email) for p in config.staff}
    teams = config.bal.teams if config.bal is not None else []
    for team in teams:
        if team.email is not None:
            key = f"{TEAM_RECIPIENT}{team.id}"
            people[key] = Recipient(person=key, name=f"team {team.name}", email=team.email)
    return people


def prepare(
    config: MunicipalityConfig, plan: Plan, confidential: Iterable[str] = (), recurring: Collection[str] = ()
) -> tuple[list[CalendarItem], PrivacyGuard, dict[str, Recipient]]:
    """Everything a publish checks before it sends anything: that there is a plan, and that no
    text of it may not leave (`PrivacyError`). A caller that must commit before it sends (the
    API marks the version live first) calls this to refuse a plan before it commits.
    `recurring`: the series the calendars hold as recurring items (`delivered`)."""
    if plan.status not in PLANNED:
        raise PublishError(f"planen har status {plan.status.value} og kan ikke udsendes")
    items, guard = guarded_items(config, plan, confidential, recurring)
    recipients = recipients_of(config)
    guard.check_recipients(recipients.values())
    return items, guard, recipients


def publish(
    config: MunicipalityConfig,
    plan: Plan,
    settings: CalendarSettings,
    backend_name: str | None = None,
    *,
    allow_empty: bool = False,
    confidential: Iterable[str] = (),
) -> SyncReport:
    """Bring every person's calendar on the back-end to this plan; only changes are sent.

    An empty plan would cancel every meeting already sent, so it needs `allow_empty`.
    `confidential`: texts that may not reach a calendar besides the config's absence reasons
    and series notes (the reasons of absences registered through the API). Raises
    `PrivacyError` (nothing sent) if any text of the plan may not leave.
    """
    items, guard, recipients = prepare(
        config, plan, confidential, _delivered(settings.ledger_path, plan.term)
    )
    name = backend_name or settings.calendar_backend
    backend = load_backend(name, settings.backend_settings(name))
    settings.ledger_path.parent.mkdir(parents=True, exist_ok=True)
    with Ledger(settings.ledger_path) as ledger:
        try:
            _refuse_empty(items, ledger, plan.term, allow_empty)
        except PublishError:
            backend.close()
            raise
        return sync(items, recipients, backend, ledger, guard=guard, scope=plan.term)


def delivered(ledger: Ledger, term: str) -> frozenset[str]:
    """The series of `term` that the calendars hold as one recurring item (live in the ledger):
    `items_from_plan` keeps them recurring while they stay reasonably regular."""
    return delivered_series((uid for uid, state in ledger.items(term).items() if not state.cancelled), term)


def _delivered(path: Path, term: str) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    with Ledger(path) as ledger:
        return delivered(ledger, term)


def _refuse_empty(items: list[CalendarItem], ledger: Ledger, term: str, allow_empty: bool) -> None:
    if not items and ledger.items(term) and not allow_empty:
        raise PublishError("planen har ingen møder; udsendelse ville aflyse alle møder i kalenderne")


@dataclass(frozen=True)
class Planned:
    """One message a publish would send: to whom, what, and the item as it would be sent."""

    recipient: str
    """person id, or `SERVICE_RECIPIENT` (the service mailbox) for an organiser-less item on Exchange"""
    action: Action
    item: CalendarItem
    """for a cancel, what the calendar holds"""
    reason: Reason
    """why they get it, decided by the staging the publish runs (`calendar_sync.sync`)"""


def preview(
    config: MunicipalityConfig,
    plan: Plan,
    settings: CalendarSettings,
    backend_name: str | None = None,
    *,
    allow_empty: bool = False,
    confidential: Iterable[str] = (),
) -> list[Planned]:
    """The messages `publish` would send now, in the order it would send them; sends nothing and
    leaves the ledger as it is. Raises what `publish` would raise before sending."""
    items, guard, recipients = prepare(
        config, plan, confidential, _delivered(settings.ledger_path, plan.term)
    )
    kind = backend_class(backend_name or settings.calendar_backend)
    with tempfile.TemporaryDirectory(prefix="moedeplan-preview-") as folder:
        copy = Path(folder) / "ledger.sqlite3"
        if settings.ledger_path.exists():
            _copy(settings.ledger_path, copy)
        with Ledger(copy) as ledger:
            _refuse_empty(items, ledger, plan.term, allow_empty)
            _, calendars = stage(items, recipients, kind, ledger, guard=guard, scope=plan.term)
            rows, _ = outbox(ledger, kind.name, calendars, plan.term)
            return [
                Planned(row.recipient, row.action, ledger.item(row.uid, row.fingerprint), _reason(row))
                for row in rows
            ]


def _reason(row: Delivery) -> Reason:
    """A row left pending by a run from before reasons says what its action says."""
    if row.reason is not None:
        return row.reason
    return _PLAIN[row.action]


_PLAIN: dict[Action, Reason] = {"create": "new", "update": "changed", "cancel": "cancelled"}


def digest(planned: Iterable[Planned]) -> str:
    """sha256 (hex) of exactly these messages (to whom, what, which content, why), in any order:
    a publish confirmed with a preview's digest refuses to send anything else."""
    lines = sorted(
        f"{p.recipient}\t{p.action}\t{p.item.uid}\t{fingerprint(p.item)}\t{p.reason}" for p in planned
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a ledger that may be in use (SQLite's backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
