"""BAL invitations through a real SMTP server: a course session goes to the addresses of the teams
in its course group and an analysis to its team's address besides the facilitator, as guests
(never as staff), and only through the privacy guard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from calendar_sync.backends.base import load_backend
from calendar_sync.backends.email import Backend
from calendar_sync.ledger import Ledger
from calendar_sync.privacy import PrivacyError
from calendar_sync.publish import prepare
from calendar_sync.sync import sync
from scheduler.bal_series import with_bal
from scheduler.model import MunicipalityConfig, Plan, SeriesType
from tests.builders import bal_config, bal_data, bal_rollout, person, solved_and_verified
from tests.fakes.smtp import SmtpServer

pytestmark = pytest.mark.solve

TEAM_1 = "team1@nordskolen.example"
TEAM_2 = "team2@solsikken.example"


def teams(**emails: str) -> list[dict[str, Any]]:
    """`bal_data`'s two teams, with these addresses (team id -> address)."""
    out = bal_data()["teams"]
    return [{**team, **({"email": emails[team["id"]]} if team["id"] in emails else {})} for team in out]


def config_with(team_list: list[dict[str, Any]]) -> MunicipalityConfig:
    staff = [
        person("leder", email="leder@ballerup.example"),
        person(
            "psykolog-a", "psykolog", name="Psykolog A", email="a@ballerup.example", max_meetings_per_day=1
        ),
        person("psykolog-b", "psykolog", name="Psykolog B", email="b@ballerup.example"),
    ]
    return with_bal(bal_config(staff=staff, bal=bal_data(teams=team_list)), bal_rollout("team-1", "team-2"))


@pytest.fixture
def backend(smtp_server: SmtpServer) -> Iterator[Backend]:
    settings = {"host": smtp_server.host, "port": smtp_server.port, "starttls": False}
    loaded = load_backend(
        "email", {**settings, "sender": "Mødeplan <moedeplan@ballerup.example>", "timeout": 5}
    )
    assert isinstance(loaded, Backend)
    try:
        yield loaded
    finally:
        loaded.close()


def publish(config: MunicipalityConfig, plan: Plan, backend: Backend, tmp_path: Path) -> None:
    """What `calendar_sync.publish.publish` does: the guarded items and recipients, then sync."""
    items, guard, recipients = prepare(config, plan)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        assert sync(items, recipients, backend, ledger, guard=guard, scope=plan.term).ok


def events(messages: list[Any]) -> list[Any]:
    found = []
    for received in messages:
        for part in received.message.walk():
            if part.get_content_type() == "text/calendar":
                found += Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    return found


def kinds(config: MunicipalityConfig) -> dict[str, SeriesType]:
    return {s.id: s.type for s in config.series}


def test_course_sessions_go_to_every_team_of_the_group_and_analyses_to_their_own_team(
    smtp_server: SmtpServer, backend: Backend, tmp_path: Path
) -> None:
    config = config_with(teams(**{"team-1": TEAM_1, "team-2": TEAM_2}))
    plan = solved_and_verified(config)
    course = [m for m in plan.meetings if kinds(config)[m.series] == SeriesType.bal_kursus]
    assert len(course) == 1
    assert [(g.name, g.email, g.team) for g in course[0].guests] == [
        ("team Nordskolen, team 1", TEAM_1, "team-1"),
        ("team Solsikken, team 1", TEAM_2, "team-2"),
    ]
    assert all(a.person in ("leder", "psykolog-a", "psykolog-b") for m in plan.meetings for a in m.attendees)

    publish(config, plan, backend, tmp_path)

    to_team_1 = events(smtp_server.messages_to(TEAM_1))
    to_team_2 = events(smtp_server.messages_to(TEAM_2))
    assert sorted(str(e["SUMMARY"]) for e in to_team_1) == [
        "BAL-analyse: Nordskolen, team 1",
        "BAL-analyse: Nordskolen, team 1",
        "BAL-kursus, runde 1, hold 1",
    ]
    assert sorted(str(e["SUMMARY"]) for e in to_team_2) == [
        "BAL-analyse: Solsikken, team 1",
        "BAL-analyse: Solsikken, team 1",
        "BAL-kursus, runde 1, hold 1",
    ]
    analysis = next(e for e in to_team_1 if str(e["SUMMARY"]).startswith("BAL-analyse"))
    addresses = {str(a).lower() for a in analysis.get("ATTENDEE")} | {str(analysis["ORGANIZER"]).lower()}
    assert f"mailto:{TEAM_1}" in addresses and f"mailto:{TEAM_2}" not in addresses
    assert "team Nordskolen, team 1 (gæst)" in str(analysis["DESCRIPTION"])
    # the facilitator gets the analyses too, as staff
    facilitator = events(smtp_server.messages_to("a@ballerup.example"))
    assert sum(str(e["SUMMARY"]).startswith("BAL-analyse") for e in facilitator) == 4


def test_a_team_without_an_address_gets_nothing_and_the_rest_still_goes(
    smtp_server: SmtpServer, backend: Backend, tmp_path: Path
) -> None:
    config = config_with(teams(**{"team-1": TEAM_1}))
    publish(config, solved_and_verified(config), backend, tmp_path)
    assert len(events(smtp_server.messages_to(TEAM_1))) == 3
    assert smtp_server.messages_to(TEAM_2) == []
    assert {r for m in smtp_server.messages for r in m.rcpt_tos} <= {
        TEAM_1,
        "a@ballerup.example",
        "leder@ballerup.example",
    }


def test_a_team_label_with_a_cpr_number_stops_the_whole_publish(
    smtp_server: SmtpServer, backend: Backend, tmp_path: Path
) -> None:
    leaky = teams(**{"team-1": TEAM_1})
    leaky[0]["name"] = "Nordskolen, team om 010190-1234"
    config = config_with(leaky)
    plan = solved_and_verified(config)
    with pytest.raises(PrivacyError):
        publish(config, plan, backend, tmp_path)
    assert smtp_server.messages == []
