"""Calendar delivery settings, from the environment (MOEDEPLAN_…), never from files in the repo.

Secrets are `SecretStr`: they print as '**********' in logs, reprs and error messages, and are
unwrapped only when a back-end is configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CalendarSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOEDEPLAN_", extra="ignore")

    calendar_backend: str = "ics"
    ledger_path: Path = Path("out/sync-ledger.sqlite3")

    ics_directory: Path = Path("out/calendars")

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "moedeplan@ballerup.example"
    smtp_timeout: float = 30.0

    caldav_url: str | None = None
    caldav_username: str | None = None
    caldav_password: SecretStr | None = None
    caldav_calendar_path: str = "/{person}/moedeplan/"

    def backend_settings(self, name: str | None = None) -> dict[str, Any]:
        """The plain settings dict a back-end module takes (secrets unwrapped here, only)."""
        name = name or self.calendar_backend

        def secret(value: SecretStr | None) -> str | None:
            return value.get_secret_value() if value is not None else None

        if name == "ics":
            return {"directory": str(self.ics_directory)}
        if name == "email":
            return {
                "host": self.smtp_host,
                "port": self.smtp_port,
                "starttls": self.smtp_starttls,
                "username": self.smtp_username,
                "password": secret(self.smtp_password),
                "sender": self.smtp_sender,
                "timeout": self.smtp_timeout,
            }
        if name == "caldav":
            return {
                "url": self.caldav_url,
                "username": self.caldav_username,
                "password": secret(self.caldav_password),
                "calendar_path": self.caldav_calendar_path,
            }
        return {}
