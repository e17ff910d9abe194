"""Moving one meeting by hand: a district leader drags a meeting to a new time.

The moved meeting is checked by the verifier first, so a refusal names the rules it would
break; then the engine re-solves with everything pinned, which scores the plan by its rules
and confirms the new time is one the meeting may take.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scheduler.availability import require_aware
from scheduler.danish import when_da
from scheduler.index import index_of
from scheduler.model import MunicipalityConfig, Plan
from scheduler.replan.engine import DEFAULT_TIME_LIMIT, DEFAULT_WORKERS, PINNED, Engine
from scheduler.replan.proposals import NoProposal, Proposal, make_proposal
from scheduler.term_dates import TZ


def move_meeting(
    config: MunicipalityConfig,
    plan: Plan,
    uid: str,
    new_start: datetime,
    *,
    locked: Iterable[str] = (),
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Proposal:
    """A district leader's move of one meeting, everything else kept; scored by the plan's rules.

    Raises NoProposal (Danish reasons naming the rules it would break) when the new time is not
    allowed, and KeyError for an unknown uid.
    """
    from scheduler.verify import verify_plan

    require_aware(new_start, "start")
    meeting = next((m for m in plan.meetings if m.uid == uid), None)
    if meeting is None:
        raise KeyError(uid)
    if meeting.locked or uid in set(locked):
        raise NoProposal([f"{meeting.title} er låst og flyttes ikke; lås det op først."])
    moved = meeting.model_copy(
        update={
            "start": new_start.astimezone(TZ),
            "end": new_start.astimezone(TZ) + (meeting.end - meeting.start),
        }
    )
    naive = plan.model_copy(update={"meetings": [moved if m.uid == uid else m for m in plan.meetings]})
    violations = [v for v in verify_plan(config, naive) if uid in v.meetings]
    if violations:
        raise NoProposal(
            [f"{meeting.title} kan ikke flyttes til {when_da(new_start)}:"]
            + [f"- {v.message}" for v in violations]
        )
    term = index_of(config).term(plan.term)
    engine = Engine(config, term, naive, time_limit=time_limit, workers=DEFAULT_WORKERS)
    outcome = engine.solve(lambda occ: PINNED, hint=naive, allow_short_notice=True)
    if outcome.plan is None:
        raise NoProposal(
            [
                f"{meeting.title} kan ikke flyttes til {when_da(new_start)}:",
                *(f"- {p}" for p in outcome.problems),
            ]
            if outcome.problems
            else [
                f"{meeting.title} kan ikke flyttes til {when_da(new_start)} (uden for mødets mulige tider)."
            ]
        )
    return make_proposal(config, config, "move", plan, outcome.plan)
