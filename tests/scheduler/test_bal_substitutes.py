"""Substitutes for an absent BAL facilitator: who already follows a team of the same institution
first, then of the same district, then the rest, each with a Danish reason."""

from __future__ import annotations

from datetime import datetime

from scheduler.bal_series import with_bal
from scheduler.bal_substitutes import bal_substitutes
from scheduler.model import Meeting, MunicipalityConfig
from scheduler.term_dates import TZ
from tests.builders import bal_config, bal_data, bal_rollout, person, unit

TEAMS = [
    {"id": "team-1", "name": "Nordskolen, team 1", "unit": "nordskolen", "size": 6},
    {"id": "team-2", "name": "Nordskolen, team 2", "unit": "nordskolen", "size": 6},
    {"id": "team-3", "name": "Nordskolen, team 3", "unit": "nordskolen", "size": 6},
    {"id": "team-4", "name": "Sydskolen, team 1", "unit": "sydskolen", "size": 6},
    {"id": "team-5", "name": "Solsikken, team 1", "unit": "solsikken", "size": 5},
    {"id": "team-6", "name": "Nordskolen, team 4", "unit": "nordskolen", "size": 6},
]


def config(follows: dict[str, str]) -> MunicipalityConfig:
    """Nordskolen and Sydskolen in Baltorp, Solsikken in Skovlunde; four psychologists (and a
    speech therapist who facilitates too), each following the teams `follows` gives them."""
    staff = [
        person("leder"),
        *(person(f"psykolog-{c}", "psykolog", name=f"Psykolog {c.upper()}") for c in "abcd"),
    ]
    staff.append(person("talepaedagog", "tale_hoerelaerer", name="Tale-hørelærer"))
    facilitators = [
        {"person": p, "hours_per_week": 4}
        for p in ("psykolog-d", "psykolog-c", "psykolog-b", "psykolog-a", "talepaedagog")
    ]
    base = bal_config(
        districts=[{"id": "baltorp", "name": "Baltorp"}, {"id": "skovlunde", "name": "Skovlunde"}],
        sites=[
            {"id": "skolen", "name": "Nordskolen", "rooms": 1},
            {"id": "huset", "name": "Børnehuset", "rooms": 1},
            {"id": "syd", "name": "Sydskolen", "rooms": 1},
        ],
        units=[
            unit("nordskolen", "Nordskolen", "skole", "skolen", district="baltorp"),
            unit("sydskolen", "Sydskolen", "skole", "syd", district="baltorp"),
            unit("solsikken", "Solsikken", "dagtilbud", "huset", district="skovlunde"),
        ],
        staff=staff,
        bal=bal_data(teams=TEAMS, facilitators=facilitators),
    )
    return with_bal(base, bal_rollout(*follows, facilitators=follows))


def analysis(team: str, unit_id: str) -> Meeting:
    start = datetime(2027, 9, 21, 9, 0, tzinfo=TZ)
    return Meeting(
        uid=f"bal-{team}.efteraar.0",
        series=f"bal-{team}",
        occurrence=0,
        title="BAL-analyse",
        unit=unit_id,
        site="skolen",
        start=start,
        end=start.replace(hour=10, minute=30),
        attendees=[],
    )


def test_the_same_institution_first_then_the_district_then_the_rest() -> None:
    follows = {
        "team-1": "psykolog-a",
        "team-2": "psykolog-b",
        "team-3": "psykolog-b",
        "team-4": "psykolog-c",
        "team-5": "psykolog-d",
    }
    ranked = bal_substitutes(config(follows), "psykolog-a", analysis("team-1", "nordskolen"))
    assert [(s.person, s.tier, s.reason_da) for s in ranked] == [
        ("psykolog-b", 0, "følger allerede 2 team på Nordskolen"),
        ("psykolog-c", 1, "følger allerede 1 team i Baltorp"),
        ("psykolog-d", 2, "følger endnu ingen team på Nordskolen eller i distriktet"),
    ]  # the speech therapist shares no role with a psychologist: no substitute


def test_more_teams_at_the_institution_come_first_and_other_meetings_get_none() -> None:
    # Psykolog D comes first in the programme, but Psykolog C follows more teams at Nordskolen
    follows = {"team-1": "psykolog-a", "team-6": "psykolog-d", "team-2": "psykolog-c", "team-3": "psykolog-c"}
    cfg = config(follows)
    ranked = bal_substitutes(cfg, "psykolog-a", analysis("team-1", "nordskolen"))
    assert [s.person for s in ranked] == ["psykolog-c", "psykolog-d", "psykolog-b"]
    assert [s.tier for s in ranked] == [0, 0, 2]
    conference = analysis("team-1", "nordskolen").model_copy(update={"series": "kk"})
    assert bal_substitutes(cfg, "psykolog-a", conference) == []
