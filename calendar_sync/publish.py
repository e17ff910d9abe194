"""Publish a plan version to one calendar back-end: items, recipients, ledger, sync.

The one entry point the CLI and (later) the API call, so that the privacy guard, the empty-plan
guard and the ledger are never bypassed.
"""

from __future__ import annotations

from calendar_sync.backends.base import Recipient, load_backend
from calendar_sync.items import items_from_plan
from calendar_sync.ledger import Ledger
from calendar_sync.settings import CalendarSettings
from calendar_sync.sync import SyncReport, sync
from scheduler.model import MunicipalityConfig, Plan, PlanStatus


class PublishError(Exception):
    """The plan cannot be published as asked; nothing was sent."""


def recipients_of(config: MunicipalityConfig) -> dict[str, Recipient]:
    return {p.id: Recipient(person=p.id, name=p.name, email=p.email) for p in config.staff}


def publish(
    config: MunicipalityConfig,
    plan: Plan,
    settings: CalendarSettings,
    backend_name: str | None = None,
    *,
    allow_empty: bool = False,
) -> SyncReport:
    """Bring every person's calendar on the back-end to this plan; only changes are sent.

    An empty plan would cancel every meeting already sent, so it needs `allow_empty`.
    """
    if plan.status not in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        raise PublishError(f"planen har status {plan.status.value} og kan ikke udsendes")
    items = items_from_plan(config, plan)
    name = backend_name or settings.calendar_backend
    backend = load_backend(name, settings.backend_settings(name))
    settings.ledger_path.parent.mkdir(parents=True, exist_ok=True)
    with Ledger(settings.ledger_path) as ledger:
        if not items and ledger.items() and not allow_empty:
            backend.close()
            raise PublishError("planen har ingen møder; udsendelse ville aflyse alle møder i kalenderne")
        return sync(items, recipients_of(config), backend, ledger)
