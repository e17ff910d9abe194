"""Employment dates and absences with a named substitute: config, solver, verifier, slot finder, replan.

The base is Testkommune (`tests.builders`): the four-week term from Monday 6 September 2027,
Nordskolen at the site skolen. Weeks: W1 6/9, W2 13/9, W3 20/9, W4 27/9; the series meet on
Tuesdays 13-15 unless a test says otherwise. A solver test states what decides it; every plan the
solver returns has passed the independent verifier (`solve` runs it).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from scheduler.availability import Unavailability, config_with_unavailability, free_spans, not_free_da
from scheduler.config import ConfigError
from scheduler.model import Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.replan import ReplanRequest, propose
from scheduler.slots import find_slots, parse_request
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ
from scheduler.verify import verify_plan
from tests import builders
from tests.builders import EFTERAAR_START, hand_plan, person

D = date.fromisoformat
TUESDAYS = [EFTERAAR_START + timedelta(weeks=k, days=1) for k in range(4)]
W2 = {"start": "2027-09-13", "end": "2027-09-17"}
W3 = {"start": "2027-09-20", "end": "2027-09-24"}


def series(sid: str, **extra: Any) -> dict[str, Any]:
    return builders.series(sid, **{"weekdays": ["tue"], "window": "13:00-15:00", **extra})


def config(series_list: list[dict[str, Any]], staff: list[dict[str, Any]]) -> MunicipalityConfig:
    return builders.small_config(series=series_list, staff=staff, terms=[builders.term("t")])


def solved(cfg: MunicipalityConfig) -> Plan:
    plan = solve(cfg, options=SolveOptions(time_limit=5, workers=1))
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), plan.explanation
    return plan


def meetings(plan: Plan, sid: str = "kk") -> list[Meeting]:
    return sorted((m for m in plan.meetings if m.series == sid), key=lambda m: m.start)


def holders(plan: Plan, seat: str, sid: str = "kk") -> list[str]:
    return [a.person for m in meetings(plan, sid) for a in m.attendees if a.seat == seat]


def cost(plan: Plan, rule: str) -> int:
    return next(c.cost for c in plan.rule_costs if c.rule == rule)


def problems(staff: list[dict[str, Any]]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config([series("kk", chair=staff[0]["id"])], staff)
    return caught.value.problems


def seated(meeting: Meeting, seat: str, pid: str) -> Meeting:
    """The meeting with `pid` in the seat instead of whoever held it."""
    attendees = [a.model_copy(update={"person": pid}) if a.seat == seat else a for a in meeting.attendees]
    return meeting.model_copy(update={"attendees": attendees})


# --------------------------------------------------------------------------- config


def test_employment_must_end_after_it_starts() -> None:
    found = problems([person("leder", employed_from="2027-09-20", employed_until="2027-09-10")])
    assert any(p.startswith("staff[0]") and "employed_until" in p for p in found), found


@pytest.mark.parametrize(
    ("substitute", "expected"),
    [
        (
            "vikr",
            "staff[0].absences[0].substitute (personen 'psyk-a'): ukendt person 'vikr' (mente du 'vikar'?)",
        ),
        (
            "psyk-a",
            "staff[0].absences[0].substitute (personen 'psyk-a'): 'psyk-a' kan ikke være sin egen vikar",
        ),
        (
            "leder",
            "staff[0].absences[0].substitute (personen 'psyk-a'): 'leder' (paedagogisk_leder) "
            "har ingen rolle til fælles",
        ),
    ],
)
def test_a_substitute_exists_is_someone_else_and_shares_a_role(substitute: str, expected: str) -> None:
    absent = person("psyk-a", "psykolog", absences=[{**W2, "substitute": substitute}])
    found = problems([absent, person("vikar", "psykolog"), person("leder")])
    assert any(p.startswith(expected) for p in found), found


def test_old_absences_without_a_substitute_still_load() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder", absences=[W2])])
    assert cfg.staff[0].absences[0].substitute is None
    assert cfg.staff[0].employed_from is None and cfg.staff[0].employed_until is None


# --------------------------------------------------------------------------- availability


def test_outside_employment_a_person_has_no_time_and_the_reason_says_so() -> None:
    cfg = config(
        [series("kk", chair="leder")],
        [person("leder", name="Psykolog F", employed_from="2027-03-01", employed_until="2027-03-31")],
    )
    who, start = cfg.staff[0], cfg.terms[0].start
    assert free_spans(who, D("2027-02-26"), start) == ()
    assert free_spans(who, D("2027-03-01"), start) == ((8 * 60, 16 * 60),)
    assert free_spans(who, D("2027-03-31"), start) == ((8 * 60, 16 * 60),)
    assert free_spans(who, D("2027-04-01"), start) == ()
    assert not_free_da(who, D("2027-02-26"), 600, 660, start) == "Psykolog F er ansat fra 1. marts"
    assert not_free_da(who, D("2027-04-01"), 600, 660, start) == "Psykolog F er fratrådt 31. marts"


# --------------------------------------------------------------------------- solver: employment


def test_a_pool_member_is_seated_only_while_employed() -> None:
    # psyk-a would hold the seat all term (continuity), but starts only in W3; psyk-b leaves after W2.
    cfg = config(
        [series("kk", required_roles=[{"role": "psykolog"}])],
        [
            person("psyk-a", "psykolog", employed_from="2027-09-20"),
            person("psyk-b", "psykolog", employed_until="2027-09-17"),
        ],
    )
    assert holders(solved(cfg), "required_roles[0]") == ["psyk-b", "psyk-b", "psyk-a", "psyk-a"]


def test_a_named_chair_not_yet_employed_leaves_those_meetings_unplaced_and_says_why() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder", employed_from="2027-09-20")])
    plan = solve(cfg, options=SolveOptions(time_limit=5, workers=1))
    assert plan.status == PlanStatus.PARTIAL
    assert [m.start.date() for m in meetings(plan)] == TUESDAYS[2:]
    assert [u.occurrence for u in plan.unplaced] == [0, 1]
    for unplaced in plan.unplaced:
        assert any("er ansat fra 20. september" in line for line in unplaced.reason_da), unplaced


# --------------------------------------------------------------------------- solver: substitutes


def test_the_substitute_takes_the_named_chair_in_the_absence_only() -> None:
    # Without the substitute the weekly meeting of W2 cannot be held: the chair is away all week.
    cfg = config(
        [series("kk", chair="leder")],
        [person("leder", absences=[{**W2, "substitute": "vikar"}]), person("vikar", serves={"units": []})],
    )
    plan = solved(cfg)
    assert [m.start.date() for m in meetings(plan)] == TUESDAYS
    assert holders(plan, "chair") == ["leder", "vikar", "leder", "leder"]


def test_a_substitute_covers_the_named_chair_before_they_are_employed() -> None:
    cfg = config(
        [series("kk", chair="leder")],
        [
            person(
                "leder",
                employed_from="2027-09-20",
                absences=[{**W2, "start": "2027-09-06", "substitute": "vikar"}],
            ),
            person("vikar"),
        ],
    )
    assert holders(solved(cfg), "chair") == ["vikar", "vikar", "leder", "leder"]


def test_a_substitute_in_a_partial_seat_is_needed_only_for_that_part() -> None:
    # The substitute has a commitment in the first hour: fine, the seat is only the last 45 minutes.
    busy_first_hour = {"title": "Teammøde", "weekday": "tue", "time": "13:00-14:00"}
    cfg = config(
        [series("kk", chair="leder", required_roles=[{"role": "ungeraadgiver", "part": "last 45"}])],
        [
            person("leder"),
            person("ung-a", "ungeraadgiver", absences=[{**W2, "substitute": "ung-b"}]),
            person("ung-b", "ungeraadgiver", serves={"units": []}, commitments=[busy_first_hour]),
        ],
    )
    plan = solved(cfg)
    assert holders(plan, "required_roles[0]") == ["ung-a", "ung-b", "ung-a", "ung-a"]
    assert meetings(plan)[1].start.time() == time(13, 0)


def test_the_substitute_must_be_free_so_the_meeting_moves_to_their_day() -> None:
    cfg = config(
        [series("kk", chair="leder", weekdays=["tue", "thu"], preferred_weekdays=["tue"])],
        [
            person("leder", absences=[{**W2, "substitute": "vikar"}]),
            person("vikar", working_hours={"thu": "08:00-16:00"}),
        ],
    )
    plan = solved(cfg)
    w2 = meetings(plan)[1]
    assert w2.start.date() == D("2027-09-16") and holders(plan, "chair")[1] == "vikar"


def role_substitute_config() -> MunicipalityConfig:
    """psyk-f serves only Solsikken: only psyk-a's absence in W3 makes them eligible at Nordskolen."""
    absence = {**W3, "substitute": "psyk-f"}
    return config(
        [series("kk", required_roles=[{"role": "psykolog"}])],
        [
            person("psyk-a", "psykolog", serves={"units": ["nordskolen"]}, absences=[absence]),
            person("psyk-f", "psykolog", serves={"units": ["solsikken"]}),
        ],
    )


def test_the_substitute_takes_a_role_seat_in_the_absence_and_that_is_no_continuity_break() -> None:
    cfg = role_substitute_config()
    plan = solved(cfg)
    assert holders(plan, "required_roles[0]") == ["psyk-a", "psyk-a", "psyk-f", "psyk-a"]
    assert cost(plan, "continuity") == 0
    assert plan.stats is not None and plan.stats.continuity_pct == 100.0


def test_a_substitute_without_the_seat_role_does_not_take_a_role_seat() -> None:
    # The leder shares a role with psyk-a (paedagogisk_leder) but is no psykolog: W3 has no psykolog.
    cfg = config(
        [series("kk", required_roles=[{"role": "psykolog"}])],
        [
            person("psyk-a", "psykolog", "paedagogisk_leder", absences=[{**W3, "substitute": "leder"}]),
            person("leder"),
        ],
    )
    plan = solve(cfg, options=SolveOptions(time_limit=5, workers=1))
    assert plan.status == PlanStatus.PARTIAL
    assert [u.occurrence for u in plan.unplaced] == [2]


# --------------------------------------------------------------------------- verifier


def substitute_chair_config() -> MunicipalityConfig:
    return config(
        [series("kk", chair="leder")],
        [person("leder", absences=[{**W2, "substitute": "vikar"}]), person("vikar"), person("tredje")],
    )


def test_the_verifier_accepts_the_substitute_in_the_named_seat_during_the_absence() -> None:
    cfg = substitute_chair_config()
    plan = solved(cfg)
    assert verify_plan(cfg, hand_plan("t", *plan.meetings)) == []


def test_the_verifier_rejects_a_third_person_in_the_absent_person_s_named_seat() -> None:
    cfg = substitute_chair_config()
    w1, w2, *rest = meetings(solved(cfg))
    broken = hand_plan("t", w1, seated(w2, "chair", "tredje"), *rest)
    found = verify_plan(cfg, broken)
    assert [v.rule for v in found] == ["seats"]
    assert "Tredje kan ikke have pladsen som mødeleder" in found[0].message


def test_the_verifier_rejects_the_substitute_outside_the_absence() -> None:
    cfg = substitute_chair_config()
    w1, *rest = meetings(solved(cfg))
    found = verify_plan(cfg, hand_plan("t", seated(w1, "chair", "vikar"), *rest))
    assert [v.rule for v in found] == ["seats"]
    assert "Vikar kan ikke have pladsen som mødeleder" in found[0].message


def test_the_verifier_rejects_a_role_seat_substitute_outside_the_absence() -> None:
    cfg = role_substitute_config()
    w1, *rest = meetings(solved(cfg))
    found = verify_plan(cfg, hand_plan("t", seated(w1, "required_roles[0]", "psyk-f"), *rest))
    assert [v.rule for v in found] == ["seats"], found


def test_the_verifier_rejects_a_meeting_outside_someone_s_employment() -> None:
    staff = [person("leder")]
    plan = solved(config([series("kk", chair="leder")], staff))
    later = config([series("kk", chair="leder")], [person("leder", employed_from="2027-09-14")])
    found = verify_plan(later, hand_plan("t", *plan.meetings))
    assert [v.rule for v in found] == ["availability"]
    assert "Leder er kun ansat fra 14/9 2027" in found[0].message
    ended = config([series("kk", chair="leder")], [person("leder", employed_until="2027-09-27")])
    found = verify_plan(ended, hand_plan("t", *plan.meetings))
    assert [v.rule for v in found] == ["availability"] and "tirsdag 28/9" in found[0].message
    assert "Leder er kun ansat til 27/9 2027" in found[0].message


# --------------------------------------------------------------------------- slot finder


def test_the_slot_finder_offers_no_time_before_someone_is_employed() -> None:
    staff = [person("leder"), person("psyk-f", "psykolog", employed_from="2027-09-09")]
    cfg = config([series("kk", chair="leder")], staff)
    raw = {
        "id": "sag-1",
        "participants": [{"person": "leder"}, {"person": "psyk-f"}],
        "site": "skolen",
        "earliest": "2027-09-06",
        "latest": "2027-09-10",
    }
    result = find_slots(cfg, hand_plan("t"), parse_request(raw, cfg), top=3)
    assert result.slots and min(s.meetings[0].start.date() for s in result.slots) == D("2027-09-09")
    early = {**raw, "latest": "2027-09-08"}
    none = find_slots(cfg, hand_plan("t"), parse_request(early, cfg), top=3)
    assert not none.slots and any("er ansat fra 9. september" in r for r in none.explanation), none


# --------------------------------------------------------------------------- replanning


def test_an_absence_reported_with_a_substitute_is_covered_by_them_in_the_named_seat() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder"), person("vikar")])
    plan = solved(cfg)
    day = TUESDAYS[1]
    away = Unavailability(
        person="leder",
        start=datetime.combine(day, time(0), TZ),
        end=datetime.combine(day + timedelta(days=1), time(0), TZ),
        substitute="vikar",
    )
    request = ReplanRequest(unavailability=away, now=datetime(2027, 8, 30, 9, 0, tzinfo=TZ))
    best = propose(cfg, plan, request, time_limit=5, workers=1)[0]
    assert best.kind == "substitute" and best.changed_meetings == 1
    (change,) = best.changes
    assert change.after_start == change.before_start
    assert [(a.person, a.seat) for a in change.after_attendees] == [("vikar", "chair")]
    assert verify_plan(config_with_unavailability(cfg, away), best.plan) == []


def test_a_reported_substitute_who_cannot_stand_in_is_refused_in_danish() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder"), person("psyk-f", "psykolog")])
    away = Unavailability(
        person="leder",
        start=datetime(2027, 9, 14, 8, 0, tzinfo=TZ),
        end=datetime(2027, 9, 14, 16, 0, tzinfo=TZ),
        substitute="psyk-f",
    )
    with pytest.raises(ValueError, match="substitute: 'psyk-f' .* har ingen rolle til fælles"):
        config_with_unavailability(cfg, away)
