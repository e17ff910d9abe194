"""The rule catalogue: what a rule module provides, and how the scheduler finds them.

A rule is one module in `constraints/` exposing `RULE`, an instance of a `Rule` subclass. Adding a
rule is adding a module; the scheduler imports the package by name at run time, so `constraints`
depends on `scheduler` and never the other way round.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

from scheduler.danish import plural_text_da

if TYPE_CHECKING:
    from scheduler.context import Occurrence, PlanningContext

Level = Literal["hard", "soft"]
BoundGroup = Literal["series", "load"]
"""How `scheduler.bound` relaxes a soft rule: "series", each series alone (its rhythm, preferred
times, guests, rota); "load", all of them at once, without anything that ties one series' times to
another's (who sits where, and how that balances)."""

RULES_PACKAGE = "constraints"


class RuleBase:
    """What every rule says of itself, whatever model it posts on (a term's meetings here, the BAL
    rollout's teams in `scheduler.rollout_rules`): its name, level, weight and Danish text."""

    name: ClassVar[str]
    level: ClassVar[Level]
    default_weight: ClassVar[int] = 0
    title_da: ClassVar[str]
    explanation_da: ClassVar[str]
    order: ClassVar[int] = 50
    count_da: ClassVar[tuple[str, str]] = ("{n} gang", "{n} gange")
    """How often a plan bent the rule, in the meetings, minutes or people it counts: the singular
    and plural phrase with '{n}', e.g. ('{n} møde ligger …', '{n} møder ligger …')."""
    count_unit: ClassVar[int] = 1
    """What one violation is worth in the phrase's unit (travel counts 10-minute units)."""

    def count_phrase_da(self, violations: int) -> str:
        """'3 møder ligger ikke på seriens faste ugedag og tid': a plan's violations said for a leader."""
        return plural_text_da(violations * self.count_unit, self.count_da)


class Rule(RuleBase):
    """Base of every term rule. Override what the rule needs; the defaults do nothing."""

    relaxable: ClassVar[bool] = True
    """Whether an infeasibility explanation may name this rule (holidays, say, are not negotiable)."""
    local: ClassVar[bool] = False
    """Whether what the rule posts ties one series' own meetings only (with fixed facts: working
    hours, holidays, booked meetings), so a model of fewer series keeps its part of the rule as it
    is. The relaxations that bound the objective (`scheduler.bound`) post only local hard rules."""
    bound_group: ClassVar[BoundGroup | None] = None
    """A soft rule's relaxation (`scheduler.bound`): the rules of one group are minimised together
    on a model with the local hard rules only; None: the rule's cost is bounded by 0 (and its
    penalties' domains)."""
    count_da: ClassVar[tuple[str, str]] = ("bøjet {n} gang", "bøjet {n} gange")

    per_day: ClassVar[bool] = False
    """Whether `blocks` depends on the day alone (a closed day, a weekday, an earliest date), so
    planning asks it once per candidate day and not once per start."""

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        """Subjects (a person, a series) whose part of this rule forbids this candidate time."""
        return []

    def allowed_starts(
        self, ctx: PlanningContext, occ: Occurrence, day: date, starts: list[int]
    ) -> list[int]:
        """Of `starts` (in order), those this rule leaves that day: what planning asks, a day at a
        time (a city has 10⁵ candidate times, and a call per rule and time took most of building
        its model). A rule may answer faster than this, never differently from `blocks`."""
        if self.per_day:
            return [] if starts and self.blocks(ctx, occ, day, starts[0]) else starts
        return [start for start in starts if not self.blocks(ctx, occ, day, start)]

    def post(self, ctx: PlanningContext) -> None:
        """Add the rule's constraints and penalty terms to the model."""

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        """One Danish sentence naming what this rule demands of `subject`, for explanations."""
        return f"{self.title_da}: {subject}"


R = TypeVar("R", bound=RuleBase)


def load_catalogue(package_name: str, kind: type[R]) -> tuple[R, ...]:
    """Every `RULE` of kind `kind` in the package's modules, in the order they are posted; two
    with one name are a programming error."""
    package = importlib.import_module(package_name)
    rules: list[R] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package_name}.{info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, kind):
            rules.append(rule)
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two rules share a name: {sorted(names)}")
    return tuple(sorted(rules, key=lambda r: (r.order, r.name)))


@cache
def load_rules() -> tuple[Rule, ...]:
    """Every rule in the catalogue, in the order they are posted."""
    return load_catalogue(RULES_PACKAGE, Rule)


def rule_by_name(name: str) -> Rule:
    for rule in load_rules():
        if rule.name == name:
            return rule
    raise KeyError(name)


def soft_rule_names() -> list[str]:
    """Every soft rule a config's `weights` may name: the term rules' and the BAL rollout's."""
    from scheduler.rollout_rules import soft_rollout_rule_names  # late: it loads its own catalogue

    return [r.name for r in load_rules() if r.level == "soft"] + soft_rollout_rule_names()
