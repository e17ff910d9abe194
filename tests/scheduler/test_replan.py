"""Rescheduling when someone is unavailable: the smallest change, ranked, and always a valid plan.

Each case is a small config whose minimal change is known by hand. The base plan is solved
first (the verifier checks it), then `propose` is asked about an absence; every proposal it
returns must pass the verifier against the config with the absence added.

Term: Monday 6 September to Friday 1 October 2027 (no helligdage).
Weeks: W1 Mon 6 Sep, W2 Mon 13 Sep, W3 Mon 20 Sep, W4 Mon 27 Sep.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from scheduler.availability import Unavailability, config_with_unavailability
from scheduler.config import config_from_data
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.replan import (
    NoProposal,
    Proposal,
    ReplanRequest,
    move_meeting,
    notice_horizon,
    propose,
    replan,
    what_if,
)
from scheduler.replan.unavailability import touched_meetings
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ
from scheduler.verify import verify_plan
from tests import builders
from tests.builders import person

D = date.fromisoformat
TUE_W2 = D("2027-09-14")
THU_W2 = D("2027-09-16")
LONG_BEFORE = datetime(2027, 8, 30, 9, 0, tzinfo=TZ)
"""'now' for most cases: a week before the term, so nothing is short notice."""


# --------------------------------------------------------------------------- builders


def series(sid: str, **extra: Any) -> dict[str, Any]:
    """A weekly two-hour meeting at Nordskolen, Tuesdays 13-15 unless the test says otherwise."""
    return builders.series(sid, **{"weekdays": ["tue"], "window": "13:00-15:00", **extra})


def config(series_list: list[dict[str, Any]], staff: list[dict[str, Any]], **top: Any) -> MunicipalityConfig:
    """Testkommune (tests.builders) with these series and people, in the term "t" unless `top` says."""
    data = {"terms": [builders.term("t")], "series": series_list, "staff": staff, **top}
    return builders.small_config(**data)


def base_plan(cfg: MunicipalityConfig) -> Plan:
    plan = solve(cfg, options=SolveOptions(time_limit=10, workers=2))
    assert plan.status == PlanStatus.OPTIMAL, plan.explanation
    return plan


def away(pid: str, first: date, last: date | None = None) -> Unavailability:
    """Whole days, local midnight to midnight."""
    start = datetime.combine(first, time(0), tzinfo=TZ)
    end = datetime.combine((last or first) + timedelta(days=1), time(0), tzinfo=TZ)
    return Unavailability(person=pid, start=start, end=end, reason="syg")


def request(unavailability: Unavailability, **extra: Any) -> ReplanRequest:
    return ReplanRequest(unavailability=unavailability, now=extra.pop("now", LONG_BEFORE), **extra)


def checked(cfg: MunicipalityConfig, plan: Plan, req: ReplanRequest) -> list[Proposal]:
    """propose(), with every proposal's plan verified against the config with the absence."""
    proposals = propose(cfg, plan, req, time_limit=5)
    with_absence = config_with_unavailability(cfg, req.unavailability)
    for proposal in proposals:
        assert verify_plan(with_absence, proposal.plan) == []
        assert proposal.changed_meetings == len(proposal.changes)
        assert proposal.notified == sorted(
            {a.person for c in proposal.changes for a in [*c.before_attendees, *c.after_attendees]}
        )
    return proposals


def shape(m: Meeting) -> tuple[datetime, str, list[tuple[str, str]]]:
    return m.start, m.site, sorted((a.person, a.seat) for a in m.attendees)


def unchanged_except(before: Plan, after: Plan, uids: set[str]) -> None:
    old = {m.uid: m for m in before.meetings}
    new = {m.uid: m for m in after.meetings}
    assert old.keys() == new.keys()
    for uid in old.keys() - uids:
        assert shape(old[uid]) == shape(new[uid]), uid


def on(plan: Plan, sid: str, day: date) -> Meeting:
    return next(m for m in plan.meetings if m.series == sid and m.start.date() == day)


# --------------------------------------------------------------------------- the cases


def test_unavailability_becomes_absences_of_whole_and_partial_days() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder")])
    start = datetime(2027, 9, 14, 12, 0, tzinfo=TZ)
    end = datetime(2027, 9, 17, 10, 30, tzinfo=TZ)
    absences = (
        config_with_unavailability(cfg, Unavailability(person="leder", start=start, end=end))
        .staff[0]
        .absences
    )
    spans = [(a.start, a.end, str(a.time) if a.time else None) for a in absences]
    assert spans == [
        (TUE_W2, TUE_W2, "12:00-24:00"),
        (D("2027-09-15"), THU_W2, None),
        (D("2027-09-17"), D("2027-09-17"), "00:00-10:30"),
    ]
    assert cfg.staff[0].absences == []  # the original config is untouched
    whole = config_with_unavailability(cfg, away("leder", TUE_W2)).staff[0].absences
    assert [(a.start, a.end, a.time) for a in whole] == [(TUE_W2, TUE_W2, None)]


def test_no_affected_meeting_means_nothing_to_do() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder")])
    plan = base_plan(cfg)
    assert checked(cfg, plan, request(away("leder", D("2027-09-15")))) == []  # a Wednesday


def test_optional_attendee_ill_for_a_day_is_just_dropped() -> None:
    cfg = config([series("kk", chair="leder", optional_people=["klub"])], [person("leder"), person("klub")])
    plan = base_plan(cfg)
    meeting = on(plan, "kk", TUE_W2)
    assert {a.person for a in meeting.attendees} == {"leder", "klub"}

    proposals = checked(cfg, plan, request(away("klub", TUE_W2)))
    first = proposals[0]
    assert first.kind == "drop_optional"
    assert first.changed_meetings == 1
    assert [(c.uid, c.what) for c in first.changes] == [(meeting.uid, "attendee_removed")]
    assert first.notified == sorted(a.person for a in meeting.attendees)
    assert [a.person for a in first.changes[0].after_attendees] == ["leder"]
    unchanged_except(plan, first.plan, {meeting.uid})
    costs = {c.rule: c.violations for c in first.rule_costs}
    assert costs["preferred_attendees"] == 1


def psykolog_config() -> MunicipalityConfig:
    """Two series at Nordskolen, Tuesday and Thursday, each needing one psykolog. Psykolog B works
    10 hours a week, so fair load gives both series to Psykolog A while A is there."""
    return config(
        [
            series("kk", chair="leder", required_roles=[{"role": "psykolog"}]),
            series("opf", weekdays=["thu"], chair="leder", required_roles=[{"role": "psykolog"}]),
        ],
        [person("leder"), person("psyk-a", "psykolog"), person("psyk-b", "psykolog", weekly_hours=10)],
    )


def test_absent_psykolog_is_substituted_in_exactly_the_affected_meetings() -> None:
    cfg = psykolog_config()
    plan = base_plan(cfg)
    holders = {a.person for m in plan.meetings for a in m.attendees if a.role == "psykolog"}
    assert holders == {"psyk-a"}
    week = away("psyk-a", D("2027-09-13"), D("2027-09-17"))
    affected = {m.uid for m in plan.meetings if week.start <= m.start < week.end}
    assert len(affected) == 2

    proposals = checked(cfg, plan, request(week))
    first = proposals[0]
    assert first.kind == "substitute"
    assert first.changed_meetings == len(affected)
    assert {c.uid for c in first.changes} == affected
    for change in first.changes:
        assert change.what == "attendee_substituted"
        assert change.after_start == change.before_start
        assert sorted(a.person for a in change.after_attendees) == ["leder", "psyk-b"]
    assert first.notified == ["leder", "psyk-a", "psyk-b"]
    unchanged_except(plan, first.plan, affected)
    assert all(p.kind != "move" for p in proposals)  # away all week: no other day in the period


def required_person_config() -> MunicipalityConfig:
    """The leader chairs a Tuesday-or-Thursday meeting (Tuesday preferred); B has a Wednesday
    meeting at Solsikken, which nothing here should touch."""
    return config(
        [
            series("kk", weekdays=["tue", "thu"], preferred_weekdays=["tue"], chair="leder"),
            series("sol", unit="solsikken", weekdays=["wed"], chair="b"),
        ],
        [person("leder"), person("b")],
    )


def test_required_person_absent_moves_exactly_that_meeting() -> None:
    cfg = required_person_config()
    plan = base_plan(cfg)
    meeting = on(plan, "kk", TUE_W2)

    proposals = checked(cfg, plan, request(away("leder", TUE_W2)))
    first = proposals[0]
    assert first.kind == "move"
    assert [(c.uid, c.what) for c in first.changes] == [(meeting.uid, "moved")]
    change = first.changes[0]
    assert change.after_start == datetime(2027, 9, 16, 13, 0, tzinfo=TZ)
    assert change.after_attendees == change.before_attendees
    assert first.notified == ["leder"]
    unchanged_except(plan, first.plan, {meeting.uid})


def test_locked_affected_meeting_gives_no_proposal() -> None:
    cfg = required_person_config()
    plan = base_plan(cfg)
    meeting = on(plan, "kk", TUE_W2)
    with pytest.raises(NoProposal) as caught:
        propose(cfg, plan, request(away("leder", TUE_W2), locked={meeting.uid}), time_limit=5)
    assert "låst" in str(caught.value)
    assert "kk tirsdag 14/9 kl. 13:00" in str(caught.value)


def chain_config() -> MunicipalityConfig:
    """Tuesday or Wednesday, at least 7 days apart: moving W2 to Wednesday pushes W3 and W4 too."""
    return config(
        [
            series(
                "kk",
                cadence={"kind": "weekly", "min_gap_days": 7},
                weekdays=["tue", "wed"],
                preferred_weekdays=["tue"],
                chair="leder",
            )
        ],
        [person("leder")],
    )


def test_combined_moves_the_later_meetings_only_when_it_must_and_never_a_locked_one() -> None:
    cfg = chain_config()
    plan = base_plan(cfg)
    meetings = sorted(plan.meetings, key=lambda m: m.start)
    assert [m.start.date() for m in meetings] == [D("2027-09-07"), TUE_W2, D("2027-09-21"), D("2027-09-28")]
    first_meeting, w2, w3, w4 = meetings

    proposals = checked(cfg, plan, request(away("leder", TUE_W2), locked={first_meeting.uid}))
    assert [p.kind for p in proposals] == ["combined"]  # moving W2 alone breaks the 7-day gap
    best = proposals[0]
    assert {c.uid for c in best.changes} == {w2.uid, w3.uid, w4.uid}
    assert all(c.after_start and c.after_start.weekday() == 2 for c in best.changes)  # Wednesdays
    unchanged_except(plan, best.plan, {w2.uid, w3.uid, w4.uid})

    with pytest.raises(NoProposal) as caught:
        propose(cfg, plan, request(away("leder", TUE_W2), locked={w3.uid}), time_limit=5)
    message = str(caught.value)
    assert "låst" in message.lower()
    assert "Låste møder ændres ikke: kk tirsdag 21/9 kl. 13:00" in message


def test_short_notice_meeting_is_not_moved_unless_allowed() -> None:
    cfg = required_person_config()
    plan = base_plan(cfg)
    meeting = on(plan, "kk", TUE_W2)
    monday = datetime(2027, 9, 13, 9, 0, tzinfo=TZ)  # the meeting is tomorrow
    assert notice_horizon(cfg, monday, 2) == D("2027-09-15")

    with pytest.raises(NoProposal) as caught:
        propose(cfg, plan, request(away("leder", TUE_W2), now=monday), time_limit=5)
    assert "varslet på 2 arbejdsdage" in str(caught.value)

    proposals = checked(cfg, plan, request(away("leder", TUE_W2), now=monday, allow_short_notice=True))
    assert proposals[0].kind == "move"
    assert [c.uid for c in proposals[0].changes] == [meeting.uid]


def test_notice_counts_working_days_past_closed_days_but_through_school_holidays() -> None:
    cfg = config(
        [series("kk")],
        [person("leder")],
        terms=[
            {
                "id": "t",
                "name": "Efterår",
                "start": "2027-09-06",
                "end": "2027-10-01",
                "school_holidays": [{"name": "Skolefri", "start": "2027-09-27", "end": "2027-09-28"}],
            }
        ],
        public_holidays={"extra": [{"date": "2027-09-24", "name": "Kommunal lukkedag"}]},
    )
    thursday = datetime(2027, 9, 23, 9, 0, tzinfo=TZ)
    # Fri 24/9 is closed, the weekend is not counted, the school holiday is a staff working day.
    assert notice_horizon(cfg, thursday, 2) == D("2027-09-28")
    # Kristi himmelfartsdag, Thursday 6 May 2027, is a helligdag.
    assert notice_horizon(cfg, datetime(2027, 5, 5, 9, 0, tzinfo=TZ), 1) == D("2027-05-07")
    saturday = datetime(2027, 9, 25, 23, 30, tzinfo=TZ)
    assert notice_horizon(cfg, saturday, 0) == D("2027-09-25")  # no notice: today, closed or not


def test_short_notice_still_allows_a_substitute() -> None:
    cfg = psykolog_config()
    plan = base_plan(cfg)
    meeting = on(plan, "kk", TUE_W2)
    monday = datetime(2027, 9, 13, 9, 0, tzinfo=TZ)

    proposals = checked(cfg, plan, request(away("psyk-a", TUE_W2), now=monday))
    assert [p.kind for p in proposals] == ["substitute"]
    assert [(c.uid, c.what) for c in proposals[0].changes] == [(meeting.uid, "attendee_substituted")]
    assert all(c.what != "moved" for p in proposals for c in p.changes)

    # allowing short notice changes nothing here: a Tuesday-only weekly series has nowhere to move
    relaxed = checked(cfg, plan, request(away("psyk-a", TUE_W2), now=monday, allow_short_notice=True))
    assert {p.kind for p in relaxed} == {"substitute"}  # Tuesday-only series: nowhere to move to


def test_ill_since_this_morning_replans_only_what_is_still_ahead() -> None:
    cfg = psykolog_config()
    plan = base_plan(cfg)
    meeting = on(plan, "kk", TUE_W2)
    morning = datetime(2027, 9, 14, 10, 0, tzinfo=TZ)  # reported at 10, the meeting is at 13

    proposals = checked(cfg, plan, request(away("psyk-a", TUE_W2), now=morning))
    assert [(p.kind, [c.uid for c in p.changes]) for p in proposals] == [("substitute", [meeting.uid])]
    assert checked(cfg, plan, request(away("psyk-a", D("2027-09-06")), now=morning)) == []  # all past


def test_what_if_a_series_met_fortnightly() -> None:
    cfg = config(
        [
            series("kk", chair="leder"),
            series("sol", unit="solsikken", weekdays=["tue", "wed"], preferred_weekdays=["tue"], chair="b"),
        ],
        [person("leder"), person("b")],
    )
    plan = base_plan(cfg)
    data = cfg.model_dump(mode="json", exclude_defaults=True)
    data["series"][1]["cadence"] = "fortnightly"
    modified = config_from_data(data)

    answer = what_if(cfg, plan, modified, time_limit=5)
    assert answer.kind == "what_if"
    assert verify_plan(modified, answer.plan) == []
    sol = {m.occurrence: m for m in plan.meetings if m.series == "sol"}
    # period 0 (W1-W2) keeps its Tuesday of W1; period 1 is now W3-W4; 2 and 3 are gone
    assert {(c.uid, c.what) for c in answer.changes} == {
        (sol[1].uid, "moved"),
        (sol[2].uid, "removed"),
        (sol[3].uid, "removed"),
    }
    assert answer.notified == ["b"]
    unchanged_except_kk = {m.uid: shape(m) for m in plan.meetings if m.series == "kk"}
    assert {m.uid: shape(m) for m in answer.plan.meetings if m.series == "kk"} == unchanged_except_kk


# --------------------------------------------------------------------------- booked one-off meetings


def with_familiemoede(plan: Plan, day: date, required: str, optional: str | None = None) -> Plan:
    """The plan with a booked Familiemøde 09:00-10:00 at Børnehuset (as `scheduler.slots.book` adds it)."""
    role = "paedagogisk_leder"
    attendees = [Attendee(person=required, role=role, required=True, seat="required_people[0]")]
    if optional is not None:
        attendees.append(Attendee(person=optional, role=role, required=False, seat="optional"))
    booked = Meeting(
        uid="familiemoede-fm-1.0@moedeplan",
        series="familiemoede-fm-1",
        occurrence=0,
        title="Familiemøde",
        unit="solsikken",
        site="huset",
        start=datetime.combine(day, time(9), tzinfo=TZ),
        end=datetime.combine(day, time(10), tzinfo=TZ),
        attendees=attendees,
        one_off=True,
        locked=True,
    )
    return plan.model_copy(update={"meetings": sorted([*plan.meetings, booked], key=lambda m: m.start)})


def test_proposals_keep_the_booked_familiemoede() -> None:
    cfg = config([series("kk", chair="leder", optional_people=["klub"])], [person("leder"), person("klub")])
    plan = with_familiemoede(base_plan(cfg), THU_W2, "leder")
    proposals = checked(cfg, plan, request(away("klub", TUE_W2)))
    assert all(any(m.one_off for m in p.plan.meetings) for p in proposals)
    assert [c.what for c in proposals[0].changes] == ["attendee_removed"]


def test_an_optional_attendee_away_is_taken_off_the_familiemoede() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder"), person("klub")])
    plan = with_familiemoede(base_plan(cfg), THU_W2, "leder", optional="klub")
    (first,) = checked(cfg, plan, request(away("klub", THU_W2)))[:1]
    assert [(c.uid, c.what) for c in first.changes] == [("familiemoede-fm-1.0@moedeplan", "attendee_removed")]
    kept = next(m for m in first.plan.meetings if m.one_off)
    assert [a.person for a in kept.attendees] == ["leder"]


def test_a_required_person_away_from_a_familiemoede_is_told_to_book_it_anew() -> None:
    cfg = config([series("kk", chair="leder")], [person("leder")])
    plan = with_familiemoede(base_plan(cfg), THU_W2, "leder")
    with pytest.raises(NoProposal) as none:
        checked(cfg, plan, request(away("leder", THU_W2)))
    assert any("Familiemøde" in line and "book en ny tid" in line for line in none.value.reasons)


def test_what_if_keeps_the_booked_familiemoede_and_plans_around_it() -> None:
    cfg = config([series("kk", chair="leder", weekdays=["tue", "thu"])], [person("leder")])
    plan = with_familiemoede(base_plan(cfg), TUE_W2, "leder")
    thursdays = copy.deepcopy(cfg.model_dump(mode="json"))
    thursdays["series"][0]["window"] = "08:30-11:30"  # a morning window: Tuesday 9-10 is taken
    changed = config_from_data(thursdays)
    proposal = what_if(cfg, plan, changed, time_limit=5)
    assert verify_plan(changed, proposal.plan) == []
    assert [m.uid for m in proposal.plan.meetings if m.one_off] == ["familiemoede-fm-1.0@moedeplan"]
    week2 = [m for m in proposal.plan.meetings if m.series == "kk" and m.start.date() in (TUE_W2, THU_W2)]
    assert [m.start.date() for m in week2] == [THU_W2]


def test_a_move_a_week_off_the_fortnightly_rhythm_is_refused() -> None:
    """Dragging the second of two fortnightly meetings to 7 days after the first breaks the default
    10-day gap; the refusal says so (the verifier's cadence check, before any solve)."""
    kk = builders.series("kk", cadence="fortnightly", weekdays=["tue"], window="13:00-15:00", chair="leder")
    cfg = builders.small_config(series=[kk])
    first = builders.series_meeting("kk", 0, date(2027, 9, 14))
    second = builders.series_meeting("kk", 1, date(2027, 9, 28))
    plan = builders.hand_plan("efteraar", first, second)
    assert verify_plan(cfg, plan) == []
    with pytest.raises(NoProposal) as caught:
        move_meeting(cfg, plan, second.uid, second.start - timedelta(days=7), time_limit=5)
    assert any("7 dage fra hinanden; der skal være mindst 10" in line for line in caught.value.reasons)


def test_a_partial_attendee_away_outside_their_part_touches_nothing() -> None:
    # Issue 14: ssp joins the last 45 minutes (14:15-15:00); away 13:00-14:15 changes nothing,
    # away 14:00-15:00 touches exactly that meeting.
    cfg = config(
        [series("kk", chair="leder", required_roles=[{"person": "ssp", "part": "last 45"}])],
        [person("leder"), person("ssp")],
    )
    plan = base_plan(cfg)

    def ssp_away(first: time, last: time) -> Unavailability:
        at = [datetime.combine(TUE_W2, moment, tzinfo=TZ) for moment in (first, last)]
        return Unavailability(person="ssp", start=at[0], end=at[1])

    assert checked(cfg, plan, request(ssp_away(time(13, 0), time(14, 15)))) == []
    touched = touched_meetings(plan, ssp_away(time(14, 0), time(15, 0)), LONG_BEFORE)
    assert [m.uid for m in touched] == [on(plan, "kk", TUE_W2).uid]


# ----------------------------------------------------------------- holiday fortnights

HOLIDAY_FORTNIGHTS = {
    "end": "2027-10-15",  # three fortnights from Monday 6 September; the second's first week closed
    "school_holidays": [{"name": "Efterårsferie", "start": "2027-09-20", "end": "2027-09-24"}],
}


def holiday_fortnight_config(*absences: dict[str, str]) -> MunicipalityConfig:
    """Every other Tuesday 13-15, chaired by the leder, over three fortnights with a holiday week."""
    return config(
        [series("kk", cadence="fortnightly", chair="leder")],
        [person("leder", absences=list(absences))],
        terms=[builders.term("t", **HOLIDAY_FORTNIGHTS)],
    )


def kk_days(plan: Plan) -> list[date]:
    return sorted(m.start.astimezone(TZ).date() for m in plan.meetings if m.series == "kk")


def test_a_replan_keeps_the_holiday_fortnight_the_live_plan_holds() -> None:
    cfg = holiday_fortnight_config()
    live = base_plan(cfg)  # the second week keeps all three: 14 and 28 September, 12 October
    assert kk_days(live) == [D("2027-09-14"), D("2027-09-28"), D("2027-10-12")]
    again = replan(cfg, live, now=LONG_BEFORE, time_limit=5, workers=1)
    assert kk_days(again) == kk_days(live) and again.skipped == []
    assert again.stats is not None and again.stats.changed_meetings == 0


def test_a_replan_drops_the_holiday_fortnight_only_when_it_must() -> None:
    # The leader is now away on 12 October: the last meeting moves to 5 October, 7 days after
    # 28 September, so the holiday fortnight's meeting goes (skipped), not the last one (unplaced).
    live = base_plan(holiday_fortnight_config())
    cfg = holiday_fortnight_config({"start": "2027-10-11", "end": "2027-10-15"})
    after = replan(cfg, live, now=LONG_BEFORE, time_limit=5, workers=1)
    assert after.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), after.explanation
    assert kk_days(after) == [D("2027-09-14"), D("2027-10-05")]
    assert [(s.occurrence, s.reason) for s in after.skipped] == [(1, "udgår: Efterårsferie")]
    assert after.unplaced == [] and verify_plan(cfg, after) == []


def test_a_replan_keeps_a_skipped_holiday_fortnight_skipped() -> None:
    # The leader is away in the second week of fortnights 0 and 2: the rhythm is the first week,
    # the holiday's; a replan with nothing changed adds no meeting a week off it.
    away_weeks = ({"start": "2027-09-13", "end": "2027-09-17"}, {"start": "2027-10-11", "end": "2027-10-15"})
    cfg = holiday_fortnight_config(*away_weeks)
    live = base_plan(cfg)
    assert kk_days(live) == [D("2027-09-07"), D("2027-10-05")] and len(live.skipped) == 1
    again = replan(cfg, live, now=LONG_BEFORE, time_limit=5, workers=1)
    assert kk_days(again) == kk_days(live) and again.skipped == live.skipped
