"""The hand-planning baseline: its plans keep every hard rule (the verifier says so), place what
obviously fits, are the same every time, and plan the way a leader would."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from bench.baseline import NO_TIME_DA, first_fit_plan, series_order
from bench.catalogue import EXAMPLE, TERM
from bench.generate import scale_config
from scheduler.config import config_from_data, load_config
from scheduler.model import Meeting, MunicipalityConfig, PlanStatus
from scheduler.term_dates import TZ
from scheduler.verify import format_violations, verify_plan
from tests.builders import EFTERAAR_START, person, series, small_config, small_config_data, term, unit

MONDAYS = [EFTERAAR_START + timedelta(weeks=k) for k in range(4)]
"""the four Mondays of `term()`"""


def _verified(config: MunicipalityConfig, term: str = "efteraar") -> list[Meeting]:
    plan = first_fit_plan(config, term)
    violations = verify_plan(config, plan)
    assert violations == [], format_violations(violations)
    return plan.meetings


def _local(meeting: Meeting) -> tuple[date, str]:
    start = meeting.start.astimezone(TZ)
    return start.date(), start.strftime("%a %H:%M")


def _of(meetings: list[Meeting], sid: str) -> list[Meeting]:
    return [m for m in meetings if m.series == sid]


def test_the_example_is_planned_whole_and_verifies() -> None:
    config = load_config(EXAMPLE)
    plan = first_fit_plan(config, TERM)
    assert verify_plan(config, plan) == []
    assert plan.status == PlanStatus.FEASIBLE and plan.unplaced == []
    assert len(plan.meetings) > 250
    assert plan.stats is not None and plan.stats.regularity_pct > 90


def test_a_scaled_copy_verifies() -> None:
    config = scale_config(load_config(EXAMPLE), 2)
    plan = first_fit_plan(config, TERM)
    assert verify_plan(config, plan) == []
    assert plan.unplaced == []


def test_the_same_config_gives_the_same_plan() -> None:
    config = load_config(EXAMPLE)
    assert first_fit_plan(config, TERM).model_dump() == first_fit_plan(config, TERM).model_dump()


def test_every_meeting_of_a_small_config_is_placed_without_clashes() -> None:
    config = small_config(
        series=[
            series("a", chair="leder"),
            series("b", chair="leder"),
            series("c", unit="solsikken", chair="leder", cadence="fortnightly"),
        ]
    )
    meetings = _verified(config)
    assert Counter(m.series for m in meetings) == {"a": 4, "b": 4, "c": 2}


def test_preferred_weekdays_and_starts_come_first() -> None:
    config = small_config(
        series=[series("a", chair="leder", preferred_weekdays=["thu"], preferred_starts=["14:00"])]
    )
    assert {_local(m)[1] for m in _verified(config)} == {"Thu 14:00"}


def test_the_pattern_is_the_one_that_fits_the_most_periods() -> None:
    """Monday 08:00 comes first, but the leader is away the second Monday: Tuesday 08:00 fits all four."""
    away = {"start": MONDAYS[1].isoformat(), "end": MONDAYS[1].isoformat()}
    config = small_config(staff=[person("leder", absences=[away])], series=[series("a", chair="leder")])
    assert {_local(m)[1] for m in _verified(config)} == {"Tue 08:00"}


def test_a_meeting_off_the_pattern_takes_the_first_free_time_of_its_period() -> None:
    """Mondays 08:00-12:00 only: the leader is away the second Monday until 10:00 and the third
    from 10:00, so 08:00 and 10:00 each fit three weeks; the first (08:00) is kept and the second
    week's meeting takes its first free start."""
    away = [
        {"start": MONDAYS[1].isoformat(), "end": MONDAYS[1].isoformat(), "time": "08:00-10:00"},
        {"start": MONDAYS[2].isoformat(), "end": MONDAYS[2].isoformat(), "time": "10:00-12:00"},
    ]
    config = small_config(
        staff=[person("leder", absences=away)],
        series=[series("a", chair="leder", weekdays=["mon"], window="08:00-12:00")],
    )
    times = [_local(m) for m in _verified(config)]
    assert times == [
        (MONDAYS[0], "Mon 08:00"),
        (MONDAYS[1], "Mon 10:00"),
        (MONDAYS[2], "Mon 08:00"),
        (MONDAYS[3], "Mon 08:00"),
    ]


def test_a_seat_keeps_its_holder_where_they_are_free() -> None:
    """Psykolog A is first in the pool but away the first week: B takes the seat then, and keeps it."""
    first_week = {"start": MONDAYS[0].isoformat(), "end": (MONDAYS[0] + timedelta(days=4)).isoformat()}
    config = small_config(
        staff=[
            person("leder"),
            person("psykolog-a", "psykolog", absences=[first_week]),
            person("psykolog-b", "psykolog"),
        ],
        series=[series("a", chair="leder", required_roles=[{"role": "psykolog"}])],
    )
    holders = [a.person for m in _verified(config) for a in m.attendees if a.seat == "required_roles[0]"]
    assert holders == ["psykolog-b"] * 4


def test_travel_and_rooms_are_kept() -> None:
    """Two series at one site with one room, and a third elsewhere for the same leader, 30 minutes
    away: none overlaps, and the leader has the trip between sites."""
    data = small_config_data(
        travel={"default_minutes": 30},
        staff=[person("leder"), person("leder-2")],
        series=[
            series("a", chair="leder", window="08:00-10:00", duration_minutes=60),
            series("b", chair="leder-2", window="08:00-10:00", duration_minutes=60),
            series("c", unit="solsikken", chair="leder", window="08:00-12:00", duration_minutes=60),
        ],
    )
    meetings = _verified(config_from_data(data))
    a, b, c = (_of(meetings, s)[0] for s in "abc")
    assert a.end <= b.start  # one room: b after a
    assert c.start >= a.end + timedelta(minutes=30)  # the trip from skolen to huset


def test_a_weekly_ceiling_leaves_a_series_out_with_a_reason() -> None:
    config = small_config(
        staff=[person("leder", max_meetings_per_week=1)],
        series=[series("a", chair="leder"), series("b", chair="leder")],
    )
    plan = first_fit_plan(config, "efteraar")
    assert verify_plan(config, plan) == []
    assert plan.status == PlanStatus.PARTIAL
    assert {m.series for m in plan.meetings} == {"a"}
    assert [u.series for u in plan.unplaced] == ["b"] * 4
    assert all(NO_TIME_DA in u.reason_da[0] for u in plan.unplaced)


def test_districts_are_planned_in_config_order_and_units_without_one_last() -> None:
    data: dict[str, Any] = small_config_data(
        districts=[{"id": "nord", "name": "Nord"}, {"id": "syd", "name": "Syd"}],
        units=[
            unit("sydskolen", "Sydskolen", "skole", "skolen", district="syd"),
            {"id": "ppr", "name": "PPR", "kind": "ppr", "sites": ["huset"]},
            unit("nordskolen", "Nordskolen", "skole", "skolen"),
        ],
        series=[
            series("ppr-moede", unit="ppr", chair="leder"),
            series("syd", unit="sydskolen", chair="leder"),
            series("nord", unit="nordskolen", chair="leder"),
        ],
    )
    config = config_from_data(data)
    assert [s.id for s in series_order(config, config.terms[0])] == ["nord", "syd", "ppr-moede"]
    meetings = _verified(config)
    first = {sid: _local(_of(meetings, sid)[0])[1] for sid in ("nord", "syd", "ppr-moede")}
    assert first["nord"] == "Mon 08:00"  # the first district gets the first time


def test_rooms_commitments_cadences_and_substitutes_are_kept() -> None:
    """Named rooms (one too small for a meeting of three, one taken by a commitment on Mondays),
    a series' own room, alternating sites, monthly, per-term and daily cadences, a maximum gap,
    an autumn holiday and a substitute: whatever the baseline places, the verifier passes, and
    what it leaves out is listed as unplaced."""
    data = small_config_data(
        sites=[
            {"id": "skolen", "name": "Nordskolen", "rooms": [{"id": "r1", "capacity": 2}, {"id": "r2"}]},
            {"id": "huset", "name": "Huset", "rooms": 1},
        ],
        units=[
            unit("nordskolen", "Nordskolen", "skole", "skolen", "huset"),
            unit("solsikken", "Solsikken", "dagtilbud", "huset"),
        ],
        staff=[
            person(
                "leder",
                commitments=[
                    {"title": "Team", "weekday": "mon", "time": "08:00-10:00", "site": "skolen", "room": "r2"}
                ],
            ),
            person("b", absences=[{"start": "2027-09-13", "end": "2027-09-17", "substitute": "c"}]),
            person("c"),
            person("d"),
        ],
        series=[
            series("big", chair="leder", required_people=["b", "c"], weekdays=["mon"], window="08:00-12:00"),
            series("alt", chair="b", sites=["skolen", "huset"]),
            series("month", chair="c", cadence="monthly"),
            series("twice", chair="d", cadence={"kind": "per_term", "count": 2}),
            series("daily", chair="d", cadence="daily", duration_minutes=30, window="08:00-09:00"),
            series("own-room", chair="c", room="r1", cadence="fortnightly"),
            series("gap", chair="b", cadence={"kind": "weekly", "max_gap_days": 7}),
        ],
        terms=[term(school_holidays=[{"name": "Efterårsferie", "start": "2027-09-20", "end": "2027-09-24"}])],
    )
    config = config_from_data(data)
    plan = first_fit_plan(config, "efteraar")
    assert verify_plan(config, plan) == [], format_violations(verify_plan(config, plan))
    big = _of(plan.meetings, "big")
    assert big and all(m.room == "r2" and _local(m)[1] >= "Mon 10:00" for m in big)
    assert {m.site for m in _of(plan.meetings, "alt")} == {"skolen", "huset"}
    # b is away the second week: c chairs b's series then, but cannot also take b's seat beside their own
    chairs = {_local(m)[0]: m.attendees[0].person for m in _of(plan.meetings, "alt")}
    assert [chairs[d] for d in sorted(chairs)] == ["b", "c", "b"]
    assert [(u.series, u.period_start) for u in plan.unplaced if u.series == "big"] == [("big", MONDAYS[1])]


def test_optional_people_come_where_they_are_free() -> None:
    away = {"start": MONDAYS[1].isoformat(), "end": (MONDAYS[1] + timedelta(days=4)).isoformat()}
    config = small_config(
        staff=[person("leder"), person("gaest", absences=[away])],
        series=[series("a", chair="leder", optional_people=["gaest"])],
    )
    guests = [[a.person for a in m.attendees if not a.required] for m in _verified(config)]
    assert guests == [["gaest"], [], ["gaest"], ["gaest"]]
