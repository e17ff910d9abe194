"""The verifier accepts a hand-built valid plan and flags each broken hard rule, and only that rule.

The fixture is small enough to reason about by hand: term 2025-03-10 to 2025-04-20 (summer time
starts 2025-03-30), Påskeferie 14-18 April with Skærtorsdag and Langfredag inside it, and an
extra closed day on Friday 21 March. Every mutation below was chosen so that it breaks one rule:
dates keep cadence gaps, people stay within their hours, and sites keep enough rooms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from scheduler.config import config_from_data
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan, PlanStatus, SkippedPeriod
from scheduler.term_dates import closed_days, local_datetime, series_periods
from scheduler.verify import RULES, Violation, format_violations, verify_plan, verify_saved_plan
from tests import builders
from tests.builders import hand_plan, small_config, unit

TERM = "fj-2025"


def config_data() -> dict[str, Any]:
    return {
        "municipality": "Testkommune",
        "districts": [
            {"id": "nord", "name": "Distrikt Nord"},
            {"id": "syd", "name": "Distrikt Syd"},
        ],
        "sites": [
            {"id": "skolen", "name": "Nordskolen", "rooms": 1},
            {"id": "boernehuset", "name": "Børnehuset Solsikken", "rooms": 1},
        ],
        "units": [
            unit("nordskolen", "Nordskolen", "skole", "skolen"),
            unit("solsikken", "Solsikken", "dagtilbud", "boernehuset"),
        ],
        "travel": {
            "default_minutes": 20,
            "pairs": [{"sites": ["skolen", "boernehuset"], "minutes": 30}],
        },
        "staff": [
            {
                "id": "leder-nord",
                "name": "Distriktsleder Nord",
                "roles": ["distriktsleder", "paedagogisk_leder"],
                "serves": {"districts": ["nord"]},
            },
            {
                "id": "referent-1",
                "name": "Referent",
                "roles": ["referent"],
                "serves": {"districts": ["nord"]},
                "working_hours": {
                    "mon": "08:00-15:00",
                    "tue": "08:00-15:00",
                    "wed": "08:00-15:00",
                    "thu": "08:00-15:00",
                },
                # no first_date: every 3 weeks from the term's first Monday (Wed 12 March, 2 April)
                "commitments": [
                    {
                        "title": "Referentnetværk",
                        "weekday": "wed",
                        "time": "13:00-14:00",
                        "every_weeks": 3,
                    }
                ],
            },
            {
                "id": "psykolog-a",
                "name": "Psykolog A",
                "roles": ["psykolog"],
                "serves": {"districts": ["nord"]},
                "commitments": [
                    {
                        "title": "PPR-teammøde",
                        "weekday": "thu",
                        "time": "12:00-13:30",
                        "every_weeks": 2,
                        "first_date": "2025-03-13",
                    }
                ],
                "absences": [
                    # touches the meeting of 11 March (12:30-14:30) without overlapping it
                    {"start": "2025-03-11", "end": "2025-03-11", "time": "14:30-16:00"},
                    {"start": "2025-03-26", "end": "2025-03-26", "time": "13:00-16:00"},
                    {"start": "2025-04-09", "end": "2025-04-09"},
                ],
            },
            {
                "id": "psykolog-b",
                "name": "Psykolog B",
                "roles": ["psykolog"],
                "serves": {"districts": ["syd"]},
            },
            {
                "id": "tale-1",
                "name": "Tale-hørelærer",
                "roles": ["tale_hoerelaerer"],
                "serves": {"districts": ["nord"]},
                "working_hours": {
                    "mon": "08:00-16:00",
                    "tue": "08:00-16:00",
                    "wed": "08:00-16:00",
                    "thu": "08:00-16:00",
                },
            },
            {
                "id": "sundhed-1",
                "name": "Sundhedsplejerske",
                "roles": ["sundhedsplejerske"],
                "serves": {"units": ["solsikken"]},
                "max_meetings_per_week": 1,
            },
        ],
        "terms": [
            {
                "id": TERM,
                "name": "Forår 2025",
                "start": "2025-03-10",
                "end": "2025-04-20",
                "school_holidays": [{"name": "Påskeferie", "start": "2025-04-14", "end": "2025-04-18"}],
            }
        ],
        "public_holidays": {"extra": [{"date": "2025-03-21", "name": "Personaledag"}]},
        "series": [
            {
                "id": "kk-nordskolen",
                "type": "koordineringskonference_skole",
                "unit": "nordskolen",
                # holiday_shift_days: the Påskeferie fortnight meets in its open week (7-11 April)
                "cadence": {"kind": "fortnightly", "max_gap_days": 21, "holiday_shift_days": 7},
                "duration_minutes": 120,
                "weekdays": ["tue", "wed", "thu"],
                "window": "12:30-16:00",
                "chair": "leder-nord",
                "minute_taker": {"people": ["referent-1", "leder-nord"]},
                "required_roles": [{"role": "psykolog"}],
                "optional_people": ["tale-1", "psykolog-b"],
            },
            {
                "id": "kk-solsikken",
                "type": "koordineringskonference_dagtilbud",
                "unit": "solsikken",
                "cadence": "weekly",
                "duration_minutes": 50,
                "window": "08:00-13:00",
                "chair": {"role": "paedagogisk_leder"},
                "required_roles": [{"role": "sundhedsplejerske"}],
            },
            {
                "id": "kreativt-raad",
                "type": "kreative_raad",
                "unit": "nordskolen",
                "cadence": {"kind": "per_term", "count": 2},
                "duration_minutes": 90,
                "weekdays": ["tue", "wed", "thu", "fri"],
                "required_people": ["tale-1"],
                "optional_people": ["sundhed-1"],
            },
        ],
        "planning": {"slot_minutes": 15},
    }


@pytest.fixture(scope="module")
def config() -> MunicipalityConfig:
    return config_from_data(config_data())


def att(person: str, seat: str, role: str) -> Attendee:
    return Attendee(person=person, role=role, required=seat != "optional", seat=seat)


def meeting(
    series: str,
    occurrence: int,
    day: date,
    clock: str,
    minutes: int,
    site: str,
    unit: str,
    attendees: list[Attendee],
) -> Meeting:
    hour, minute = map(int, clock.split(":"))
    start = local_datetime(day, hour * 60 + minute)
    return Meeting(
        uid=f"{series}-{TERM}-{occurrence}",
        series=series,
        occurrence=occurrence,
        title=series,
        unit=unit,
        site=site,
        start=start,
        end=start + timedelta(minutes=minutes),
        attendees=attendees,
    )


def school(occurrence: int, day: date, clock: str = "12:30") -> Meeting:
    people = [
        att("leder-nord", "chair", "distriktsleder"),
        att("referent-1", "minute_taker", "referent"),
        att("psykolog-a", "required_roles[0]", "psykolog"),
    ]
    if occurrence == 0:
        people.append(att("tale-1", "optional", "tale_hoerelaerer"))
    return meeting("kk-nordskolen", occurrence, day, clock, 120, "skolen", "nordskolen", people)


def daycare(occurrence: int, day: date, clock: str = "09:00") -> Meeting:
    people = [
        att("leder-nord", "chair", "paedagogisk_leder"),
        att("sundhed-1", "required_roles[0]", "sundhedsplejerske"),
    ]
    return meeting("kk-solsikken", occurrence, day, clock, 50, "boernehuset", "solsikken", people)


def council(occurrence: int, day: date, clock: str = "09:00") -> Meeting:
    people = [att("tale-1", "required_people[0]", "tale_hoerelaerer")]
    return meeting("kreativt-raad", occurrence, day, clock, 90, "skolen", "nordskolen", people)


D = date.fromisoformat


def valid_plan() -> Plan:
    meetings = [
        school(0, D("2025-03-11")),
        school(1, D("2025-03-25")),
        school(2, D("2025-04-08")),
        daycare(0, D("2025-03-10")),
        daycare(1, D("2025-03-17")),
        daycare(2, D("2025-03-24")),
        daycare(3, D("2025-03-31")),
        daycare(4, D("2025-04-07")),  # period 5 is Påskeferie
        council(0, D("2025-03-19")),
        council(1, D("2025-04-09")),
    ]
    return hand_plan(TERM, *meetings, status=PlanStatus.OPTIMAL, solve_seconds=0.1)


def replace(plan: Plan, uid: str, new: Meeting) -> Plan:
    """A copy of the plan with one meeting swapped for another."""
    out = plan.model_copy(deep=True)
    out.meetings = [new if m.uid == uid else m for m in out.meetings]
    assert any(m is new for m in out.meetings), uid
    return out


def edit(plan: Plan, uid: str, change: Callable[[Meeting], None]) -> Plan:
    out = plan.model_copy(deep=True)
    (target,) = [m for m in out.meetings if m.uid == uid]
    change(target)
    return out


def uid(series: str, occurrence: int) -> str:
    return f"{series}-{TERM}-{occurrence}"


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


# --------------------------------------------------------------------------- the valid plan


def test_fixture_periods_match_the_valid_plan(config: MunicipalityConfig) -> None:
    """Guards the fixture itself: one meeting per usable period, Påskeferie's week has none."""
    term = config.terms[0]
    closed = closed_days(config, term)
    plan = valid_plan()
    for series in config.series:
        periods = series_periods(series, term, closed)
        mine = sorted((m for m in plan.meetings if m.series == series.id), key=lambda m: m.occurrence)
        assert [m.occurrence for m in mine] == [p.index for p in periods if p.days]
        for m in mine:
            assert m.start.date() in periods[m.occurrence].days
    assert closed[D("2025-04-17")] == "Skærtorsdag"
    assert closed[D("2025-04-15")] == "Påskeferie"


def test_valid_plan_has_no_violations(config: MunicipalityConfig) -> None:
    assert verify_plan(config, valid_plan()) == []


def test_infeasible_plan_without_meetings_has_no_violations(config: MunicipalityConfig) -> None:
    plan = Plan(municipality="Testkommune", term=TERM, status=PlanStatus.INFEASIBLE, solve_seconds=1.0)
    assert verify_plan(config, plan) == []


def test_feasible_plan_without_meetings_misses_every_period(config: MunicipalityConfig) -> None:
    plan = Plan(municipality="Testkommune", term=TERM, status=PlanStatus.FEASIBLE, solve_seconds=1.0)
    found = verify_plan(config, plan)
    assert rules(found) == {"cadence"}
    assert len(found) == 3 + 5 + 2  # usable periods of the three series
    assert all("har intet møde i periode" in v.message for v in found)


@pytest.mark.parametrize("status", [PlanStatus.INFEASIBLE, PlanStatus.UNKNOWN])
def test_saved_plan_without_meetings_says_the_term_has_series(
    config: MunicipalityConfig, status: PlanStatus
) -> None:
    plan = Plan(municipality="Testkommune", term=TERM, status=status, solve_seconds=1.0)
    assert verify_saved_plan(config, plan) == [
        Violation("structure", "planen har ingen møder, men terminen har 3 serier")
    ]


def test_saved_feasible_plan_without_meetings_also_misses_every_period(config: MunicipalityConfig) -> None:
    plan = Plan(municipality="Testkommune", term=TERM, status=PlanStatus.FEASIBLE, solve_seconds=1.0)
    found = verify_saved_plan(config, plan)
    assert found[0] == Violation("structure", "planen har ingen møder, men terminen har 3 serier")
    assert found[1:] == verify_plan(config, plan) and len(found) == 1 + 3 + 5 + 2


def test_saved_plan_is_checked_like_any_plan(config: MunicipalityConfig) -> None:
    assert verify_saved_plan(config, valid_plan()) == []
    one_left = valid_plan().model_copy(update={"meetings": valid_plan().meetings[:1]})
    found = verify_saved_plan(config, one_left)
    assert found == verify_plan(config, one_left) and rules(found) == {"cadence"}


def test_saved_plan_without_meetings_for_a_term_without_series_is_empty_and_fine(
    config: MunicipalityConfig,
) -> None:
    quiet = config.model_copy(update={"series": []})
    plan = Plan(municipality="Testkommune", term=TERM, status=PlanStatus.INFEASIBLE, solve_seconds=1.0)
    assert verify_saved_plan(quiet, plan) == []


# --------------------------------------------------------------------------- structure


def _naive_start(m: Meeting) -> None:
    m.start = m.start.replace(tzinfo=None)


STRUCTURE_CASES: dict[str, tuple[Callable[[Plan], Plan], str]] = {
    "wrong unit": (
        lambda p: edit(p, uid("kk-nordskolen", 1), lambda m: setattr(m, "unit", "solsikken")),
        "er for enheden Solsikken, men serien «Koordineringskonference, skole, Nordskolen» "
        "hører til Nordskolen",
    ),
    "wrong site": (
        lambda p: edit(p, uid("kk-nordskolen", 1), lambda m: setattr(m, "site", "boernehuset")),
        "er på Børnehuset Solsikken, men serien «Koordineringskonference, skole, Nordskolen» "
        "holdes på Nordskolen",
    ),
    "wrong duration": (
        lambda p: edit(
            p, uid("kk-nordskolen", 1), lambda m: setattr(m, "end", m.end + timedelta(minutes=30))
        ),
        "varer 150 minutter",
    ),
    "naive start": (lambda p: edit(p, uid("kk-nordskolen", 1), _naive_start), "har ingen tidszone"),
    "off the slot grid": (
        lambda p: replace(p, uid("kk-nordskolen", 1), school(1, D("2025-03-25"), "12:40")),
        "tidsrasteret på 15 minutter",
    ),
    "duplicate uid": (
        lambda p: edit(p, uid("kk-nordskolen", 1), lambda m: setattr(m, "uid", uid("kk-nordskolen", 0))),
        "«kk-nordskolen» tirsdag 25/3 kl. 12:30-14:30 står to gange i planen",
    ),
}


@pytest.mark.parametrize("case", list(STRUCTURE_CASES))
def test_structure(config: MunicipalityConfig, case: str) -> None:
    mutate, expected = STRUCTURE_CASES[case]
    found = verify_plan(config, mutate(valid_plan()))
    assert rules(found) == {"structure"}, format_violations(found)
    assert len(found) == 1
    assert expected in found[0].message


def test_structure_unknown_series(config: MunicipalityConfig) -> None:
    """The meeting no longer counts for its old series, so that series misses a period."""
    plan = edit(valid_plan(), uid("kk-nordskolen", 1), lambda m: setattr(m, "series", "ukendt"))
    found = verify_plan(config, plan)
    assert [v.rule for v in found] == ["structure", "cadence"], format_violations(found)
    assert "hører til serien 'ukendt'" in found[0].message
    assert "«Koordineringskonference, skole, Nordskolen» har intet møde i periode 2" in found[1].message


def test_structure_outside_term(config: MunicipalityConfig) -> None:
    """A meeting after the term is a structure problem, not also a 'wrong period' one."""
    plan = replace(valid_plan(), uid("kreativt-raad", 1), council(1, D("2025-04-22")))
    found = verify_plan(config, plan)
    assert rules(found) == {"structure"}, format_violations(found)
    assert "ligger uden for terminen Forår 2025 (10/3-20/4 2025)" in found[0].message


def test_structure_series_not_in_term(config: MunicipalityConfig) -> None:
    other = config.model_copy(deep=True)
    other.series[2].terms = ["ef-2025"]
    found = verify_plan(other, valid_plan())
    assert rules(found) == {"structure"}
    assert {v.meetings for v in found} == {(uid("kreativt-raad", 0),), (uid("kreativt-raad", 1),)}


def test_unknown_term(config: MunicipalityConfig) -> None:
    plan = valid_plan().model_copy(update={"term": "ef-2030"})
    found = verify_plan(config, plan)
    assert rules(found) == {"structure"}
    assert "ef-2030" in found[0].message


# --------------------------------------------------------------------------- calendar rules


@pytest.mark.parametrize(
    ("target", "new", "holiday"),
    [
        (uid("kk-nordskolen", 2), school(2, D("2025-04-15")), "Påskeferie"),  # 21 days after 25/3
        (uid("kreativt-raad", 1), council(1, D("2025-04-17")), "Skærtorsdag"),
        (uid("kk-solsikken", 1), daycare(1, D("2025-03-21")), "Personaledag"),
    ],
)
def test_holidays(config: MunicipalityConfig, target: str, new: Meeting, holiday: str) -> None:
    found = verify_plan(config, replace(valid_plan(), target, new))
    assert rules(found) == {"holidays"}, format_violations(found)
    assert len(found) == 1
    assert f"ligger på en lukket dag: {holiday}" in found[0].message and target == found[0].meetings[0]


def test_allowed_weekdays(config: MunicipalityConfig) -> None:
    plan = replace(valid_plan(), uid("kk-nordskolen", 1), school(1, D("2025-03-24")))  # a Monday
    found = verify_plan(config, plan)
    assert rules(found) == {"allowed_weekdays"}, format_violations(found)
    assert "ligger om mandagen" in found[0].message and "holdes kun tirsdag" in found[0].message
    assert found[0].meetings == (uid("kk-nordskolen", 1),)


@pytest.mark.parametrize(
    ("target", "new", "expected"),
    [
        (uid("kk-nordskolen", 1), school(1, D("2025-03-25"), "12:15"), "12:15-14:15"),
        (uid("kk-solsikken", 2), daycare(2, D("2025-03-24"), "12:15"), "12:15-13:05"),
    ],
)
def test_time_window(config: MunicipalityConfig, target: str, new: Meeting, expected: str) -> None:
    found = verify_plan(config, replace(valid_plan(), target, new))
    assert rules(found) == {"time_window"}, format_violations(found)
    assert expected in found[0].message


# --------------------------------------------------------------------------- cadence


def test_cadence_missing_period(config: MunicipalityConfig) -> None:
    plan = valid_plan()
    plan.meetings = [m for m in plan.meetings if m.uid != uid("kk-solsikken", 2)]
    found = verify_plan(config, plan)
    assert rules(found) == {"cadence"}, format_violations(found)
    assert len(found) == 1
    assert "«Koordineringskonference, dagtilbud, Solsikken» har intet møde i periode 3 (24/3-30/3 2025)" in (
        found[0].message
    )


def test_cadence_min_gap(config: MunicipalityConfig) -> None:
    # Thursday 20 March is in period 0 but only 5 days before Tuesday 25 March; a fortnightly
    # series keeps 10 by default. (The psychologist's Thursday commitment is fortnightly from 13
    # March, so not on the 20th.)
    plan = replace(valid_plan(), uid("kk-nordskolen", 0), school(0, D("2025-03-20")))
    found = verify_plan(config, plan)
    assert rules(found) == {"cadence"}, format_violations(found)
    assert len(found) == 1
    expected = "torsdag 20/3 og tirsdag 25/3 ligger 5 dage fra hinanden; der skal være mindst 10"
    assert expected in found[0].message
    assert found[0].meetings == (uid("kk-nordskolen", 0), uid("kk-nordskolen", 1))


def test_cadence_max_gap(config: MunicipalityConfig) -> None:
    tight = config.model_copy(deep=True)
    tight.series[0].cadence.max_gap_days = 13
    found = verify_plan(tight, valid_plan())
    assert rules(found) == {"cadence"}, format_violations(found)
    # 11 -> 25 March; 25 March -> 8 April is beside the Påskeferie fortnight, where
    # holiday_shift_days: 7 lets the gap stretch to 14 + 7 days
    assert len(found) == 1
    assert "14 dage fra hinanden; højst 13 er tilladt" in found[0].message


def test_cadence_wrong_occurrence(config: MunicipalityConfig) -> None:
    """Labelling the 24 March meeting as period 3 leaves period 2 empty and period 3 doubled."""
    plan = edit(valid_plan(), uid("kk-solsikken", 2), lambda m: setattr(m, "occurrence", 3))
    found = verify_plan(config, plan)
    assert rules(found) == {"cadence"}, format_violations(found)
    text = format_violations(found)
    assert "ligger uden for sin periode 4" in text
    assert "ligger begge i periode 4" in text
    assert "intet møde i periode 3" in text
    assert len(found) == 3


def test_cadence_occurrence_out_of_range(config: MunicipalityConfig) -> None:
    plan = edit(valid_plan(), uid("kreativt-raad", 1), lambda m: setattr(m, "occurrence", 7))
    found = verify_plan(config, plan)
    assert rules(found) == {"cadence"}
    text = format_violations(found)
    assert "står i periode 8" in text and "intet møde i periode 2" in text


# --------------------------------------------------------------------------- seats


# The default gaps of a cadence, on the four-week term of tests.builders (Monday 6 September
# to Friday 1 October 2027; fortnights from 6 and 20 September) or six weeks with a holiday week.


def _gap_config(cadence: Any, **term: Any) -> MunicipalityConfig:
    return small_config(
        series=[builders.series("kk", cadence=cadence, window="13:00-15:00", chair="leder")],
        terms=[builders.term(**term)],
    )


def _kk(occurrence: int, day: date) -> Meeting:
    return builders.series_meeting("kk", occurrence, day)


def _cadence_messages(cfg: MunicipalityConfig, *meetings: Meeting) -> list[str]:
    found = verify_plan(cfg, hand_plan("efteraar", *meetings))
    assert rules(found) <= {"cadence"}, format_violations(found)
    return [v.message for v in found]


def test_cadence_fortnightly_meetings_seven_days_apart_are_rejected_by_default() -> None:
    tuesdays = _kk(0, D("2027-09-14")), _kk(1, D("2027-09-21"))
    messages = _cadence_messages(_gap_config("fortnightly"), *tuesdays)
    assert messages == [
        "«kk» tirsdag 14/9 og tirsdag 21/9 ligger 7 dage fra hinanden; der skal være mindst 10"
    ]
    assert _cadence_messages(_gap_config("fortnightly"), _kk(0, D("2027-09-07")), tuesdays[1]) == []
    assert _cadence_messages(_gap_config({"kind": "fortnightly", "min_gap_days": 7}), *tuesdays) == []


def test_cadence_weekly_default_max_gap() -> None:
    two_weeks = _gap_config("weekly", end="2027-09-17")
    messages = _cadence_messages(two_weeks, _kk(0, D("2027-09-06")), _kk(1, D("2027-09-17")))
    assert messages == [
        "«kk» mandag 6/9 og fredag 17/9 ligger 11 dage fra hinanden; højst 9 er tilladt mellem to "
        "perioder i træk"
    ]


HOLIDAY_WEEK = {
    "end": "2027-10-15",
    "school_holidays": [{"name": "Efterårsferie", "start": "2027-09-20", "end": "2027-09-24"}],
}


def _skipping(cfg: MunicipalityConfig, plan: Plan, *occurrences: int) -> Plan:
    """The plan listing these periods of series kk as skipped, dated as the config has them."""
    term, kk = cfg.terms[0], cfg.series[0]
    periods = series_periods(kk, term, closed_days(cfg, term, kk.calendars))
    plan.skipped = [
        SkippedPeriod(
            series="kk",
            occurrence=i,
            period_start=periods[i].start,
            period_end=periods[i].end,
            reason="udgår: Efterårsferie",
        )
        for i in occurrences
    ]
    return plan


def test_cadence_holiday_fortnight_a_week_off_the_rhythm() -> None:
    # Fortnight 1's first week is the holiday. A series meeting in the first week of its
    # fortnights skips it, so a meeting in its second week, 7 days before the next, breaks the
    # gap; holiday_shift_days: 7 allows it.
    plan = (_kk(0, D("2027-09-07")), _kk(1, D("2027-09-28")), _kk(2, D("2027-10-05")))
    messages = _cadence_messages(_gap_config("fortnightly", **HOLIDAY_WEEK), *plan)
    assert any("21 dage fra hinanden; højst 18" in m for m in messages), messages
    assert any("7 dage fra hinanden; der skal være mindst 10" in m for m in messages), messages
    shifting = {"kind": "fortnightly", "holiday_shift_days": 7}
    assert _cadence_messages(_gap_config(shifting, **HOLIDAY_WEEK), *plan) == []
    kept_out = _cadence_messages(_gap_config(shifting, **HOLIDAY_WEEK), plan[0], plan[2])
    assert "intet møde i periode 2" in kept_out[0]


def test_a_holiday_fortnight_left_out_must_be_listed_as_skipped() -> None:
    cfg = _gap_config("fortnightly", **HOLIDAY_WEEK)
    meetings = (_kk(0, D("2027-09-07")), _kk(2, D("2027-10-05")))
    found = verify_plan(cfg, hand_plan("efteraar", *meetings))
    assert [v.message for v in found] == [
        "«kk» har intet møde i periode 2 (20/9-3/10 2027), som har 5 åbne dage og ikke står som udeladt"
    ]
    assert verify_plan(cfg, _skipping(cfg, hand_plan("efteraar", *meetings), 1)) == []
    # a series whose week is open holds it: 14 and 28 September, 12 October, none skipped
    second_week = (_kk(0, D("2027-09-14")), _kk(1, D("2027-09-28")), _kk(2, D("2027-10-12")))
    assert verify_plan(cfg, hand_plan("efteraar", *second_week)) == []


def test_a_skipped_entry_needs_a_holiday_fortnight_without_a_meeting() -> None:
    cfg = _gap_config("fortnightly", **HOLIDAY_WEEK)
    held = (_kk(0, D("2027-09-14")), _kk(1, D("2027-09-28")), _kk(2, D("2027-10-12")))
    found = verify_plan(cfg, _skipping(cfg, hand_plan("efteraar", *held), 1, 2))
    assert sorted(v.message for v in found) == [
        "periode 2 af «kk» (20/9-3/10 2027) står som udeladt, men den har et møde",
        "periode 3 af «kk» (4/10-15/10 2027) står som udeladt, men den har et møde",
    ]
    found = verify_plan(cfg, _skipping(cfg, hand_plan("efteraar", held[0], held[1]), 2))
    assert (
        "periode 3 af «kk» (4/10-15/10 2027) står som udeladt, men den er ingen ferie-fjortendag"
        in [v.message for v in found]
    )


def _set_person(index: int, person: str) -> Callable[[Meeting], None]:
    def change(m: Meeting) -> None:
        m.attendees[index].person = person

    return change


def _add(attendee: Attendee) -> Callable[[Meeting], None]:
    def change(m: Meeting) -> None:
        m.attendees.append(attendee)

    return change


def _drop(index: int) -> Callable[[Meeting], None]:
    def change(m: Meeting) -> None:
        del m.attendees[index]

    return change


SEAT_CASES: dict[str, tuple[Callable[[Meeting], None], list[str]]] = {
    "person lacking the role": (
        _set_person(2, "tale-1"),
        ["Tale-hørelærer kan ikke have pladsen som rollepladsen 1 (psykolog)"],
    ),
    "role but wrong district": (_set_person(2, "psykolog-b"), ["Psykolog B kan ikke have pladsen"]),
    "not among the seat's people": (
        _set_person(1, "psykolog-b"),
        ["Psykolog B kan ikke have pladsen som referent"],
    ),
    "empty seat": (_drop(1), ["referent har 0 deltagere (ingen), men serien kræver 1"]),
    "unknown person": (_set_person(1, "ghost"), ["deltageren 'ghost' (referent) er ikke i staff"]),
    "unknown seat": (
        _add(att("psykolog-b", "observer", "psykolog")),
        ["pladsen 'observer' (Psykolog B) findes ikke"],
    ),
    "extra in seat": (
        _add(att("psykolog-b", "required_roles[0]", "psykolog")),
        [
            "rollepladsen 1 (psykolog) har 2 deltagere (Psykolog A og Psykolog B)",
            "Psykolog B kan ikke have",
        ],
    ),
}


@pytest.mark.parametrize("case", list(SEAT_CASES))
def test_seats(config: MunicipalityConfig, case: str) -> None:
    change, expected = SEAT_CASES[case]
    found = verify_plan(config, edit(valid_plan(), uid("kk-nordskolen", 1), change))
    assert rules(found) == {"seats"}, format_violations(found)
    text = format_violations(found)
    for fragment in expected:
        assert fragment in text
    assert len(found) == len(expected)


def test_seats_optional_person_not_listed(config: MunicipalityConfig) -> None:
    # psykolog-b is optional for the school conference, not for the daycare one.
    plan = edit(valid_plan(), uid("kk-solsikken", 2), _add(att("psykolog-b", "optional", "psykolog")))
    found = verify_plan(config, plan)
    assert rules(found) == {"seats"}, format_violations(found)
    assert "Psykolog B deltager som valgfri" in found[0].message
    # and the same person is fine where the series lists her
    ok = edit(valid_plan(), uid("kk-nordskolen", 1), _add(att("psykolog-b", "optional", "psykolog")))
    assert verify_plan(config, ok) == []


def test_one_seat_per_person(config: MunicipalityConfig) -> None:
    """leder-nord may take minutes (she is in the seat's people) but not while chairing."""
    plan = edit(valid_plan(), uid("kk-nordskolen", 1), _set_person(1, "leder-nord"))
    found = verify_plan(config, plan)
    assert rules(found) == {"one_seat_per_person"}, format_violations(found)
    assert "Distriktsleder Nord har 2 pladser (mødeleder og referent)" in found[0].message


# --------------------------------------------------------------------------- availability


@pytest.mark.parametrize(
    ("target", "new", "fragments"),
    [
        # partial-day absence 13:00-16:00 on Wednesday 26 March
        (
            uid("kk-nordskolen", 1),
            school(1, D("2025-03-26")),
            ["Psykolog A er fraværende 26/3 2025", "13:00-16:00"],
        ),
        # whole-day absence on Wednesday 9 April
        (
            uid("kk-nordskolen", 2),
            school(2, D("2025-04-09")),
            ["Psykolog A er fraværende 9/4 2025"],
        ),
        # fortnightly commitment from 13 March: 27 March is an on-week
        (
            uid("kk-nordskolen", 1),
            school(1, D("2025-03-27")),
            ["Psykolog A har den faste aftale 'PPR-teammøde'"],
        ),
        # commitment without first_date: every 3 weeks from the term's first Monday: Wed 12 March
        (
            uid("kk-nordskolen", 0),
            school(0, D("2025-03-12")),
            ["Referent har den faste aftale 'Referentnetværk'"],
        ),
        # working hours end at 15:00 for the referent
        (
            uid("kk-nordskolen", 1),
            school(1, D("2025-03-25"), "13:30"),
            ["uden for Referents arbejdstid 08:00-15:00 om tirsdagen"],
        ),
        # the speech therapist does not work on Fridays
        (uid("kreativt-raad", 1), council(1, D("2025-04-11")), ["Tale-hørelærer arbejder ikke om fredagen"]),
    ],
)
def test_availability(config: MunicipalityConfig, target: str, new: Meeting, fragments: list[str]) -> None:
    found = verify_plan(config, replace(valid_plan(), target, new))
    assert rules(found) == {"availability"}, format_violations(found)
    assert len(found) == 1
    for fragment in fragments:
        assert fragment in found[0].message


def test_commitment_off_week_is_free(config: MunicipalityConfig) -> None:
    """Thursday 3 April is between the fortnightly team meetings (27 March, 10 April)."""
    plan = replace(valid_plan(), uid("kk-nordskolen", 1), school(1, D("2025-04-03")))
    found = verify_plan(config, plan)
    # 3 April is 23 days after 11 March (max 21) and 5 before 8 April (min 7): cadence only.
    assert rules(found) == {"cadence"}, format_violations(found)
    assert not any("PPR-teammøde" in v.message for v in found)


def test_commitment_not_before_first_date(config: MunicipalityConfig) -> None:
    early = config.model_copy(deep=True)
    early.staff[2].commitments[0].first_date = D("2025-03-27")
    early.staff[2].commitments[0].every_weeks = 1
    on = replace(valid_plan(), uid("kk-nordskolen", 1), school(1, D("2025-03-27")))
    before = replace(valid_plan(), uid("kk-nordskolen", 0), school(0, D("2025-03-13")))
    assert rules(verify_plan(early, on)) == {"availability"}
    assert verify_plan(early, before) == []


# --------------------------------------------------------------------------- people and rooms


def test_no_double_booking(config: MunicipalityConfig) -> None:
    # Tuesday 25 March: daycare 12:00-12:50 at boernehuset overlaps school 12:30-14:30.
    plan = replace(valid_plan(), uid("kk-solsikken", 2), daycare(2, D("2025-03-25"), "12:00"))
    found = verify_plan(config, plan)
    assert rules(found) == {"no_double_booking"}, format_violations(found)
    assert len(found) == 1  # overlapping, so not also reported as travel_time
    assert "Distriktsleder Nord deltager i både" in found[0].message
    assert set(found[0].meetings) == {uid("kk-solsikken", 2), uid("kk-nordskolen", 1)}


def test_travel_time(config: MunicipalityConfig) -> None:
    # Tuesday 11 March: daycare 11:30-12:20 at boernehuset, school 12:30 at skolen, 30 min apart.
    plan = replace(valid_plan(), uid("kk-solsikken", 0), daycare(0, D("2025-03-11"), "11:30"))
    found = verify_plan(config, plan)
    assert rules(found) == {"travel_time"}, format_violations(found)
    assert len(found) == 1
    assert "Distriktsleder Nord har 10 minutter" in found[0].message and "turen tager 30" in found[0].message


def test_travel_time_enough(config: MunicipalityConfig) -> None:
    plan = replace(valid_plan(), uid("kk-solsikken", 0), daycare(0, D("2025-03-11"), "11:00"))
    assert verify_plan(config, plan) == []  # ends 11:50, 40 minutes before 12:30


def test_rooms(config: MunicipalityConfig) -> None:
    # Tuesday 8 April: the council 13:00-14:30 and the school conference 12:30-14:30 share skolen.
    plan = replace(valid_plan(), uid("kreativt-raad", 1), council(1, D("2025-04-08"), "13:00"))
    found = verify_plan(config, plan)
    assert rules(found) == {"rooms"}, format_violations(found)
    assert len(found) == 1
    assert "Nordskolen har 2 møder på samme tid" in found[0].message
    assert set(found[0].meetings) == {uid("kreativt-raad", 1), uid("kk-nordskolen", 2)}


def test_rooms_back_to_back(config: MunicipalityConfig) -> None:
    plan = replace(valid_plan(), uid("kreativt-raad", 1), council(1, D("2025-04-08"), "11:00"))
    assert verify_plan(config, plan) == []  # 11:00-12:30, then 12:30-14:30: one room suffices


def test_max_meetings_per_week(config: MunicipalityConfig) -> None:
    # sundhed-1 (max 1 a week) has Monday 17 March's daycare meeting; add her to Wednesday's
    # council in the same ISO week.
    plan = edit(
        valid_plan(),
        uid("kreativt-raad", 0),
        _add(att("sundhed-1", "optional", "sundhedsplejerske")),
    )
    found = verify_plan(config, plan)
    assert rules(found) == {"max_meetings_per_week"}, format_violations(found)
    assert "Sundhedsplejerske deltager i 2 møder i uge 12 2025" in found[0].message


# --------------------------------------------------------------------------- time zones


def _set_times(start: datetime, end: datetime) -> Callable[[Meeting], None]:
    def change(m: Meeting) -> None:
        m.start, m.end = start, end

    return change


def test_summer_time_wall_clock(config: MunicipalityConfig) -> None:
    """13:00 on 8 April (CEST, +02:00) is 13:00 local, however the instant is written."""
    target = uid("kk-nordskolen", 2)
    local = replace(valid_plan(), target, school(2, D("2025-04-08"), "13:00"))
    start, end = local.meetings[2].start, local.meetings[2].end
    assert start.utcoffset() == timedelta(hours=2)
    assert verify_plan(config, local) == []

    in_utc = edit(local, target, _set_times(start.astimezone(UTC), end.astimezone(UTC)))
    assert in_utc.meetings[2].start.hour == 11
    assert verify_plan(config, in_utc) == []

    # 13:00 UTC is 15:00 in Copenhagen: past the window and the referent's day.
    utc_13 = datetime(2025, 4, 8, 13, 0, tzinfo=UTC)
    late = edit(local, target, _set_times(utc_13, utc_13 + timedelta(hours=2)))
    found = verify_plan(config, late)
    assert rules(found) == {"time_window", "availability"}, format_violations(found)
    assert "15:00-17:00" in found[0].message


# --------------------------------------------------------------------------- output


def test_violations_are_ordered_by_rule(config: MunicipalityConfig) -> None:
    """The weekday problem is found first (earlier meeting), but structure is listed first."""
    assert len(RULES) == len(set(RULES)) == 13
    plan = replace(valid_plan(), uid("kk-nordskolen", 0), school(0, D("2025-03-10")))  # a Monday
    plan = edit(plan, uid("kk-nordskolen", 1), lambda m: setattr(m, "site", "boernehuset"))
    found = verify_plan(config, plan)
    assert [v.rule for v in found] == ["structure", "allowed_weekdays"], format_violations(found)


def test_format_violations() -> None:
    text = format_violations([Violation("rooms", "too many"), Violation("seats", "empty", ("a",))])
    assert text == "- too many\n- empty"
