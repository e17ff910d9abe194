"""What a publish would send, per person, without sending anything.

`calendar_sync.sync.plan` writes the outbox of a run in one transaction; run here against a copy
of the ledger (SQLite's backup API, so a ledger in use is copied consistently), its pending rows
are exactly what `publish` would deliver. The copy is thrown away; the real ledger is untouched.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from calendar_sync.items import CalendarItem, items_from_plan
from calendar_sync.ledger import Ledger
from calendar_sync.privacy import PrivacyGuard
from calendar_sync.publish import recipients_of
from calendar_sync.settings import CalendarSettings
from calendar_sync.sync import plan as plan_outbox
from scheduler.model import MunicipalityConfig, Plan


@dataclass(frozen=True)
class Message:
    action: str  # create, update, cancel
    title: str
    item: CalendarItem | None
    meetings: int


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def preview(
    config: MunicipalityConfig,
    plan: Plan,
    settings: CalendarSettings,
    backend: str | None = None,
    confidential: Iterable[str] = (),
) -> dict[str, list[Message]]:
    """person id -> the messages a publish of `plan` would send them now."""
    items = items_from_plan(config, plan)
    by_uid = {item.uid: item for item in items}
    name = backend or settings.calendar_backend
    out: dict[str, list[Message]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="moedeplan-preview-") as folder:
        copy = Path(folder) / "ledger.sqlite3"
        if settings.ledger_path.exists():
            _copy(settings.ledger_path, copy)
        with Ledger(copy) as ledger:
            guard = PrivacyGuard.for_config(config, also=confidential)
            plan_outbox(items, recipients_of(config), name, ledger, guard=guard, scope=plan.term)
            for row in ledger.pending(name):
                item = by_uid.get(row.uid)
                if item is None:  # a cancel of something no longer in the plan: what the calendar holds
                    held = ledger.item(row.uid, row.fingerprint)
                    out[row.recipient].append(Message(row.action, held.title, held, len(held.meeting_uids)))
                else:
                    out[row.recipient].append(Message(row.action, item.title, item, len(item.meeting_uids)))
    return dict(out)
