"""The rule breakdown a leader reads: each soft rule in meetings, minutes and people, no cost or
solver figure, and the plan's quality only where it is true."""

from __future__ import annotations

import re

import pytest

from api.summary import render_summary
from api.web.common import TEMPLATES
from api.web.flows import rule_breakdown
from api.web.i18n import CATALOGUES, number, percent, plural, text
from scheduler.config import parse_config
from scheduler.model import Plan, PlanStats, PlanStatus, RuleCost
from scheduler.rules import Rule, load_rules
from scheduler.solve import UNIMPROVED_DA
from tests.builders import TWO_DISTRICTS

SOFT = [r for r in load_rules() if r.level == "soft"]


@pytest.mark.parametrize("rule", SOFT, ids=lambda r: r.name)
def test_every_soft_rule_says_its_count_in_its_own_words(rule: Rule) -> None:
    assert rule.count_da != Rule.count_da, f"{rule.name} has no count phrase of its own"
    one, many = rule.count_da
    assert "{n}" in one and "{n}" in many and one != many
    said = rule.count_phrase_da(3)
    assert str(3 * rule.count_unit) in said and "{" not in said


def test_the_phrases_read_as_danish_plurals() -> None:
    rules = {r.name: r for r in load_rules()}
    assert rules["regularity"].count_phrase_da(1) == "1 møde ligger ikke på seriens faste ugedag og tid"
    assert rules["regularity"].count_phrase_da(3) == "3 møder ligger ikke på seriens faste ugedag og tid"
    assert rules["travel"].count_phrase_da(5) == "omkring 50 minutters transport i alt"  # 10-minute units
    assert rules["max_meetings_per_day"].count_phrase_da(1200).startswith("1.200 møder ")


def plan_with(status: PlanStatus, objective: float | None, bound: float | None) -> Plan:
    costs = [
        RuleCost(
            rule="regularity", title_da="Regelmæssighed", level="soft", weight=10, violations=3, cost=30
        ),
        RuleCost(rule="continuity", title_da="Kontinuitet", level="soft", weight=50, violations=0, cost=0),
        RuleCost(rule="travel", title_da="Transport", level="soft", weight=2, violations=2, cost=4),
        RuleCost(
            rule="preferred_room", title_da="Foretrukket lokale", level="soft", weight=2, violations=1, cost=2
        ),
    ]
    stats = PlanStats(meetings=1, regularity_pct=87.5, continuity_pct=100.0)
    return Plan(
        municipality="Testkommune",
        term="foraar-2027",
        status=status,
        objective=objective,
        best_bound=bound,
        solve_seconds=2.5,
        rule_costs=costs,
        stats=stats,
    )


def render_rules(plan: Plan, lang: str = "da") -> str:
    """_rules.html as the plan and job pages include it, with the page's helpers."""

    class Current:
        def __init__(self, plan: Plan) -> None:
            self.plan = plan

    html = TEMPLATES.env.get_template("_rules.html").render(
        current=Current(plan),
        breakdown=rule_breakdown(plan),
        t=lambda key: text(lang, key),
        tn=lambda key, n: plural(lang, key, n),
        num=lambda v, decimals=1: number(v, lang, decimals),
        pct=lambda v, decimals=0: percent(v, lang, decimals),
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_breakdown_says_meetings_and_minutes_not_costs() -> None:
    page = render_rules(plan_with(PlanStatus.FEASIBLE, 40, 30))
    assert "3 møder ligger ikke på seriens faste ugedag og tid" in page
    assert "omkring 20 minutters transport i alt" in page
    assert "1 møde holdes ikke i et foretrukket lokale" in page
    assert "Kontinuitet : overholdt" in page
    assert "88 %" in page.replace("\xa0", " ")  # regularity, rounded the Danish way
    assert "1 møde" in page and "1 møder" not in page
    for jargon in ("pris", "bøjet 3 gange", "grænse", "bound", "gap", "optimal", "30 ", "(cost"):
        assert jargon not in page, jargon


@pytest.mark.parametrize(
    ("status", "objective", "bound", "said"),
    [
        (PlanStatus.OPTIMAL, 40, 40, "bevist bedst mulige"),
        (PlanStatus.FEASIBLE, 40, 30, "højst 25,0 % fra det bedst mulige"),
        (PlanStatus.FEASIBLE, 40, 0, None),  # a bound of 0 says nothing
        (PlanStatus.FEASIBLE, 40, -12, None),  # nor one below 0
        (PlanStatus.FEASIBLE, 40, None, None),
    ],
)
def test_the_plans_quality_is_said_only_where_it_is_true(
    status: PlanStatus, objective: float, bound: float | None, said: str | None
) -> None:
    page = render_rules(plan_with(status, objective, bound))
    if said is None:
        assert "bedst mulige" not in page
    else:
        assert said in page


def test_the_english_page_says_it_in_english_around_the_rules_own_danish() -> None:
    page = render_rules(plan_with(PlanStatus.FEASIBLE, 40, 30), "en")
    assert "at most 25.0 % from the best possible" in page and "1 meeting" in page
    assert "88%" in page and "a valid plan" in page


def test_the_summary_says_the_bent_rules_in_the_same_words() -> None:
    config = parse_config(TWO_DISTRICTS)
    summary = render_summary(config, plan_with(PlanStatus.FEASIBLE, 40, 30))
    assert "gyldig plan, højst 25,0 % fra det bedst mulige" in summary
    assert "  Regelmæssighed: 3 møder ligger ikke på seriens faste ugedag og tid" in summary
    assert "regelmæssighed 87,5 %" in summary and "løst på 2,5 s" in summary and "1 møde ·" in summary
    assert "Kontinuitet:" not in summary  # a rule kept is not listed as bent


def test_every_catalogue_can_say_the_quality() -> None:
    for lang in CATALOGUES:
        assert "{pct}" in text(lang, "gap")


@pytest.mark.parametrize(("lang", "heading"), [("da", "Bemærk"), ("en", "Note")])
def test_a_complete_plans_remark_is_a_remark_not_why_there_is_no_plan(lang: str, heading: str) -> None:
    """The first plan, not improved in time (`scheduler.solve.UNIMPROVED_DA`): it is a plan."""
    plan = plan_with(PlanStatus.FEASIBLE, None, None)
    plan.explanation = [UNIMPROVED_DA]
    page = render_rules(plan, lang)
    assert f"{heading} {UNIMPROVED_DA}" in page
    assert "Hvorfor der ikke er en plan" not in page and "Why there is no plan" not in page
    assert "bedst mulige" not in page and "best possible" not in page


def test_no_plans_explanation_is_still_why_there_is_no_plan() -> None:
    plan = plan_with(PlanStatus.INFEASIBLE, None, None)
    plan.explanation = ["Psykolog A arbejder kun tirsdag og torsdag"]
    assert "Hvorfor der ikke er en plan Psykolog A arbejder kun tirsdag og torsdag" in render_rules(plan)
