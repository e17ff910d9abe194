"""The one interface every calendar back-end implements: create, update, cancel.

In the manner of Radicale's storage and auth plug-ins, a back-end is a module in this package
exposing `Backend`, a subclass of `CalendarBackend`, and is chosen by name in settings. The sync
engine calls it once per (item, recipient); a back-end does only the delivery and returns the
remote id it needs to update or cancel later. Delivery must be idempotent per (uid, sequence):
after a crash the engine may repeat the last call it could not record as done.

Groupware servers (Exchange through EWS or Microsoft Graph) are different: the meeting is ONE
item in the organiser's calendar, and the server itself sends the invitations to the attendees.
Such a back-end sets `delivers_per_item = True`; the engine then calls it once per item, with
the organiser (the series' convener, by default the meeting's chair) as the recipient, and keys
the ledger by the organiser, so a change of organiser cancels the meeting in the old one's
calendar and creates it in the new one.
An item without an organiser goes to `SERVICE_RECIPIENT`, which such a back-end maps to its
configured service mailbox.

A back-end owns its settings: `Backend.settings_class`, a `BackendSettings` read from the
environment (MOEDEPLAN_…) whose `options()` are the plain dict the back-end is built with.
Reading people's busy times is an optional capability (`supports_busy`, `busy`), which the
Exchange back-ends implement; `calendar_sync.freebusy` asks for it by back-end name. No back-end
imports another: what two of them share lives here or in `calendar_sync.items`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from calendar_sync.items import CalendarItem

ENV_PREFIX = "MOEDEPLAN_"
"""Every calendar setting's environment variable starts so (`calendar_sync.settings.env_name`)."""


class BackendSettings(BaseSettings):
    """One back-end's typed settings, from the environment; fields are named as their environment
    variables less the prefix (`smtp_host` is MOEDEPLAN_SMTP_HOST). A back-end module subclasses
    it and names it in `Backend.settings_class`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    def options(self) -> dict[str, Any]:
        """The plain settings dict the back-end takes (secrets unwrapped here, only)."""
        return {}


class ExchangeRetrySettings(BackendSettings):
    """MOEDEPLAN_EXCHANGE_RETRIES and _MAX_BACKOFF, which both Exchange back-ends read."""

    exchange_retries: int = 4
    """retries of one Exchange call that was throttled (429, ErrorServerBusy) or failed with 5xx"""
    exchange_max_backoff: float = 60.0
    """seconds; the longest pause a Retry-After or BackOffMilliseconds is honoured with"""


def secret(value: SecretStr | None) -> str | None:
    """A secret's text, for `BackendSettings.options` only."""
    return value.get_secret_value() if value is not None else None


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


@dataclass(frozen=True)
class Busy:
    """One busy block of one person's calendar (aware datetimes); the subject, where the server
    gives one, only serves to recognise our own meetings."""

    start: datetime
    end: datetime
    subject: str | None = None


COUNTS_AS_BUSY = {"busy", "oof"}
"""Free/busy statuses that block planning (lower case; EWS says Busy/OOF, Graph busy/oof). Tentative
and working elsewhere do not: a meeting can still be asked for."""


def busy_windows(start: datetime, end: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) in pieces of at most `days` days, for a server that limits a request's span."""
    while start < end:
        stop = min(start + timedelta(days=days), end)
        yield start, stop
        start = stop


class BusyUnsupported(ValueError):
    """The back-end cannot read free/busy; the message is Danish and names the back-end."""


class CalendarBackend(ABC):
    name: ClassVar[str]
    delivers_per_item: ClassVar[bool] = False
    """True: one call per item, to the organiser's calendar; the server invites the attendees."""
    settings_class: ClassVar[type[BackendSettings]] = BackendSettings
    """the back-end's own settings (MOEDEPLAN_…), read by `load_backend` when none are given"""
    supports_busy: ClassVar[bool] = False
    """True: `busy` reads people's busy times from the calendar server (an optional capability)"""

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

    def busy(self, mailboxes: list[str], start: datetime, end: datetime) -> dict[str, list[Busy]]:
        """Busy blocks per mailbox (lower-case address) in [start, end): the optional free/busy
        capability (`supports_busy`); a back-end without it says so, in Danish."""
        raise busy_unsupported(self.name)

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


def busy_backends() -> list[str]:
    """The back-ends that can read free/busy."""
    return [name for name in known_backends() if backend_class(name).supports_busy]


def busy_unsupported(name: str) -> BusyUnsupported:
    """The refusal to read free/busy from back-end `name`, in Danish, naming those that can."""
    return BusyUnsupported(
        f"ledig/optaget kan kun læses fra {' eller '.join(busy_backends())}, "
        f"ikke fra kalender-back-enden '{name}'"
    )


def load_backend(name: str, settings: dict[str, Any] | None = None) -> CalendarBackend:
    """The back-end module `calendar_sync.backends.<name>`, configured with `settings` (its plain
    options) or, without them, from its own settings class (the environment)."""
    kind = backend_class(name)
    return kind(kind.settings_class().options() if settings is None else settings)
