"""What the fake HTTP protocol servers share: a threaded server, start/stop, and fault injection.

A fault makes the n-th matching call fail in a way the server module names (an HTTP error, a
dropped connection before or after the work, a delay); each module decides what its kinds do.
"""

from __future__ import annotations

import http.server
import socketserver
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    kind: str
    seconds: float
    operation: str | None
    remaining: int
    """matching calls still to pass before this one fails"""


class ThreadedServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeServer:
    """Base of the fakes: `_serve(server)` in `start()`, `stop()`, `fail_on(...)`, `_fault_for(op)`."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._server: ThreadedServer | None = None

    def _serve(self, server: ThreadedServer) -> None:
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_on(self, number: int, kind: str, seconds: float = 0.0, operation: str | None = None) -> None:
        """Make the `number`-th call from now on (1-based; of `operation` only, if given) fail."""
        with self.lock:
            self.faults.append(Fault(kind, seconds, operation, number - 1))

    def _fault_for(self, operation: str) -> Fault | None:
        hit = None
        for fault in list(self.faults):
            if fault.operation in (None, operation):
                if fault.remaining == 0 and hit is None:
                    hit = fault
                    self.faults.remove(fault)
                else:
                    fault.remaining -= 1
        return hit
