"""The BAL rollout's own rule catalogue: what a rollout rule provides, the model it posts on, and
how the rollout solver finds the rules.

A rollout rule is one module in `constraints/rollout/` exposing `RULE`, an instance of a
`RolloutRule` subclass, the way the term rules live in `constraints/`. They are a catalogue of their
own because they post on another model (team -> round, facilitator, course group), not on a term's
meetings; `scheduler.rules.load_rules` does not import them (it takes only `RULE`s that are `Rule`s,
and the subpackage's `__init__` has none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from ortools.sat.python import cp_model

from scheduler.bal_facts import BalRound
from scheduler.index import ConfigIndex
from scheduler.model import BalCourse, BalFacilitator, BalProgramme, BalTeam, MunicipalityConfig
from scheduler.rules import RuleBase, load_catalogue

ROLLOUT_RULES_PACKAGE = "constraints.rollout"


@dataclass
class GroupSlot:
    """One possible course group of a round (only when the course has `max_groups`): which teams
    sit in it, and for a course shared by leader and other teams whether it is a leader group."""

    round: int
    course: BalCourse
    number: int
    members: dict[str, cp_model.IntVar] = field(default_factory=dict)
    """team id -> 'the team is in this group'"""
    leaders: cp_model.IntVar | None = None


@dataclass
class RolloutContext:
    """The rollout model and its variables, handed to every rollout rule.

    `x[team, round, facilitator]` is the one decision: a team in a round with a facilitator; a team
    with none of them waits (`waiting[team]`). `in_round` and `with_facilitator` are its sums."""

    config: MunicipalityConfig
    bal: BalProgramme
    index: ConfigIndex
    model: cp_model.CpModel
    rounds: list[BalRound]
    teams: list[BalTeam]
    facilitators: list[BalFacilitator]
    minutes: dict[tuple[str, str], int]
    """(team, facilitator) -> the team's round for that facilitator: analyses and trips, minutes"""
    travel: dict[tuple[str, str], int]
    """(team, facilitator) -> the travel part of it, minutes"""
    x: dict[tuple[str, int, str], cp_model.IntVar]
    in_round: dict[tuple[str, int], cp_model.IntVar]
    with_facilitator: dict[tuple[str, str], cp_model.IntVar]
    waiting: dict[str, cp_model.IntVar]
    slots: list[GroupSlot] = field(default_factory=list)
    penalties: list[tuple[str, cp_model.LinearExprT]] = field(default_factory=list)

    def weight(self, rule_name: str, default: int) -> int:
        """The rule's weight: the config's `weights` override, like the term rules'."""
        return self.config.weights.get(rule_name, default)

    def penalize(self, rule: str, expr: cp_model.LinearExprT) -> None:
        self.penalties.append((rule, expr))

    def round_numbers(self) -> list[int]:
        return [r.number for r in self.rounds]

    def teams_of_unit(self) -> dict[str, list[BalTeam]]:
        by_unit: dict[str, list[BalTeam]] = {}
        for team in self.teams:
            by_unit.setdefault(team.unit, []).append(team)
        return by_unit

    def round_load(self, facilitator: str, number: int) -> cp_model.LinearExpr:
        """The facilitator's BAL minutes in a round."""
        terms = [
            (self.x[t.id, number, facilitator], self.minutes[t.id, facilitator])
            for t in self.teams
            if (t.id, number, facilitator) in self.x
        ]
        return cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms])


class RolloutRule(RuleBase):
    """Base of every rollout rule; `post` adds its constraints or penalty terms."""

    def post(self, ctx: RolloutContext) -> None:
        """Add the rule's constraints and penalty terms to the model."""


@cache
def load_rollout_rules() -> tuple[RolloutRule, ...]:
    """Every rollout rule, in the order they are posted."""
    return load_catalogue(ROLLOUT_RULES_PACKAGE, RolloutRule)


def rollout_rule_by_name(name: str) -> RolloutRule:
    for rule in load_rollout_rules():
        if rule.name == name:
            return rule
    raise KeyError(name)


def soft_rollout_rule_names() -> list[str]:
    return [r.name for r in load_rollout_rules() if r.level == "soft"]
