"""The BAL rollout solver: each hard rule holds on a case where it binds, and with the rule taken
out of the catalogue the solver's answer breaks it (the verifier, which `plan_rollout` runs, says
so); the soft rules change the result; the same config and seed give the same rollout; 'why this
round?' names what stands in the way.

Costs in the builder config (`tests.builders.rollout_config`): a team takes its facilitator 220
minutes at Nordskolen, 240 at Solsikken, 340 at Sydskolen; a facilitator at 2.5 hours a week has
600 minutes in a 4-week round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.bal_baseline import first_fit_rollout
from scheduler import bal_rollout as solver_module
from scheduler.bal_facts import bal_rounds
from scheduler.bal_greedy import greedy_rollout
from scheduler.bal_rollout import RolloutOptions, RolloutVerificationError, plan_rollout
from scheduler.bal_series import with_bal
from scheduler.bal_why import UnknownTeam, why_round
from scheduler.config import ConfigError, load_config
from scheduler.model import BalRollout, MunicipalityConfig, PlanStatus
from scheduler.rollout_rules import RolloutRule, load_rollout_rules, rollout_rule_by_name
from scheduler.rules import load_rules
from scheduler.solve import SolveOptions, solve
from scheduler.verify import verify_plan
from scheduler.verify_rollout import TITLES, verify_rollout
from tests.builders import (
    BAL_TERM,
    bal_config,
    bal_facilitator,
    bal_team,
    rollout_config,
    term,
    wasteful_order_teams,
)

ROOT = Path(__file__).resolve().parents[2]
QUICK = RolloutOptions(time_limit=2, workers=1, seed=0, deterministic=True)


def rounds_of(rollout: BalRollout) -> dict[str, int]:
    return {a.team: a.round for a in rollout.assignments}


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """`without(name)`: the rollout solver's catalogue without that rule, for this test."""

    def drop(name: str) -> None:
        kept = tuple(r for r in load_rollout_rules() if r.name != name)
        assert len(kept) == len(load_rollout_rules()) - 1
        monkeypatch.setattr(solver_module, "load_rollout_rules", lambda: kept)

    return drop


def test_the_term_catalogue_does_not_load_the_rollout_rules() -> None:
    term_rules = {r.name for r in load_rules()}
    rollout_rules = {r.name for r in load_rollout_rules()}
    assert rollout_rules and not term_rules & rollout_rules
    assert not any(name.startswith("bal_") for name in term_rules)


def test_the_verifier_names_the_hard_rules_by_their_titles() -> None:
    for rule in load_rollout_rules():
        if rule.level == "hard":
            assert TITLES[rule.name] == rule.title_da


def test_every_soft_rollout_rule_says_its_count_in_its_own_words() -> None:
    soft = [r for r in load_rollout_rules() if r.level == "soft"]
    assert {r.name for r in soft} == {
        "bal_waiting",
        "bal_rounds",
        "bal_early",
        "bal_institution_split",
        "bal_facilitator_institutions",
        "bal_travel",
        "bal_load_balance",
    }
    for rule in soft:
        assert rule.count_da != RolloutRule.count_da and rule.default_weight > 0, rule.name
        said = rule.count_phrase_da(3)
        assert str(3 * rule.count_unit) in said and "{" not in said
    assert rollout_rule_by_name("bal_travel").count_phrase_da(12) == "120 minutters rejse"


def test_every_team_gets_one_round_and_one_facilitator() -> None:
    config = rollout_config(
        [bal_team("nord-1"), bal_team("sol-1", "solsikken"), bal_team("syd-1", "sydskolen")]
    )
    rollout = plan_rollout(config, QUICK)
    assert rollout.status == PlanStatus.OPTIMAL
    assert sorted(rounds_of(rollout)) == ["nord-1", "sol-1", "syd-1"]
    assert rollout.waiting == []
    assert rollout.rounds_used == 2  # 220 + 240 + 340 minutes > 600: one round is not enough
    assert {a.facilitator for a in rollout.assignments} == {"psykolog-a"}
    assert [a.term for a in sorted(rollout.assignments, key=lambda a: a.round)][0] == "efteraar"
    assert verify_rollout(config, rollout) == []
    assert rollout.explanation[0] == "Alle 3 team er igennem efter 2 runder (sidst runde 2)."


# --------------------------------------------------------------------------- hard rules


def test_facilitator_hours_hold_and_break_without_the_rule(without: Callable[[str], None]) -> None:
    config = rollout_config(wasteful_order_teams())
    rollout = plan_rollout(config, QUICK)
    minutes = Counter[int]()
    for a in rollout.assignments:
        minutes[a.round] += 220 if a.team.startswith("nord") else 340
    assert max(minutes.values()) <= 600
    assert rollout.facilitator_hours["psykolog-a"] == [
        round(m / 60 / 4, 2) for _, m in sorted(minutes.items())
    ]

    without("bal_facilitator_hours")
    with pytest.raises(RolloutVerificationError, match="«Facilitatorernes timer»: Psykolog A har"):
        plan_rollout(config, QUICK)


def test_course_groups_hold_their_capacity_and_break_without_the_rule(without: Callable[[str], None]) -> None:
    teams = [bal_team(f"nord-{k}", size=10) for k in range(1, 5)]
    facilitators = [bal_facilitator("psykolog-a", 5.0), bal_facilitator("psykolog-b", 5.0)]
    config = rollout_config(
        teams, facilitators, course={"capacity": 20, "max_groups": 1, "sites": ["skolen"]}
    )
    rollout = plan_rollout(config, QUICK)
    assert rollout.rounds_used == 2
    assert sorted(Counter(a.round for a in rollout.assignments).values()) == [2, 2]
    assert {a.course_group for a in rollout.assignments} == {1}

    without("bal_course_capacity")
    with pytest.raises(RolloutVerificationError, match="«Kursusholdenes pladser»"):
        plan_rollout(config, QUICK)


def test_groups_without_a_limit_are_packed_to_the_capacity() -> None:
    teams = [bal_team(f"nord-{k}", size=s) for k, s in enumerate([12, 9, 8, 7, 4], start=1)]
    config = rollout_config(
        teams, [bal_facilitator("psykolog-a", 10.0)], course={"capacity": 20, "sites": ["skolen"]}
    )
    rollout = plan_rollout(config, QUICK)
    assert rollout.rounds_used == 1
    sizes = Counter[int]()
    for a, team in zip(rollout.assignments, teams, strict=True):
        sizes[a.course_group] += team["size"]
    assert sorted(sizes.values()) == [20, 20]  # 12+8 and 9+7+4: first fit decreasing


def test_leader_teams_come_first_and_not_without_the_rule(without: Callable[[str], None]) -> None:
    # one 600-minute round holds the two Nordskolen teams (440) or one of them with the leader
    # team at Sydskolen (560); keeping Nordskolen together puts the leaders second unless ruled
    teams = [bal_team("nord-1"), bal_team("nord-2"), bal_team("ledere", "sydskolen", leaders=True)]
    config = rollout_config(teams)
    rollout = plan_rollout(config, QUICK)
    assert rounds_of(rollout)["ledere"] == 1
    leader_group = next(a.course_group for a in rollout.assignments if a.team == "ledere")
    assert [a.course_group for a in rollout.assignments if a.round == 1 and a.team != "ledere"] != [
        leader_group
    ]

    without("bal_leaders_first")
    with pytest.raises(RolloutVerificationError, match="«Ledere først»: lederteamet «Ledere» er i runde 2"):
        plan_rollout(config, QUICK)


def test_at_most_n_teams_of_an_institution_at_once_and_more_without_the_rule(
    without: Callable[[str], None],
) -> None:
    teams = [bal_team(f"nord-{k}") for k in range(1, 5)]
    facilitators = [bal_facilitator(f"psykolog-{c}") for c in "abc"]
    config = rollout_config(teams, facilitators, priorities={"max_teams_per_institution": 2})
    rollout = plan_rollout(config, QUICK)
    assert sorted(Counter(a.round for a in rollout.assignments).values()) == [2, 2]

    without("bal_max_per_institution")
    with pytest.raises(
        RolloutVerificationError, match="«Højst N team fra en institution ad gangen»: 4 team fra"
    ):
        plan_rollout(config, QUICK)


def test_leader_teams_sit_in_a_group_of_their_own_among_the_courses_groups() -> None:
    # all three would fit one group of 30; with two groups a round the leaders take one of them
    teams = [bal_team("ledere", "solsikken", size=5, leaders=True), bal_team("nord-1"), bal_team("nord-2")]
    course = {"capacity": 30, "sites": ["skolen"], "max_groups": 2}
    rollout = plan_rollout(rollout_config(teams, [bal_facilitator(hours=5.0)], course=course), QUICK)
    groups = {a.team: (a.round, a.course_group) for a in rollout.assignments}
    assert groups["ledere"] == (1, 1)
    assert groups["nord-1"] == groups["nord-2"] == (1, 2)


def test_a_round_of_the_config_has_its_open_weeks() -> None:
    # a school holiday week in the term leaves round 1 three weeks: 450 minutes at 2.5 hours a
    # week, so two Nordskolen teams (440) fit, not a Sydskolen one beside one (560)
    holiday = {"name": "Efterårsferie", "start": "2027-09-20", "end": "2027-09-24"}
    teams = [bal_team("syd-1", "sydskolen"), bal_team("nord-1"), bal_team("nord-2")]
    config = rollout_config(teams, top={"terms": [term(school_holidays=[holiday])]})
    assert [r.weeks for r in bal_rounds(config)][:3] == [3, 4, 4]
    rollout = plan_rollout(config, QUICK)
    assert rounds_of(rollout) == {"nord-1": 1, "nord-2": 1, "syd-1": 2}
    assert rollout.facilitator_hours["psykolog-a"] == [round(440 / 60 / 3, 2), round(340 / 60 / 4, 2)]


def test_a_team_too_large_for_any_course_group_waits() -> None:
    config = rollout_config(
        [bal_team("nord-1", size=40), bal_team("nord-2")], course={"capacity": 30, "sites": ["skolen"]}
    )
    rollout = plan_rollout(config, QUICK)
    assert rollout.waiting == ["nord-1"]
    assert "1 team venter: Nord 1." in rollout.explanation[0]
    assert why_round(config, rollout, "nord-1", QUICK) == [
        "«Nord 1» (Nordskolen) venter: teamet når ikke igennem inden for 6 runder.",
        "«Kursusholdenes pladser»: teamet har 40 deltagere, men et kursushold har kun plads til 30.",
    ]


# --------------------------------------------------------------------------- soft rules


def test_fewer_rounds_than_first_fit_where_list_order_wastes_hours() -> None:
    config = rollout_config(wasteful_order_teams())
    hand = first_fit_rollout(config)
    ours = plan_rollout(config, QUICK)
    assert hand.rounds_used == 4
    assert ours.rounds_used == 3
    assert ours.status == PlanStatus.OPTIMAL
    assert sorted(Counter(a.round for a in ours.assignments).values()) == [2, 2, 2]


def test_few_institutions_per_facilitator() -> None:
    # two facilitators, each with hours for two near teams a round: first fit would give
    # psykolog-a the first two teams of the list (both institutions), the solver one each
    teams = [
        bal_team("nord-1"),
        bal_team("sol-1", "solsikken"),
        bal_team("nord-2"),
        bal_team("sol-2", "solsikken"),
    ]
    facilitators = [bal_facilitator("psykolog-a", 2.5), bal_facilitator("psykolog-b", 2.5)]
    config = rollout_config(teams, facilitators)
    rollout = plan_rollout(config, QUICK)
    served: dict[str, set[str]] = {a.facilitator: set() for a in rollout.assignments}
    for a in rollout.assignments:
        served[a.facilitator].add(a.team.split("-")[0])
    assert rollout.rounds_used == 1
    assert sorted(len(units) for units in served.values()) == [1, 1]
    cost = {c.rule: c.violations for c in rollout.rule_costs}
    assert cost["bal_facilitator_institutions"] == 2


def test_weights_in_the_config_change_the_rollout() -> None:
    teams = [bal_team("nord-1"), bal_team("syd-1", "sydskolen")]
    assert plan_rollout(rollout_config(teams), QUICK).waiting == []
    free_to_wait = rollout_config(teams, weights={"bal_waiting": 0})
    assert plan_rollout(free_to_wait, QUICK).waiting == ["nord-1", "syd-1"]  # waiting costs no travel


def test_an_unknown_weight_is_refused_with_the_rollout_rules_among_the_names() -> None:
    with pytest.raises(ConfigError, match="bal_travl"):
        rollout_config([bal_team("nord-1")], weights={"bal_travl": 2})
    rollout_config([bal_team("nord-1")], weights={"bal_travel": 2})


def test_same_config_and_seed_give_the_same_rollout() -> None:
    teams = [
        bal_team(f"{u}-{k}", u, size=5 + k)
        for u in ("nordskolen", "solsikken", "sydskolen")
        for k in range(6)
    ]
    facilitators = [bal_facilitator(f"psykolog-{c}", 2.5) for c in "abc"]
    config = rollout_config(teams, facilitators, priorities={"max_teams_per_institution": 3})
    first = plan_rollout(config, QUICK)
    again = plan_rollout(config, QUICK)
    assert first.assignments == again.assignments
    assert first.objective == again.objective


# --------------------------------------------------------------------------- why this round?


def _last_team(config: MunicipalityConfig, rollout: BalRollout) -> str:
    return next(a.team for a in rollout.assignments if a.round == rollout.rounds_used)


def test_why_names_the_facilitators_hours_with_numbers() -> None:
    config = rollout_config(wasteful_order_teams())
    rollout = plan_rollout(config, QUICK)
    team = _last_team(config, rollout)
    lines = why_round(config, rollout, team, QUICK)
    assert lines[0].endswith("er med i runde 3 med Psykolog A som facilitator.")
    assert lines[1] == "«Facilitatorernes timer»: ingen facilitator har tid til teamet i runde 1 og 2:"
    assert lines[2].startswith(
        "  Psykolog A har 2,3 af 2,5 timer om ugen brugt i runde 1 og 2 (teamet kræver"
    )
    assert "team-" not in " ".join(lines) and "psykolog-a" not in " ".join(lines)


def test_why_names_the_institution_cap() -> None:
    teams = [bal_team(f"nord-{k}") for k in range(1, 4)]
    facilitators = [bal_facilitator(f"psykolog-{c}") for c in "abc"]
    config = rollout_config(teams, facilitators, priorities={"max_teams_per_institution": 2})
    rollout = plan_rollout(config, QUICK)
    lines = why_round(config, rollout, _last_team(config, rollout), QUICK)
    assert "«Højst 2 team fra Nordskolen ad gangen»: runde 1 (Efterår) har allerede 2 team derfra." in lines
    assert lines[-1].startswith("Teamet kan komme i runde 1 (Efterår) uden at udrulningen bliver dårligere")


def test_why_names_full_course_groups() -> None:
    teams = [bal_team(f"nord-{k}", size=10) for k in range(1, 4)]
    facilitators = [bal_facilitator("psykolog-a", 5.0)]
    config = rollout_config(
        teams, facilitators, course={"capacity": 20, "max_groups": 1, "sites": ["skolen"]}
    )
    rollout = plan_rollout(config, QUICK)
    lines = why_round(config, rollout, _last_team(config, rollout), QUICK)
    assert (
        "«Kursusholdenes pladser»: kursusholdene i runde 1 (Efterår) er fulde (1 af 1 hold; højst 0 ledige "
        "pladser på et hold, teamet er 10)."
    ) in lines


def test_why_says_what_coming_earlier_would_cost() -> None:
    # Sydskolen's team in round 1 leaves room for one Nordskolen team there; keeping Nordskolen
    # together, both wait a round instead: each team's wait counts
    teams = [bal_team("nord-1"), bal_team("nord-2"), bal_team("syd-1", "sydskolen")]
    config = rollout_config(teams)
    rollout = plan_rollout(config, QUICK)
    assert rounds_of(rollout)["syd-1"] == 2
    assert why_round(config, rollout, "syd-1", QUICK) == [
        "«Syd 1» (Sydskolen) er med i runde 2 med Psykolog A som facilitator.",
        "«Facilitatorernes timer»: ingen facilitator har tid til teamet i runde 1:",
        "  Psykolog A har 1,8 af 2,5 timer om ugen brugt i runde 1 (teamet kræver 1,4)",
        "Teamet kan komme i runde 1 (Efterår), hvis andre team flyttes («Nord 1» og «Nord 2» kommer så "
        "senere); det koster:",
        "  «Tidligt igennem»: i alt 2 runder med at vente i stedet for i alt 1 runde med at vente",
    ]


def test_why_says_when_an_earlier_round_has_room_and_the_soft_rules_decided() -> None:
    # psykolog-b sits at Sydskolen (no travel) with hours for one team a round; with the rollout's
    # length weighing nothing, waiting a round for psykolog-b beats psykolog-a's trips
    weights = {"bal_rounds": 0, "bal_institution_split": 0, "bal_load_balance": 0}
    facilitators = [
        bal_facilitator("psykolog-a", 2.5),
        bal_facilitator("psykolog-b", 1.0, base_site="sydskolen"),
    ]
    config = rollout_config(
        [bal_team("syd-1", "sydskolen"), bal_team("syd-2", "sydskolen")], facilitators, weights
    )
    rollout = plan_rollout(config, QUICK)
    assert sorted(rounds_of(rollout).values()) == [1, 2]
    assert {a.facilitator for a in rollout.assignments} == {"psykolog-b"}
    second = next(a.team for a in rollout.assignments if a.round == 2)
    first = next(a.team for a in rollout.assignments if a.round == 1).replace("-", " ").title()
    lines = why_round(config, rollout, second, QUICK)
    assert lines[1:] == [
        "Med de andre team, hvor de er, er der plads til teamet i runde 1; at det ligger senere, skyldes "
        "de bløde regler (se nedenfor).",
        f"Teamet kan komme i runde 1 (Efterår) uden at udrulningen bliver dårligere («{first}» kommer så "
        "senere).",
    ]


def test_why_says_what_coming_earlier_saves_apart_from_what_it_costs() -> None:
    # psykolog-b at Sydskolen has hours for one team a round, the leader team's in round 1; the
    # other team waits for psykolog-b rather than cost psykolog-a's trips (rounds weigh nothing)
    weights = {"bal_rounds": 0, "bal_institution_split": 0, "bal_load_balance": 0}
    facilitators = [
        bal_facilitator("psykolog-a", 2.5),
        bal_facilitator("psykolog-b", 1.0, base_site="sydskolen"),
    ]
    teams = [bal_team("ledere", "sydskolen", leaders=True), bal_team("syd-1", "sydskolen")]
    config = rollout_config(teams, facilitators, weights)
    rollout = plan_rollout(config, QUICK)
    assert rounds_of(rollout) == {"ledere": 1, "syd-1": 2}
    assert why_round(config, rollout, "syd-1", QUICK)[2:] == [
        "Teamet kan komme i runde 1 (Efterår), hvis andre team flyttes; det koster:",
        "  «Få institutioner pr. facilitator»: 2 institutioner for facilitatorerne i alt i stedet for 1 "
        "institution for facilitatorerne i alt",
        "  «Facilitatorernes rejsetid»: 160 minutters rejse i stedet for 0 minutters rejse",
        "Til gengæld:",
        "  «Runder til alle er igennem»: 1 runde i stedet for 2 runder",
        "  «Tidligt igennem»: i alt 0 runder med at vente i stedet for i alt 1 runde med at vente",
        "  «Hele institutionen i samme runde»: 0 ekstra runder for institutionerne i stedet for 1 ekstra "
        "runde for en institution",
        "  «Jævn fordeling mellem facilitatorerne»: 8 tiendedele af en uge i forskel i stedet for 60 "
        "tiendedele af en uge i forskel",
    ]


def test_why_for_a_team_in_the_first_round_and_an_unknown_team() -> None:
    config = rollout_config([bal_team("nord-1")])
    rollout = plan_rollout(config, QUICK)
    assert why_round(config, rollout, "nord-1")[-1] == "Det er første runde; tidligere kan teamet ikke komme."
    with pytest.raises(UnknownTeam, match="ukendt team 'nord1' \\(mente du 'nord-1'\\?\\)"):
        why_round(config, rollout, "nord1")


# --------------------------------------------------------------------------- the warm start


def test_the_warm_start_leaves_no_big_school_for_a_round_of_its_own() -> None:
    # the example: 15 facilitators with hours for two teams a round, 203 teams, at most 8 of an
    # institution at once; first fit reaches round 8 for one team, round by round with the
    # institutions that need the most rounds first seven rounds do
    config = load_config(ROOT / "examples" / "ballerup-bal.yaml")
    placed = greedy_rollout(config)
    assert len(placed) == 203
    assert max(p.round for p in placed.values()) == 7
    assert first_fit_rollout(config).rounds_used == 8
    teams = {t.id: t for t in config.bal.teams} if config.bal else {}
    per_unit = Counter((teams[t].unit, p.round) for t, p in placed.items())
    assert max(per_unit.values()) <= 8


# --------------------------------------------------------------------------- into the joint model


def test_the_rollout_feeds_the_joint_model() -> None:
    # the joint model's builder config: both teams fit Psykolog A's first round, so the term's
    # plan holds the course session and both teams' analyses beside the conference, verified
    config = bal_config()
    rollout = plan_rollout(config, QUICK)
    assert rounds_of(rollout) == {"team-1": 1, "team-2": 1}
    joint = with_bal(config, rollout)
    plan = solve(joint, BAL_TERM, SolveOptions(time_limit=5, workers=1, deterministic=True))
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), plan.explanation
    assert verify_plan(joint, plan) == []
    analyses = [m for m in plan.meetings if m.series in ("bal-team-1", "bal-team-2")]
    assert len(analyses) == 4
    assert {a.person for m in analyses for a in m.attendees} == {"psykolog-a"}
