"""The first-fit BAL rollout (by hand): list order, first round, first facilitator with hours left,
groups filled in order; it keeps every hard rule (the verifier says so); and the bench's figures
judge any rollout the same way."""

from __future__ import annotations

from pathlib import Path

from bench.bal import INSTANCES, figures, joint_table, rollouts, table
from bench.bal_baseline import first_fit_rollout
from scheduler.config import config_from_data, load_config
from scheduler.model import BalRollout, MunicipalityConfig
from scheduler.verify_rollout import verify_rollout
from tests.builders import (
    bal_facilitator,
    bal_team,
    conference_in_the_way_data,
    rollout_config,
    wasteful_order_teams,
)


def verified(config: MunicipalityConfig) -> BalRollout:
    rollout = first_fit_rollout(config)
    assert verify_rollout(config, rollout) == []
    return rollout


def placed(rollout: BalRollout) -> list[tuple[str, int, str, int]]:
    return [(a.team, a.round, a.facilitator, a.course_group) for a in rollout.assignments]


def test_list_order_first_round_with_hours_left() -> None:
    # one facilitator, 600 minutes a round: 220 + 220, then 220 + 340, then 340, 340
    rollout = verified(rollout_config(wasteful_order_teams()))
    assert [(team, number) for team, number, _, _ in placed(rollout)] == [
        ("nord-1", 1),
        ("nord-2", 1),
        ("nord-3", 2),
        ("syd-1", 2),
        ("syd-2", 3),
        ("syd-3", 4),
    ]
    assert rollout.rounds_used == 4
    assert rollout.facilitator_hours == {"psykolog-a": [1.83, 2.33, 1.42, 1.42]}


def test_the_first_facilitator_in_the_list_fills_first() -> None:
    teams = [bal_team(f"nord-{k}") for k in range(1, 5)]
    config = rollout_config(teams, [bal_facilitator("psykolog-a"), bal_facilitator("psykolog-b")])
    assert [(f, n) for _, n, f, _ in placed(verified(config))] == [
        ("psykolog-a", 1),
        ("psykolog-a", 1),
        ("psykolog-b", 1),
        ("psykolog-b", 1),
    ]


def test_groups_are_filled_in_order_and_leaders_come_first_in_a_group_of_their_own() -> None:
    teams = [
        bal_team("nord-1", size=12),
        bal_team("nord-2", size=12),
        bal_team("nord-3", size=5),
        bal_team("ledere", "solsikken", size=6, leaders=True),
    ]
    config = rollout_config(
        teams, [bal_facilitator("psykolog-a", 10.0)], course={"capacity": 20, "sites": ["skolen"]}
    )
    # the leaders first (group 1); 12 opens group 2, the next 12 does not fit and opens group 3,
    # where the 5 joins: filled in order, not packed (12 + 5 would have fitted group 2)
    assert placed(verified(config)) == [  # in the list's order
        ("nord-1", 1, "psykolog-a", 2),
        ("nord-2", 1, "psykolog-a", 3),
        ("nord-3", 1, "psykolog-a", 3),
        ("ledere", 1, "psykolog-a", 1),
    ]


def test_the_institution_cap_and_the_course_groups_push_teams_to_later_rounds() -> None:
    teams = [bal_team(f"nord-{k}", size=10) for k in range(1, 5)] + [bal_team("sol-1", "solsikken", size=25)]
    config = rollout_config(
        teams,
        [bal_facilitator("psykolog-a", 10.0)],
        course={"capacity": 30, "sites": ["skolen"], "max_groups": 1},
        priorities={"max_teams_per_institution": 2},
    )
    rounds = [(team, number) for team, number, _, _ in placed(verified(config))]
    assert rounds == [("nord-1", 1), ("nord-2", 1), ("nord-3", 2), ("nord-4", 2), ("sol-1", 3)]


def test_a_team_that_fits_no_round_waits() -> None:
    config = rollout_config(
        [bal_team("nord-1"), bal_team("syd-1", "sydskolen")], [bal_facilitator(hours=1.0)]
    )
    rollout = verified(config)  # 240 minutes a round: the Sydskolen team needs 340
    assert rollout.waiting == ["syd-1"]
    assert [a.team for a in rollout.assignments] == ["nord-1"]


def test_figures_judge_a_rollout() -> None:
    config = rollout_config(wasteful_order_teams())
    judged = figures(config, first_fit_rollout(config))
    assert judged.rounds == 4
    assert judged.waiting == 0
    assert judged.teams_per_round == [2, 2, 1, 1]
    assert round(judged.load_max, 2) == 1.75  # (3 × 220 + 3 × 340) minutes over 4 rounds of 4 weeks
    assert judged.load_ratio == 1.0
    assert judged.institutions_max == 2
    assert judged.travel_minutes == 3 * 2 * 20 + 3 * 2 * 80  # two analyses, a round trip each
    assert judged.problems == 0


def test_the_table_puts_first_fit_beside_the_solver(tmp_path: Path) -> None:
    config = load_config(INSTANCES[1])
    hand, ours, seconds = rollouts(config, time_limit=1, seed=0)
    lines = table(INSTANCES[1], config, hand, ours, seconds, seed=0)
    assert lines[0].startswith("bench/instances/lilleby-bal.yaml: ")
    assert lines[1].split() == ["first", "fit", "|", "moedeplan"]
    rows = {line[:36].strip(): line[36:] for line in lines[2:]}
    assert set(rows) == {
        "rounds until all through",
        "teams per round",
        "load max / mean h a week",
        "load max/mean",
        "institutions per facilitator, max",
        "travel minutes",
        "verifier problems",
    }
    assert rows["verifier problems"].split() == ["0", "|", "0"]


def test_the_joint_figures_put_the_term_without_bal_beside_each_rollouts_round(tmp_path: Path) -> None:
    """`conference_in_the_way_data`: team 1's analyses need two of Psykolog A's conference times."""
    config = config_from_data(conference_in_the_way_data())
    hand, ours, _ = rollouts(config, time_limit=1, seed=0)
    lines = joint_table(tmp_path / "c.yaml", config, hand, ours, limit=2, seeds=2)
    assert lines[0].startswith(f"{tmp_path / 'c.yaml'}: Efterår (round 1) planned without BAL and with")
    assert lines[1].split() == ["without", "BAL", "first", "fit", "moedeplan"]
    rows = {line[:40].strip(): line[40:].split() for line in lines[2:]}
    assert rows["BAL fitted in (or no plan: status)"] == ["–", "least_change", "least_change"]
    assert rows["structure's meetings moved"] == ["0", "2", "2"]  # both seeds agree: one value
    assert rows["BAL meetings placed"] == ["0", "3", "3"]
    assert rows["structure same weekday and start %"] == ["100", "50", "50"]
    assert rows["busiest facilitator min a week"] == ["120", "165", "165"]
    assert rows["hard violations (judge)"] == ["0", "0", "0"]
