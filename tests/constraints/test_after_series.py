"""The order between two series (`Series.after`, the `after_series` rule) in a partial plan."""

from __future__ import annotations

from scheduler.model import PlanStatus
from scheduler.solve import SolveOptions, solve
from scheduler.verify import verify_plan
from tests.builders import ONCE, person, series, small_config


def test_a_series_waits_for_the_other_even_when_that_one_cannot_meet() -> None:
    """'kursus' needs Gæstelærer X, away all term; 'analyse' comes after it, so neither is placed,
    and the analysis says why: the order (the counting form of the rule, as in partial mode)."""
    config = small_config(
        staff=[
            person("leder"),
            person("x", name="Gæstelærer X", absences=[{"start": "2027-09-01", "end": "2027-10-31"}]),
        ],
        series=[
            series("kursus", title="Kursus", cadence=ONCE, required_people=["x"]),
            series("analyse", title="Analyse", cadence=ONCE, chair="leder", after={"series": "kursus"}),
            series("andet", title="Andet", cadence=ONCE, chair="leder"),
        ],
    )
    plan = solve(config, options=SolveOptions(time_limit=5, workers=1))
    assert plan.status == PlanStatus.PARTIAL, plan.explanation
    assert verify_plan(config, plan) == []
    assert [m.series for m in plan.meetings] == ["andet"]
    reasons = {u.series: " ".join(u.reason_da) for u in plan.unplaced}
    assert set(reasons) == {"kursus", "analyse"}
    assert "holdes først efter 1. møde i «Kursus»" in reasons["analyse"], reasons["analyse"]
    assert "«Rækkefølge mellem serier»" in reasons["analyse"]
