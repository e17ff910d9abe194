"""The benchmark's instances: every file is a valid config with its sources stated, the catalogue
lists them with the scaled copies, and the small one plans to a plan the verifier accepts."""

from __future__ import annotations

import pytest

from bench.catalogue import (
    INSTANCES,
    SCALE_FACTORS,
    TERM,
    UNTUNED,
    benchmark_instances,
    instance_path,
    shape_of,
)
from scheduler.config import load_config
from scheduler.model import MunicipalityConfig, PlanStatus
from scheduler.solve import SolveOptions, solve
from scheduler.verify import verify_plan


@pytest.mark.parametrize("name", UNTUNED)
def test_every_instance_file_is_a_valid_config_with_both_2027_terms(name: str) -> None:
    config = load_config(instance_path(name))
    terms = {term.id: term for term in config.terms}
    assert set(terms) == {"foraar-2027", "efteraar-2027"}
    holidays = {h.name for term in terms.values() for h in term.school_holidays}
    assert {"Vinterferie", "Påskeferie", "Efterårsferie", "Juleferie"} <= holidays


@pytest.mark.parametrize("name", UNTUNED)
def test_every_instance_file_says_where_its_numbers_come_from(name: str) -> None:
    text = instance_path(name).read_text(encoding="utf-8")
    header = text.split("\nmunicipality:", 1)[0]
    assert header.startswith("# ")
    assert "Where the numbers come from" in header
    assert "GUESS" in header  # what is guessed is marked as guessed
    assert "DOMAIN.md" in header  # and the public facts are named


def _part_time(config: MunicipalityConfig) -> int:
    return sum(1 for p in config.staff if p.working_hours and len(p.working_hours) < 5)


@pytest.mark.parametrize("name", UNTUNED)
def test_every_instance_uses_the_features_a_real_municipality_would(name: str) -> None:
    config = load_config(instance_path(name))
    assert _part_time(config) >= 3
    assert any(c.site is not None for p in config.staff for c in p.commitments)  # PPR's team meeting
    assert any(s.preferred_weekdays for s in config.series)
    assert any(s.sites for s in config.series)  # a school on two addresses, by turns
    assert any(s.observes and "dagtilbud_lukkedage" in s.observes for s in config.series)
    assert any(s.rota is not None for s in config.series)
    assert any(s.optional_people for s in config.series)
    assert any(p.absences for p in config.staff)


def test_the_instances_have_the_shapes_the_issue_asks_for() -> None:
    small, tight, city = (load_config(instance_path(name)) for name in UNTUNED)
    ballerup = load_config(instance_path("ballerup"))
    assert 2 <= len(small.districts) <= 3 and 8 <= len(small.series) <= 12
    assert len(tight.districts) == len(ballerup.districts) and 25 <= len(tight.series) <= 30
    psychologists = [p for p in tight.staff if "psykolog" in p.roles]
    assert len(psychologists) < len([p for p in ballerup.staff if "psykolog" in p.roles])
    assert _part_time(tight) > _part_time(ballerup)
    # Close to capacity: the speech and hearing teachers' weekly ceilings leave at most a fifth
    # more seats than the school conferences (fortnightly, each with one of them) need.
    needing = [s for s in tight.series if any(r.role == "tale_hoerelaerer" for r in s.required_roles)]
    ceilings = sum(p.max_meetings_per_week or 5 for p in tight.staff if "tale_hoerelaerer" in p.roles)
    assert len(needing) / 2 <= ceilings <= 1.2 * len(needing) / 2 + 0.5
    assert len(city.districts) >= 10 and len(city.series) >= 100 and len(city.staff) >= 250
    ppr_team_sites = {c.site for p in city.staff if "psykolog" in p.roles for c in p.commitments}
    assert len(ppr_team_sites) >= 3  # several PPR teams, each meeting at its own house


def test_the_catalogue_lists_the_example_the_untuned_instances_and_the_scaled_copies() -> None:
    unscaled = benchmark_instances(scaled=False)
    assert [i.name for i in unscaled] == ["ballerup", *UNTUNED]
    everything = benchmark_instances()
    scaled = [f"ballerup-x{f}" for f in SCALE_FACTORS]
    assert [i.name for i in everything] == [*(i.name for i in unscaled), *scaled]
    for instance in everything:
        assert instance.term == TERM
        assert instance.term in {t.id for t in instance.config.terms}
        assert instance.shape == shape_of(instance.config)
    by_name = {i.name: i for i in everything}
    assert by_name["ballerup"].shape == "5 distrikter, 26 serier, 81 personer"
    assert len(by_name["ballerup-x10"].config.series) == 10 * len(by_name["ballerup"].config.series)


def test_only_the_untuned_instances_are_committed_the_scaled_copies_are_generated() -> None:
    """Besides them only BAL rollouts (`<name>-bal.yaml`), each on top of one of them."""
    stems = sorted(p.stem for p in INSTANCES.glob("*.yaml"))
    assert [s for s in stems if not s.endswith("-bal")] == sorted(UNTUNED)
    for stem in (s for s in stems if s.endswith("-bal")):
        first = (INSTANCES / f"{stem}.yaml").read_text(encoding="utf-8")
        assert f"extends: {stem.removesuffix('-bal')}.yaml" in first, stem


def test_an_unknown_instance_name_is_refused() -> None:
    with pytest.raises(KeyError, match="lillby"):
        instance_path("lillby")


@pytest.mark.solve
def test_the_small_instance_plans_every_meeting_and_the_verifier_accepts_the_plan() -> None:
    config = load_config(instance_path("lilleby"))
    plan = solve(config, TERM, SolveOptions(time_limit=5, workers=1, seed=0))
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), plan.explanation
    assert not plan.unplaced
    assert verify_plan(config, plan) == []
    assert {m.series for m in plan.meetings} == {s.id for s in config.series}
