"""Calendar delivery settings, from the environment (MOEDEPLAN_…), never from files in the repo.

Secrets are `SecretStr`: they print as '**********' in logs, reprs and error messages, and are
unwrapped only when a back-end is configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SMTP_TIMEOUT = 10.0
"""Seconds the SMTP connection waits for the server (connect, each reply, each write): an
unreachable or silent server is one quick failure, not minutes per message."""


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
    smtp_timeout: float = Field(default=SMTP_TIMEOUT, gt=0, le=300)

    caldav_url: str | None = None
    caldav_username: str | None = None
    caldav_password: SecretStr | None = None
    caldav_calendar_path: str = "/{person}/moedeplan/"

    # Exchange Server on premises through EWS (exchangelib); see calendar_sync/backends/exchange_ews.py
    ews_url: str | None = None
    ews_auth: str = "oauth"
    ews_username: str | None = None
    ews_password: SecretStr | None = None
    ews_client_id: str | None = None
    ews_client_secret: SecretStr | None = None
    ews_tenant_id: str | None = None
    ews_access_type: str = "impersonation"
    ews_version: str = "15.2.1544.4"
    ews_service_mailbox: str | None = None
    ews_timeout: float = 60.0

    # Exchange Online through Microsoft Graph (httpx + msal); see calendar_sync/backends/exchange_graph.py
    graph_tenant_id: str | None = None
    graph_client_id: str | None = None
    graph_client_secret: SecretStr | None = None
    graph_authority: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    graph_service_mailbox: str | None = None
    graph_timeout: float = 30.0
    graph_ca_bundle: str | None = None
    """a CA bundle (PEM) to trust instead of the system's, e.g. behind a TLS-inspecting proxy"""

    exchange_retries: int = 4
    """retries of one Exchange call that was throttled (429, ErrorServerBusy) or failed with 5xx"""
    exchange_max_backoff: float = 60.0
    """seconds; the longest pause a Retry-After or BackOffMilliseconds is honoured with"""

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
        if name == "exchange_ews":
            return {
                "url": self.ews_url,
                "auth": self.ews_auth,
                "username": self.ews_username,
                "password": secret(self.ews_password),
                "client_id": self.ews_client_id,
                "client_secret": secret(self.ews_client_secret),
                "tenant_id": self.ews_tenant_id,
                "access_type": self.ews_access_type,
                "version": self.ews_version,
                "service_mailbox": self.ews_service_mailbox,
                "timeout": self.ews_timeout,
                "busy_retries": self.exchange_retries,
                "max_backoff": self.exchange_max_backoff,
            }
        if name == "exchange_graph":
            return {
                "tenant_id": self.graph_tenant_id,
                "client_id": self.graph_client_id,
                "client_secret": secret(self.graph_client_secret),
                "authority": self.graph_authority,
                "url": self.graph_url,
                "service_mailbox": self.graph_service_mailbox,
                "timeout": self.graph_timeout,
                "verify": self.graph_ca_bundle or True,
                "retries": self.exchange_retries,
                "max_backoff": self.exchange_max_backoff,
            }
        return {}


def env_name(setting: str) -> str:
    """The environment variable of a setting, as messages name it: 'smtp_host' -> MOEDEPLAN_SMTP_HOST."""
    if setting not in CalendarSettings.model_fields:
        raise KeyError(f"no calendar setting '{setting}'")
    return f"{CalendarSettings.model_config.get('env_prefix', '')}{setting}".upper()
