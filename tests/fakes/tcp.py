"""Bare TCP endpoints on 127.0.0.1 for failure tests: a port nobody listens on, and a server that
accepts connections but never says a word (a hung SMTP server, a black-holing firewall).

`ClosedPort` keeps the port bound (without listening) while it is open, so no other process can
take it meanwhile and a connection to it is refused at once. `SilentServer` accepts in a thread
and holds every connection open, unanswered, until `stop()`.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class ClosedPort:
    """A port on 127.0.0.1 where a connection is refused: bound, never listening."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((self.host, 0))
        self.port: int = self._socket.getsockname()[1]

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> ClosedPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends or reads anything."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((self.host, 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)

    def start(self) -> SilentServer:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:  # the listener was closed by stop()
                return
            self.accepted.append(connection)

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)
        for connection in self.accepted:
            connection.close()

    def __enter__(self) -> SilentServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
