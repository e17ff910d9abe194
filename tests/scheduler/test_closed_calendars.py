"""Named closed-day calendars: which closed days a series keeps (`closed_calendars`, `observes`).

The term runs over Christmas, Monday 14 December 2026 to Friday 8 January 2027, with the school's
Juleferie from 19 December to 3 January. The day-care closure calendar closes Monday 28 to
Wednesday 30 December ("Mellem jul og nytår"). Tuesdays: 15/12, 22/12, 29/12 and 5/1.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from scheduler.config import ConfigError
from scheduler.model import Meeting, MunicipalityConfig, Plan
from scheduler.replan import NoProposal, move_meeting
from scheduler.slots import RequestError, find_slots, parse_request
from scheduler.term_dates import TZ, closed_days, closed_days_for, closed_reason
from scheduler.verify import verify_plan
from tests.builders import hand_plan, person, series, series_meeting, small_config, solved_and_verified

D = date.fromisoformat
TUESDAYS = [D("2026-12-15"), D("2026-12-22"), D("2026-12-29"), D("2027-01-05")]
LUKKEDAGE = {
    "dagtilbud_lukkedage": {
        "name": "Dagtilbuddenes lukkedage",
        "days": [{"start": "2026-12-28", "end": "2026-12-30", "name": "Mellem jul og nytår"}],
    }
}
TERM = {
    "id": "vinter",
    "name": "Vinter",
    "start": "2026-12-14",
    "end": "2027-01-08",
    "school_holidays": [{"name": "Juleferie", "start": "2026-12-19", "end": "2027-01-03"}],
}


def weekly(sid: str, **extra: Any) -> dict[str, Any]:
    """A one-hour meeting every Tuesday 13-14, chaired by the leder."""
    shape = {"weekdays": ["tue"], "window": "13:00-14:00", "duration_minutes": 60, "chair": "leder"}
    return series(sid, **{**shape, **extra})


def day_care(**extra: Any) -> dict[str, Any]:
    observes = extra.pop("observes", ["helligdage", "dagtilbud_lukkedage"])
    return weekly("kk-dagtilbud", unit="solsikken", observes=observes, **extra)


def config(*series_list: dict[str, Any], **top: Any) -> MunicipalityConfig:
    data: dict[str, Any] = {"terms": [TERM], "closed_calendars": LUKKEDAGE, "staff": [person("leder")], **top}
    return small_config(series=list(series_list), **data)


def days_of(plan: Plan, sid: str) -> list[date]:
    return sorted(m.start.astimezone(TZ).date() for m in plan.meetings if m.series == sid)


def skipped_of(plan: Plan, sid: str) -> list[tuple[int, str]]:
    return [(s.occurrence, s.reason) for s in plan.skipped if s.series == sid]


# --------------------------------------------------------------------------- the calendar facts


def test_closed_days_are_the_union_of_the_named_calendars() -> None:
    cfg = config(day_care())
    term = cfg.terms[0]
    care = closed_days(cfg, term, ["helligdage", "dagtilbud_lukkedage"])
    assert care[D("2026-12-29")] == "Mellem jul og nytår"
    assert care[D("2026-12-24")] == "Juleaftensdag"
    assert D("2026-12-21") not in care  # school's Juleferie, not the day-care's
    default = closed_days(cfg, term)
    assert default[D("2026-12-21")] == "Juleferie"
    assert default[D("2026-12-25")] == "Juledag"  # a helligdag names the day first
    assert closed_days_for(cfg, term, cfg.series[0]) == care
    assert closed_reason(cfg, D("2026-12-29"), ["helligdage", "dagtilbud_lukkedage"]) == "Mellem jul og nytår"
    assert closed_reason(cfg, D("2026-12-29"), ["helligdage"]) is None


@pytest.mark.parametrize(
    ("extra", "calendars"),
    [
        ({}, ("helligdage", "skoleferie")),
        ({"observe_school_holidays": False}, ("helligdage",)),
        ({"observe_school_holidays": True}, ("helligdage", "skoleferie")),
        ({"observes": ["helligdage", "dagtilbud_lukkedage"]}, ("helligdage", "dagtilbud_lukkedage")),
        ({"observes": ["helligdage"], "observe_school_holidays": False}, ("helligdage",)),
    ],
    ids=["default", "old-false", "old-true", "observes", "both-agree"],
)
def test_what_a_series_keeps(extra: dict[str, Any], calendars: tuple[str, ...]) -> None:
    assert config(weekly("kk", **extra)).series[0].calendars == calendars


# --------------------------------------------------------------------------- solver


def test_day_care_series_skips_the_closure_days_and_the_school_does_not() -> None:
    school = weekly("kk-skole", unit="nordskolen", chair="skoleleder")
    plan = solved_and_verified(config(day_care(), school, staff=[person("leder"), person("skoleleder")]))
    assert days_of(plan, "kk-dagtilbud") == [TUESDAYS[0], TUESDAYS[1], TUESDAYS[3]]
    assert skipped_of(plan, "kk-dagtilbud") == [(2, "udgår: Mellem jul og nytår")]
    assert days_of(plan, "kk-skole") == [TUESDAYS[0], TUESDAYS[3]]
    assert skipped_of(plan, "kk-skole") == [(1, "udgår: Juleferie"), (2, "udgår: Juleferie")]


def test_a_skipped_week_names_the_closed_days_of_each_calendar() -> None:
    plan = solved_and_verified(config(day_care(weekdays=["tue", "thu"])))
    # Tuesday 29/12 is closed, Thursday 31/12 is nytårsaften: the week has no day. Thursday is
    # open in the other weeks, Christmas week's Thursday is juleaften.
    assert len(days_of(plan, "kk-dagtilbud")) == 3
    assert skipped_of(plan, "kk-dagtilbud") == [(2, "udgår: Mellem jul og nytår, Nytårsaften")]


def test_the_old_switch_still_means_helligdage_only() -> None:
    plan = solved_and_verified(config(weekly("fronten", observe_school_holidays=False)))
    assert days_of(plan, "fronten") == TUESDAYS
    assert plan.skipped == []


# --------------------------------------------------------------------------- verifier


def meeting(sid: str, occurrence: int, day: date, unit: str = "solsikken", site: str = "huset") -> Meeting:
    """An hour at 13:00 of a series, chaired by the leder (at Solsikken unless told)."""
    return series_meeting(sid, occurrence, day, unit=unit, site=site, minutes=60)


def test_verifier_rejects_a_day_care_meeting_on_29_december() -> None:
    cfg = config(day_care())
    good = [meeting("kk-dagtilbud", k, TUESDAYS[k]) for k in (0, 1, 3)]
    assert verify_plan(cfg, hand_plan("vinter", *good)) == []
    bad = [*good, meeting("kk-dagtilbud", 2, TUESDAYS[2])]
    found = verify_plan(cfg, hand_plan("vinter", *bad))
    assert [(v.rule, v.meetings) for v in found] == [("holidays", ("kk-dagtilbud-2",))]
    assert "ligger på en lukket dag: Mellem jul og nytår" in found[0].message


def test_verifier_lets_a_series_that_keeps_only_helligdage_meet_in_the_school_holiday() -> None:
    cfg = config(weekly("fronten", observes=["helligdage"]))
    meetings = [meeting("fronten", k, day, "nordskolen", "skolen") for k, day in enumerate(TUESDAYS)]
    assert verify_plan(cfg, hand_plan("vinter", *meetings)) == []
    strict = config(weekly("fronten"))  # the default keeps the school holidays
    found = verify_plan(strict, hand_plan("vinter", *meetings))
    assert [(v.rule, v.meetings) for v in found] == [
        ("holidays", ("fronten-1",)),
        ("holidays", ("fronten-2",)),
    ]


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("extra", "top", "problem"),
    [
        (
            {"observes": ["helligdage", "dagtilbud_lukedage"]},
            {},
            "series[0].observes[1] (serien 'kk'): ukendt lukkedagskalender 'dagtilbud_lukedage' (mente du "
            "'dagtilbud_lukkedage'?); kendte: helligdage, skoleferie, dagtilbud_lukkedage",
        ),
        (
            {"observes": ["helligdage"], "observe_school_holidays": True},
            {},
            "series[0].observe_school_holidays (serien 'kk'): er true, men observes nævner ikke 'skoleferie'",
        ),
        (
            {"observes": ["helligdage", "skoleferie"], "observe_school_holidays": False},
            {},
            "series[0].observe_school_holidays (serien 'kk'): er false, men observes nævner 'skoleferie'",
        ),
        (
            {},
            {"closed_calendars": {"skoleferie": {"name": "Ferie", "days": []}}},
            "closed_calendars.skoleferie: 'skoleferie' er en indbygget kalender; vælg et andet id",
        ),
        (
            {},
            {
                "closed_calendars": {
                    "lukket": {
                        "name": "Lukkedage",
                        "days": [
                            {"start": "2026-12-28", "end": "2026-12-30", "name": "Jul"},
                            {"start": "2026-12-30", "end": "2026-12-31", "name": "Nytår"},
                        ],
                    }
                }
            },
            "closed_calendars.lukket.days: 'Jul' og 'Nytår' overlapper",
        ),
        (
            {},
            {
                "closed_calendars": {
                    "lukket": {
                        "name": "L",
                        "days": [{"start": "2026-12-30", "end": "2026-12-28", "name": "Jul"}],
                    }
                }
            },
            "closed_calendars.lukket.days[0]: 'Jul' slutter (2026-12-28) før den begynder (2026-12-30)",
        ),
    ],
    ids=[
        "unknown-calendar",
        "old-true-disagrees",
        "old-false-disagrees",
        "built-in-id",
        "overlap",
        "reversed",
    ],
)
def test_config_errors_name_the_field(extra: dict[str, Any], top: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        config(weekly("kk", **extra), **top)
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


# --------------------------------------------------------------------------- slot finder, replan


def slot_request(cfg: MunicipalityConfig, **changes: Any) -> Any:
    raw: dict[str, Any] = {
        "id": "sag-1",
        "participants": [{"person": "leder"}],
        "duration_minutes": 60,
        "site": "huset",
        "earliest": "2026-12-28",
        "latest": "2027-01-06",
        **changes,
    }
    return parse_request(raw, cfg)


def first_day(cfg: MunicipalityConfig, **changes: Any) -> date:
    result = find_slots(cfg, hand_plan("vinter"), slot_request(cfg, **changes), top=1)
    return result.slots[0].meetings[0].start.astimezone(TZ).date()


def test_slot_finder_keeps_the_requests_calendars() -> None:
    cfg = config(day_care())
    assert first_day(cfg, observes=["helligdage"]) == D("2026-12-28")
    assert first_day(cfg, observes=["helligdage", "dagtilbud_lukkedage"]) == D("2027-01-04")
    assert first_day(cfg, observe_school_holidays=False) == D("2026-12-28")
    assert first_day(cfg) == D("2027-01-04")  # the default keeps the school's Juleferie
    only_closure = find_slots(
        cfg,
        hand_plan("vinter"),
        slot_request(cfg, observes=["helligdage", "dagtilbud_lukkedage"], latest="2026-12-30"),
    )
    assert only_closure.slots == []
    assert any("er lukket: Mellem jul og nytår" in line for line in only_closure.explanation)


def test_slot_request_with_an_unknown_calendar_names_the_field() -> None:
    cfg = config(day_care())
    with pytest.raises(RequestError) as err:
        slot_request(cfg, observes=["dagtilbud"])
    assert err.value.problems[0].startswith("observes[0]: ukendt lukkedagskalender 'dagtilbud'")


def test_a_meeting_is_not_moved_onto_a_closure_day() -> None:
    cfg = config(day_care(weekdays=["tue", "wed"]))
    plan = solved_and_verified(cfg)
    first = min((m for m in plan.meetings if m.series == "kk-dagtilbud"), key=lambda m: m.start)
    onto_closure = datetime.combine(D("2026-12-30"), time(13, 0), TZ)
    with pytest.raises(NoProposal) as err:
        move_meeting(cfg, plan, first.uid, onto_closure, time_limit=5)
    assert any("Mellem jul og nytår" in line for line in err.value.reasons)
