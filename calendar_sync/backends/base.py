"""The one interface every calendar back-end implements: create, update, cancel.

In the manner of Radicale's storage and auth plug-ins, a back-end is a module in this package
exposing `Backend`, a subclass of `CalendarBackend`, and is chosen by name in settings. The sync
engine calls it once per (item, recipient); a back-end does only the delivery and returns the
remote id it needs to update or cancel later. Delivery must be idempotent per (uid, sequence):
after a crash the engine may repeat the last call it could not record as done.

Groupware servers (Exchange through EWS or Microsoft Graph) are different: the meeting is ONE
item in the organiser's calendar, and the server itself sends the invitations to the attendees.
Such a back-end sets `delivers_per_item = True`; the engine then calls it once per item, with
the organiser (the meeting's chair) as the recipient, and keys the ledger by the organiser, so a
change of chair cancels the meeting in the old chair's calendar and creates it in the new one.
An item without an organiser goes to `SERVICE_RECIPIENT`, which such a back-end maps to its
configured service mailbox.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from calendar_sync.items import CalendarItem


class DeliveryError(Exception):
    """A delivery failed. `permanent` means retrying will not help (unknown mailbox, 403)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class BackendUnavailable(DeliveryError):
    """The back-end itself cannot be reached (no connection, no answer, login refused), so no
    delivery of this run can succeed: the sync engine stops at the first one and leaves the rest
    pending for the next run, instead of retrying every recipient with backoff. The message is
    Danish and names the setting to check."""

    def __init__(self, message: str):
        super().__init__(message, permanent=False)


@dataclass(frozen=True)
class Recipient:
    """Whose calendar an item goes to."""

    person: str
    name: str
    email: str | None


SERVICE_RECIPIENT = "@moedeplan"
"""Ledger recipient of items without an organiser on a `delivers_per_item` back-end."""


class CalendarBackend(ABC):
    name: ClassVar[str]
    delivers_per_item: ClassVar[bool] = False
    """True: one call per item, to the organiser's calendar; the server invites the attendees."""

    def __init__(self, settings: dict[str, Any]):
        self.settings = settings

    @abstractmethod
    def create(self, item: CalendarItem, sequence: int, recipient: Recipient) -> str:
        """Put a new item in the recipient's calendar; return the remote id."""

    @abstractmethod
    def update(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> str:
        """Replace the item (same UID, higher SEQUENCE); return the (possibly new) remote id."""

    @abstractmethod
    def cancel(self, item: CalendarItem, sequence: int, recipient: Recipient, remote_id: str) -> None:
        """Remove the item from the recipient's calendar (an iTIP CANCEL where that applies)."""

    def close(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Release connections; called once after a sync run."""


def known_backends() -> list[str]:
    """The names of the back-end modules in this package."""
    import pkgutil

    import calendar_sync.backends as package

    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name != "base")


def backend_class(name: str) -> type[CalendarBackend]:
    """The `Backend` class of `calendar_sync.backends.<name>`, not configured: what kind of
    back-end it is (`delivers_per_item`, …) without its settings or a connection."""
    try:
        module = importlib.import_module(f"calendar_sync.backends.{name}")
    except ModuleNotFoundError:
        raise ValueError(f"unknown calendar back-end '{name}'") from None
    found = getattr(module, "Backend", None)
    if not (isinstance(found, type) and issubclass(found, CalendarBackend)):
        raise ValueError(f"calendar_sync.backends.{name} does not define a Backend")
    return found


def load_backend(name: str, settings: dict[str, Any]) -> CalendarBackend:
    """The back-end module `calendar_sync.backends.<name>`, configured."""
    return backend_class(name)(settings)
