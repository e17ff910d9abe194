"""Where a commitment takes place and the room it uses: config checks, the planner, the
independent verifier and the slot finder; and the slot finder's soft daily cap and preferred starts.

The base is Testkommune (tests.builders): Nordskolen meets at the site `skolen`, Solsikken at
`huset` (20 minutes apart by default), and here also Socialafsnittet at `raadhus`, which has the
named rooms `moedesal` and `lille`. The term starts Monday 6 September 2027.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from scheduler.availability import free_spans
from scheduler.build import build_model
from scheduler.config import ConfigError, config_from_data
from scheduler.index import index_of
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.replan import what_if
from scheduler.slots import RequestError, SlotResult, find_slots, parse_request
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ
from scheduler.verify import verify_plan
from tests.builders import EFTERAAR_START, hand_plan, person, series, small_config, small_config_data, unit

MONDAY = EFTERAAR_START
MONDAYS = [MONDAY + timedelta(weeks=k) for k in range(4)]
SITES = [
    {"id": "skolen", "name": "Nordskolen", "rooms": 1},
    {"id": "huset", "name": "Børnehuset", "rooms": 1},
    {"id": "raadhus", "name": "Rådhuset", "rooms": [{"id": "moedesal"}, {"id": "lille", "capacity": 2}]},
]
UNITS = [
    unit("nordskolen", "Nordskolen", "skole", "skolen"),
    unit("solsikken", "Solsikken", "dagtilbud", "huset"),
    unit("social", "Socialafsnittet", "socialafsnit", "raadhus"),
]


def team_meeting(**changes: Any) -> dict[str, Any]:
    """The PPR team meeting, Mondays 09:00-10:00, at Børnehuset unless changed."""
    return {"title": "Teammøde", "weekday": "mon", "time": "09:00-10:00", "site": "huset", **changes}


def config(staff: list[dict[str, Any]], series_list: list[dict[str, Any]], **top: Any) -> MunicipalityConfig:
    return small_config(sites=SITES, units=UNITS, staff=staff, series=series_list, **top)


def monday_series(sid: str = "kk", **extra: Any) -> dict[str, Any]:
    """A weekly one-hour Monday meeting at Nordskolen in the morning."""
    return series(sid, weekdays=["mon"], window="08:00-12:00", duration_minutes=60, **extra)


def solved(cfg: MunicipalityConfig) -> Plan:
    plan = solve(cfg, options=SolveOptions(time_limit=5, workers=1))
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), plan.explanation
    return plan


def clock(meeting: Meeting) -> time:
    return meeting.start.astimezone(TZ).time()


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("commitment", "problem"),
    [
        (
            team_meeting(site="husett"),
            "staff[0].commitments[0].site (personen 'p'): ukendt mødested 'husett' (mente du 'huset'?)",
        ),
        (
            team_meeting(site="raadhus", room="modesal"),
            "staff[0].commitments[0].room (personen 'p'): 'modesal' er ikke et lokale på mødestedet "
            "'raadhus' "
            "(moedesal, lille) (mente du 'moedesal'?)",
        ),
        (
            team_meeting(site=None, room="moedesal"),
            "staff[0].commitments[0].room (personen 'p'): et lokale kræver et mødested; angiv også "
            "staff[0].commitments[0].site",
        ),
    ],
)
def test_a_commitment_names_a_known_site_and_a_room_of_it(commitment: dict[str, Any], problem: str) -> None:
    data = small_config_data(
        sites=SITES,
        units=UNITS,
        staff=[person("p", commitments=[{k: v for k, v in commitment.items() if v is not None}])],
        series=[monday_series()],
    )
    with pytest.raises(ConfigError) as caught:
        config_from_data(data)
    assert problem in caught.value.problems


def test_a_commitment_without_site_still_loads_and_a_dumped_config_reads_back() -> None:
    cfg = config(
        [person("p", commitments=[{k: v for k, v in team_meeting().items() if k != "site"}])],
        [monday_series(required_people=["p"])],
    )
    assert cfg.staff[0].commitments[0].site is None
    data = cfg.model_dump(mode="json")
    assert type(cfg).model_validate(data) == cfg


# --------------------------------------------------------------------------- the planner


def monday_starts(cfg: MunicipalityConfig) -> set[time]:
    """The start times the built model offers the first Monday's meeting."""
    ctx = build_model(cfg, index_of(cfg).term(None))
    return {
        time(o.start // 60, o.start % 60)
        for occ in ctx.by_series["kk"]
        for o in occ.options
        if o.day == MONDAY
    }


@pytest.mark.parametrize(
    ("commitment", "expected"),
    [
        # 20 minutes to Børnehuset: 08:00 ends too late to get there, 10:00 starts too soon after
        (team_meeting(), {time(10, 30), time(11)}),
        (
            {k: v for k, v in team_meeting().items() if k != "site"},
            {time(8), time(10), time(10, 30), time(11)},
        ),
        (team_meeting(site="skolen"), {time(8), time(10), time(10, 30), time(11)}),  # no trip
    ],
)
def test_a_named_person_is_not_offered_times_without_the_trip_to_a_commitment(
    commitment: dict[str, Any], expected: set[time]
) -> None:
    cfg = config([person("p", commitments=[commitment])], [monday_series(required_people=["p"])])
    assert monday_starts(cfg) == expected


def test_the_trip_follows_the_configured_travel_time() -> None:
    cfg = config(
        [person("p", commitments=[team_meeting()])],
        [monday_series(required_people=["p"])],
        travel={"default_minutes": 20, "pairs": [{"sites": ["skolen", "huset"], "minutes": 60}]},
    )
    assert monday_starts(cfg) == {time(11)}


def test_a_pool_seat_goes_to_the_one_who_can_travel() -> None:
    """Psykolog A has the team meeting at Børnehuset 09:00-10:00; the conference is 08:00-09:00 at
    Nordskolen, so only B can sit, although B is the busier one (fair load would pick A)."""
    staff = [
        person("psykolog-a", "psykolog", commitments=[team_meeting()]),
        person("psykolog-b", "psykolog"),
    ]
    busy_b = series("b-mere", weekdays=["tue"], window="08:00-12:00", duration_minutes=240)
    busy_b["required_people"] = ["psykolog-b"]
    conference = series(
        "kk",
        weekdays=["mon"],
        window="08:00-09:00",
        duration_minutes=60,
        required_roles=[{"role": "psykolog"}],
    )
    plan = solved(config(staff, [conference, busy_b]))
    held = {a.person for m in plan.meetings if m.series == "kk" for a in m.attendees}
    assert held == {"psykolog-b"}
    assert verify_plan(config(staff, [conference, busy_b]), plan) == []

    without_site = [person("psykolog-a", "psykolog", commitments=[team_meeting(site="skolen")]), staff[1]]
    plan = solved(config(without_site, [conference, busy_b]))
    assert {a.person for m in plan.meetings if m.series == "kk" for a in m.attendees} == {"psykolog-a"}


@pytest.mark.parametrize(
    ("rooms", "room"),
    [([{"id": "moedesal"}], "moedesal"), (1, "raadhus.lokale-1")],  # named, and one anonymous room
)
def test_a_commitment_takes_its_room(rooms: Any, room: str) -> None:
    """Two people list the team meeting in the room (one event, not a clash); the conference would
    start at its preferred 09:00, but the room is taken until 11:00."""
    sites = [*SITES[:2], {"id": "raadhus", "name": "Rådhuset", "rooms": rooms}]
    team = team_meeting(site="raadhus", room=room, time="09:00-11:00")
    staff = [person("leder"), person("q", commitments=[team]), person("r", commitments=[team])]
    conference = monday_series(unit="social", required_people=["leder"], preferred_starts=["09:00"])
    cfg = small_config(sites=sites, units=UNITS, staff=staff, series=[conference])
    plan = solved(cfg)
    assert {clock(m) for m in plan.meetings} == {time(11)}
    assert verify_plan(cfg, plan) == []

    free = small_config(sites=sites, units=UNITS, staff=staff[:2], series=[conference])
    free.staff[1].commitments[0] = free.staff[1].commitments[0].model_copy(update={"room": None})
    assert {clock(m) for m in solved(free).meetings} == {time(9)}


# --------------------------------------------------------------------------- the verifier


def at(day: date, start: str, end: str, people: list[str], site: str = "skolen", **extra: Any) -> Meeting:
    return Meeting(
        uid=f"kk-{day}-{start}@test",
        series="kk",
        occurrence=0,
        title="Møde",
        unit=extra.pop("unit", "nordskolen"),
        site=site,
        start=datetime.combine(day, time.fromisoformat(start), TZ),
        end=datetime.combine(day, time.fromisoformat(end), TZ),
        attendees=[
            Attendee(person=p, role="paedagogisk_leder", required=True, seat=f"required_people[{i}]")
            for i, p in enumerate(people)
        ],
        **extra,
    )


def rule_messages(cfg: MunicipalityConfig, *meetings: Meeting, rule: str) -> list[str]:
    return [v.message for v in verify_plan(cfg, hand_plan("efteraar", *meetings)) if v.rule == rule]


@pytest.mark.parametrize(
    ("start", "end", "flagged"),
    [
        ("08:00", "09:00", True),
        ("10:00", "11:00", True),
        ("08:30", "09:30", False),
        ("10:30", "11:30", False),
    ],
)
def test_the_verifier_reports_no_time_to_travel_to_or_from_a_commitment(
    start: str, end: str, flagged: bool
) -> None:
    """08:30 overlaps the team meeting itself: an availability problem, not also a travel one."""
    cfg = config([person("p", commitments=[team_meeting()])], [monday_series(required_people=["p"])])
    messages = rule_messages(cfg, at(MONDAY, start, end, ["p"]), rule="travel_time")
    assert bool(messages) == flagged
    if flagged:
        assert "den faste aftale 'Teammøde' på Børnehuset" in messages[0]
        assert "turen tager 20" in messages[0]


def test_the_verifier_sees_no_trip_to_a_commitment_at_the_same_site_or_without_one() -> None:
    for commitment in (team_meeting(site="skolen"), {k: v for k, v in team_meeting().items() if k != "site"}):
        cfg = config([person("p", commitments=[commitment])], [monday_series(required_people=["p"])])
        assert rule_messages(cfg, at(MONDAY, "08:00", "09:00", ["p"]), rule="travel_time") == []


def test_the_verifier_only_sees_the_commitment_in_its_weeks() -> None:
    fortnightly = team_meeting(every_weeks=2)
    cfg = config([person("p", commitments=[fortnightly])], [monday_series(required_people=["p"])])
    flagged = [
        bool(rule_messages(cfg, at(day, "08:00", "09:00", ["p"]), rule="travel_time")) for day in MONDAYS
    ]
    assert flagged == [True, False, True, False]


def test_the_verifier_reports_a_meeting_in_a_room_a_commitment_takes_once() -> None:
    team = team_meeting(site="raadhus", room="moedesal")
    cfg = config(
        [person("leder"), person("q", commitments=[team]), person("r", commitments=[team])],
        [monday_series(unit="social", required_people=["leder"])],
    )
    taken = at(MONDAY, "09:30", "10:30", ["leder"], site="raadhus", unit="social", room="moedesal")
    messages = rule_messages(cfg, taken, rule="rooms")
    assert len(messages) == 1
    assert "er i moedesal, som den faste aftale 'Teammøde' (mandag 09:00-10:00) bruger" in messages[0]
    other_room = taken.model_copy(update={"room": "lille"})
    assert rule_messages(cfg, other_room, rule="rooms") == []
    later = at(MONDAY, "10:00", "11:00", ["leder"], site="raadhus", unit="social", room="moedesal")
    assert rule_messages(cfg, later, rule="rooms") == []


# --------------------------------------------------------------------------- the slot finder


def finder_config(staff: list[dict[str, Any]], **top: Any) -> MunicipalityConfig:
    return config(staff, [monday_series()], **top)


def find(cfg: MunicipalityConfig, plan: Plan | None = None, **changes: Any) -> SlotResult:
    raw: dict[str, Any] = {
        "id": "sag-1",
        "participants": [{"person": "p"}],
        "duration_minutes": 60,
        "site": "skolen",
        "earliest": MONDAY.isoformat(),
        "latest": MONDAY.isoformat(),
        "window": "08:00-12:00",
        **changes,
    }
    return find_slots(cfg, plan or hand_plan("efteraar"), parse_request(raw, cfg), top=10)


def first_starts(result: SlotResult) -> list[datetime]:
    return [s.meetings[0].start.astimezone(TZ).replace(tzinfo=None) for s in result.slots]


def test_the_finder_leaves_the_trip_to_a_commitment_and_says_why() -> None:
    cfg = finder_config([person("p", commitments=[team_meeting()])])
    result = find(cfg)
    offered = {s.meetings[0].start.astimezone(TZ).time() for s in result.slots}
    assert offered <= {time(10, 30), time(11)} and offered
    none = find(cfg, window="08:00-09:00")
    assert none.slots == []
    assert any(
        "P har en fast aftale mandag 09:00-10:00 (Teammøde) på Børnehuset, og turen til Nordskolen tager "
        "20 minutter" in line
        for line in none.explanation
    )


def test_the_finder_keeps_out_of_a_room_a_commitment_takes() -> None:
    team = team_meeting(site="raadhus", room="moedesal", time="08:00-11:00")
    cfg = finder_config([person("p"), person("q", commitments=[team])])
    result = find(cfg, site="raadhus", room="moedesal")
    assert {s.meetings[0].start.astimezone(TZ).time() for s in result.slots} == {time(11)}
    other = find(cfg, site="raadhus")  # the small room is free
    assert other.slots[0].meetings[0].room == "lille"
    assert other.slots[0].meetings[0].start.astimezone(TZ).time() == time(8)


def test_the_finder_ranks_a_day_within_the_daily_cap_first() -> None:
    """p already has a meeting on Monday; with a cap of one a day, Tuesday ranks before Monday."""
    planned = at(MONDAY, "13:00", "14:00", ["p"])
    tuesday = MONDAY + timedelta(days=1)
    window = {"latest": tuesday.isoformat(), "window": "08:00-09:00"}
    free_cfg = finder_config([person("p")])
    assert first_starts(find(free_cfg, hand_plan("efteraar", planned), **window))[0].date() == MONDAY
    for capped in (
        finder_config([person("p")], planning={"max_meetings_per_day": 1}),
        finder_config([person("p", max_meetings_per_day=1)]),
    ):
        result = find(capped, hand_plan("efteraar", planned), **window)
        assert first_starts(result)[0].date() == tuesday
        monday_slot = next(s for s in result.slots if s.meetings[0].start.date() == MONDAY)
        assert monday_slot.breakdown["max_meetings_per_day"] == 1


def test_the_finder_ranks_a_preferred_start_first() -> None:
    cfg = config([person("p")], [monday_series(preferred_starts=["10:00"])])
    assert first_starts(find(cfg))[0].time() == time(8)
    assert first_starts(find(cfg, preferred_starts=["10:00"]))[0].time() == time(10)
    assert first_starts(find(cfg, related_series="kk"))[0].time() == time(10)  # the series' own
    result = find(cfg, related_series="kk")
    assert all(s.breakdown.get("preferred_start", 0) == 1 for s in result.slots[1:])


def test_a_request_naming_an_unknown_series_is_refused_naming_the_field() -> None:
    cfg = config([person("p")], [monday_series()])
    with pytest.raises(RequestError) as caught:
        find(cfg, related_series="kkk")
    assert caught.value.problems == ["related_series: ukendt serie 'kkk' (mente du 'kk'?)"]


# --------------------------------------------------------------------------- replanning


def test_what_if_the_team_meeting_moves_to_another_site_moves_the_meetings_next_to_it() -> None:
    """At its own site the team meeting leaves 08:00 free; moved to Børnehuset, the 08:00
    conference at Nordskolen no longer leaves the trip, so the least change moves each one."""
    at_school = config(
        [person("p", commitments=[team_meeting(site="skolen")])],
        [monday_series(required_people=["p"], preferred_starts=["08:00"])],
    )
    plan = solved(at_school)
    assert {clock(m) for m in plan.meetings} == {time(8)}
    elsewhere = config(
        [person("p", commitments=[team_meeting()])],
        [monday_series(required_people=["p"], preferred_starts=["08:00"])],
    )
    answer = what_if(at_school, plan, elsewhere, time_limit=5, workers=1)
    assert verify_plan(elsewhere, answer.plan) == []
    assert {clock(m) for m in answer.plan.meetings} <= {time(10, 30), time(11)}
    assert {c.what for c in answer.changes} == {"moved"}


def test_the_context_keeps_free_spans_per_site_only_on_a_day_with_a_trip() -> None:
    """The build's cache of free spans: on Monday the team meeting at Børnehuset takes a trip from
    Nordskolen but not from Børnehuset, so each site has its own spans; on Tuesday nothing takes a
    trip, so every site shares the spans computed once (the same object)."""
    cfg = config([person("p", commitments=[team_meeting()])], [monday_series(required_people=["p"])])
    ctx = build_model(cfg, index_of(cfg).term(None))
    who, tuesday = ctx.people["p"], MONDAY + timedelta(days=1)
    for day in (MONDAY, tuesday):
        for site in ("skolen", "huset", None):
            venue = None if site is None else ctx.venue(site)
            assert ctx.free_spans("p", day, site) == free_spans(who, day, ctx.term.start, venue)
    assert ctx.free_spans("p", MONDAY, "skolen") != ctx.free_spans("p", MONDAY, "huset")
    assert ctx.free_spans("p", tuesday, "skolen") is ctx.free_spans("p", tuesday, "huset")
    assert ctx.free_spans("p", tuesday, "huset") is ctx.free_spans("p", tuesday)
