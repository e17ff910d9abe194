"""Fixtures for the fake servers in `tests/fakes` (real servers on 127.0.0.1), and nothing else.

The servers' modules are imported inside the fixtures, so a test run that needs neither server
does not load aiosmtpd or Radicale.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fakes.smtp import SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.

    `.host`/`.port` to send to; `.messages` (envelope + parsed `email.message.EmailMessage`)
    and `.messages_to(address)` to read; `.refuse_permanently(addr)` (550) and
    `.refuse_temporarily(addr)` (450) for failures; `.credentials = (user, password)` to
    require a login; `.hang_up()` to drop every open connection.
    """
    from tests.fakes.smtp import SmtpServer

    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def radicale_server(tmp_path: Path) -> Iterator[str]:
    """A real CalDAV server (Radicale; anyone may read and write) on 127.0.0.1: its base URL.

    For one that checks logins, use `tests.fakes.radicale.RadicaleServer(folder, users={...})`.
    """
    from tests.fakes.radicale import RadicaleServer

    server = RadicaleServer(tmp_path / "radicale").start()
    try:
        yield server.url
    finally:
        server.stop()
