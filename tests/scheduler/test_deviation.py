"""A deviation says what differs from the series' usual rhythm, and why when the usual day is closed;
the regularity % counts exactly the meetings that are not deviations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from api.summary import render_summary
from scheduler.deviation import deviations
from scheduler.model import Meeting, MunicipalityConfig
from scheduler.solve import plan_stats
from tests.builders import hand_plan, series, series_meeting, small_config, term

D = date.fromisoformat

HOLIDAY_WEEK = {
    "end": "2027-10-15",  # three fortnights from Monday 6 September
    "school_holidays": [{"name": "Efterårsferie", "start": "2027-09-20", "end": "2027-09-24"}],
}


def _config(cadence: Any, **term_changes: Any) -> MunicipalityConfig:
    return small_config(
        series=[series("kk", cadence=cadence, window="12:00-15:00", chair="leder")],
        terms=[term(**term_changes)],
    )


def _kk(occurrence: int, day: date, minute: int = 13 * 60) -> Meeting:
    return series_meeting("kk", occurrence, day, minute)


def _texts(cfg: MunicipalityConfig, meetings: list[Meeting]) -> list[tuple[str, str]]:
    return [(d.meeting.uid, d.text_da) for d in deviations(cfg, cfg.terms[0], cfg.series[0], meetings)]


def test_another_weekday_and_time_are_named() -> None:
    cfg = _config("weekly")
    meetings = [_kk(0, D("2027-09-07")), _kk(1, D("2027-09-14")), _kk(2, D("2027-09-22"), 13 * 60 + 30)]
    meetings.append(_kk(3, D("2027-09-28")))
    assert _texts(cfg, meetings) == [("kk-2", "onsdag i stedet for tirsdag, kl. 13:30 i stedet for 13:00")]


def test_a_regular_series_has_no_deviations() -> None:
    cfg = _config("weekly")
    assert _texts(cfg, [_kk(k, D("2027-09-07") + timedelta(weeks=k)) for k in range(4)]) == []


def test_a_week_moved_for_a_holiday_says_so() -> None:
    cfg = _config({"kind": "fortnightly", "holiday_shift_days": 7}, **HOLIDAY_WEEK)
    meetings = [_kk(0, D("2027-09-07")), _kk(1, D("2027-09-28")), _kk(2, D("2027-10-05"))]
    assert _texts(cfg, meetings) == [("kk-1", "flyttet en uge pga. efterårsferie")]
    summary = render_summary(cfg, hand_plan("efteraar", *meetings))
    assert "(afvigelser: 28. sep. flyttet en uge pga. efterårsferie)" in summary
    assert "28. sep tirsdag" not in summary  # the old text: the same weekday and time as usual


def test_a_closed_usual_day_names_the_helligdag() -> None:
    # Thursday 6 May 2027 is Kristi himmelfartsdag.
    cfg = _config("weekly", start="2027-04-26", end="2027-05-21")
    days = ["2027-04-29", "2027-05-05", "2027-05-13", "2027-05-20"]
    meetings = [_kk(k, D(day)) for k, day in enumerate(days)]
    assert _texts(cfg, meetings) == [("kk-1", "onsdag i stedet for torsdag pga. Kristi himmelfartsdag")]


def test_skipped_holiday_fortnight_is_not_a_deviation() -> None:
    """The bundled example's '23. feb tirsdag 12:30-14:30': the fortnight after a holiday week was
    held a week off the rhythm and listed with the usual weekday and time. Now the holiday
    fortnight is skipped, the rhythm holds and nothing is listed."""
    cfg = _config("fortnightly", **HOLIDAY_WEEK)
    meetings = [_kk(0, D("2027-09-07")), _kk(2, D("2027-10-05"))]
    assert _texts(cfg, meetings) == []
    assert "afvigelser" not in render_summary(cfg, hand_plan("efteraar", *meetings))


def test_regularity_pct_counts_what_is_not_a_deviation() -> None:
    cfg = _config("weekly")
    meetings = [_kk(0, D("2027-09-07")), _kk(1, D("2027-09-14")), _kk(2, D("2027-09-22"))]
    meetings.append(_kk(3, D("2027-09-28"), 14 * 60))
    stats = plan_stats(cfg, cfg.terms[0], meetings)
    listed = _texts(cfg, meetings)
    assert len(listed) == 2
    assert stats.regularity_pct == 100 * (len(meetings) - len(listed)) / len(meetings) == 50.0
    # a tie (two meetings, two shapes): one is usual, the other listed and not counted regular
    tie = meetings[1:3]
    assert len(_texts(cfg, tie)) == 1
    assert plan_stats(cfg, cfg.terms[0], tie).regularity_pct == 50.0
