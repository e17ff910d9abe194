"""A draft made from an older live plan, laid on top of the live plan (`scheduler.replan.merge`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.config import parse_config
from scheduler.model import Meeting, MunicipalityConfig, Plan
from scheduler.replan.merge import clashes, merge_onto
from scheduler.solve import SolveOptions, solve
from tests.builders import TERM, TWO_DISTRICTS

pytestmark = pytest.mark.solve


@pytest.fixture(scope="module")
def config() -> MunicipalityConfig:
    return parse_config(TWO_DISTRICTS)


@pytest.fixture(scope="module")
def base(config: MunicipalityConfig) -> Plan:
    """The two districts' plan: Psykolog A in Baltorp, Psykolog B in Skovlunde, Tuesdays 12:30."""
    return solve(config, TERM, SolveOptions(time_limit=10, workers=1))


def find(plan: Plan, series: str, occurrence: int) -> Meeting:
    return next(m for m in plan.meetings if m.series == series and m.occurrence == occurrence)


def changed(plan: Plan, meeting: Meeting, **update: object) -> Plan:
    """The plan with one meeting replaced by a copy with `update` (`remove=True`: without it)."""
    meetings = [m for m in plan.meetings if m.uid != meeting.uid]
    if not update.pop("remove", False):
        meetings.append(meeting.model_copy(update=update))
    return plan.model_copy(update={"meetings": meetings})


def later(meeting: Meeting, minutes: int) -> dict[str, object]:
    shift = timedelta(minutes=minutes)
    return {"start": meeting.start + shift, "end": meeting.end + shift}


def test_the_drafts_changes_go_on_top_of_the_live_plan(base: Plan) -> None:
    theirs, ours, gone = (
        find(base, "kk-baltorp", 0),
        find(base, "kk-skovlunde", 1),
        find(base, "kk-skovlunde", 2),
    )
    live = changed(base, theirs, **later(theirs, 30))  # published since the draft was made
    draft = changed(changed(base, ours, **later(ours, 60)), gone, remove=True)
    merge = merge_onto(live, base, draft)
    by_uid = {m.uid: m for m in merge.plan.meetings}
    assert by_uid[theirs.uid].start == theirs.start + timedelta(minutes=30), "the live change is kept"
    assert by_uid[ours.uid].start == ours.start + timedelta(minutes=60), "the draft's change is applied"
    assert gone.uid not in by_uid and len(merge.plan.meetings) == len(base.meetings) - 1
    assert merge.changed == {ours.uid, gone.uid} and merge.contested == set()
    assert merge.plan.meetings == sorted(merge.plan.meetings, key=lambda m: (m.start, m.uid))


def test_a_meeting_changed_in_both_is_contested(base: Plan) -> None:
    both = find(base, "kk-baltorp", 4)  # period 3, the vinterferie fortnight, may be skipped
    live = changed(base, both, **later(both, 30))
    draft = changed(base, both, **later(both, 60))
    assert merge_onto(live, base, draft).contested == {both.uid}
    assert merge_onto(live, base, live).contested == {both.uid}  # the same change twice: still both


def test_a_shared_specialist_double_booked_by_the_merge_is_a_clash(
    config: MunicipalityConfig, base: Plan
) -> None:
    baltorp, skovlunde = find(base, "kk-baltorp", 0), find(base, "kk-skovlunde", 0)
    assert baltorp.start == skovlunde.start
    assert clashes(config, merge_onto(base, base, base)) == []
    people = [
        a.model_copy(update={"person": "psykolog-a"}) if a.person == "psykolog-b" else a
        for a in skovlunde.attendees
    ]
    draft = changed(base, skovlunde, attendees=people)  # Psykolog A for Skovlunde, at Baltorp's time
    found = clashes(config, merge_onto(base, base, draft))
    double = [c for c in found if c.rule == "no_double_booking"]
    assert double, found
    assert double[0].people == ("psykolog-a",)
    assert {m.uid for m in double[0].meetings} == {baltorp.uid, skovlunde.uid}
    assert all(skovlunde.uid in {m.uid for m in c.meetings} for c in found), "only the draft's meetings"
