"""Rescheduling with the smallest change: someone is unavailable, and the plan must bend, not break.

One module per job:

- `unavailability` - an absence seen from now: the part still to come, the meetings it touches,
  and the notice period (the absence itself is `scheduler.availability.Unavailability`).
- `diff` - what differs between two plans, meeting by meeting (`diff_plans`).
- `engine` - the pinning engine: the joint model of a fresh plan, with a price per changed
  meeting and per notified person, and a `Freedom` per meeting for what may change.
- `proposals` - ranked proposals for an absence (`propose`), by the four strategies, and the
  Danish reasons when none covers it.
- `what_if` - a modified config planned with the least change from the current plan.
- `moves` - a district leader's move of one meeting by hand (`move_meeting`).
- `keep` - a re-solve of a term with a live plan: the least change, in a district scope (`replan`).

Every answer is a whole plan that the independent verifier has checked, and nothing is sent
until a planner accepts it.
"""

from __future__ import annotations

from scheduler.availability import Unavailability, config_with_unavailability
from scheduler.replan.diff import ChangeKind, MeetingChange, diff_plans
from scheduler.replan.engine import (
    CHANGE_WEIGHT,
    DEFAULT_TIME_LIMIT,
    DEFAULT_WORKERS,
    NOTIFY_WEIGHT,
    PINNED,
    Freedom,
)
from scheduler.replan.keep import in_scope, replan, with_change_cost
from scheduler.replan.moves import move_meeting
from scheduler.replan.proposals import (
    STRATEGIES,
    NoProposal,
    Proposal,
    ProposalKind,
    ReplanRequest,
    propose,
    rank,
)
from scheduler.replan.unavailability import notice_horizon
from scheduler.replan.what_if import what_if

__all__ = [
    "CHANGE_WEIGHT",
    "DEFAULT_TIME_LIMIT",
    "DEFAULT_WORKERS",
    "NOTIFY_WEIGHT",
    "PINNED",
    "STRATEGIES",
    "ChangeKind",
    "Freedom",
    "MeetingChange",
    "NoProposal",
    "Proposal",
    "ProposalKind",
    "ReplanRequest",
    "Unavailability",
    "config_with_unavailability",
    "diff_plans",
    "in_scope",
    "move_meeting",
    "notice_horizon",
    "propose",
    "rank",
    "replan",
    "what_if",
    "with_change_cost",
]
