"""One back-end is one module: it owns its typed settings (under the same MOEDEPLAN_ names as
before), and free/busy is an optional capability of the interface. That no back-end imports
another is checked with every other import rule in tests/test_architecture.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from calendar_sync.backends.base import BusyUnsupported, backend_class, known_backends, load_backend
from calendar_sync.freebusy import reader_for
from calendar_sync.settings import CalendarSettings, env_name
from scheduler.term_dates import TZ

# Every environment variable CalendarSettings read before each back-end owned its settings (and
# the README documents): each must still configure the same back-end.
NAMES = {
    "ics": {"ics_directory"},
    "email": {
        "smtp_host",
        "smtp_port",
        "smtp_starttls",
        "smtp_username",
        "smtp_password",
        "smtp_sender",
        "smtp_timeout",
    },
    "caldav": {"caldav_url", "caldav_username", "caldav_password", "caldav_calendar_path"},
    "exchange_ews": {
        "ews_url",
        "ews_auth",
        "ews_username",
        "ews_password",
        "ews_client_id",
        "ews_client_secret",
        "ews_tenant_id",
        "ews_access_type",
        "ews_version",
        "ews_service_mailbox",
        "ews_timeout",
        "exchange_retries",
        "exchange_max_backoff",
    },
    "exchange_graph": {
        "graph_tenant_id",
        "graph_client_id",
        "graph_client_secret",
        "graph_authority",
        "graph_url",
        "graph_service_mailbox",
        "graph_timeout",
        "graph_ca_bundle",
        "exchange_retries",
        "exchange_max_backoff",
    },
}


def test_each_back_end_owns_the_settings_it_always_had() -> None:
    assert set(known_backends()) == set(NAMES)
    assert set(CalendarSettings.model_fields) == {"calendar_backend", "ledger_path"}
    for name, fields in NAMES.items():
        assert set(backend_class(name).settings_class.model_fields) == fields, name


@pytest.mark.parametrize(
    ("backend", "variable", "value", "option", "expected"),
    [
        ("ics", "MOEDEPLAN_ICS_DIRECTORY", "/srv/kalendere", "directory", "/srv/kalendere"),
        ("email", "MOEDEPLAN_SMTP_PORT", "2525", "port", 2525),
        ("email", "MOEDEPLAN_SMTP_PASSWORD", "smtp-hemmelighed", "password", "smtp-hemmelighed"),
        ("caldav", "MOEDEPLAN_CALDAV_CALENDAR_PATH", "/{email}/m/", "calendar_path", "/{email}/m/"),
        ("exchange_ews", "MOEDEPLAN_EXCHANGE_RETRIES", "7", "busy_retries", 7),
        (
            "exchange_ews",
            "MOEDEPLAN_EWS_CLIENT_SECRET",
            "ews-hemmelighed",
            "client_secret",
            "ews-hemmelighed",
        ),
        ("exchange_graph", "MOEDEPLAN_GRAPH_CA_BUNDLE", "/etc/ca.pem", "verify", "/etc/ca.pem"),
        ("exchange_graph", "MOEDEPLAN_EXCHANGE_MAX_BACKOFF", "5", "max_backoff", 5.0),
    ],
)
def test_the_environment_configures_its_back_end(
    monkeypatch: pytest.MonkeyPatch, backend: str, variable: str, value: str, option: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    settings = CalendarSettings()
    assert settings.backend_settings(backend)[option] == expected
    assert value not in repr(settings) + str(settings)


def test_keywords_win_over_the_environment_and_secrets_stay_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOEDEPLAN_SMTP_HOST", "mail.ballerup.example")
    monkeypatch.setenv("MOEDEPLAN_SMTP_USERNAME", "moedeplan")
    settings = CalendarSettings(smtp_host="127.0.0.1", smtp_password="kodeord-i-kode")
    options = settings.backend_settings("email")
    assert (options["host"], options["username"], options["password"]) == (
        "127.0.0.1",
        "moedeplan",
        "kodeord-i-kode",
    )
    assert "kodeord-i-kode" not in repr(settings) + str(settings)
    assert settings.backend_settings("ics") == {"directory": "out/calendars"}


def test_a_bad_setting_of_the_chosen_back_end_stops_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOEDEPLAN_CALENDAR_BACKEND", "email")
    monkeypatch.setenv("MOEDEPLAN_SMTP_TIMEOUT", "0")
    with pytest.raises(ValueError, match="smtp_timeout"):
        CalendarSettings()


def test_env_name_names_a_back_ends_setting() -> None:
    assert env_name("ledger_path") == "MOEDEPLAN_LEDGER_PATH"
    assert env_name("smtp_host", backend_class("email").settings_class) == "MOEDEPLAN_SMTP_HOST"
    with pytest.raises(KeyError):
        env_name("smtp_host")


def test_free_busy_is_an_optional_capability(tmp_path: Path) -> None:
    assert [name for name in known_backends() if backend_class(name).supports_busy] == [
        "exchange_ews",
        "exchange_graph",
    ]
    ics = load_backend("ics", {"directory": str(tmp_path)})
    moment = datetime(2027, 3, 1, tzinfo=TZ)
    with pytest.raises(BusyUnsupported, match="kalender-back-enden 'ics'"):
        ics.busy(["a@ballerup.example"], moment, moment)
    refusal = "kun læses fra exchange_ews eller exchange_graph, ikke fra kalender-back-enden 'email'"
    with pytest.raises(BusyUnsupported, match=refusal):
        reader_for("email", CalendarSettings())
