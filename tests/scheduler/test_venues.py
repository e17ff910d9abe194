"""Alternating venues: a series that takes turns between its unit's sites (`Series.sites`).

Nordskolen has two addresses here, skolen and annekset; the day-care Solsikken is at huset. The
term is the builders' four weeks (Mondays 6, 13, 20 and 27 September 2027), so a weekly series
has periods 0-3 and an alternating one meets at skolen, annekset, skolen, annekset.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from api.summary import render_summary
from calendar_sync.items import CalendarItem, items_from_plan
from scheduler.config import ConfigError
from scheduler.index import index_of
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan
from scheduler.replan import move_meeting
from scheduler.term_dates import TZ
from scheduler.verify import verify_plan
from tests.builders import EFTERAAR_START, hand_plan, person, series, small_config, solved_and_verified, unit
from tests.builders import term as efteraar

TUESDAYS = [EFTERAAR_START + timedelta(days=1, weeks=k) for k in range(4)]
TURNS = ["skolen", "annekset", "skolen", "annekset"]

SITES = [
    {"id": "skolen", "name": "Nordskolen", "rooms": [{"id": "aula", "name": "Aulaen"}, {"id": "lille"}]},
    {"id": "annekset", "name": "Nordskolen, Annekset", "rooms": 1},
    {"id": "huset", "name": "Børnehuset", "rooms": 1},
]
UNITS = [
    unit("nordskolen", "Nordskolen", "skole", "skolen", "annekset"),
    unit("solsikken", "Solsikken", "dagtilbud", "huset"),
]


def alternating(**extra: Any) -> dict[str, Any]:
    """Nordskolen's weekly conference, Tuesdays 12-13, by turns at its two addresses."""
    return series(
        "kk",
        sites=extra.pop("sites", ["skolen", "annekset"]),
        weekdays=["tue"],
        window="12:00-13:00",
        duration_minutes=60,
        required_people=["p"],
        **extra,
    )


def day_care(**extra: Any) -> dict[str, Any]:
    """Solsikken's hour at huset on Tuesdays 13-15, with p: right after the conference."""
    shape = {"weekdays": ["tue"], "window": "13:00-15:00", "duration_minutes": 60, "required_people": ["p"]}
    return series("dagtilbud", unit="solsikken", **{**shape, **extra})


TRAVEL = {
    "default_minutes": 20,
    "pairs": [{"sites": ["skolen", "huset"], "minutes": 0}, {"sites": ["annekset", "huset"], "minutes": 60}],
}
"""from skolen to the day-care takes no time, from annekset an hour"""


def config(*series_list: dict[str, Any], **top: Any) -> MunicipalityConfig:
    data: dict[str, Any] = {"sites": SITES, "units": UNITS, "staff": [person("p")], **top}
    return small_config(series=list(series_list), **data)


def of(plan: Plan, sid: str) -> list[Meeting]:
    return sorted((m for m in plan.meetings if m.series == sid), key=lambda m: m.start)


def at(day: date, clock: str, minutes: int) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.fromisoformat(clock), TZ)
    return start, start + timedelta(minutes=minutes)


def hand_meeting(sid: str, occurrence: int, site: str, clock: str, minutes: int, **extra: Any) -> Meeting:
    start, end = at(TUESDAYS[occurrence], clock, minutes)
    room = extra.pop("room", "aula" if site == "skolen" else None)  # skolen's rooms are named
    return Meeting(
        uid=f"{sid}.efteraar.{occurrence}@moedeplan",
        series=sid,
        occurrence=occurrence,
        title=sid,
        unit=extra.pop("unit", "nordskolen"),
        site=site,
        start=start,
        end=end,
        attendees=[Attendee(person="p", role="paedagogisk_leder", required=True, seat="required_people[0]")],
        room=room,
        **extra,
    )


# --------------------------------------------------------------------------- the one home


def test_site_of_takes_turns_in_period_order() -> None:
    cfg = config(alternating(), series("fast", unit="nordskolen"))
    index = index_of(cfg)
    kk, fast = index.series["kk"], index.series["fast"]
    assert [index.site_of(kk, k) for k in range(5)] == [*TURNS, "skolen"]
    assert index.series_sites(kk) == ["skolen", "annekset"]
    assert [index.site_of(fast, k) for k in range(3)] == ["skolen"] * 3  # the unit's first site


# --------------------------------------------------------------------------- solver


def test_alternating_series_meets_at_its_sites_by_turns() -> None:
    plan = solved_and_verified(config(alternating()))
    meetings = of(plan, "kk")
    assert [m.start.date() for m in meetings] == TUESDAYS
    assert [(m.occurrence, m.site) for m in meetings] == list(enumerate(TURNS))


def test_a_skipped_period_skips_its_turn() -> None:
    # Tuesday 14 September is closed: period 1 (annekset's turn) has no meeting.
    studiedag = {"name": "Studiedag", "start": "2027-09-14", "end": "2027-09-14"}
    cfg = config(alternating(), terms=[efteraar(school_holidays=[studiedag])])
    plan = solved_and_verified(cfg)
    assert [(m.occurrence, m.site) for m in of(plan, "kk")] == [(0, "skolen"), (2, "skolen"), (3, "annekset")]


def test_travel_is_counted_from_each_meetings_own_site() -> None:
    # p goes from the conference (12-13) to the day-care at huset, preferably at 13:00. From skolen
    # the trip takes no time, from annekset an hour: so 13:00 in weeks at skolen, 14:00 at annekset.
    cfg = config(
        alternating(), day_care(preferred_starts=["13:00"]), travel=TRAVEL, weights={"regularity": 0}
    )
    plan = solved_and_verified(cfg)
    assert [m.start.astimezone(TZ).time() for m in of(plan, "dagtilbud")] == [
        time(13, 0),
        time(14, 0),
        time(13, 0),
        time(14, 0),
    ]


def test_the_series_room_applies_at_its_own_site_only() -> None:
    # `aula` is a room of skolen: the meetings there are in it; annekset has one anonymous room.
    plan = solved_and_verified(config(alternating(room="aula", preferred_rooms=["lille"])))
    assert [(m.site, m.room) for m in of(plan, "kk")] == [
        ("skolen", "aula"),
        ("annekset", "annekset.lokale-1"),
        ("skolen", "aula"),
        ("annekset", "annekset.lokale-1"),
    ]


def test_a_preferred_room_at_one_site_costs_nothing_at_the_other() -> None:
    plan = solved_and_verified(config(alternating(preferred_rooms=["lille"])))
    assert [m.room for m in of(plan, "kk") if m.site == "skolen"] == ["lille", "lille"]
    assert next(c for c in plan.rule_costs if c.rule == "preferred_room").violations == 0


# --------------------------------------------------------------------------- verifier


def test_verifier_rejects_a_meeting_at_the_other_site_of_its_turn() -> None:
    cfg = config(alternating())
    right = hand_plan("efteraar", *(hand_meeting("kk", k, TURNS[k], "12:00", 60) for k in range(4)))
    assert verify_plan(cfg, right) == []
    wrong = right.model_copy(deep=True)
    wrong.meetings[1].site, wrong.meetings[1].room = "skolen", "lille"  # period 1 is annekset's turn
    found = verify_plan(cfg, wrong)
    assert [(v.rule, v.meetings) for v in found] == [("structure", ("kk.efteraar.1@moedeplan",))]
    expected = (
        "holdes på Nordskolen, Annekset i periode 2 (den skifter mellem Nordskolen og Nordskolen, Annekset)"
    )
    assert expected in found[0].message


def test_verifier_counts_travel_from_each_meetings_site() -> None:
    cfg = config(alternating(), day_care(), travel=TRAVEL)
    kk = [hand_meeting("kk", k, TURNS[k], "12:00", 60) for k in range(4)]
    care = [hand_meeting("dagtilbud", k, "huset", "13:00", 60, unit="solsikken") for k in range(4)]
    found = verify_plan(cfg, hand_plan("efteraar", *kk, *care))
    # 13:00 at huset is fine after skolen, an hour short after annekset (periods 1 and 3).
    assert [(v.rule, v.meetings) for v in found] == [
        ("travel_time", ("kk.efteraar.1@moedeplan", "dagtilbud.efteraar.1@moedeplan")),
        ("travel_time", ("kk.efteraar.3@moedeplan", "dagtilbud.efteraar.3@moedeplan")),
    ]


def test_verifier_holds_the_series_room_only_at_its_own_site() -> None:
    cfg = config(alternating(room="aula"))
    rooms = ["aula", "annekset.lokale-1", "aula", "annekset.lokale-1"]
    meetings = [hand_meeting("kk", k, TURNS[k], "12:00", 60, room=rooms[k]) for k in range(4)]
    assert verify_plan(cfg, hand_plan("efteraar", *meetings)) == []
    meetings[2].room = "lille"
    found = verify_plan(cfg, hand_plan("efteraar", *meetings))
    assert [(v.rule, v.meetings) for v in found] == [("rooms", ("kk.efteraar.2@moedeplan",))]


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            {"sites": ["skolen", "huset"]},
            "series[0].sites[1] (serien 'kk'): 'huset' er ikke et af enhedens mødesteder (skolen, annekset)",
        ),
        (
            {"sites": ["skolen", "anekset"]},
            "series[0].sites[1] (serien 'kk'): ukendt mødested 'anekset' (mente du 'annekset'?)",
        ),
        (
            {"site": "skolen"},
            "series[0].sites (serien 'kk'): angiv enten 'site' (ét mødested) eller 'sites' "
            "(skiftevis), ikke begge",
        ),
        (
            {"room": "kaelder"},
            "series[0].room (serien 'kk'): ukendt lokale på mødestederne skolen, annekset 'kaelder'",
        ),
    ],
    ids=["not-the-units-site", "unknown-site", "site-and-sites", "room-of-neither-site"],
)
def test_config_errors_name_the_field(extra: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        config(alternating(**extra))
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


# --------------------------------------------------------------------------- replan, invitations, summary


def test_a_moved_meeting_keeps_the_site_of_its_turn() -> None:
    cfg = config(
        series(
            "kk",
            sites=["skolen", "annekset"],
            weekdays=["tue", "wed"],
            window="12:00-13:00",
            duration_minutes=60,
            required_people=["p"],
        )
    )
    plan = solved_and_verified(cfg)
    second = of(plan, "kk")[1]
    assert second.site == "annekset"
    target = datetime.combine(TUESDAYS[1] + timedelta(days=1), time(12, 0), TZ)
    proposal = move_meeting(cfg, plan, second.uid, target, time_limit=5)
    moved = next(m for m in proposal.plan.meetings if m.uid == second.uid)
    assert (moved.start, moved.site) == (target, "annekset")
    assert verify_plan(cfg, proposal.plan) == []


def _location(items: list[CalendarItem], uid: str) -> str:
    for item in items:
        for override in item.overrides:
            if override.meeting_uid == uid:
                return override.location
        if uid in item.meeting_uids:
            return item.location
    raise AssertionError(uid)


def test_invitations_and_summary_name_each_meetings_site() -> None:
    cfg = config(alternating())
    plan = solved_and_verified(cfg)
    items = items_from_plan(cfg, plan)
    assert [_location(items, m.uid) for m in of(plan, "kk")] == [
        "Nordskolen",
        "Nordskolen, Annekset",
        "Nordskolen",
        "Nordskolen, Annekset",
    ]
    assert "  kk (skiftevis Nordskolen og Nordskolen, Annekset)" in render_summary(cfg, plan).splitlines()
