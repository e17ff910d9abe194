"""A draft made from a plan that is no longer live, laid on top of the plan that is.

Two district leaders plan from the same live plan; the first publishes. The second draft must not
replace the live plan (that would undo the first leader's changes), so its own changes (against
the plan it was made from) are applied to the live plan, meeting by meeting, and the result is
checked by the independent verifier: a clash on a shared specialist (double-booked, no time to
travel) involves one of the draft's meetings. A PARTIAL draft's left-out meetings stay listed as
unplaced in the merge (and the merge is PARTIAL). Pure: no database, no solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scheduler.model import Meeting, MunicipalityConfig, Plan, PlanStatus, UnplacedMeeting
from scheduler.replan.diff import diff_plans
from scheduler.solve import partial_explanation
from scheduler.verify import Violation, verify_plan


@dataclass(frozen=True)
class Merge:
    """The live plan with a draft's changes: `changed` the uids the draft changed, `contested`
    those of them the live plan changed too since the draft's base (neither may win silently)."""

    plan: Plan
    changed: frozenset[str]
    contested: frozenset[str]


@dataclass(frozen=True)
class Clash:
    """A hard rule the merge breaks on one of the draft's meetings: the people of every meeting
    involved (e.g. the specialist double-booked) and those meetings, as in the merged plan."""

    rule: str
    people: tuple[str, ...]
    meetings: tuple[Meeting, ...]


def merge_onto(live: Plan, base: Plan, draft: Plan) -> Merge:
    """`live` with what `draft` changed against `base` (moved, re-staffed, added, removed)."""
    changed = frozenset(c.uid for c in diff_plans(base, draft))
    live_changed = {c.uid for c in diff_plans(base, live)}
    drafted = {m.uid: m for m in draft.meetings}
    meetings = [m for m in live.meetings if m.uid not in changed]
    meetings += [drafted[uid] for uid in sorted(changed) if uid in drafted]
    meetings.sort(key=lambda m: (m.start, m.uid))
    merged = live.model_copy(update={"meetings": meetings, **_unplaced_after(live, draft, meetings)})
    return Merge(merged, changed, frozenset(changed & live_changed))


def _unplaced_after(live: Plan, draft: Plan, meetings: list[Meeting]) -> dict[str, Any]:
    """The merged plan's unplaced list (the draft's, then the live plan's, for each period still
    without a meeting), status and explanation: a PARTIAL draft's left-out meetings stay listed,
    and a period the draft placed again is no longer missing."""
    if not live.unplaced and not draft.unplaced:
        return {}
    held = {(m.series, m.occurrence) for m in meetings if not m.one_off}
    unplaced: dict[tuple[str, int], UnplacedMeeting] = {}
    for entry in [*draft.unplaced, *live.unplaced]:
        unplaced.setdefault((entry.series, entry.occurrence), entry)
    still = [e for key, e in unplaced.items() if key not in held]
    if not still:
        status = PlanStatus.FEASIBLE if live.status == PlanStatus.PARTIAL else live.status
        return {"unplaced": [], "status": status, "explanation": []}
    still.sort(key=lambda u: (u.period_start, u.series, u.occurrence))
    return {
        "unplaced": still,
        "status": PlanStatus.PARTIAL,
        "explanation": partial_explanation(len(held), still),
    }


def clashes(config: MunicipalityConfig, merge: Merge) -> list[Clash]:
    """The verifier's violations of the merged plan that involve a meeting the draft changed
    (the live plan's own are not the draft's to answer for)."""
    by_uid = {m.uid: m for m in merge.plan.meetings}
    return [_clash(v, by_uid) for v in verify_plan(config, merge.plan) if set(v.meetings) & merge.changed]


def _clash(violation: Violation, by_uid: dict[str, Meeting]) -> Clash:
    meetings = tuple(by_uid[u] for u in dict.fromkeys(violation.meetings) if u in by_uid)
    groups = [{a.person for a in m.attendees} for m in meetings]
    shared = set.intersection(*groups) if len(groups) > 1 else set()
    return Clash(violation.rule, tuple(sorted(shared)), meetings)
