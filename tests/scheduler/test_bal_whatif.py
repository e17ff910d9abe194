"""The BAL what-if (`scheduler.bal_whatif`): teams through per round for each number of
facilitators, and what a round costs the meeting structure (meetings moved, regularity, the
busiest facilitator's minutes a week), from two verified plans of the term."""

from __future__ import annotations

from scheduler.bal_series import with_bal
from scheduler.bal_whatif import StructureCost, WhatIfOptions, WhatIfRow, what_if
from scheduler.config import config_from_data
from scheduler.model import MunicipalityConfig
from scheduler.verify import verify_plan
from tests.builders import (
    bal_config,
    bal_data,
    bal_facilitator,
    conference_in_the_way_data,
    rollout_config,
    wasteful_order_teams,
)

QUICK = WhatIfOptions(time_limit=2, workers=1, seed=0)
ROLLOUT_ONLY = WhatIfOptions(time_limit=2, workers=1, seed=0, with_structure_cost=False)


def wasteful(facilitators: int = 3) -> MunicipalityConfig:
    """Six teams (three near, three far) and the first `facilitators` of psykolog-a, -b, -c."""
    return rollout_config(
        wasteful_order_teams(), [bal_facilitator(f"psykolog-{c}") for c in "abc"[:facilitators]]
    )


def cost_of(row: WhatIfRow) -> StructureCost:
    assert row.cost is not None, row.cost_missing_da
    return row.cost


# --------------------------------------------------------------------------- teams through


def test_more_facilitators_never_finish_later() -> None:
    rows = what_if(wasteful(), [1, 2, 3], 2.5, ROLLOUT_ONLY)
    assert [r.facilitators for r in rows] == [1, 2, 3]
    # 600 minutes a round each; a near team takes 220, a far one 340: 2 a round, then 4, then all 6
    assert [r.all_through for r in rows] == [3, 2, 1]
    for fewer, more in zip(rows, rows[1:], strict=False):
        assert all(a <= b for a, b in zip(fewer.through, more.through, strict=True)), (fewer, more)


def test_teams_through_are_cumulative_and_end_at_the_number_of_teams() -> None:
    (row,) = what_if(wasteful(1), [1], 2.5, ROLLOUT_ONLY)
    assert row.through == [2, 4, 6, 6, 6, 6]  # one per round of max_rounds
    assert (row.all_through, row.waiting) == (3, 0)
    assert row.rollout.rounds_used == 3


def test_who_waits_is_counted_and_nobody_is_through_in_the_end() -> None:
    # at one hour a week (240 minutes a round) the Sydskolen teams (340 minutes) never fit
    (row,) = what_if(wasteful(1), [1], 1, ROLLOUT_ONLY)
    assert (row.all_through, row.waiting) == (None, 3)
    assert row.through[-1] == 3 and row.through == sorted(row.through)


def test_the_hours_given_replace_the_facilitators_own() -> None:
    # each facilitator's own 2.5 hours, then 1 hour for all: the far teams wait
    own, one_hour = what_if(wasteful(1), [1], None, ROLLOUT_ONLY), what_if(wasteful(1), [1], 1, ROLLOUT_ONLY)
    assert (own[0].all_through, one_hour[0].waiting) == (3, 3)


def test_no_term_is_planned_without_the_structure_cost() -> None:
    (row,) = what_if(bal_config(), [1], None, ROLLOUT_ONLY)
    assert row.cost is None and row.cost_missing_da is None


# --------------------------------------------------------------------------- the structure's cost


def test_nothing_moves_when_bal_touches_none_of_the_structures_people() -> None:
    """Psykolog B facilitates and sits in no conference. Two solves alone disagree here: the
    conference's four meetings are equally good at 12:30 and 14:00, and the joint solve took the
    other one; kept as it is, BAL fits around it."""
    config = bal_config(bal=bal_data(facilitators=[{"person": "psykolog-b", "hours_per_week": 4}]))
    (row,) = what_if(config, [1], None, QUICK)
    cost = cost_of(row)
    assert (cost.term, cost.round, cost.meetings, cost.moved, cost.left_out, cost.added) == (
        "efteraar",
        1,
        4,
        0,
        0,
        0,
    )
    assert cost.how == "kept"
    assert (cost.bal_meetings, cost.bal_unplaced) == (5, 0)  # one course session, two teams' two analyses
    assert (cost.regularity_before, cost.regularity_after) == (100.0, 100.0)
    # Psykolog B: four analyses of 90 minutes in four weeks, nothing before
    assert (cost.busiest, cost.load_before, cost.load_after) == ("psykolog-b", 0, 90)
    assert verify_plan(with_bal(config, row.rollout), cost.plan) == []


def test_the_facilitators_conference_moves_where_the_analyses_need_its_time() -> None:
    config = config_from_data(conference_in_the_way_data())
    (row,) = what_if(config, [1], None, QUICK)
    cost = cost_of(row)
    assert (cost.meetings, cost.moved, cost.left_out, cost.added, cost.bal_meetings) == (4, 2, 0, 0, 3)
    assert cost.how == "least_change"  # kept as it is, the analyses do not fit; the joint plan moved all 4
    assert (cost.regularity_before, cost.regularity_after) == (100.0, 50.0)
    # Psykolog A: four conferences of two hours, then two analyses of 90 minutes more, in four weeks
    assert (cost.busiest, cost.load_before, cost.load_after) == ("psykolog-a", 120, 165)
    assert verify_plan(with_bal(config, row.rollout), cost.plan) == []
