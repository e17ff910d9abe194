"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, for tests.

`SmtpServer` runs aiosmtpd's threaded `Controller` on a port the OS picks and records every
message it accepts as a `ReceivedMessage` (envelope plus the parsed `email.message`). Tests can
make it refuse chosen recipients at RCPT time (`refuse`: 5xx, `defer`: 4xx), require a login
(`credentials`), hang up on every open connection (`hang_up`) to exercise reconnects, or stall
before answering DATA (`stall_data`) to exercise time-outs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage
    login: str | None
    """the user name the client logged in with, if it did"""


class _Handler:
    def __init__(self, server: SmtpServer):
        self._server = server

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self._server._track(server)
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self._server._refusal_for(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._server.stall_data:
            await asyncio.sleep(self._server.stall_data)
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes):
            raw = envelope.content
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data if isinstance(session.auth_data, str) else None
        self._server._record(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=raw,
                message=parsed,
                login=login,
            )
        )
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, server: SmtpServer):
        self._server = server

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        expected = self._server.credentials
        if expected is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if (login, password) == expected:
            return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)


class _Controller(Controller):
    """aiosmtpd's Controller, bound to port 0: it learns the real port before its self-test."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """One real SMTP server on 127.0.0.1; `start()` it, send to `host`/`port`, `stop()` it."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.messages: list[ReceivedMessage] = []
        self.refuse: dict[str, str] = {}
        """lower-cased address → the reply to RCPT TO, e.g. "550 5.1.1 no such user" """
        self.on_message: Callable[[ReceivedMessage], None] | None = None
        """called with each message as it is accepted (before the client hears "250"), e.g. to
        kill the sender mid-publish"""
        self.credentials: tuple[str, str] | None = None
        """(user, password) the server accepts for AUTH; None: no login is accepted (nor needed)"""
        self.stall_data = 0.0
        """seconds the server waits before it answers DATA: a server that stops answering mid-session"""
        self._lock = threading.Lock()
        self._sessions: list[SMTP] = []
        self._controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=0,
            ready_timeout=10.0,
            authenticator=_Authenticator(self),
            auth_require_tls=False,
            auth_required=False,
        )

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def refuse_permanently(self, *addresses: str, reply: str = "550 5.1.1 <{}>: no such user") -> None:
        """Answer RCPT TO for these addresses with a 5xx reply (`{}` is the address)."""
        for address in addresses:
            self.refuse[address.lower()] = reply.format(address)

    def refuse_temporarily(self, *addresses: str, reply: str = "450 4.2.1 <{}>: mailbox busy") -> None:
        """Answer RCPT TO for these addresses with a 4xx reply (`{}` is the address)."""
        for address in addresses:
            self.refuse[address.lower()] = reply.format(address)

    def messages_to(self, address: str) -> list[ReceivedMessage]:
        with self._lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def hang_up(self, timeout: float = 5.0) -> int:
        """Close every client connection from the server side, as a server restart would.

        Returns how many connections were closed; waits until the server has closed them."""
        with self._lock:
            sessions, self._sessions = self._sessions, []

        async def close_all() -> int:
            closed = 0
            for session in sessions:
                transport = session.transport
                if transport is not None and not transport.is_closing():
                    transport.close()
                    closed += 1
            await asyncio.sleep(0)
            return closed

        future = asyncio.run_coroutine_threadsafe(close_all(), self._controller.loop)
        return future.result(timeout)

    # called from the server's thread -------------------------------------------------------

    def _track(self, session: SMTP) -> None:
        with self._lock:
            if session not in self._sessions:
                self._sessions.append(session)

    def _refusal_for(self, address: str) -> str | None:
        with self._lock:
            return self.refuse.get(address.lower())

    def _record(self, message: ReceivedMessage) -> None:
        with self._lock:
            self.messages.append(message)
        if self.on_message is not None:
            self.on_message(message)
