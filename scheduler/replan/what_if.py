"""What if the config were different? "What if Skovlunde dagtilbud met fortnightly?"

The modified config is solved by the pinning engine with the cost of change relative to the
current plan, so the answer shows how little of the plan the change disturbs; it is published
nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scheduler.availability import require_aware
from scheduler.context import Occurrence
from scheduler.index import index_of
from scheduler.model import MunicipalityConfig, Plan
from scheduler.replan.engine import DEFAULT_TIME_LIMIT, DEFAULT_WORKERS, PINNED, Engine, Freedom
from scheduler.replan.proposals import NoProposal, Proposal, make_proposal


def what_if(
    config: MunicipalityConfig,
    plan: Plan,
    modified_config: MunicipalityConfig,
    *,
    locked: Iterable[str] = (),
    now: datetime | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = DEFAULT_WORKERS,
) -> Proposal:
    """The modified config planned with the least change from the current plan; nothing is sent.

    Meetings are matched by uid (series, term, period); locked meetings and (with `now`) past
    ones keep their time and people. When not every meeting fits, the plan is PARTIAL (the most
    meetings, the rest listed with reasons); raises NoProposal when not one can be placed.
    """
    del config  # the question is about the modified config; the current one made `plan`
    term = index_of(modified_config).term(plan.term)
    frozen = set(locked) | {m.uid for m in plan.meetings if m.locked}
    if now is not None:
        require_aware(now, "now")
        frozen |= {m.uid for m in plan.meetings if m.start < now}
    full = Freedom(time=True, seats="all", optional="all")

    def freedom_of(occ: Occurrence) -> Freedom:
        return PINNED if occ.uid in frozen else full

    engine = Engine(modified_config, term, plan, earliest_move=now, time_limit=time_limit, workers=workers)
    outcome = engine.solve(freedom_of, hint=plan)
    if outcome.status == "infeasible":  # not every meeting fits: keep or place the most (PARTIAL)
        again = Engine(
            modified_config,
            term,
            plan,
            earliest_move=now,
            time_limit=time_limit,
            workers=workers,
            partial=True,
        )
        partial = again.solve(freedom_of, hint=plan)
        if partial.plan is not None:
            outcome = partial
    if outcome.plan is None:
        raise NoProposal(
            no_plan_reasons(
                outcome.status, outcome.problems, bool(frozen), modified_config, term.id, time_limit
            )
        )
    return make_proposal(modified_config, modified_config, "what_if", plan, outcome.plan)


def no_plan_reasons(
    status: str,
    problems: list[str],
    pinned: bool,
    config: MunicipalityConfig,
    term_id: str,
    time_limit: float,
) -> list[str]:
    """Danish lines for a least-change solve that found no plan (`Outcome.status` and
    `.problems`); the first is a headline."""
    reasons = ["Ændringen kan ikke gennemføres:"]
    if status == "unpinnable":
        reasons += [f"- Låst møde {p}" for p in problems]
    elif status == "timeout":
        reasons.append("- Der blev ikke fundet en plan inden for tidsgrænsen; prøv en længere tidsgrænse.")
    elif pinned:
        reasons.append("- Låste og afholdte møder ændres ikke, og resten kan ikke tilpasses dem.")
    else:
        from scheduler.explain import explain_infeasibility

        reasons += explain_infeasibility(config, term_id, time_limit=time_limit)
    return reasons
