"""The rollout verifier on hand-made rollouts: a sound one passes, each broken one is named in
Danish under its rule's title (no solver involved)."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.model import BalAssignment, BalRollout, MunicipalityConfig, PlanStatus
from scheduler.verify_rollout import verify_rollout
from tests.builders import bal_facilitator, bal_team, rollout_config


def config(**bal: Any) -> MunicipalityConfig:
    """Two Nordskolen teams of 10, a Sydskolen team of 15 and a leader team of 8 at Solsikken;
    psykolog-a and psykolog-b at 2.5 hours a week (600 minutes a round); a course of 40 seats."""
    bal.setdefault("course", {"capacity": 40, "sites": ["skolen"]})
    teams = [
        bal_team("nord-1"),
        bal_team("nord-2"),
        bal_team("syd-1", "sydskolen", size=15),
        bal_team("ledere", "solsikken", size=8, leaders=True),
    ]
    return rollout_config(teams, [bal_facilitator("psykolog-a"), bal_facilitator("psykolog-b")], **bal)


def assign(team: str, round: int = 1, facilitator: str = "psykolog-a", group: int = 1) -> BalAssignment:
    return BalAssignment(
        team=team,
        round=round,
        term="efteraar" if round == 1 else None,
        facilitator=facilitator,
        course_group=group,
    )


def rollout(*assignments: BalAssignment, waiting: list[str] | None = None) -> BalRollout:
    return BalRollout(
        municipality="Testkommune",
        status=PlanStatus.FEASIBLE,
        rounds_used=max((a.round for a in assignments), default=0),
        assignments=list(assignments),
        waiting=waiting or [],
    )


SOUND = (
    assign("ledere", 1, "psykolog-b", 1),  # Solsikken 240 minutes
    assign("nord-1", 1, "psykolog-a", 2),  # Nordskolen 220
    assign("nord-2", 1, "psykolog-a", 2),  # 220: psykolog-a 440 of 600
    assign("syd-1", 1, "psykolog-b", 2),  # Sydskolen 340: psykolog-b 580 of 600; group 2: 35 people
)


def test_a_sound_rollout_passes() -> None:
    assert verify_rollout(config(), rollout(*SOUND)) == []


def test_a_waiting_team_is_fine() -> None:
    assert verify_rollout(config(), rollout(*SOUND[:3], waiting=["syd-1"])) == []


@pytest.mark.parametrize(
    ("assignments", "waiting", "expected"),
    [
        (SOUND[:3], [], "«Hvert team én gang»: «Syd 1» mangler i udrulningen"),
        ((*SOUND, assign("nord-1", 2, "psykolog-b", 1)), [], "«Hvert team én gang»: «Nord 1» er med 2 gange"),
        (SOUND, ["syd-1"], "«Hvert team én gang»: «Syd 1» er både med og venter"),
        ((*SOUND, assign("vest-1")), [], "«Hvert team én gang»: ukendt team 'vest-1' i udrulningen"),
        (
            (*SOUND[:3], assign("syd-1", 1, "psykolog-c", 2)),
            [],
            "«Hvert team én gang»: «Syd 1» har facilitatoren 'psykolog-c', som ikke er facilitator",
        ),
        (
            (*SOUND[:3], assign("syd-1", 7, "psykolog-b", 1)),
            [],
            "«Hvert team én gang»: «Syd 1» er i runde 7, men der er kun 6 runder",
        ),
        (
            (
                *SOUND[:3],
                BalAssignment(
                    team="syd-1", round=2, term="efteraar", facilitator="psykolog-b", course_group=1
                ),
            ),
            [],
            "«Hvert team én gang»: «Syd 1»: runde 2 hører til terminen 'None', ikke 'efteraar'",
        ),
        (
            (*SOUND[:3], assign("syd-1", 1, "psykolog-a", 2)),
            [],
            "«Facilitatorernes timer»: Psykolog A har 3,2 timer om ugen i runde 1 (Efterår), men højst 2,5",
        ),
        (
            (assign("ledere", 2, "psykolog-b", 1), *SOUND[1:]),
            [],
            "«Ledere først»: lederteamet «Ledere» er i runde 2",
        ),
        (
            (assign("ledere", 1, "psykolog-b", 2), *SOUND[1:]),
            [],
            "«Kursusholdenes pladser»: runde 1, hold 2 blander lederteam og andre team: «Ledere», «Nord 1», "
            "«Nord 2» og «Syd 1»",
        ),
    ],
)
def test_each_broken_rollout_is_named(
    assignments: tuple[BalAssignment, ...], waiting: list[str], expected: str
) -> None:
    assert expected in verify_rollout(config(), rollout(*assignments, waiting=waiting))


def test_a_group_over_the_capacity() -> None:
    problems = verify_rollout(config(course={"capacity": 30, "sites": ["skolen"]}), rollout(*SOUND))
    assert problems == [
        "«Kursusholdenes pladser»: runde 1, hold 2 har 35 deltagere, men plads til 30: «Nord 1», «Nord 2» "
        "og «Syd 1»"
    ]


def test_more_groups_than_the_course_has() -> None:
    # without a course of their own the leaders' group is one of the course's groups
    split = (*SOUND[:3], assign("syd-1", 1, "psykolog-b", 3))
    capped = config(course={"capacity": 40, "sites": ["skolen"], "max_groups": 2})
    assert verify_rollout(capped, rollout(*split)) == [
        "«Kursusholdenes pladser»: runde 1 har 3 kursushold, højst 2"
    ]
    assert verify_rollout(capped, rollout(*SOUND)) == []
    assert verify_rollout(config(), rollout(*split)) == []


def test_the_leaders_own_course_has_its_own_capacity() -> None:
    leader_course = {"capacity": 5, "sites": ["skolen"]}
    problems = verify_rollout(config(leader_course=leader_course), rollout(*SOUND))
    assert problems == [
        "«Kursusholdenes pladser»: runde 1, hold 1 har 8 deltagere, men plads til 5: «Ledere»"
    ]


def test_too_many_teams_of_one_institution_at_once() -> None:
    problems = verify_rollout(config(priorities={"max_teams_per_institution": 1}), rollout(*SOUND))
    assert problems == [
        "«Højst N team fra en institution ad gangen»: 2 team fra Nordskolen i runde 1 (Efterår), højst 1"
    ]


def test_leaders_may_come_later_when_the_config_says_so() -> None:
    late = (assign("ledere", 2, "psykolog-b", 1), *SOUND[1:])
    assert verify_rollout(config(priorities={"leaders_first": False}), rollout(*late)) == []
