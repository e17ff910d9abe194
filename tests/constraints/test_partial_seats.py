"""Issue 14 in the solver: a partial seat blocks only its part; a chair also listed in
required_people is one seat.

Each test is built so that it fails when the person is treated as there for the whole meeting
(the plan would be infeasible or take another time), and every plan is also checked by the
independent verifier.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from scheduler.model import Meeting, MunicipalityConfig, Plan
from tests.builders import ONCE, council, daycare, person, series, small_config
from tests.builders import solved_and_verified as solved
from tests.builders import term as efteraar


def config(series_list: list[dict[str, Any]], staff: list[dict[str, Any]], **top: Any) -> MunicipalityConfig:
    """Testkommune for one week (Tuesday 7 September 2027 is the only Tuesday), these series and people."""
    return small_config(series=series_list, staff=staff, terms=[efteraar(end="2027-09-10")], **top)


def only(plan: Plan, series_id: str) -> Meeting:
    [meeting] = [m for m in plan.meetings if m.series == series_id]
    return meeting


def test_partial_seat_needs_only_its_part_free() -> None:
    # ssp starts work at 14:00 on Tuesdays: free for 14:15-15:00, not for 13:00-15:00.
    cfg = config([council()], [person("leder"), person("ssp", working_hours={"tue": "14:00-16:00"})])
    meeting = only(solved(cfg), "raad")
    assert meeting.start.time() == time(13, 0)
    [ssp] = [a for a in meeting.attendees if a.person == "ssp"]
    assert (ssp.joins_after_minutes, ssp.leaves_after_minutes) == (75, 120)
    assert meeting.span_of(ssp) == (meeting.start + timedelta(minutes=75), meeting.end)
    chair = next(a for a in meeting.attendees if a.seat == "chair")
    assert (chair.joins_after_minutes, chair.leaves_after_minutes) == (None, None)


def test_partial_seat_may_be_elsewhere_outside_its_part() -> None:
    # ssp also has a one-hour meeting at the day-care, Tuesday 13:00-14:30; no travel between the
    # two sites. Only 13:00-14:00 keeps clear of 14:15-15:00; whole, no start would do.
    other = daycare(window="13:00-14:30")
    cfg = config(
        [council(), other],
        [person("leder"), person("ssp")],
        travel={"default_minutes": 0},
    )
    plan = solved(cfg)
    at_school, at_daycare = only(plan, "raad"), only(plan, "dagtilbud")
    assert at_school.start.date() == at_daycare.start.date()
    assert at_daycare.start.time() == time(13, 0)


def test_partial_seat_travels_from_its_own_departure() -> None:
    # ssp is at the school for the first 30 minutes (13:00-13:30) and then has 20 minutes to the
    # day-care, whose one-hour meeting must lie in 13:30-15:00: 14:00 is the first start.
    cfg = config(
        [council(part="first 30"), daycare(window="13:30-15:00")],
        [person("leder"), person("ssp")],
        travel={"default_minutes": 20},
    )
    plan = solved(cfg)
    a, b = only(plan, "raad"), only(plan, "dagtilbud")
    assert a.start.date() == b.start.date()
    assert b.start.time() == time(14, 0)


def test_partial_seat_in_a_pool() -> None:
    # One of two people for the last 45 minutes: ssp-a cannot (starts at 14:30), ssp-b can.
    cfg = config(
        [
            series(
                "raad",
                cadence=ONCE,
                weekdays=["tue"],
                window="13:00-15:00",
                required_roles=[{"people": ["ssp-a", "ssp-b"], "part": "sidste 45"}],
            )
        ],
        [
            person("leder"),
            person("ssp-a", working_hours={"tue": "14:30-16:00"}),
            person("ssp-b", working_hours={"tue": "14:00-16:00"}),
        ],
    )
    meeting = only(solved(cfg), "raad")
    assert [(a.person, a.joins_after_minutes) for a in meeting.attendees] == [("ssp-b", 75)]


def test_chair_also_in_required_people_is_seated_once() -> None:
    cfg = config(
        [
            series(
                "kk", cadence=ONCE, chair="leder", minute_taker="ref", required_people=["leder", "ref", "p"]
            )
        ],
        [person("leder"), person("ref"), person("p")],
    )
    meeting = only(solved(cfg), "kk")
    assert sorted((a.person, a.seat) for a in meeting.attendees) == [
        ("leder", "chair"),
        ("p", "required_people[2]"),
        ("ref", "minute_taker"),
    ]
