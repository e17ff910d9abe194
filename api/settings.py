"""Application settings, from the environment (MOEDEPLAN_…), never from files in the repo.

The database URL may carry a password (``postgresql://user:secret@host/db``), so the settings
never show it: ``repr()``/``str()`` print ``safe_database_url`` instead, and that is what logs and
error messages must use. Only `api.db` reads ``database_url`` itself, to connect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///moedeplan.sqlite3"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"

# Query parameters libpq and friends accept that hold secrets (postgresql://h/db?password=…).
_SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "sslpassword", "secret", "token"})

# Keys shorter than this are refused: 32 random characters are beyond guessing, a word is not.
MIN_SECRET_LENGTH = 32
MAKE_SECRET_HINT = "lav en med `python3 -c 'import secrets; print(secrets.token_hex(32))'`"


class SettingsError(ValueError):
    """A setting the service cannot start with; the message names the setting as the user wrote it."""


def check_secret(setting: str, value: str, unset_hint: str = "") -> str:
    """The key without surrounding whitespace, or a Danish error naming `setting`.

    An empty key (a blank line in an env file) would make every HMAC under it computable by anyone,
    so empty and short keys stop the service instead of weakening it silently.
    """
    key = value.strip()
    if not key:
        raise SettingsError(f"{setting} er tom; {MAKE_SECRET_HINT}{unset_hint}")
    if len(key) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"{setting} er for kort ({len(key)} tegn, mindst {MIN_SECRET_LENGTH}); "
            f"{MAKE_SECRET_HINT}{unset_hint}"
        )
    return key


def mask_database_url(url: str) -> str:
    """The URL with any password (in the userinfo or the query string) replaced by ``***``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not a URL SQLAlchemy understands: nothing safe can be said about its parts.
        return "<unparseable database URL>"
    if parsed.query:
        parsed = parsed.update_query_dict(
            {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY_KEYS}
        )
    return parsed.render_as_string(hide_password=True)


class AppSettings(BaseSettings):
    """Settings of the API, the workers and `moedeplan serve` (one place, one env prefix)."""

    model_config = SettingsConfigDict(env_prefix="MOEDEPLAN_", extra="ignore")

    # SQLite file by default, so `moedeplan serve` works with nothing installed; PostgreSQL by
    # URL (``postgresql://…`` is read as psycopg 3, the driver we ship).
    database_url: str = Field(default=DEFAULT_DATABASE_URL, repr=False)
    database_echo: bool = Field(default=False, description="log SQL (statements, not parameters)")
    users_file: Path | None = Field(
        default=None,
        description="YAML list of users (name, role, token_sha256); `moedeplan user-add` writes it",
    )
    feed_secret: SecretStr | None = Field(
        default=None,
        description="the app's key (feed links, web sessions); at least 32 characters; "
        "unset: made once and kept in `secret_file`",
    )
    secret_file: Path = Path(".moedeplan-feed-secret")
    session_secret: SecretStr | None = Field(
        default=None,
        description="key that signs the web pages' sign-in cookie (at least 32 characters); "
        "unset: derived from the feed key",
    )
    session_max_age: int = Field(default=8 * 3600, ge=60, description="seconds a web sign-in lasts")
    public_url: str = Field(
        default=DEFAULT_PUBLIC_URL,
        description="the address people reach the service at (https://moedeplan.kommune.dk): the base "
        "of every link the service hands out (ICS feeds, webcal://)",
    )
    run_worker: bool = Field(default=True, description="run solve jobs in the API process")
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    job_stale_seconds: float = Field(default=120.0, gt=0, description="a silent worker's job is retried")
    # Where solve jobs wait for a worker (see api.jobs). Unset: "procrastinate" on PostgreSQL
    # (separate `moedeplan worker` processes), "embedded" on SQLite (the API's own thread).
    job_queue: Literal["embedded", "procrastinate"] | None = Field(
        default=None, description="embedded or procrastinate; default: by the database"
    )
    job_sweep_seconds: int = Field(
        default=10, ge=1, le=60, description="procrastinate workers look for lost jobs this often"
    )
    solve_time_limit: float | None = Field(default=None, gt=0, description="default: the config's")
    solve_workers: int | None = Field(default=None, ge=1, le=64)
    replan_time_limit: float = Field(default=10.0, gt=0, description="per replanning strategy")
    # Each job's solve runs in a child process with this much address space (api.isolation): a
    # solve that needs more fails its job, and the API and the worker stay up.
    solve_memory_mb: int = Field(default=4096, ge=256, description="address space of a job's solve, MB")
    solve_max_seconds: float = Field(
        default=7200.0, gt=0, description="a job's solve still running after this is stopped and failed"
    )
    publish_lock_seconds: float = Field(
        default=900.0, gt=0, description="a sender that stopped answering loses a term's publish lease"
    )
    outbox_sweep_seconds: float = Field(
        default=60.0, ge=0, description="unsent calendar messages are resumed this often (0: at start only)"
    )

    @field_validator("feed_secret", "session_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Set means set properly: empty or short keys are refused (unset is fine: one is made)."""
        if value is None:
            return None
        setting = f"MOEDEPLAN_{(info.field_name or '').upper()}"
        return SecretStr(check_secret(setting, value.get_secret_value(), ", eller fjern den helt"))

    @field_validator("public_url")
    @classmethod
    def _public_base(cls, value: str) -> str:
        """An absolute http(s) address without query or fragment; kept without a trailing '/'."""
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                f"MOEDEPLAN_PUBLIC_URL skal være en http(s)-adresse som https://moedeplan.kommune.dk "
                f"(uden ? og #), ikke '{value}'"
            )
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))

    def link(self, path: str) -> str:
        """The absolute address of `path` (which starts with '/') as people reach the service."""
        return f"{self.public_url}{path}"

    @model_validator(mode="after")
    def _resolve_job_queue(self) -> AppSettings:
        postgresql = self.database_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")
        if self.job_queue is None:
            self.job_queue = "procrastinate" if postgresql else "embedded"
        elif self.job_queue == "procrastinate" and not postgresql:
            raise ValueError("job_queue 'procrastinate' needs a PostgreSQL database_url")
        return self

    @property
    def safe_database_url(self) -> str:
        """The database URL fit for logs and messages: the password masked."""
        return mask_database_url(self.database_url)

    def __repr_args__(self) -> Any:
        yield "database_url", self.safe_database_url
        yield from super().__repr_args__()
