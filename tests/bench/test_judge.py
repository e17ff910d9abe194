"""The benchmark's judge, figure by figure, on hand-built plans with known values."""

from __future__ import annotations

from datetime import date, timedelta

from bench.baseline import first_fit_plan
from bench.judge import judge
from scheduler.model import Attendee, Meeting, MunicipalityConfig, PlanStatus
from tests.builders import EFTERAAR_START, hand_plan, person, series, series_meeting, small_config

MONDAYS = [EFTERAAR_START + timedelta(weeks=k) for k in range(4)]
TUESDAY = timedelta(days=1)
THURSDAY = timedelta(days=3)


def _weekly(**extra: object) -> MunicipalityConfig:
    return small_config(series=[series("a", chair="leder", **extra)])


def test_a_whole_plan_on_one_pattern() -> None:
    config = _weekly()
    figures = judge(config, hand_plan("efteraar", *(series_meeting("a", k, MONDAYS[k]) for k in range(4))))
    assert (figures.placed, figures.expected, figures.hard_violations) == (4, 4, 0)
    assert figures.complete
    assert figures.regularity_pct == 100.0
    assert figures.travel_minutes == 0
    assert figures.preferred_weekday_pct is None and figures.preferred_start_pct is None
    assert figures.gap_pct is None


def test_one_meeting_off_the_pattern_is_a_quarter_irregular() -> None:
    config = _weekly()
    days = [MONDAYS[0], MONDAYS[1] + TUESDAY, MONDAYS[2], MONDAYS[3]]
    figures = judge(config, hand_plan("efteraar", *(series_meeting("a", k, d) for k, d in enumerate(days))))
    assert figures.regularity_pct == 75.0
    assert figures.hard_violations == 0


def test_a_missing_meeting_is_not_placed_and_a_hard_violation() -> None:
    config = _weekly()
    figures = judge(config, hand_plan("efteraar", *(series_meeting("a", k, MONDAYS[k]) for k in range(3))))
    assert (figures.placed, figures.expected) == (3, 4)
    assert figures.hard_violations == 1  # the verifier: period 3 has no meeting
    assert not figures.complete


def test_preferred_weekday_and_start_shares() -> None:
    config = _weekly(preferred_weekdays=["thu"], preferred_starts=["13:00"])
    meetings = [
        series_meeting("a", 0, MONDAYS[0] + THURSDAY),
        series_meeting("a", 1, MONDAYS[1] + THURSDAY, minute=14 * 60),
        series_meeting("a", 2, MONDAYS[2] + THURSDAY),
        series_meeting("a", 3, MONDAYS[3]),
    ]
    figures = judge(config, hand_plan("efteraar", *meetings))
    assert figures.preferred_weekday_pct == 75.0
    assert figures.preferred_start_pct == 75.0


def _at_huset(sid: str, occurrence: int, day: date, minute: int) -> Meeting:
    return series_meeting(sid, occurrence, day, minute, unit="solsikken", site="huset", minutes=60)


def test_travel_minutes_of_a_person_between_two_sites() -> None:
    """The leader meets at skolen 08:00-10:00 and at huset 10:30 on the first Monday: one trip
    of 20 minutes; the other Mondays each meeting stands alone."""
    config = small_config(
        travel={"pairs": [{"sites": ["skolen", "huset"], "minutes": 20}]},
        series=[
            series("a", chair="leder"),
            series("b", unit="solsikken", chair="leder", duration_minutes=60),
        ],
    )
    meetings = [series_meeting("a", k, MONDAYS[k], minute=8 * 60) for k in range(4)]
    meetings += [_at_huset("b", 0, MONDAYS[0], 10 * 60 + 30)]
    meetings += [_at_huset("b", k, MONDAYS[k] + TUESDAY, 10 * 60 + 30) for k in range(1, 4)]
    figures = judge(config, hand_plan("efteraar", *meetings))
    assert figures.hard_violations == 0
    assert figures.travel_minutes == 20


def _with_psychologist(meeting: Meeting, pid: str) -> Meeting:
    seat = Attendee(person=pid, role="psykolog", required=True, seat="required_roles[0]")
    return meeting.model_copy(update={"attendees": [*meeting.attendees, seat]})


def _psychologist_config(hours_b: float = 37) -> MunicipalityConfig:
    return small_config(
        staff=[
            person("leder"),
            person("psykolog-a", "psykolog"),
            person("psykolog-b", "psykolog", weekly_hours=hours_b),
        ],
        series=[series("a", chair="leder", required_roles=[{"role": "psykolog"}])],
    )


def test_continuity_and_worst_load_of_a_seat_shared_three_to_one() -> None:
    """A holds the seat three times, B once: continuity 75 %; loads 360 and 120 minutes, mean
    240, so the busiest carries 1.5 times the mean."""
    holders = ["psykolog-a", "psykolog-a", "psykolog-b", "psykolog-a"]
    meetings = [_with_psychologist(series_meeting("a", k, MONDAYS[k]), p) for k, p in enumerate(holders)]
    figures = judge(_psychologist_config(), hand_plan("efteraar", *meetings))
    assert figures.hard_violations == 0
    assert figures.continuity_pct == 75.0
    assert figures.worst_load_ratio == 1.5


def test_load_is_scaled_by_weekly_hours() -> None:
    """B works half time: one meeting of B weighs as two of A's, so two to A and one to B is even."""
    holders = ["psykolog-a", "psykolog-b", "psykolog-a"]
    days = MONDAYS[:3]
    meetings = [_with_psychologist(series_meeting("a", k, days[k]), p) for k, p in enumerate(holders)]
    figures = judge(_psychologist_config(hours_b=18.5), hand_plan("efteraar", *meetings))
    assert figures.worst_load_ratio == 1.0


def test_gap_comes_from_the_solver_bound_only() -> None:
    config = _weekly()
    meetings = [series_meeting("a", k, MONDAYS[k]) for k in range(4)]
    feasible = hand_plan("efteraar", *meetings).model_copy(update={"objective": 100.0, "best_bound": 90.0})
    assert judge(config, feasible).gap_pct == 10.0
    optimal = feasible.model_copy(update={"status": PlanStatus.OPTIMAL})
    assert judge(config, optimal).gap_pct == 0.0
    assert judge(config, first_fit_plan(config, "efteraar")).gap_pct is None


def test_the_baseline_is_judged_like_any_plan() -> None:
    config = _weekly(preferred_weekdays=["wed"])
    figures = judge(config, first_fit_plan(config, "efteraar"))
    assert figures.complete
    assert figures.regularity_pct == 100.0
    assert figures.preferred_weekday_pct == 100.0
