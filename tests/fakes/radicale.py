"""A real CalDAV server (Radicale) on 127.0.0.1, for tests.

Radicale's own WSGI application runs under a threaded `wsgiref` server in this process, on a
port the OS picks, with its collections in a folder the caller owns (a pytest tmp_path). Without
users anybody may read and write everything (auth none); with `users` it checks HTTP Basic logins
against a plain htpasswd file and lets every logged-in user read and write everything, so tests
can see a 401 for a wrong password.
"""

from __future__ import annotations

import logging
import socketserver
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import radicale
import radicale.config


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Radicale logs what matters; the per-request access lines would only be noise."""


class RadicaleServer:
    """One Radicale on 127.0.0.1: `start()`, talk to `url`, `stop()`."""

    host = "127.0.0.1"

    def __init__(self, folder: Path, users: dict[str, str] | None = None):
        self.folder = folder
        self.users = users
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def _configuration(self) -> radicale.config.Configuration:
        self.folder.mkdir(parents=True, exist_ok=True)
        rights = self.folder / "rights"
        anybody = ".*" if self.users is None else ".+"
        rights.write_text(f"[everything]\nuser: {anybody}\ncollection: .*\npermissions: RrWw\n")
        auth: dict[str, str] = {"type": "none", "delay": "0"}
        if self.users is not None:
            htpasswd = self.folder / "users"
            htpasswd.write_text("".join(f"{user}:{password}\n" for user, password in self.users.items()))
            auth = {
                "type": "htpasswd",
                "htpasswd_filename": str(htpasswd),
                "htpasswd_encryption": "plain",
                "delay": "0",
                "cache_logins": "False",
            }
        configuration = radicale.config.load()
        configuration.update(
            {
                "server": {"delay_on_error": "0", "timeout": "10"},
                "auth": auth,
                "rights": {"type": "from_file", "file": str(rights)},
                "storage": {"filesystem_folder": str(self.folder / "collections")},
                "web": {"type": "none"},
                "logging": {"mask_passwords": "True"},
            },
            "moedeplan tests",
            privileged=True,
        )
        return configuration

    def start(self, timeout: float = 10.0) -> RadicaleServer:
        logging.getLogger("radicale").setLevel(logging.WARNING)
        application = radicale.Application(self._configuration())
        self._server = make_server(
            self.host, 0, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._wait_until_answering(timeout)
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            request = urllib.request.Request(self.url, method="OPTIONS")
            try:
                with urllib.request.urlopen(request, timeout=1.0):
                    return
            except urllib.error.HTTPError:
                return  # it answered, if only to say no
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"Radicale did not answer on {self.url}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
