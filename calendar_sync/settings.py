"""Calendar delivery settings, from the environment (MOEDEPLAN_…), never from files in the repo.

What every publish needs is here (`CalendarSettings`: which back-end, where the sync ledger is);
each back-end module owns its own settings (`Backend.settings_class`, a `BackendSettings` with
the same MOEDEPLAN_ prefix: MOEDEPLAN_SMTP_HOST is `email`'s, MOEDEPLAN_EWS_URL `exchange_ews`'s),
read when the back-end is loaded. `env_name` is the one home of the MOEDEPLAN_ naming.

Secrets are `SecretStr`: they print as '**********' in logs, reprs and error messages, and are
unwrapped only when a back-end is configured (`BackendSettings.options`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from calendar_sync.backends.base import ENV_PREFIX, BackendSettings, backend_class, known_backends

__all__ = ["ENV_PREFIX", "BackendSettings", "CalendarSettings", "env_name"]


class CalendarSettings(BaseSettings):
    """Which back-end a publish uses and where the ledger is. Any other keyword is a back-end
    setting by its field name (`ics_directory=…`, `smtp_host=…`) that wins over the environment
    when that back-end is loaded: how the service, tests and benchmarks point a back-end
    somewhere without touching the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="allow")

    calendar_backend: str = "ics"
    ledger_path: Path = Path("out/sync-ledger.sqlite3")

    def __init__(self, **values: Any) -> None:
        """`calendar_backend`, `ledger_path`, and any back-end's settings by field name."""
        super().__init__(**values)

    @model_validator(mode="after")
    def _check(self) -> CalendarSettings:
        """A password or secret given as a keyword prints as '**********' like any other; and the
        chosen back-end's settings are read now, so a bad one stops the service at start."""
        extra = self.model_extra or {}
        for key, value in extra.items():
            if key.endswith(("_password", "_secret")) and isinstance(value, str):
                extra[key] = SecretStr(value)
        if self.calendar_backend in known_backends():  # an unknown name is refused where it is used
            self._settings_of(self.calendar_backend)
        return self

    def _settings_of(self, name: str) -> BackendSettings:
        settings_class = backend_class(name).settings_class
        extra = self.model_extra or {}
        return settings_class(
            **{key: value for key, value in extra.items() if key in settings_class.model_fields}
        )

    def backend_settings(self, name: str | None = None) -> dict[str, Any]:
        """The plain settings dict back-end `name` takes: its own settings class, read from the
        environment, with this object's keywords for it on top."""
        return self._settings_of(name or self.calendar_backend).options()


def env_name(setting: str, of: type[BaseSettings] = CalendarSettings) -> str:
    """The environment variable of a setting of `of` (a back-end's settings class for its own), as
    messages name it: env_name('smtp_host', email.Settings) -> MOEDEPLAN_SMTP_HOST."""
    if setting not in of.model_fields:
        raise KeyError(f"no calendar setting '{setting}'")
    return f"{of.model_config.get('env_prefix', '')}{setting}".upper()
