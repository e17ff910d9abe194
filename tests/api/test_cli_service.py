"""`moedeplan user-add` and `moedeplan serve`: a newcomer's way to a running service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from api.auth import token_hash
from api.cli import app
from tests.builders import TWO_DISTRICTS_FILE

ROOT = Path(__file__).parents[2]


def test_user_add_prints_a_token_once_and_keeps_only_its_hash(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    result = CliRunner().invoke(
        app,
        [
            "user-add",
            str(users),
            "Leder Baltorp",
            "--role",
            "distriktsleder",
            "--district",
            "baltorp",
            "--config",
            str(TWO_DISTRICTS_FILE),
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    stored = yaml.safe_load(users.read_text())["users"][0]
    assert token not in users.read_text()
    assert stored["token_sha256"] == token_hash(token) and stored["districts"] == ["baltorp"]
    assert oct(users.stat().st_mode & 0o777) == "0o600"
    bad = CliRunner().invoke(app, ["user-add", str(users), "X", "--role", "superuser"])
    assert bad.exit_code == 2 and "superuser" in bad.output


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--role", "distriktsleder", "--district", "baltrop"], "ukendt distrikt 'baltrop'"),
        (["--role", "distriktsleder", "--district", "Baltorp"], "(mente du 'baltorp'?)"),
        (["--role", "staff", "--person", "psykolog-x"], "ukendt person 'psykolog-x'"),
        (["--role", "staff", "--person", "psykolg-a"], "(mente du 'psykolog-a', Psykolog A?)"),
        (["--role", "staff", "--person", "Psykolog B"], "(mente du 'psykolog-b', Psykolog B?)"),
    ],
)
def test_user_add_refuses_people_and_districts_the_config_does_not_have(
    tmp_path: Path, arguments: list[str], said: str
) -> None:
    users = tmp_path / "users.yaml"
    config = ["--config", str(TWO_DISTRICTS_FILE)]
    result = CliRunner().invoke(app, ["user-add", str(users), "Ny", *arguments, *config])
    assert result.exit_code == 2, result.output
    assert said in result.output and "Traceback" not in result.output
    assert "Brugeren er ikke oprettet" in result.output and not users.exists()


def test_user_add_without_any_config_says_how_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default SQLite file: not there, and not made by user-add
    monkeypatch.delenv("MOEDEPLAN_DATABASE_URL", raising=False)
    result = CliRunner().invoke(
        app, ["user-add", "users.yaml", "Ny", "--role", "distriktsleder", "--district", "baltorp"]
    )
    assert result.exit_code == 2 and "--config" in result.output and "ingen konfiguration" in result.output
    assert not (tmp_path / "moedeplan.sqlite3").exists() and not (tmp_path / "users.yaml").exists()
    admin = CliRunner().invoke(app, ["user-add", "users.yaml", "IT", "--role", "admin"])  # needs none
    assert admin.exit_code == 0, admin.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.workers
def test_serve_just_works_on_the_sqlite_default(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    token = CliRunner().invoke(app, ["user-add", str(users), "IT", "--role", "admin"]).output.strip()
    port = _free_port()
    env = {**os.environ, "MOEDEPLAN_USERS_FILE": str(users)}
    env.pop("MOEDEPLAN_DATABASE_URL", None)
    env.pop("MOEDEPLAN_PUBLIC_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "database": "ok"}
        plans = httpx.get(f"http://127.0.0.1:{port}/plans", headers={"Authorization": f"Bearer {token}"})
        assert plans.status_code == 200 and plans.json() == []
        assert (tmp_path / "moedeplan.sqlite3").exists()
        assert (tmp_path / ".moedeplan-feed-secret").stat().st_mode & 0o077 == 0
    finally:
        server.terminate()
        server.wait(30)
    said = server.stdout.read() if server.stdout else ""
    # no MOEDEPLAN_PUBLIC_URL: links are built on the address it listens on, and it says so
    assert f"MOEDEPLAN_PUBLIC_URL er ikke sat: kalenderlinks bygges på http://127.0.0.1:{port}" in said


@pytest.mark.workers
def test_serve_never_writes_a_feed_token_to_its_log(tmp_path: Path) -> None:
    """The access log showed `GET /calendars/…ics?token=…`: anyone reading the log could subscribe."""
    users = tmp_path / "users.yaml"
    token = CliRunner().invoke(app, ["user-add", str(users), "IT", "--role", "admin"]).output.strip()
    port = _free_port()
    env = {
        **os.environ,
        "MOEDEPLAN_USERS_FILE": str(users),
        "MOEDEPLAN_FEED_SECRET": "a-feed-secret-of-32-characters-or-more",
        "MOEDEPLAN_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MOEDEPLAN_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--no-worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        link = httpx.get(
            f"{base}/calendars/person/psykolog-a/link", headers={"Authorization": f"Bearer {token}"}
        )
        assert link.status_code == 200, link.text
        url = link.json()["url"]
        feed_token = url.split("token=")[1]
        assert httpx.get(url).status_code == 200
        assert httpx.get(url.replace(feed_token, "guessed-token")).status_code == 404
        assert httpx.get(f"{base}/plans?x=1&access_token={feed_token}").status_code == 401
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "/calendars/person/psykolog-a.ics?token=***" in output, output
    assert feed_token not in output and "guessed-token" not in output
    assert token not in output
