"""A BAL rollout's meetings in the term's joint model: the generated series, a joint solve with a
coordination conference, and the verifier's checks of order and facilitator."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.bal_series import bal_series, with_bal
from scheduler.build import build_model
from scheduler.config import ConfigError, load_config
from scheduler.context import Occurrence
from scheduler.explain import why_meeting
from scheduler.hint import greedy_start
from scheduler.index import index_of
from scheduler.model import (
    Attendee,
    BalAssignment,
    BalRollout,
    CadenceKind,
    Meeting,
    MunicipalityConfig,
    Plan,
    PlanStatus,
    SeriesType,
)
from scheduler.replan.moves import move_meeting
from scheduler.replan.proposals import NoProposal
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ, local_datetime
from scheduler.verify import Violation, format_violations, verify_plan
from tests.builders import BAL_COURSE_DAY, BAL_TERM, bal_config, bal_data, bal_rollout

COURSE = "bal-kursus-efteraar-hold-1"


def generated(config: MunicipalityConfig, *teams: str) -> dict[str, Any]:
    term = index_of(config).term(BAL_TERM)
    return {s.id: s for s in bal_series(config, bal_rollout(*teams), term)}


# --------------------------------------------------------------------------- generation


def test_a_course_group_and_one_analysis_series_per_team() -> None:
    series = generated(bal_config(), "team-1", "team-2")
    assert list(series) == [COURSE, "bal-team-1", "bal-team-2"]

    course = series[COURSE]
    assert course.type == SeriesType.bal_kursus
    assert course.title == "BAL-kursus, runde 1, hold 1"
    assert (course.unit, course.site, course.duration_minutes) == ("nordskolen", "skolen", 180)
    assert (course.cadence.kind, course.cadence.count) == (CadenceKind.per_term, 1)
    assert course.seats() == []  # team members are not staff
    assert course.terms == [BAL_TERM]

    team_2 = series["bal-team-2"]
    assert team_2.type == SeriesType.bal_analyse
    assert team_2.title == "BAL-analyse: Solsikken, team 1"
    assert (team_2.unit, team_2.site, team_2.duration_minutes) == ("solsikken", "huset", 90)
    assert team_2.required_people == ["psykolog-a"]
    cadence = team_2.cadence
    assert (cadence.kind, cadence.count, cadence.min_gap_days, cadence.max_gap_days) == (
        CadenceKind.per_term,
        2,
        7,
        14,
    )
    assert [d.value for d in team_2.weekdays] == ["tue", "thu"]
    assert team_2.after is not None and (team_2.after.series, team_2.after.meetings) == (COURSE, 1)
    assert team_2.terms == [BAL_TERM]


def test_no_order_when_the_analyses_need_no_course_session_first() -> None:
    config = bal_config(bal=bal_data(sequence={"analyses": 2, "after_course_sessions": 0}))
    assert generated(config, "team-1")["bal-team-1"].after is None


def test_each_team_keeps_its_own_facilitator() -> None:
    config = bal_config()
    rollout = bal_rollout("team-1", "team-2")
    rollout.assignments[1].facilitator = "psykolog-b"
    series = bal_series(config, rollout, config.terms[0])
    assert [s.required_people for s in series] == [[], ["psykolog-a"], ["psykolog-b"]]


def test_a_leader_group_takes_the_leader_course_else_the_course() -> None:
    teams = [
        {"id": "ledere", "name": "Pædagogiske ledere, Nord", "unit": "nordskolen", "size": 8, "leaders": True}
    ]
    leader_course = {"sessions": 2, "minutes": 120, "sites": ["huset"]}
    with_own = generated(bal_config(bal=bal_data(teams=teams, leader_course=leader_course)), "ledere")
    course = with_own[COURSE]
    assert course.title == "BAL-kursus for pædagogiske ledere, runde 1, hold 1"
    assert (course.cadence.count, course.duration_minutes, course.site) == (2, 120, "huset")
    # Solsikken's site: the course belongs to the unit there, since no team's institution is there
    assert course.unit == "solsikken"
    without = generated(bal_config(bal=bal_data(teams=teams)), "ledere")[COURSE]
    assert (without.cadence.count, without.site, without.unit) == (1, "skolen", "nordskolen")


def test_a_group_meets_at_the_course_site_nearest_its_teams() -> None:
    course = {"sessions": 1, "minutes": 180, "sites": ["skolen", "huset"], "weekdays": ["wed"]}
    config = bal_config(bal=bal_data(course=course))
    assert generated(config, "team-2")[COURSE].site == "huset"
    assert generated(config, "team-1")[COURSE].site == "skolen"


def test_only_the_terms_round_and_none_without_bal() -> None:
    config = bal_config()
    rollout = bal_rollout("team-1")
    rollout.assignments.append(
        BalAssignment(team="team-2", round=2, term=None, facilitator="psykolog-a", course_group=1)
    )
    assert [s.id for s in bal_series(config, rollout, config.terms[0])] == [COURSE, "bal-team-1"]
    plain = bal_config(bal=None)
    assert bal_series(plain, rollout, plain.terms[0]) == []
    assert with_bal(plain, rollout) is plain


def test_with_bal_adds_the_series_to_a_copy() -> None:
    config = bal_config()
    full = with_bal(config, bal_rollout("team-1"))
    assert [s.id for s in full.series] == ["kk", COURSE, "bal-team-1"]
    assert [s.id for s in config.series] == ["kk"]
    assert index_of(full).series["bal-team-1"].after is not None


def test_a_rollout_the_config_does_not_know_is_refused_in_danish() -> None:
    config = bal_config()
    with pytest.raises(ConfigError) as caught:
        with_bal(config, bal_rollout("team-9", facilitator="psykolog-x"))
    assert caught.value.problems == [
        "rollout: teamet 'team-9' findes ikke i bal.teams",
        "rollout: facilitatoren 'psykolog-x' for teamet 'team-9' findes ikke i staff",
    ]


def test_a_generated_series_is_checked_like_a_written_one() -> None:
    """A series of the config already called 'bal-team-1' clashes with the team's analyses."""
    config = bal_config()
    taken = config.model_copy(
        update={"series": [*config.series, config.series[0].model_copy(update={"id": "bal-team-1"})]}
    )
    with pytest.raises(ConfigError, match="'bal-team-1' bruges 2 gange"):
        with_bal(taken, bal_rollout("team-1"))


# --------------------------------------------------------------------------- the joint solve


@pytest.fixture(scope="module")
def joint() -> tuple[MunicipalityConfig, Plan]:
    """Psykolog A holds the Thursday conference and facilitates team 1, in one solve."""
    config = with_bal(bal_config(), bal_rollout("team-1"))
    plan = solve(config, BAL_TERM, SolveOptions(time_limit=5, workers=1))
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), plan.explanation
    return config, plan


def of(plan: Plan, series_id: str) -> list[Meeting]:
    return sorted((m for m in plan.meetings if m.series == series_id), key=lambda m: m.start)


def test_the_joint_model_places_conference_course_and_analyses(
    joint: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = joint
    assert verify_plan(config, plan) == []
    conferences, analyses, (course,) = of(plan, "kk"), of(plan, "bal-team-1"), of(plan, COURSE)
    assert len(conferences) == 4 and len(analyses) == 2
    assert course.start.astimezone(TZ).date() == BAL_COURSE_DAY
    # after the course session, though both Tuesdays before it are free of the conference: only
    # the order puts the first analysis on a Thursday beside it (over the daily cap of one)
    assert analyses[0].start >= course.end
    assert analyses[0].start.astimezone(TZ).date() == date(2027, 9, 16)
    for analysis in analyses:
        assert [(a.person, a.seat) for a in analysis.attendees] == [("psykolog-a", "required_people[0]")]
    # Psykolog A is never in two places at once: the Thursday's conference and analysis apart
    psykolog = sorted(
        (m.start, m.end) for m in plan.meetings if any(a.person == "psykolog-a" for a in m.attendees)
    )
    assert all(end <= start for (_, end), (start, _) in zip(psykolog, psykolog[1:], strict=False))


# --------------------------------------------------------------------------- the verifier


def moved(meeting: Meeting, day: date, minute: int | None = None) -> Meeting:
    local = meeting.start.astimezone(TZ)
    start = local_datetime(day, local.hour * 60 + local.minute if minute is None else minute)
    return meeting.model_copy(update={"start": start, "end": start + (meeting.end - meeting.start)})


def edited(plan: Plan, uid: str, change: Any) -> Plan:
    return plan.model_copy(update={"meetings": [change(m) if m.uid == uid else m for m in plan.meetings]})


def rules_of(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def test_an_analysis_before_its_course_session_is_caught(joint: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = joint
    first = of(plan, "bal-team-1")[0]
    early = edited(plan, first.uid, lambda m: moved(m, date(2027, 9, 14)))  # the Tuesday before
    found = [v for v in verify_plan(config, early) if v.rule == "after_series"]
    assert len(found) == 1, format_violations(found)
    assert found[0].message == (
        f"«BAL-analyse: Nordskolen, team 1» tirsdag 14/9 kl. {_clock(first)} skal ligge efter 1. møde i "
        "«BAL-kursus, runde 1, hold 1», men det holdes først onsdag 15/9 kl. 09:00-12:00"
    )
    (course,) = of(plan, COURSE)
    assert found[0].meetings == (first.uid, course.uid)  # moving either one finds it


def test_analyses_without_the_course_session_in_the_plan_are_caught(
    joint: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = joint
    without = plan.model_copy(update={"meetings": [m for m in plan.meetings if m.series != COURSE]})
    found = [v for v in verify_plan(config, without) if v.rule == "after_series"]
    assert len(found) == 2
    assert found[0].message.endswith("«BAL-kursus, runde 1, hold 1», men den har kun 0 møder i planen")


def test_a_second_facilitator_is_caught_once(joint: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = joint
    second = of(plan, "bal-team-1")[1]
    other = Attendee(person="psykolog-b", role="psykolog", required=True, seat="required_people[0]")
    swapped = edited(plan, second.uid, lambda m: m.model_copy(update={"attendees": [other]}))
    found = verify_plan(config, swapped)
    assert rules_of(found) == ["seats"], format_violations(found)
    when = second.start.astimezone(TZ)
    assert found[0].message == (
        f"«BAL-analyse: Nordskolen, team 1» {_weekday(when)} {when.day}/{when.month} kl. {_clock(second)}: "
        "facilitator er Psykolog B, men teamet følges af Psykolog A; én facilitator fra PPR følger "
        "teamet gennem hele forløbet"
    )


def test_a_substitute_on_the_facilitators_absence_is_no_second_facilitator(
    joint: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = joint
    second = of(plan, "bal-team-1")[1]
    day = second.start.astimezone(TZ).date()
    absent = {"start": day.isoformat(), "end": day.isoformat(), "substitute": "psykolog-b"}
    staff = [p.model_dump(mode="json", exclude_defaults=True) for p in bal_config().staff]
    staff[1]["absences"] = [absent]
    away = with_bal(bal_config(staff=staff), bal_rollout("team-1"))
    stand_in = Attendee(person="psykolog-b", role="psykolog", required=True, seat="required_people[0]")
    swapped = edited(plan, second.uid, lambda m: m.model_copy(update={"attendees": [stand_in]}))
    # the conference that day keeps Psykolog A, absent: that is availability, not the facilitator
    assert "seats" not in rules_of(verify_plan(away, swapped)), format_violations(verify_plan(away, swapped))


def test_analyses_too_far_apart_are_caught(joint: tuple[MunicipalityConfig, Plan]) -> None:
    """The sequence's 7-14 days between analyses hold in the generated series' cadence."""
    config, plan = joint
    first, second = of(plan, "bal-team-1")
    far = first.start.astimezone(TZ).date() + timedelta(days=15)
    late = edited(plan, second.uid, lambda m: moved(m, far))
    found = [v for v in verify_plan(config, late) if v.rule == "cadence"]
    assert [v.message for v in found] == [
        f"«BAL-analyse: Nordskolen, team 1» {_day(first.start)} og {_day(moved(second, far).start)} ligger "
        "15 dage fra hinanden; højst 14 er tilladt mellem to perioder i træk"
    ]


def _weekday(when: datetime) -> str:
    return ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"][when.weekday()]


def _day(start: datetime) -> str:
    local = start.astimezone(TZ)
    return f"{_weekday(local)} {local.day}/{local.month}"


def _clock(meeting: Meeting) -> str:
    start, end = meeting.start.astimezone(TZ), meeting.end.astimezone(TZ)
    return f"{start:%H:%M}-{end:%H:%M}"


# --------------------------------------------------------------------------- the example


def test_the_examples_first_round_becomes_series_the_config_check_passes() -> None:
    """examples/ballerup-bal.yaml with a hand-made first round: the leader teams in their own
    groups, then two schools' teams, two a facilitator, groups as the course's capacity allows."""
    config = load_config(Path(__file__).resolve().parents[2] / "examples" / "ballerup-bal.yaml")
    bal = config.bal
    assert bal is not None and bal.leader_course is not None
    leaders = [t for t in bal.teams if t.leaders]
    schools = [t for t in bal.teams if t.unit in ("baltorpskolen", "hedegaardsskolen") and not t.leaders][:12]
    facilitators = [f.person for f in bal.facilitators]
    assignments = [
        BalAssignment(
            team=t.id, round=1, term="foraar-2027", facilitator=facilitators[i // 2], course_group=1 + i // 3
        )
        for i, t in enumerate(leaders)
    ] + [
        BalAssignment(
            team=t.id,
            round=1,
            term="foraar-2027",
            facilitator=facilitators[3 + i // 2],
            course_group=3 + i // 8,
        )
        for i, t in enumerate(schools)
    ]
    rollout = BalRollout(
        municipality=config.municipality, status=PlanStatus.FEASIBLE, rounds_used=1, assignments=assignments
    )
    full = with_bal(config, rollout)
    added = {s.id: s for s in full.series[len(config.series) :]}
    courses = [s for s in added.values() if s.type == SeriesType.bal_kursus]
    analyses = [s for s in added.values() if s.type == SeriesType.bal_analyse]
    assert len(analyses) == len(assignments) and len(courses) == 4
    assert [c.title for c in courses] == [
        "BAL-kursus for pædagogiske ledere, runde 1, hold 1",
        "BAL-kursus for pædagogiske ledere, runde 1, hold 2",
        "BAL-kursus, runde 1, hold 3",
        "BAL-kursus, runde 1, hold 4",
    ]
    assert {c.site for c in courses} <= {"hedegaardsskolen", "rugvaenget"}
    assert all(a.after is not None and a.after.series in added for a in analyses)
    assert all(a.cadence.count == 6 and a.terms == ["foraar-2027"] for a in analyses)


def test_why_here_weighs_the_order_against_the_course_session() -> None:
    """'Hvorfor her?' for Solsikken's first analysis (the course is at Nordskolen, elsewhere, with
    nobody in common): the days before the course session are ruled out by the order, and later
    times on its own day are allowed, since the session is part of the comparison."""
    config = with_bal(bal_config(), bal_rollout("team-2"))
    plan = solve(config, BAL_TERM, SolveOptions(time_limit=5, workers=1))
    first = of(plan, "bal-team-2")[0]
    lines = why_meeting(config, plan, first.uid)
    order = [line for line in lines if "udelukkes af «Rækkefølge mellem serier»" in line]
    assert len(order) == 1 and order[0].endswith("men det holdes først onsdag 15/9 kl. 09:00-12:00"), lines
    assert any("andre tider overholder alle regler (torsdag 16/9" in line for line in lines), lines


def test_moving_the_course_session_after_an_analysis_is_refused_by_the_order(
    joint: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = joint
    (course,) = of(plan, COURSE)
    later = local_datetime(date(2027, 9, 22), 9 * 60)  # the Wednesday after the first analysis
    with pytest.raises(NoProposal) as refused:
        move_meeting(config, plan, course.uid, later)
    assert any(
        "skal ligge efter 1. møde i «BAL-kursus, runde 1, hold 1»" in r for r in refused.value.reasons
    ), refused.value.reasons


def test_the_greedy_start_keeps_the_order() -> None:
    """The warm start's greedy plan puts the analyses after the course session: the course may
    meet on the term's first Monday at noon, and an analysis that Monday morning is a candidate
    (only earlier days are ruled out in advance), so the greedy must look at the time."""
    course = {"sessions": 1, "minutes": 180, "sites": ["skolen"], "window": "12:00-15:00"}
    sequence = {"analyses": 2, "minutes": 90, "min_gap_days": 7, "max_gap_days": 14, "weekdays": ["mon"]}
    config = with_bal(
        bal_config(bal=bal_data(course=course, sequence=sequence)), bal_rollout("team-1", "team-2")
    )
    ctx = build_model(config, index_of(config).term(BAL_TERM))
    assert greedy_start(ctx).left_out == ()
    hints = dict(zip(ctx.model.proto.solution_hint.vars, ctx.model.proto.solution_hint.values, strict=True))

    def start(occ: Occurrence) -> int:
        (chosen,) = [o for o in occ.options if hints.get(o.var.index) == 1]
        return chosen.absolute_start

    (session,) = ctx.by_series[COURSE]
    course_end = start(session) + session.duration
    for team in ("bal-team-1", "bal-team-2"):
        assert all(start(occ) >= course_end for occ in ctx.by_series[team])
