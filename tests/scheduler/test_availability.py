"""When a person can meet (`scheduler.availability`), and that the planner, the independent
verifier and the slot finder agree on it.

The term starts Monday 4 January 2027, so a commitment every N weeks without `first_date` is
phased from that week: a fortnightly Tuesday commitment falls on 5 January, 19 January, 2 and
16 February, and leaves 9 and 23 February free.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from scheduler.availability import busy_spans, commitment_falls_on, free_spans, is_free
from scheduler.build import build_model
from scheduler.config import config_from_data
from scheduler.explain import why_meeting
from scheduler.index import index_of
from scheduler.model import (
    Attendee,
    Commitment,
    Meeting,
    MunicipalityConfig,
    Plan,
    TimeRange,
    Weekday,
)
from scheduler.slots import find_slots, parse_request
from scheduler.term_dates import TZ
from scheduler.verify import verify_plan
from tests.builders import hand_plan

TERM_START = date(2027, 1, 4)
TUESDAYS = [date(2027, 2, 2), date(2027, 2, 9), date(2027, 2, 16), date(2027, 2, 23)]
EIGHT, NINE = 8 * 60, 9 * 60


def config(commitment: dict[str, Any], **person: Any) -> MunicipalityConfig:
    """One person working Tuesdays 08:00-12:00 with the commitment, and a weekly Tuesday 08:00
    series that needs them (so the planner's candidate times show when they are free)."""
    data: dict[str, Any] = {
        "municipality": "Testkommune",
        "districts": [{"id": "nord", "name": "Nord"}],
        "sites": [{"id": "raadhus", "name": "Rådhuset", "rooms": [{"id": "familierum", "capacity": 4}]}],
        "units": [{"id": "social", "name": "Socialafsnittet", "kind": "socialafsnit", "sites": ["raadhus"]}],
        "staff": [
            {
                "id": "psykolog",
                "name": "Psykolog A",
                "roles": ["psykolog"],
                "working_hours": {"tue": "08:00-12:00"},
                "commitments": [commitment],
                **copy.deepcopy(person),
            }
        ],
        "terms": [{"id": "foraar", "name": "Forår", "start": TERM_START.isoformat(), "end": "2027-06-25"}],
        "series": [
            {
                "id": "tirsdag",
                "type": "andet",
                "unit": "social",
                "cadence": "weekly",
                "duration_minutes": 60,
                "weekdays": ["tue"],
                "window": "08:00-09:00",
                "required_people": ["psykolog"],
            }
        ],
    }
    return config_from_data(data)


def supervision(**changes: Any) -> dict[str, Any]:
    return {"title": "Supervision", "weekday": "tue", "time": "08:00-09:00", "every_weeks": 2, **changes}


def planner_free(cfg: MunicipalityConfig) -> set[date]:
    """Tuesdays on which the built model offers the series its 08:00 candidate."""
    ctx = build_model(cfg, index_of(cfg).term(None))
    assert all(
        ctx.is_free("psykolog", o.day, o.start, o.start + 60) for occ in ctx.occurrences for o in occ.options
    )
    return {o.day for occ in ctx.by_series["tirsdag"] for o in occ.options if o.start == EIGHT}


def at_eight(day: date, index: int) -> Meeting:
    return Meeting(
        uid=f"tirsdag-{day}@test",
        series="tirsdag",
        occurrence=index,
        title="Møde",
        unit="social",
        site="raadhus",
        start=datetime.combine(day, time(8), TZ),
        end=datetime.combine(day, time(9), TZ),
        attendees=[Attendee(person="psykolog", role="psykolog", required=True, seat="required_people[0]")],
        room="familierum",
    )


def plan(*meetings: Meeting) -> Plan:
    return hand_plan("foraar", *meetings)


def verifier_free(cfg: MunicipalityConfig, days: list[date]) -> set[date]:
    """Tuesdays on which a meeting at 08:00 draws no availability violation from the verifier."""
    meetings = [at_eight(day, i) for i, day in enumerate(days)]
    flagged = {
        uid for v in verify_plan(cfg, plan(*meetings)) if v.rule == "availability" for uid in v.meetings
    }
    return {m.start.astimezone(TZ).date() for m in meetings if m.uid not in flagged}


def finder_free(cfg: MunicipalityConfig, days: list[date]) -> set[date]:
    """Tuesdays on which the slot finder offers 08:00 for a one-hour meeting with the person."""
    free = set()
    for day in days:
        request = parse_request(
            {
                "id": "sag-1",
                "participants": [{"person": "psykolog"}],
                "duration_minutes": 60,
                "site": "raadhus",
                "earliest": day.isoformat(),
                "latest": day.isoformat(),
                "window": "08:00-09:00",
            },
            cfg,
        )
        result = find_slots(cfg, plan(), request)
        if any(s.meetings[0].start == datetime.combine(day, time(8), TZ) for s in result.slots):
            free.add(day)
        else:
            assert any("har en fast aftale tirsdag 08:00-09:00" in line for line in result.explanation)
    return free


@pytest.mark.parametrize(
    ("changes", "expected_free"),
    [
        ({}, {date(2027, 2, 9), date(2027, 2, 23)}),  # phased from the term's first week
        ({"first_date": "2027-01-12"}, {date(2027, 2, 2), date(2027, 2, 16)}),
        ({"first_date": "2027-02-09"}, {date(2027, 2, 2), date(2027, 2, 16)}),  # nothing before it
        ({"every_weeks": 1}, set()),
    ],
)
def test_planner_verifier_and_slot_finder_agree_on_a_fortnightly_commitment(
    changes: dict[str, Any], expected_free: set[date]
) -> None:
    cfg = config(supervision(**changes))
    person = index_of(cfg).people["psykolog"]
    assert {d for d in TUESDAYS if is_free(person, d, EIGHT, NINE, TERM_START)} == expected_free
    assert planner_free(cfg) & set(TUESDAYS) == expected_free
    assert verifier_free(cfg, TUESDAYS) == expected_free
    assert finder_free(cfg, TUESDAYS) == expected_free


# --------------------------------------------------------------------------- the shared function


def commitment(every_weeks: int, first_date: date | None = None) -> Commitment:
    return Commitment(
        title="Netværk",
        weekday=Weekday.wed,
        time=TimeRange(start=13 * 60, end=14 * 60),
        every_weeks=every_weeks,
        first_date=first_date,
    )


WEDNESDAYS = [date(2027, 1, 6) + timedelta(weeks=k) for k in range(7)]  # 6 January .. 17 February


@pytest.mark.parametrize(
    ("every_weeks", "first_date", "weeks"),
    [
        (2, None, [0, 2, 4, 6]),
        (3, None, [0, 3, 6]),
        (2, date(2027, 1, 13), [1, 3, 5]),
        (3, date(2027, 1, 20), [2, 5]),
        (3, date(2027, 1, 19), [2, 5]),  # a first date on another weekday sets the week only
    ],
)
def test_a_commitment_every_n_weeks_is_phased_from_its_first_date_or_the_term(
    every_weeks: int, first_date: date | None, weeks: list[int]
) -> None:
    falls = [
        i
        for i, day in enumerate(WEDNESDAYS)
        if commitment_falls_on(commitment(every_weeks, first_date), day, TERM_START)
    ]
    assert falls == weeks


def test_a_commitment_only_falls_on_its_weekday() -> None:
    assert not commitment_falls_on(commitment(1), date(2027, 1, 5), TERM_START)  # a Tuesday


def test_working_hours_bound_the_day_and_a_day_off_has_no_time() -> None:
    cfg = config(supervision(), working_hours={"tue": "08:00-12:00", "thu": "10:00-14:00"})
    person = index_of(cfg).people["psykolog"]
    thursday = date(2027, 2, 4)
    assert free_spans(person, thursday, TERM_START) == ((600, 840),)
    assert is_free(person, thursday, 600, 840, TERM_START)
    assert not is_free(person, thursday, 570, 630, TERM_START)
    assert not is_free(person, thursday, 810, 870, TERM_START)
    assert free_spans(person, date(2027, 2, 3), TERM_START) == ()  # no hours on Wednesdays
    # the fortnightly 08:00-09:00 takes the first hour of a busy Tuesday, not the rest
    assert free_spans(person, date(2027, 2, 2), TERM_START) == ((540, 720),)


def test_a_partial_absence_blocks_only_its_hours_and_keeps_its_reason_out() -> None:
    cfg = config(
        supervision(),
        absences=[
            {"start": "2027-02-09", "end": "2027-02-09", "time": "10:00-11:00", "reason": "tandlæge"},
            {"start": "2027-02-23", "end": "2027-03-02", "reason": "ferie"},
        ],
    )
    person = index_of(cfg).people["psykolog"]
    assert free_spans(person, date(2027, 2, 9), TERM_START) == ((480, 600), (660, 720))
    assert is_free(person, date(2027, 2, 9), 480, 600, TERM_START)
    assert not is_free(person, date(2027, 2, 9), 570, 630, TERM_START)
    assert is_free(person, date(2027, 2, 9), 660, 720, TERM_START)  # the absence ends at 11:00
    assert busy_spans(person, date(2027, 2, 9), TERM_START) == [(600, 660, "")]
    for day in (date(2027, 2, 23), date(2027, 3, 2)):  # whole days, first and last included
        assert free_spans(person, day, TERM_START) == ()
    assert busy_spans(person, date(2027, 2, 16), TERM_START) == [(480, 540, "Supervision")]


def test_why_here_names_the_commitment_only_in_its_weeks() -> None:
    """The web's "Hvorfor her?" rules out 08:00 and 08:30 in a week the fortnightly commitment
    falls in (in the planner's words), and allows them in a week it does not."""
    cfg = config(supervision(), working_hours={"tue": "08:00-12:00", "thu": "10:00-14:00"})
    data = cfg.model_dump(mode="json", exclude_none=True)
    data["series"][0].update({"weekdays": ["tue", "thu"], "window": "08:00-12:00"})
    cfg = config_from_data(data)

    def why(day: date) -> list[str]:
        meeting = at_eight(day, (day - TERM_START).days // 7).model_copy(
            update={"start": datetime.combine(day, time(10), TZ), "end": datetime.combine(day, time(11), TZ)}
        )
        return why_meeting(cfg, plan(meeting), meeting.uid)

    busy_week = why(date(2027, 2, 16))
    assert (
        busy_week[0]
        == "Møde ligger tirsdag 16/2 kl. 10:00-11:00. Serien holdes tirsdag kl. 10:00 i 1 af 1 møder."
    )
    assert (
        "2 andre tider udelukkes af «Tilgængelighed», fx tirsdag 16/2 kl. 08:00: "
        "Psykolog A har en fast aftale tirsdag 08:00-09:00 (Supervision)"
    ) in busy_week
    free_week = why(date(2027, 2, 9))
    assert not any("Tilgængelighed" in line and "tirsdag 9/2" in line for line in free_week)
    assert any(
        line.startswith("7 andre tider overholder alle regler (tirsdag 9/2 kl. 08:00, tirsdag 9/2 kl. 08:30")
        for line in free_week
    )
