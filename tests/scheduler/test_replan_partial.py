"""Replanning that cannot keep every meeting still answers: a PARTIAL plan, the rest listed.

Issue 14: "one absence without a substitute left the leader with no plan at all". A live plan
is replanned (the least change: a re-solve, an absence proposal, a what-if) for a config in which
the only speech therapist is away for a fortnight and nobody else can take the seat. Every other
meeting keeps its time and people; the conference of that fortnight is listed as unplaced with
a reason naming the meeting and the absent person; the verifier passes the plan.

Term: Monday 6 September to Friday 1 October 2027; the conference is fortnightly (periods
6-17/9 and 20/9-1/10), the day-care meeting weekly.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scheduler.availability import Unavailability, config_with_unavailability
from scheduler.model import Meeting, Plan, PlanStatus
from scheduler.replan import NoProposal, ReplanRequest, propose, replan, what_if
from scheduler.replan.merge import merge_onto
from scheduler.term_dates import TZ
from scheduler.verify import format_violations, verify_plan
from tests.builders import (
    SPEECH_KK_TITLE,
    hand_plan,
    solved_and_verified,
    speech_config,
)

KK_TITLE = SPEECH_KK_TITLE
LONG_BEFORE = datetime(2027, 8, 30, 9, 0, tzinfo=TZ)
"""'now': a week before the term, so nothing is short notice."""
SECOND_FORTNIGHT = Unavailability(
    person="tale-b",
    start=datetime(2027, 9, 20, 0, 0, tzinfo=TZ),
    end=datetime(2027, 10, 2, 0, 0, tzinfo=TZ),
)



@pytest.fixture(scope="module")
def live() -> Plan:
    return solved_and_verified(speech_config())


def shape(m: Meeting) -> tuple[datetime, str, list[tuple[str, str]]]:
    return m.start, m.site, sorted((a.person, a.seat) for a in m.attendees)


def assert_kept_but(before: Plan, after: Plan, missing: set[str]) -> None:
    """Every meeting of `before` but `missing` is in `after` unchanged; `missing` are not."""
    kept = {m.uid: shape(m) for m in after.meetings}
    for m in before.meetings:
        if m.uid in missing:
            assert m.uid not in kept
        else:
            assert kept.get(m.uid) == shape(m), m.uid


def kk_uid(plan: Plan, occurrence: int) -> str:
    return next(m.uid for m in plan.meetings if (m.series, m.occurrence) == ("kk", occurrence))


def test_a_resolve_with_an_absence_nobody_covers_is_partial_and_keeps_the_rest(live: Plan) -> None:
    config = config_with_unavailability(speech_config(), SECOND_FORTNIGHT)
    plan = replan(config, live, now=LONG_BEFORE, time_limit=5, workers=1)
    assert plan.status == PlanStatus.PARTIAL, plan.explanation
    gone = kk_uid(live, 1)
    assert_kept_but(live, plan, {gone})
    assert [(u.series, u.occurrence, str(u.period_start)) for u in plan.unplaced] == [("kk", 1, "2027-09-20")]
    reason = plan.unplaced[0].reason_da[0]
    assert reason.startswith(f"{KK_TITLE}, uge 38-39: ")
    assert "Tale-hørelærer B" in reason and "fraværende" in reason
    assert plan.explanation[0] == "Ikke alle møder kan placeres: 5 af 6 møder er planlagt. Disse mangler:"
    assert plan.explanation[1:] == [f"- {reason}"]
    assert plan.stats is not None
    assert (plan.stats.changed_meetings, plan.stats.notified_people) == (1, 2)  # leder and tale-b
    assert verify_plan(config, plan) == []


def test_a_meeting_inside_the_notice_period_is_listed_with_its_time_and_the_absent_person(live: Plan) -> None:
    """Ill on the conference's own day, told the working day before: the conference may not move
    (the notice period) and nobody else can take the seat, so it is left out; the reason says
    so, not that the fortnight has no time for it (it has)."""
    meeting = next(m for m in live.meetings if m.uid == kk_uid(live, 0))
    day = meeting.start.astimezone(TZ).date()
    ill = Unavailability(
        person="tale-b",
        start=datetime.combine(day, datetime.min.time(), TZ),
        end=datetime.combine(date.fromordinal(day.toordinal() + 1), datetime.min.time(), TZ),
    )
    config = config_with_unavailability(speech_config(), ill)
    now = datetime.combine(date.fromordinal(day.toordinal() - 1), datetime.min.time(), TZ).replace(hour=8)
    plan = replan(config, live, now=now, time_limit=5, workers=1)
    assert plan.status == PlanStatus.PARTIAL, plan.explanation
    assert_kept_but(live, plan, {meeting.uid})
    reason = plan.unplaced[0].reason_da[0]
    assert reason.startswith(f"{KK_TITLE}, uge 36-37: mødet ")
    assert "ligger inden for varslet og kan ikke flyttes" in reason
    assert "Tale-hørelærer B er fraværende" in reason
    assert verify_plan(config, plan) == []


def test_an_absence_nobody_can_cover_says_why_and_offers_a_partial_proposal(live: Plan) -> None:
    request = ReplanRequest(unavailability=SECOND_FORTNIGHT, now=LONG_BEFORE)
    with pytest.raises(NoProposal) as caught:
        propose(speech_config(), live, request, time_limit=5, workers=1)
    assert caught.value.reasons[0].startswith("Der er intet forslag, der dækker Tale-hørelærer B")
    proposal = caught.value.partial
    assert proposal is not None and proposal.kind == "combined"
    assert proposal.plan.status == PlanStatus.PARTIAL
    gone = kk_uid(live, 1)
    assert [(c.uid, c.what) for c in proposal.changes] == [(gone, "removed")]
    assert proposal.summary_da == "1 møde udgår (1 møde ændres i alt)."
    assert sorted(proposal.notified) == ["leder", "tale-b"]
    assert_kept_but(live, proposal.plan, {gone})
    assert "Tale-hørelærer B" in proposal.plan.unplaced[0].reason_da[0]
    assert verify_plan(config_with_unavailability(speech_config(), SECOND_FORTNIGHT), proposal.plan) == []


def test_a_what_if_that_cannot_keep_everything_is_partial(live: Plan) -> None:
    modified = config_with_unavailability(speech_config(), SECOND_FORTNIGHT)
    proposal = what_if(speech_config(), live, modified, time_limit=5, workers=1)
    assert proposal.plan.status == PlanStatus.PARTIAL
    assert [(u.series, u.occurrence) for u in proposal.plan.unplaced] == [("kk", 1)]
    assert_kept_but(live, proposal.plan, {kk_uid(live, 1)})


def test_a_locked_meeting_is_never_left_out(live: Plan) -> None:
    """The conference the absence touches is locked: it cannot be kept nor left out, so there is
    no plan (INFEASIBLE with the reason), never a PARTIAL plan without the locked meeting."""
    config = config_with_unavailability(speech_config(), SECOND_FORTNIGHT)
    plan = replan(config, live, now=LONG_BEFORE, locked={kk_uid(live, 1)}, time_limit=5, workers=1)
    assert plan.status == PlanStatus.INFEASIBLE
    assert plan.meetings == [] and plan.explanation


# --------------------------------------------------------------------------- the verifier


def test_verifier_rejects_a_partial_replan_that_keeps_the_meeting_in_the_absence(live: Plan) -> None:
    """Hand-built: the replanned plan, but the conference the absence took is back at its old
    time and still listed as unplaced; the verifier names both faults."""
    config = config_with_unavailability(speech_config(), SECOND_FORTNIGHT)
    plan = replan(config, live, now=LONG_BEFORE, time_limit=5, workers=1)
    assert verify_plan(config, plan) == []
    back = next(m for m in live.meetings if m.uid == kk_uid(live, 1))
    broken = hand_plan(plan.term, *plan.meetings, back, status=PlanStatus.PARTIAL).model_copy(
        update={"unplaced": plan.unplaced}
    )
    found = verify_plan(config, broken)
    rules = {v.rule for v in found}
    assert "availability" in rules, format_violations(found)
    assert any("perioden har et møde" in v.message for v in found), format_violations(found)
    # and without the unplaced list, the missing conference is the fault
    silent = hand_plan(plan.term, *plan.meetings, status=PlanStatus.PARTIAL)
    found = verify_plan(config, silent)
    assert [v.rule for v in found] == ["structure"], format_violations(found)
    assert "det står ikke blandt de manglende" in found[0].message


def test_a_partial_draft_merged_onto_the_live_plan_keeps_its_unplaced_list(live: Plan) -> None:
    """A leader's PARTIAL draft goes live on top of the live plan: the conference it left out
    stays out and listed (the merge is PARTIAL and verifies); a later draft that places it again
    makes the merge whole."""
    config = config_with_unavailability(speech_config(), SECOND_FORTNIGHT)
    draft = replan(config, live, now=LONG_BEFORE, time_limit=5, workers=1)
    merged = merge_onto(live, live, draft).plan
    assert merged.status == PlanStatus.PARTIAL
    assert [(u.series, u.occurrence) for u in merged.unplaced] == [("kk", 1)]
    assert merged.explanation == draft.explanation
    assert verify_plan(config, merged) == []
    whole = merge_onto(merged, draft, live).plan  # the full plan again, laid on the partial one
    assert whole.status == PlanStatus.FEASIBLE and whole.unplaced == [] and whole.explanation == []
    assert verify_plan(speech_config(), whole) == []
