"""Properties of partial plans, on random small configs with random absences: every PARTIAL plan
passes the verifier, every unplaced meeting has a reason that names it, and none of them could
have been placed with the rest of the plan left as it is (no placeable meeting is left out).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from scheduler.build import build_model, find_term
from scheduler.config import series_title
from scheduler.cpsat import new_solver
from scheduler.model import MunicipalityConfig, Plan, PlanStatus
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ
from scheduler.verify import format_violations, verify_plan
from tests.builders import EFTERAAR_START, person, series, small_config

ROLES = ["psykolog", "tale_hoerelaerer"]
WINDOWS = ["08:00-10:00", "12:30-16:00", "13:00-15:00"]


@st.composite
def absences(draw: st.DrawFn) -> list[dict[str, str]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        first = EFTERAAR_START + timedelta(days=draw(st.integers(0, 25)))
        last = first + timedelta(days=draw(st.integers(3, 20)))
        out.append({"start": first.isoformat(), "end": last.isoformat()})
    return out


@st.composite
def partial_configs(draw: st.DrawFn) -> MunicipalityConfig:
    staff = [person("leder", name="Leder Nord", absences=draw(absences()))]
    roles = []
    for i in range(draw(st.integers(1, 3))):
        role = draw(st.sampled_from(ROLES))
        roles.append(role)
        staff.append(person(f"{role}-{i}", role, absences=draw(absences())))
    all_series: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 3))):
        extra: dict[str, Any] = {}
        if draw(st.booleans()):
            extra["required_roles"] = [{"role": draw(st.sampled_from(roles))}]
        all_series.append(
            series(
                f"s{i}",
                title=f"Møde {i}",
                unit=draw(st.sampled_from(["nordskolen", "solsikken"])),
                cadence=draw(st.sampled_from(["weekly", "fortnightly"])),
                window=draw(st.sampled_from(WINDOWS)),
                weekdays=draw(
                    st.sampled_from([["tue"], ["mon", "wed"], ["mon", "tue", "wed", "thu", "fri"]])
                ),
                chair="leder" if draw(st.booleans()) else None,
                **extra,
            )
        )
    for s in all_series:
        if s["chair"] is None:
            del s["chair"]
    return small_config(staff=staff, series=all_series)


def _placeable_with_the_rest_fixed(
    config: MunicipalityConfig, plan: Plan, series_id: str, occurrence: int
) -> bool:
    """Whether the partial model has a solution with this meeting placed and every other meeting
    exactly as in the plan (time, seats, optional attendees; the rest left out)."""
    ctx = build_model(config, find_term(config, plan.term), partial=True)
    model = ctx.model
    placed = {m.uid: m for m in plan.meetings}
    target = next(
        (o for o in ctx.occurrences if (o.series.id, o.period.index) == (series_id, occurrence)), None
    )
    if target is None:
        return False  # no candidate time at all
    for occ in ctx.occurrences:
        assert not isinstance(occ.present, bool)
        if occ is target:
            model.add(occ.present == 1)
            continue
        meeting = placed.get(occ.uid)
        model.add(occ.present == (meeting is not None))
        if meeting is None:
            continue
        start = meeting.start.astimezone(TZ)
        for option in occ.options:
            model.add(
                option.var == (option.day == start.date() and option.start == start.hour * 60 + start.minute)
            )
        seated = {(a.seat, a.person) for a in meeting.attendees}
        for choice in occ.seats:
            for pid, lit in choice.lits.items():
                model.add(lit == ((choice.key, pid) in seated))
        for pid, lit in occ.optional.items():
            model.add(lit == (("optional", pid) in seated))
    model.clear_objective()
    status = new_solver(time_limit=5, workers=1, seed=1).solve(model)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE), status
    return bool(status != cp_model.INFEASIBLE)


@pytest.mark.solve
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(partial_configs())
def test_partial_plans_verify_say_why_and_leave_nothing_placeable_out(config: MunicipalityConfig) -> None:
    plan = solve(config, options=SolveOptions(time_limit=2, workers=1, verify=False))
    event(plan.status.value)
    if plan.status != PlanStatus.PARTIAL:
        assert plan.unplaced == []
        return
    violations = verify_plan(config, plan)
    assert violations == [], format_violations(violations)
    assert plan.meetings and plan.unplaced
    titles = {s.id: series_title(config, s) for s in config.series}
    for entry in plan.unplaced:
        assert entry.reason_da and entry.reason_da[0].startswith(f"{titles[entry.series]}, uge ")
        assert not _placeable_with_the_rest_fixed(config, plan, entry.series, entry.occurrence), entry
