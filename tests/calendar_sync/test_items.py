"""Calendar items from a plan: one recurring item per regular series, and nothing lost or doubled.

The truth is the plan. Every check that items say what the plan says goes through an independent
reader: the items are rendered as a feed and expanded by recurring_ical_events (RRULE, EXDATE,
RECURRENCE-ID resolved by that library, TZID by the tz database), and the instances it finds are
compared, instant by instant, with the plan's meetings.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from calendar_sync.items import CalendarItem, fingerprint, items_from_plan, view_for
from calendar_sync.itip import render, render_feed
from calendar_sync.recurrence import Recurrence
from scheduler.config import config_from_data, load_config
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import (
    TZ,
    closed_days_for,
    local_datetime,
    local_shape,
    meeting_patterns,
    series_periods,
)
from tests import builders
from tests.builders import SMALL

TERM = "foraar-2027"

CONFIG_DATA: dict[str, Any] = {
    "municipality": "Ballerup Kommune",
    "districts": [{"id": "vest", "name": "Vest"}],
    "sites": [
        {"id": "skolen", "name": "Vestskolen", "address": "Skolevej 1, 2750 Ballerup"},
        {"id": "skolen-b", "name": "Vestskolen afd. B", "address": "Skolevej 9, 2750 Ballerup"},
        {"id": "raadhus", "name": "Ballerup Rådhus", "address": "Hold-An Vej 7, 2750 Ballerup"},
    ],
    "units": [
        builders.unit("vestskolen", "Vestskolen", "skole", "skolen", "skolen-b", district="vest"),
        {"id": "fronten", "name": "Fronten", "kind": "socialafsnit", "sites": ["raadhus"]},
    ],
    "staff": [
        builders.person("leder", "paedagogisk_leder", name="Pædagogisk leder Vest", email="leder@x.dk"),
        builders.person("referent", "referent", name="Referent Vest"),
        builders.person("psykolog-a", "psykolog", email="psy.a@x.dk"),
        *(
            builders.person(
                f"ssp-{x}", "ssp_konsulent", name=f"SSP-konsulent {x.upper()}", email=f"ssp.{x}@x.dk"
            )
            for x in "ab"
        ),
        builders.person("front-a", "frontmedarbejder", name="Frontmedarbejder A"),
    ],
    "terms": [
        {
            "id": TERM,
            "name": "Forår 2027",
            "start": "2027-01-04",
            "end": "2027-06-25",
            # covers both weeks of the fortnight 15-28 February: that period has no meeting
            "school_holidays": [
                {"name": "Vinterferie og lejrskole", "start": "2027-02-15", "end": "2027-02-26"}
            ],
        }
    ],
    "series": [
        {
            "id": "kk-vest",
            "type": "koordineringskonference_skole",
            "unit": "vestskolen",
            "cadence": "fortnightly",
            "weekdays": ["tue", "wed", "thu"],
            "chair": "leder",
            "minute_taker": "referent",
            "required_people": ["psykolog-a"],
        },
        {
            "id": "ssp-moede",
            "type": "andet",
            "unit": "vestskolen",
            "cadence": "weekly",
            "chair": "leder",
            "rota": {"role": "ssp_konsulent", "people": ["ssp-a", "ssp-b"], "rota": True},
        },
        {
            "id": "kreative",
            "type": "kreative_raad",
            "unit": "vestskolen",
            "cadence": "monthly",
            "required_people": ["psykolog-a"],
        },
        {
            "id": "strategi",
            "type": "strategisk_koordineringskonference",
            "unit": "vestskolen",
            "cadence": {"kind": "per_term", "count": 3},
            "required_people": ["leder", "psykolog-a"],
        },
        {
            "id": "fronten-daglig",
            "type": "fronten",
            "unit": "fronten",
            "cadence": "daily",
            "duration_minutes": 30,
            "required_people": ["front-a"],
            "observe_school_holidays": False,
        },
    ],
}

KK_ATTENDEES = [
    Attendee(person="leder", role="paedagogisk_leder", required=True, seat="chair"),
    Attendee(person="referent", role="referent", required=True, seat="minute_taker"),
    Attendee(person="psykolog-a", role="psykolog", required=True, seat="required_people[0]"),
]


@pytest.fixture(scope="module")
def config() -> MunicipalityConfig:
    return config_from_data(CONFIG_DATA)


@pytest.fixture(scope="module")
def small() -> tuple[MunicipalityConfig, Plan]:
    config = load_config(SMALL)
    # one worker and a fixed seed: the same optimal plan every run (two workers may pick another)
    plan = solve(config, options=SolveOptions(time_limit=10, workers=1, seed=0))
    assert plan.status.value in ("OPTIMAL", "FEASIBLE")
    return config, plan


# --------------------------------------------------------------------------- building plans


def periods_of(config: MunicipalityConfig, series_id: str) -> list[Any]:
    series = next(s for s in config.series if s.id == series_id)
    term = config.terms[0]
    return series_periods(series, term, closed_days_for(config, term, series))


def make_meeting(
    series: str,
    occurrence: int,
    day: date,
    start: int,
    minutes: int,
    attendees: list[Attendee],
    site: str = "skolen",
    unit: str = "vestskolen",
    title: str | None = None,
) -> Meeting:
    return Meeting(
        uid=f"{series}.{TERM}.{occurrence}@moedeplan",
        series=series,
        occurrence=occurrence,
        title=title or f"Møde {series}",
        unit=unit,
        site=site,
        start=local_datetime(day, start),
        end=local_datetime(day, start) + timedelta(minutes=minutes),
        attendees=attendees,
    )


def regular_meetings(
    config: MunicipalityConfig,
    series: str,
    pick: Any,
    start: int,
    minutes: int,
    attendees: Any,
    **kwargs: Any,
) -> list[Meeting]:
    """One meeting per period with an open day: on `pick(period)` if open, else its first open day."""
    meetings = []
    for period in periods_of(config, series):
        if not period.days:
            continue
        day = pick(period)
        day = day if day in period.days else period.days[0]
        who = attendees(period.index) if callable(attendees) else attendees
        meetings.append(make_meeting(series, period.index, day, start, minutes, who, **kwargs))
    return meetings


def tuesday(period: Any) -> date:
    return period.phase_origin + timedelta(days=1)


def kk_meetings(config: MunicipalityConfig) -> list[Meeting]:
    return regular_meetings(config, "kk-vest", tuesday, 13 * 60, 120, KK_ATTENDEES)


def plan_of(meetings: list[Meeting]) -> Plan:
    by_start = sorted(meetings, key=lambda m: m.start)
    return builders.hand_plan(
        TERM, *by_start, municipality="Ballerup Kommune", status=PlanStatus.OPTIMAL, solve_seconds=0.1
    )


def moved(meeting: Meeting, days: int = 0, minutes: int = 0) -> Meeting:
    """The meeting on another day and/or at another wall-clock time, same length."""
    local = meeting.start.astimezone(TZ)
    start = local_datetime(local.date() + timedelta(days=days), local.hour * 60 + local.minute + minutes)
    return meeting.model_copy(update={"start": start, "end": start + (meeting.end - meeting.start)})


# --------------------------------------------------------------------------- the independent check


def expand(ics: bytes, first: date, last: date) -> list[tuple[datetime, datetime]]:
    instances = recurring_ical_events.of(Calendar.from_ical(ics)).between(first, last + timedelta(days=1))
    return sorted((o["DTSTART"].dt, o["DTEND"].dt) for o in instances)


def times(meetings: list[Meeting]) -> list[tuple[datetime, datetime]]:
    return sorted((m.start, m.end) for m in meetings)


def assert_items_are_the_plan(config: MunicipalityConfig, plan: Plan, items: list[CalendarItem]) -> None:
    """Every meeting in exactly one item; each person's items expand to exactly their meetings."""
    term = next(t for t in config.terms if t.id == plan.term)
    covered = Counter(uid for item in items for uid in item.meeting_uids)
    assert covered == Counter(m.uid for m in plan.meetings)
    by_uid = {m.uid: m for m in plan.meetings}
    for item in items:  # each item alone shows exactly the meetings it says it covers
        found = expand(render_feed([item], "x"), term.start, term.end)
        assert found == times([by_uid[u] for u in item.meeting_uids]), item.uid
        if item.rrule is None:
            assert item.uid == item.meeting_uids[0] and len(item.meeting_uids) == 1
    for person in config.staff:  # each person's calendar holds the item as `view_for` gives it
        mine = [view for view in (view_for(i, person.id) for i in items) if view is not None]
        assert {i.uid for i in mine} == {i.uid for i in items if person.id in i.recipients}
        found = expand(render_feed(mine, f"Møder – {person.name}"), term.start, term.end)
        expected = times([m for m in plan.meetings if any(a.person == person.id for a in m.attendees)])
        assert found == expected, person.id


# --------------------------------------------------------------------------- the solved small fixture


def test_solved_plan_items_are_exactly_the_plan(small: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = small
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    recurring = {i.series: i for i in items if i.rrule is not None}
    assert set(recurring) == {"kk-nordskolen", "kk-nord-dagtilbud"}
    assert recurring["kk-nordskolen"].uid == "kk-nordskolen.foraar-2027.serie@moedeplan"
    assert recurring["kk-nordskolen"].rrule is not None
    assert recurring["kk-nordskolen"].rrule.frequency == "WEEKLY"
    assert recurring["kk-nordskolen"].rrule.interval == 2
    assert recurring["kk-nord-dagtilbud"].rrule is not None
    assert recurring["kk-nord-dagtilbud"].rrule.frequency == "MONTHLY"


def test_plan_read_back_from_json_gives_the_same_items(small: tuple[MunicipalityConfig, Plan]) -> None:
    """A stored plan has fixed +01:00/+02:00 offsets; items (and fingerprints) must not notice."""
    config, plan = small
    stored = Plan.model_validate_json(plan.model_dump_json())
    again, first = items_from_plan(config, stored), items_from_plan(config, plan)
    assert [fingerprint(i) for i in again] == [fingerprint(i) for i in first]
    assert all(i.start.tzinfo == TZ for i in again)


def test_first_publish_messages_per_person(
    small: tuple[MunicipalityConfig, Plan], capsys: pytest.CaptureFixture[str]
) -> None:
    """The measurement: messages a person gets when the plan is first published = their items.

    At most one per series they attend plus one per meeting off the series' usual pattern or
    usual attendees; the school conference's chair gets exactly one when the series is regular.
    """
    config, plan = small
    term = config.terms[0]
    items = items_from_plan(config, plan)
    series_by_id = {s.id: s for s in config.series}
    irregular: set[str] = set()
    for series_id in {m.series for m in plan.meetings}:
        meetings = sorted((m for m in plan.meetings if m.series == series_id), key=lambda m: m.start)
        patterns = meeting_patterns(config, term, series_by_id[series_id], [local_shape(m) for m in meetings])
        sets = [frozenset((a.person, a.required) for a in m.attendees) for m in meetings]
        usual_pattern = Counter(patterns).most_common(1)[0][0]
        usual_set = Counter(sets).most_common(1)[0][0]
        irregular |= {
            m.uid
            for m, p, s in zip(meetings, patterns, sets, strict=True)
            if p != usual_pattern or s != usual_set
        }
    report = []
    for person in config.staff:
        attended = [m for m in plan.meetings if any(a.person == person.id for a in m.attendees)]
        messages = sum(person.id in i.recipients for i in items)
        bound = len({m.series for m in attended}) + sum(m.uid in irregular for m in attended)
        report.append(f"{person.id}: {len(attended)} meetings -> {messages} messages (bound {bound})")
        assert messages <= bound, person.id
    school = [i for i in items if i.series == "kk-nordskolen"]
    school_meetings = [m for m in plan.meetings if m.series == "kk-nordskolen"]
    chair = next(a.person for a in school_meetings[0].attendees if a.seat == "chair")
    if not any(m.uid in irregular for m in school_meetings):
        assert sum(chair in i.recipients for i in school) == 1
        assert len(school) == 1
    with capsys.disabled():
        print("\nfirst-publish messages per person (small fixture):\n  " + "\n  ".join(report))


def test_moving_one_meeting_changes_one_fingerprint(small: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = small
    before = {i.uid: fingerprint(i) for i in items_from_plan(config, plan)}
    target = next(m for m in plan.meetings if m.series == "kk-nordskolen" and m.occurrence == 4)
    meetings = [moved(m, days=1) if m.uid == target.uid else m for m in plan.meetings]
    after = {
        i.uid: fingerprint(i) for i in items_from_plan(config, plan.model_copy(update={"meetings": meetings}))
    }
    assert set(after) == set(before)  # the moved meeting became an override, not a new item
    changed = {uid for uid in before if before[uid] != after[uid]}
    assert changed == {"kk-nordskolen.foraar-2027.serie@moedeplan"}


# --------------------------------------------------------------------------- hand-built series


def test_fortnightly_with_a_move_and_a_holiday_is_one_item(config: MunicipalityConfig) -> None:
    meetings = kk_meetings(config)
    periods = periods_of(config, "kk-vest")
    skipped = [p for p in periods if not p.days]
    assert [p.start for p in skipped] == [date(2027, 2, 15)]  # the holiday fortnight
    target = next(m for m in meetings if m.occurrence == 5)
    meetings = [moved(m, days=1) if m is target else m for m in meetings]
    plan = plan_of(meetings)

    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    [item] = items
    assert item.uid == f"kk-vest.{TERM}.serie@moedeplan"
    assert item.start == local_datetime(date(2027, 1, 5), 13 * 60)
    assert item.end == local_datetime(date(2027, 1, 5), 15 * 60)
    last = max(m.start for m in meetings)
    assert item.rrule == Recurrence("WEEKLY", weekdays=(1,), interval=2, until=last.astimezone(UTC))
    assert item.exdates == (local_datetime(date(2027, 2, 16), 13 * 60),)
    [override] = item.overrides
    assert override.recurrence_id == local_datetime(tuesday(periods[5]), 13 * 60)
    assert override.start == local_datetime(tuesday(periods[5]) + timedelta(days=1), 13 * 60)
    assert override.meeting_uid == target.uid
    assert item.meeting_uids == tuple(m.uid for m in sorted(meetings, key=lambda m: m.start))
    assert item.organizer is not None and item.organizer.person == "leder"
    assert [(a.person, a.required, a.role_label) for a in item.attendees] == [
        ("referent", True, "Referent"),
        ("psykolog-a", True, "Psykolog (PPR)"),
    ]
    assert item.location == "Vestskolen, Skolevej 1, 2750 Ballerup"
    assert item.description.splitlines()[0] == "Mødeleder: Pædagogisk leder Vest"


def test_moved_to_other_site_or_time_is_an_override(config: MunicipalityConfig) -> None:
    meetings = kk_meetings(config)
    meetings[2] = meetings[2].model_copy(update={"site": "skolen-b"})
    meetings[4] = moved(meetings[4], minutes=60)
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    [item] = items
    by_meeting = {o.meeting_uid: o for o in item.overrides}
    assert set(by_meeting) == {meetings[2].uid, meetings[4].uid}
    assert by_meeting[meetings[2].uid].location == "Vestskolen afd. B, Skolevej 9, 2750 Ballerup"
    assert by_meeting[meetings[2].uid].start == by_meeting[meetings[2].uid].recurrence_id
    assert by_meeting[meetings[4].uid].start.astimezone(TZ).hour == 14


def test_other_attendees_make_a_single_and_an_exdate(config: MunicipalityConfig) -> None:
    meetings = kk_meetings(config)
    substitute = [*KK_ATTENDEES[:2], Attendee(person="ssp-a", role="ssp_konsulent", required=True, seat="x")]
    meetings[3] = meetings[3].model_copy(update={"attendees": substitute})
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    recurring, single = items[0], items[1]
    assert recurring.rrule is not None and single.rrule is None
    assert single.uid == meetings[3].uid
    assert meetings[3].start in recurring.exdates  # its instance is taken out of the series
    assert not recurring.overrides


def test_optional_attendee_at_some_meetings_keeps_one_series(config: MunicipalityConfig) -> None:
    # ssp-a is optional and comes to every third meeting; psykolog-a (required) to all. The core
    # group keeps one recurring invitation; ssp-a is invited to just their instances.
    optional = Attendee(person="ssp-a", role="ssp_konsulent", required=False, seat="optional")
    meetings = regular_meetings(
        config,
        "kk-vest",
        tuesday,
        13 * 60,
        120,
        lambda index: [*KK_ATTENDEES, optional] if index % 3 == 0 else KK_ATTENDEES,
    )
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    assert len(items) == 1 and items[0].rrule is not None
    series = items[0]
    assert "ssp-a" in series.recipients and "ssp-a" not in series.core
    with_ssp = [m for m in meetings if any(a.person == "ssp-a" for a in m.attendees)]
    own = [o for o in series.overrides if o.attendees is not None]
    assert sorted(o.meeting_uid for o in own) == sorted(m.uid for m in with_ssp)
    view = view_for(series, "ssp-a")
    assert view is not None and view.instances_only and len(view.overrides) == len(with_ssp)
    request = render(series, "REQUEST", 0, recipient="ssp-a").decode()
    assert "RRULE:FREQ=WEEKLY" not in request and request.count("RECURRENCE-ID") == len(with_ssp)
    assert "mailto:ssp.a@x.dk" in request


def test_usual_optional_attendee_who_misses_one_meeting(config: MunicipalityConfig) -> None:
    # ssp-a usually comes; at one meeting they cannot: their calendar drops that instance only.
    optional = Attendee(person="ssp-a", role="ssp_konsulent", required=False, seat="optional")
    meetings = regular_meetings(
        config,
        "kk-vest",
        tuesday,
        13 * 60,
        120,
        lambda index: KK_ATTENDEES if index == 2 else [*KK_ATTENDEES, optional],
    )
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    assert len(items) == 1
    view = view_for(items[0], "ssp-a")
    missed = next(m for m in meetings if m.occurrence == 2)
    assert view is not None and not view.instances_only and missed.start in view.exdates


def test_first_meeting_off_pattern_stays_single(config: MunicipalityConfig) -> None:
    """DTSTART is the first meeting on the rule; an earlier odd one is its own item."""
    meetings = kk_meetings(config)
    meetings[0] = moved(meetings[0], days=2)
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    assert [i.uid for i in items] == [meetings[0].uid, f"kk-vest.{TERM}.serie@moedeplan"]
    assert items[1].start == meetings[1].start


def test_first_meeting_elsewhere_does_not_become_the_master(config: MunicipalityConfig) -> None:
    """The master carries the usual place; an odd first meeting is a single, not a master that
    every later instance would have to override."""
    meetings = kk_meetings(config)
    meetings[0] = meetings[0].model_copy(update={"site": "skolen-b"})
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    assert [i.uid for i in items] == [meetings[0].uid, f"kk-vest.{TERM}.serie@moedeplan"]
    assert items[1].location == "Vestskolen, Skolevej 1, 2750 Ballerup" and not items[1].overrides


def test_rota_series_is_single_items(config: MunicipalityConfig) -> None:
    def rota(index: int) -> list[Attendee]:
        person = "ssp-a" if index % 2 == 0 else "ssp-b"
        return [
            Attendee(person="leder", role="paedagogisk_leder", required=True, seat="chair"),
            Attendee(person=person, role="ssp_konsulent", required=True, seat="rota"),
        ]

    meetings = regular_meetings(config, "ssp-moede", tuesday, 9 * 60, 60, rota)
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    assert all(i.rrule is None for i in items)
    assert [i.uid for i in items] == [m.uid for m in plan.meetings]
    assert len(items) == len(meetings) > 10


def test_per_term_series_is_never_recurring(config: MunicipalityConfig) -> None:
    attendees = [
        Attendee(person="leder", role="paedagogisk_leder", required=True, seat="required_people[0]"),
        Attendee(person="psykolog-a", role="psykolog", required=True, seat="required_people[1]"),
    ]
    meetings = regular_meetings(config, "strategi", tuesday, 10 * 60, 120, attendees)
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    assert len(items) == 3 and all(i.rrule is None for i in items)
    assert all(i.organizer is None for i in items)  # no chair seat


def test_daily_series_skips_helligdage_by_exdate(config: MunicipalityConfig) -> None:
    attendees = [
        Attendee(person="front-a", role="frontmedarbejder", required=True, seat="required_people[0]")
    ]
    meetings = regular_meetings(
        config,
        "fronten-daglig",
        lambda p: p.start,
        9 * 60,
        30,
        attendees,
        site="raadhus",
        unit="fronten",
    )
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    [item] = items
    assert item.rrule is not None
    assert item.rrule.frequency == "DAILY" and item.rrule.weekdays == (0, 1, 2, 3, 4)
    holidays = {d.date() for d in item.exdates}
    assert {date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 6)} <= holidays
    assert date(2027, 2, 16) not in holidays  # Fronten works in the school holidays


def test_monthly_meeting_a_week_late_is_an_override(config: MunicipalityConfig) -> None:
    attendees = [Attendee(person="psykolog-a", role="psykolog", required=True, seat="required_people[0]")]

    def second_tuesday(period: Any) -> date:
        first = period.phase_origin + timedelta(days=(1 - period.phase_origin.weekday()) % 7)
        return first + timedelta(days=7)

    meetings = regular_meetings(config, "kreative", second_tuesday, 9 * 60, 120, attendees)
    march = next(m for m in meetings if m.start.month == 3)
    assert march.start.date() == date(2027, 3, 9)
    meetings = [moved(m, days=7) if m is march else m for m in meetings]
    plan = plan_of(meetings)
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    [item] = items
    assert item.rrule is not None and (item.rrule.weekdays, item.rrule.nth) == ((1,), 2)
    assert [(o.recurrence_id.date(), o.start.date()) for o in item.overrides] == [
        (date(2027, 3, 9), date(2027, 3, 16))
    ]


def test_fingerprint_is_stable_and_sensitive(config: MunicipalityConfig) -> None:
    meetings = kk_meetings(config)
    [item] = items_from_plan(config, plan_of(meetings))
    [same] = items_from_plan(config, plan_of([m.model_copy() for m in meetings]))
    assert fingerprint(item) == fingerprint(item) == fingerprint(same)
    assert len(fingerprint(item)) == 64 and int(fingerprint(item), 16) >= 0

    shifted = [moved(m, days=1) if m.occurrence == 6 else m for m in meetings]
    [changed] = items_from_plan(config, plan_of(shifted))
    assert fingerprint(changed) != fingerprint(item)

    retitled = [m.model_copy(update={"title": "Ny titel"}) for m in meetings]
    [renamed] = items_from_plan(config, plan_of(retitled))
    assert fingerprint(renamed) != fingerprint(item)


def test_unknown_term_site_or_person_is_refused(config: MunicipalityConfig) -> None:
    meetings = kk_meetings(config)
    with pytest.raises(ValueError, match="term"):
        items_from_plan(config, plan_of(meetings).model_copy(update={"term": "efteraar-2099"}))
    with pytest.raises(ValueError, match="unknown site"):
        items_from_plan(config, plan_of([meetings[0].model_copy(update={"site": "nowhere"})]))
    ghost = [Attendee(person="ghost", role="psykolog", required=True, seat="required_people[0]")]
    with pytest.raises(ValueError, match="unknown person"):
        items_from_plan(config, plan_of([meetings[0].model_copy(update={"attendees": ghost})]))


# --------------------------------------------------------------------------- any disturbance


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=12),
            st.sampled_from(["drop", "day", "hour", "site", "attendees", "title", "duration"]),
        ),
        max_size=6,
    )
)
def test_any_disturbed_series_still_expands_to_the_plan(
    config: MunicipalityConfig, changes: list[tuple[int, str]]
) -> None:
    """Whatever happens to a regular series, the items show exactly the plan's meetings."""
    meetings: list[Meeting | None] = list(kk_meetings(config))
    for index, change in changes:
        meeting = meetings[index % len(meetings)]
        if meeting is None:
            continue
        new: Meeting | None = {
            "drop": lambda m: None,
            "day": lambda m: moved(m, days=1),
            "hour": lambda m: moved(m, minutes=-60),
            "site": lambda m: m.model_copy(update={"site": "skolen-b"}),
            "attendees": lambda m: m.model_copy(update={"attendees": KK_ATTENDEES[:2]}),
            "title": lambda m: m.model_copy(update={"title": "Ekstra møde"}),
            "duration": lambda m: m.model_copy(update={"end": m.end + timedelta(minutes=30)}),
        }[change](meeting)
        meetings[index % len(meetings)] = new
    plan = plan_of([m for m in meetings if m is not None])
    items = items_from_plan(config, plan)
    assert_items_are_the_plan(config, plan, items)
    assert sum(i.rrule is not None for i in items) <= 1


def test_a_location_names_the_room_only_where_the_site_names_it() -> None:
    from calendar_sync.texts import location
    from scheduler.model import Room, Site

    named = Site(id="raadhus", name="Rådhuset", rooms=[Room(id="m2", name="Mødelokale 2"), Room(id="bag")])
    assert location(named, "m2") == "Mødelokale 2, Rådhuset"
    assert location(named, "bag") == "Rådhuset"  # a room without a name is no place anyone finds
    assert location(named, None) == "Rådhuset"
