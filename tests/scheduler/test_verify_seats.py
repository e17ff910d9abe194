"""Issue 14 in the independent verifier: a partial attendee is checked for their part only (and the
part comes from the config, not from what the plan says), and a chair also listed in
required_people is demanded once."""

from __future__ import annotations

from typing import Any

from scheduler.model import Attendee, Meeting, MunicipalityConfig
from scheduler.term_dates import local_datetime
from scheduler.verify import Violation, verify_plan
from tests.builders import (
    CHAIR,
    COUNCIL_DAY,
    ONCE,
    SSP_LAST_45,
    council,
    council_meeting,
    daycare,
    hand_plan,
    person,
    series,
    small_config,
)
from tests.builders import term as efteraar


def config(
    *extra_series: dict[str, Any], staff: list[dict[str, Any]] | None = None, **top: Any
) -> MunicipalityConfig:
    """The council (Tuesday 13:00-15:00 at the school, ssp for the last 45 minutes) and these series."""
    return small_config(
        series=[council(), *extra_series],
        staff=staff or [person("leder"), person("ssp")],
        terms=[efteraar(end="2027-09-10")],
        **top,
    )


def meeting(sid: str, start: int, end: int, *attendees: Attendee, unit: str = "nordskolen") -> Meeting:
    site = {"nordskolen": "skolen", "solsikken": "huset"}[unit]
    return Meeting(
        uid=f"{sid}.efteraar.0@moedeplan",
        series=sid,
        occurrence=0,
        title=sid,
        unit=unit,
        site=site,
        start=local_datetime(COUNCIL_DAY, start),
        end=local_datetime(COUNCIL_DAY, end),
        attendees=list(attendees),
    )


def daycare_meeting(start: int, end: int) -> Meeting:
    ssp = Attendee(person="ssp", role="paedagogisk_leder", required=True, seat="required_people[0]")
    return meeting("dagtilbud", start, end, ssp, unit="solsikken")


def rules(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def test_partial_attendee_free_for_their_part_is_fine() -> None:
    cfg = config(staff=[person("leder"), person("ssp", working_hours={"tue": "14:00-16:00"})])
    assert verify_plan(cfg, hand_plan("efteraar", council_meeting())) == []


def test_partial_attendee_absent_in_their_part_is_a_violation() -> None:
    cfg = config(staff=[person("leder"), person("ssp", working_hours={"tue": "08:00-14:30"})])
    found = verify_plan(cfg, hand_plan("efteraar", council_meeting()))
    assert rules(found) == ["availability"]
    assert "14:15-15:00" in found[0].message


def test_clash_outside_the_part_is_fine() -> None:
    # ssp is at the day-care 13:00-14:00 and joins the council at 14:15: no travel needed here.
    cfg = config(daycare(), travel={"default_minutes": 0})
    assert verify_plan(cfg, hand_plan("efteraar", council_meeting(), daycare_meeting(13 * 60, 14 * 60))) == []


def test_clash_inside_the_part_is_double_booking() -> None:
    cfg = config(daycare(), travel={"default_minutes": 0})
    found = verify_plan(cfg, hand_plan("efteraar", council_meeting(), daycare_meeting(14 * 60, 15 * 60)))
    assert rules(found) == ["no_double_booking"]


def test_travel_counts_from_the_part() -> None:
    # 13:00-14:00 at the day-care, then 15 minutes to the school's 14:15 part; travel takes 20.
    cfg = config(daycare(), travel={"default_minutes": 20})
    found = verify_plan(cfg, hand_plan("efteraar", council_meeting(), daycare_meeting(13 * 60, 14 * 60)))
    assert rules(found) == ["travel_time"]
    cfg = config(daycare(), travel={"default_minutes": 15})
    assert verify_plan(cfg, hand_plan("efteraar", council_meeting(), daycare_meeting(13 * 60, 14 * 60))) == []


def test_part_comes_from_the_config_not_from_the_plan() -> None:
    # The plan claims ssp came for the last 30 minutes only, to dodge a meeting until 14:30: the
    # seat is for the last 45, so the record is wrong and the clash is real.
    claimed = SSP_LAST_45.model_copy(update={"joins_after_minutes": 90})
    plan = hand_plan(
        "efteraar",
        council_meeting(13 * 60, CHAIR, claimed),
        daycare_meeting(13 * 60 + 30, 14 * 60 + 30),
    )
    cfg = config(daycare(), travel={"default_minutes": 0})
    found = verify_plan(cfg, plan)
    assert rules(found) == ["seats", "no_double_booking"]
    assert "står til minut 90-120, men pladsen er til minut 75-120" in found[0].message


def test_whole_seat_recorded_as_partial_is_a_violation() -> None:
    cut = CHAIR.model_copy(update={"joins_after_minutes": 60})
    found = verify_plan(config(), hand_plan("efteraar", council_meeting(13 * 60, cut, SSP_LAST_45)))
    assert rules(found) == ["seats"]
    assert "men pladsen er til hele mødet" in found[0].message


def test_chair_also_in_required_people_is_demanded_once() -> None:
    cfg = small_config(
        series=[series("kk", cadence=ONCE, weekdays=["tue"], chair="leder", required_people=["leder", "p"])],
        staff=[person("leder"), person("p")],
        terms=[efteraar(end="2027-09-10")],
    )
    p = Attendee(person="p", role="paedagogisk_leder", required=True, seat="required_people[1]")
    once = meeting("kk", 13 * 60, 15 * 60, CHAIR, p)
    assert verify_plan(cfg, hand_plan("efteraar", once)) == []
    twice = meeting(
        "kk",
        13 * 60,
        15 * 60,
        CHAIR,
        Attendee(person="leder", role="paedagogisk_leder", required=True, seat="required_people[0]"),
        p,
    )
    assert rules(verify_plan(cfg, hand_plan("efteraar", twice))) == ["seats", "one_seat_per_person"]
