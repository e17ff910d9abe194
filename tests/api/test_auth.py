"""Keys and users: the service refuses weak keys, and changes to the users file count at once.

Real parts: the settings from the environment, `moedeplan serve` through its CLI (it stops
before listening when a key is bad), the app on SQLite and PostgreSQL reading a users file on
disk, edited under it by `moedeplan user-add` / `user-remove` and by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from api.auth import Directory, UsersFileError, token_hash
from api.cli import app as cli
from api.deps import AppState
from api.settings import AppSettings, SettingsError
from tests.api.databases import Db
from tests.builders import token
from tests.fakes.service import open_service, users_yaml

GOOD_KEY = "k" * 32


def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str]:
    """`moedeplan serve` with these environment variables; it must stop before it listens."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOEDEPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--port", "1", "--no-worker"])
    return result.exit_code, result.output


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize("value", ["", "   ", "\t\n", "short-key", "x" * 31])
@pytest.mark.parametrize("setting", ["MOEDEPLAN_FEED_SECRET", "MOEDEPLAN_SESSION_SECRET"])
def test_serve_refuses_an_empty_or_short_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, value: str
) -> None:
    code, output = serve(tmp_path, monkeypatch, **{setting: value})
    assert code == 2, output
    assert setting in output and ("er tom" in output or "er for kort" in output), output
    assert "Traceback" not in output
    assert not (tmp_path / "db.sqlite3").exists(), "nothing was started"


def test_keys_of_32_characters_are_taken_without_surrounding_whitespace() -> None:
    settings = AppSettings(feed_secret=SecretStr(f"  {GOOD_KEY}\n"), session_secret=SecretStr(GOOD_KEY))
    assert settings.feed_secret is not None and settings.feed_secret.get_secret_value() == GOOD_KEY
    with pytest.raises(ValidationError, match="MOEDEPLAN_FEED_SECRET er for kort"):
        AppSettings(feed_secret=SecretStr("x" * 31))
    assert AppSettings().feed_secret is None  # unset is fine: a key is made and kept


@pytest.mark.parametrize("content", ["", "\n", "0123456789abcdef\n"])
def test_an_empty_or_short_key_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    key_file = tmp_path / "kept-key"
    key_file.write_text(content, encoding="utf-8")
    monkeypatch.delenv("MOEDEPLAN_FEED_SECRET", raising=False)
    code, output = serve(tmp_path, monkeypatch, MOEDEPLAN_SECRET_FILE=str(key_file))
    assert code == 2, output
    assert "MOEDEPLAN_SECRET_FILE" in output and str(key_file) in output and "Traceback" not in output
    settings = AppSettings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", secret_file=key_file)
    with pytest.raises(SettingsError, match="MOEDEPLAN_SECRET_FILE"):
        AppState.open(settings, Directory([]))


def test_serve_refuses_a_users_file_it_cannot_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users = tmp_path / "users.yaml"
    users.write_text("users: [{name: x, role: superuser}]\n", encoding="utf-8")
    code, output = serve(
        tmp_path, monkeypatch, MOEDEPLAN_USERS_FILE=str(users), MOEDEPLAN_FEED_SECRET=GOOD_KEY
    )
    assert code == 2 and "MOEDEPLAN_USERS_FILE" in output and "role" in output, output
    assert "Traceback" not in output


# --------------------------------------------------------------------------- the users file


def test_the_directory_follows_its_file(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(users_yaml(["admin", "psyk-a"]), encoding="utf-8")
    directory = Directory.from_file(path)
    assert directory.authenticate(token("psyk-a")) is not None
    path.write_text(users_yaml(["admin"]), encoding="utf-8")
    assert directory.authenticate(token("psyk-a")) is None
    path.write_text(users_yaml(["admin", "hr"]), encoding="utf-8")
    who = directory.authenticate(token("hr"))
    assert who is not None and who.name == "HR-system" and who.token_sha256 == token_hash(token("hr"))
    path.write_text("users: [", encoding="utf-8")  # a half-written edit: nobody, not the old list
    with pytest.raises(UsersFileError, match="ikke gyldig YAML"):
        directory.authenticate(token("admin"))
    path.write_text(users_yaml(["admin"]), encoding="utf-8")
    assert directory.authenticate(token("admin")) is not None
    path.unlink()
    with pytest.raises(UsersFileError, match="findes ikke"):
        directory.authenticate(token("admin"))


def test_two_users_of_one_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    first = CliRunner().invoke(cli, ["user-add", str(path), "Leder Baltorp", "--role", "distriktsleder"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(cli, ["user-add", str(path), "Leder Baltorp", "--role", "admin"])
    assert again.exit_code == 2 and "entydige" in again.output
    assert path.read_text(encoding="utf-8").count("Leder Baltorp") == 1


def test_users_removed_or_added_count_at_once_in_the_api(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path, publish=False) as site:
        assert site.get("/plans", "baltorp").status_code == 200
        site.write_users(["admin", "skovlunde", "psyk-a"])  # IT edits the file: Baltorp's leader left
        assert site.get("/plans", "baltorp").status_code == 401
        assert site.get("/plans", "admin").status_code == 200
        removed = CliRunner().invoke(cli, ["user-remove", str(site.users_file), "Leder Skovlunde"])
        assert removed.exit_code == 0, removed.output
        assert site.get("/plans", "skovlunde").status_code == 401
        assert CliRunner().invoke(cli, ["user-remove", str(site.users_file), "Nobody"]).exit_code == 2

        added = CliRunner().invoke(
            cli,
            [
                "user-add",
                str(site.users_file),
                "Ny leder",
                "--role",
                "distriktsleder",
                "--district",
                "baltorp",
            ],
            env={"MOEDEPLAN_DATABASE_URL": db.url},  # the districts are checked against its config
        )
        assert added.exit_code == 0, added.output
        new_token = added.output.strip()
        assert site.client.get("/plans", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
        typo = CliRunner().invoke(
            cli,
            [
                "user-add",
                str(site.users_file),
                "Anden leder",
                "--role",
                "distriktsleder",
                "--district",
                "baltrop",
            ],
            env={"MOEDEPLAN_DATABASE_URL": db.url},
        )
        assert (
            typo.exit_code == 2
            and "ukendt distrikt 'baltrop' i konfigurationen test (databasen)" in typo.output
        )
        assert "(mente du 'baltorp'?)" in typo.output and "Anden leder" not in site.users_file.read_text()

        # Edited by hand into something invalid: nobody gets in (503, no file path), until fixed.
        site.users_file.write_text("users: [{name: x}]\n", encoding="utf-8")
        broken = site.get("/plans", "admin")
        assert broken.status_code == 503 and "kommunens IT" in broken.json()["detail"]
        assert str(site.users_file) not in broken.text
        site.write_users(["admin"])
        assert site.get("/plans", "admin").status_code == 200
        assert site.get("/plans", "hr").status_code == 401
