"""An impossible term still gets a plan: PARTIAL, every meeting that fits placed, the rest listed.

The solver side (presence literals, the lexicographic objective, the reasons) and the verifier
side (a partial plan must list what it lacks, with a reason) each have tests of their own.
"""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.build import build_model, find_term
from scheduler.model import MunicipalityConfig, Plan, PlanStatus
from scheduler.replan import replan
from scheduler.slots import book, find_slots, format_slots_da, parse_request
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ
from scheduler.verify import format_violations, verify_plan, verify_saved_plan
from tests.builders import SPEECH_KK_TITLE, hand_plan, person, series, small_config, speech_config

OPTIONS = SolveOptions(time_limit=5, workers=1)
KK_TITLE = SPEECH_KK_TITLE



ABSENT_SECOND_FORTNIGHT = [{"start": "2027-09-20", "end": "2027-10-01"}]


@pytest.fixture(scope="module")
def partial_plan() -> tuple[MunicipalityConfig, Plan]:
    config = speech_config(ABSENT_SECOND_FORTNIGHT)
    return config, solve(config, options=OPTIONS)


def test_absent_speech_therapist_without_substitute_gives_a_partial_plan(
    partial_plan: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = partial_plan
    assert plan.status == PlanStatus.PARTIAL
    assert sorted((m.series, m.occurrence) for m in plan.meetings) == [
        ("dag", 0),
        ("dag", 1),
        ("dag", 2),
        ("dag", 3),
        ("kk", 0),
    ]
    assert [(u.series, u.occurrence, str(u.period_start), str(u.period_end)) for u in plan.unplaced] == [
        ("kk", 1, "2027-09-20", "2027-10-01")
    ]
    reason = plan.unplaced[0].reason_da[0]
    # the meeting and its period first, then the rules and the person
    assert reason.startswith(f"{KK_TITLE}, uge 38-39: kræver én tale-hørelærer")
    assert "og kun Tale-hørelærer B dækker Nordskolen" in reason  # nobody else covers the school
    assert "Tale-hørelærer B er fraværende 20/9-1/10 («Tilgængelighed»)" in reason  # only what matters
    assert "«Mødepligt og roller»" in reason and "«Tilgængelighed»" in reason
    assert plan.explanation[0] == "Ikke alle møder kan placeres: 5 af 6 møder er planlagt. Disse mangler:"
    assert plan.explanation[1] == f"- {reason}"
    assert verify_plan(config, plan) == []
    assert verify_saved_plan(config, Plan.model_validate_json(plan.model_dump_json())) == []


def test_a_substitute_gives_the_whole_plan_again() -> None:
    plan = solve(speech_config(ABSENT_SECOND_FORTNIGHT, substitute=True), options=OPTIONS)
    assert plan.status == PlanStatus.OPTIMAL
    assert plan.unplaced == [] and len(plan.meetings) == 6


def test_partial_off_keeps_the_old_answer() -> None:
    plan = solve(
        speech_config(ABSENT_SECOND_FORTNIGHT), options=SolveOptions(time_limit=5, workers=1, partial=False)
    )
    assert plan.status == PlanStatus.INFEASIBLE
    assert plan.meetings == [] and plan.unplaced == []
    assert plan.explanation[0].startswith("Der findes ingen plan")


def test_nothing_placeable_is_still_infeasible() -> None:
    plan = solve(speech_config([{"start": "2027-09-01", "end": "2027-10-31"}]).model_copy(), options=OPTIONS)
    # the day-care meeting needs no speech therapist: it is placed, the conferences are not
    assert plan.status == PlanStatus.PARTIAL and {u.series for u in plan.unplaced} == {"kk"}
    only_kk = speech_config([{"start": "2027-09-01", "end": "2027-10-31"}])
    only_kk = only_kk.model_copy(update={"series": [s for s in only_kk.series if s.id == "kk"]})
    plan = solve(only_kk, options=OPTIONS)
    assert plan.status == PlanStatus.INFEASIBLE
    assert plan.meetings == [] and plan.explanation[0].startswith("Der findes ingen plan")


def test_the_normal_model_has_no_presence_literals() -> None:
    config = speech_config([])
    term = find_term(config, None)
    assert all(occ.present is True for occ in build_model(config, term).occurrences)
    partial = build_model(config, term, partial=True)
    assert all(occ.present is not True for occ in partial.occurrences)


def gap_config() -> MunicipalityConfig:
    """Weekly, at least 12 days apart, over three weeks: the leader can only on Friday 10/9, in
    week 2 and on Monday 20/9; the speech therapist is away in week 2, so that meeting is left
    out, and 10/9 and 20/9 (ten days apart) would be neighbours."""
    leader_away = [{"start": "2027-09-06", "end": "2027-09-09"}, {"start": "2027-09-21", "end": "2027-09-24"}]
    return small_config(
        staff=[
            person("leder", name="Leder Nord", absences=leader_away),
            person("tale-b", "tale_hoerelaerer", absences=[{"start": "2027-09-13", "end": "2027-09-17"}]),
        ],
        terms=[{"id": "efteraar", "name": "Efterår", "start": "2027-09-06", "end": "2027-09-24"}],
        series=[
            series(
                "kk",
                cadence={"kind": "weekly", "min_gap_days": 12},
                window="13:00-15:00",
                chair="leder",
                required_roles=[{"role": "tale_hoerelaerer"}],
            )
        ],
    )


def test_minimum_gap_holds_across_a_meeting_left_out() -> None:
    config = gap_config()
    plan = solve(config, options=OPTIONS)  # the verifier inside would reject 10/9 and 20/9
    assert plan.status == PlanStatus.PARTIAL
    assert len(plan.meetings) == 1 and len(plan.unplaced) == 2
    days = sorted(m.start.astimezone(TZ).date().isoformat() for m in plan.meetings)
    assert days in (["2027-09-10"], ["2027-09-20"])
    assert verify_plan(config, plan) == []


def test_replanning_an_impossible_absence_does_not_crash(
    partial_plan: tuple[MunicipalityConfig, Plan],
) -> None:
    config, live = partial_plan
    possible = speech_config([])
    base = solve(possible, options=OPTIONS)
    assert base.status == PlanStatus.OPTIMAL
    answer = replan(config, base, now=base.meetings[0].start, time_limit=5, workers=1)
    # the replanner keeps what it can and lists the rest (tests/scheduler/test_replan_partial.py)
    assert answer.status == PlanStatus.PARTIAL, answer.explanation
    assert [(u.series, u.occurrence) for u in answer.unplaced] == [("kk", 1)]
    assert verify_plan(config, answer) == []


# --------------------------------------------------------------------------- the verifier


def _partial(plan: Plan, **changes: Any) -> Plan:
    return hand_plan(plan.term, *plan.meetings, status=PlanStatus.PARTIAL).model_copy(
        update={"unplaced": plan.unplaced, **changes}
    )


def test_verifier_accepts_a_hand_built_partial_plan(partial_plan: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = partial_plan
    assert verify_plan(config, _partial(plan)) == []


def test_verifier_rejects_a_missing_meeting_that_is_not_listed(
    partial_plan: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = partial_plan
    dropped = [m for m in plan.meetings if (m.series, m.occurrence) != ("dag", 2)]
    found = verify_plan(config, _partial(plan, meetings=dropped))
    assert [v.rule for v in found] == ["structure"], format_violations(found)
    assert "«dag» har intet møde i periode 3" in found[0].message
    assert "det står ikke blandt de manglende" in found[0].message
    # and forgetting the unplaced entry itself is the same fault
    found = verify_plan(config, _partial(plan, unplaced=[]))
    assert [v.rule for v in found] == ["structure"]
    assert "«Koordineringskonference, skole, Nordskolen» har intet møde i periode 2" in found[0].message


def test_verifier_rejects_an_unplaced_meeting_without_a_reason(
    partial_plan: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = partial_plan
    silent = [u.model_copy(update={"reason_da": []}) for u in plan.unplaced]
    found = verify_plan(config, _partial(plan, unplaced=silent))
    assert [v.rule for v in found] == ["structure"], format_violations(found)
    assert "der er ingen begrundelse" in found[0].message


def test_verifier_rejects_unplaced_entries_that_do_not_fit(
    partial_plan: tuple[MunicipalityConfig, Plan],
) -> None:
    config, plan = partial_plan
    placed_too = plan.unplaced[0].model_copy(update={"occurrence": 0})
    found = verify_plan(config, _partial(plan, unplaced=[*plan.unplaced, placed_too]))
    assert any("perioden har et møde" in v.message for v in found), format_violations(found)
    # a plan that says it is complete lists nothing as unplaced
    found = verify_plan(config, _partial(plan, status=PlanStatus.FEASIBLE))
    assert any("kun en delvis plan (PARTIAL) har manglende møder" in v.message for v in found)


def test_verifier_checks_the_gap_between_consecutive_placed_meetings() -> None:
    config = gap_config()
    plan = solve(config, options=OPTIONS)
    placed = plan.meetings[0]
    other_day = "2027-09-20" if placed.start.astimezone(TZ).day == 10 else "2027-09-10"
    occurrence = 2 if other_day == "2027-09-20" else 0
    shift = placed.start.astimezone(TZ).replace(
        year=2027, month=9, day=int(other_day[-2:])
    ) - placed.start.astimezone(TZ)
    second = placed.model_copy(
        update={
            "uid": f"kk.efteraar.{occurrence}@moedeplan",
            "occurrence": occurrence,
            "start": placed.start + shift,
            "end": placed.end + shift,
        }
    )
    unplaced = [u for u in plan.unplaced if u.occurrence != occurrence]
    found = verify_plan(config, _partial(plan, meetings=[placed, second], unplaced=unplaced))
    assert [v.rule for v in found] == ["cadence"], format_violations(found)
    assert "10 dage fra hinanden; der skal være mindst 12" in found[0].message


def test_the_slot_finder_books_around_a_partial_plan(partial_plan: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = partial_plan
    request = parse_request(
        {
            "id": "fam-1",
            "participants": [{"person": "leder"}],
            "site": "skolen",
            "earliest": "2027-09-27",
            "latest": "2027-09-27",
            "window": "08:00-10:00",
        },
        config,
    )
    result = find_slots(config, plan, request)
    assert result.slots, format_slots_da(config, request, result)
    booked = book(config, plan, request, result.slots[0])
    assert booked.status == PlanStatus.PARTIAL and booked.unplaced == plan.unplaced
    assert len(booked.meetings) == len(plan.meetings) + 1
    assert verify_plan(config, booked) == []


@pytest.mark.parametrize("preferred", [[], ["fri"], ["tue"]])
def test_a_meeting_left_out_costs_no_soft_rule(preferred: list[str]) -> None:
    """The redundant bounds of regularity, preferred weekdays and preferred starts speak only for
    placed meetings: week 2 (left out: no speech therapist) could not have had the Monday pattern
    (the chair is away Monday to Wednesday), and that must not count as an irregular meeting. The
    speech therapist's Mondays end at 15:00, so a 14:00 start is never possible for the rest."""
    config = small_config(
        staff=[
            person("leder", absences=[{"start": "2027-09-13", "end": "2027-09-15"}]),
            person(
                "tale-b",
                "tale_hoerelaerer",
                working_hours={"mon": "08:00-15:00"},
                absences=[{"start": "2027-09-13", "end": "2027-09-17"}],
            ),
        ],
        series=[
            series(
                "kk",
                window="12:00-16:00",
                chair="leder",
                required_roles=[{"role": "tale_hoerelaerer"}],
                preferred_weekdays=preferred,
                preferred_starts=["14:00"] if preferred == ["tue"] else [],
            )
        ],
    )
    plan = solve(config, options=OPTIONS)
    assert plan.status == PlanStatus.PARTIAL
    assert [u.occurrence for u in plan.unplaced] == [1]
    assert len({m.start.astimezone(TZ).strftime("%a %H:%M") for m in plan.meetings}) == 1
    assert {m.start.astimezone(TZ).strftime("%a") for m in plan.meetings} == {"Mon"}
    costs = {c.rule: c.violations for c in plan.rule_costs}
    assert costs["regularity"] == 0
    assert costs["preferred_weekdays"] == (3 if preferred else 0)
    assert costs["preferred_start"] == (3 if preferred == ["tue"] else 0)


def test_a_meeting_with_no_possible_time_is_unplaced_with_its_reason() -> None:
    """The named chair is away all of week 2: that meeting has no candidate time at all (today's
    empty occurrence); the other weeks are planned and week 2 is listed, naming the chair."""
    config = small_config(
        staff=[person("leder", name="Leder Nord", absences=[{"start": "2027-09-13", "end": "2027-09-17"}])],
        series=[series("kk", title=KK_TITLE, window="13:00-15:00", chair="leder")],
    )
    plan = solve(config, options=OPTIONS)
    assert plan.status == PlanStatus.PARTIAL
    assert sorted(m.occurrence for m in plan.meetings) == [0, 2, 3]
    assert [u.occurrence for u in plan.unplaced] == [1]
    reason = plan.unplaced[0].reason_da[0]
    assert reason.startswith(f"{KK_TITLE}, uge 37: Leder Nord ")
    assert "fraværende 13/9-17/9 («Tilgængelighed»)" in reason
    assert verify_plan(config, plan) == []
