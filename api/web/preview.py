"""What a publish would send, per person, without sending anything: the publish page's table.

The counting is `calendar_sync.publish.preview`, the same delivery planning a publish runs (on a
throw-away copy of the ledger), so the page shows one message per organiser on Exchange and one
per attendee on the other back-ends, exactly as the publish then sends them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from calendar_sync.items import CalendarItem, Reason
from calendar_sync.publish import digest
from calendar_sync.publish import preview as planned_messages
from calendar_sync.settings import CalendarSettings
from scheduler.model import MunicipalityConfig, Plan


@dataclass(frozen=True)
class Message:
    action: str  # create, update, cancel
    title: str
    item: CalendarItem | None
    meetings: int
    reason: Reason
    """why the person gets it, as the publish decides it (new, moved, removed, cancelled, changed)"""


def shown(
    config: MunicipalityConfig,
    plan: Plan,
    settings: CalendarSettings,
    backend: str | None = None,
    confidential: Iterable[str] = (),
) -> tuple[dict[str, list[Message]], str]:
    """person id -> the messages a publish of `plan` would send them now, and the fingerprint of
    exactly those, which the page's publish form sends back so that the publish refuses to send
    anything other than what the leader saw."""
    planned = planned_messages(config, plan, settings, backend, confidential=confidential)
    out: dict[str, list[Message]] = defaultdict(list)
    for message in planned:
        item = message.item
        out[message.recipient].append(
            Message(message.action, item.title, item, len(item.meeting_uids), message.reason)
        )
    return dict(out), digest(planned)


REASON_ORDER: tuple[Reason, ...] = ("new", "moved", "removed", "cancelled", "changed")


def reasons(messages: list[Message]) -> list[tuple[Reason, int]]:
    """How many of one person's messages go for each reason, in a fixed order: the page's "why"."""
    counts = Counter(m.reason for m in messages)
    return [(reason, counts[reason]) for reason in REASON_ORDER if counts[reason]]
