"""A re-solve of a term with a live plan starts from it and changes as little as possible.

The promise users see: a re-solve of an unchanged config gives the live plan back (0 meetings
changed, so 0 messages); a config change changes only what it must; a district's solve leaves
every other district's meetings exactly as they are; "start afresh" says what it costs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench.generate import scale_config
from scheduler.config import load_config
from scheduler.model import (
    Cadence,
    CadenceKind,
    Meeting,
    MunicipalityConfig,
    Person,
    Plan,
    PlanStatus,
    Serves,
    TimeRange,
)
from scheduler.replan import diff_plans, replan
from scheduler.solve import SolveOptions, solve
from scheduler.term_dates import TZ
from scheduler.verify import verify_plan

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "two_districts.yaml"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)
"""A month before the term (4 January 2027): nothing is past or short notice."""


def two_districts() -> MunicipalityConfig:
    return load_config(FIXTURE)


def live_plan(config: MunicipalityConfig, seed: int = 0) -> Plan:
    plan = solve(config, options=SolveOptions(time_limit=10, workers=2, seed=seed))
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), plan.explanation
    return plan


def shape(meeting: Meeting) -> tuple[object, ...]:
    return meeting.start, meeting.end, meeting.site, sorted((a.person, a.seat) for a in meeting.attendees)


def shapes(plan: Plan, series: str | None = None) -> dict[str, tuple[object, ...]]:
    return {m.uid: shape(m) for m in plan.meetings if series is None or m.series == series}


def with_seed(config: MunicipalityConfig, seed: int) -> MunicipalityConfig:
    return config.model_copy(update={"planning": config.planning.model_copy(update={"seed": seed})})


# --------------------------------------------------------------------------- unchanged config


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("instance", ["two_districts", "two_districts_x2"])
def test_a_resolve_of_an_unchanged_config_gives_the_live_plan_back(instance: str, seed: int) -> None:
    config = two_districts()
    if instance == "two_districts_x2":
        config = scale_config(config, 2)
    config = with_seed(config, seed)
    live = live_plan(config, seed)
    again = replan(config, live, now=NOW, time_limit=10)
    assert again.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), again.explanation
    assert diff_plans(live, again) == []
    assert shapes(again) == shapes(live)
    assert again.stats is not None
    assert (again.stats.changed_meetings, again.stats.notified_people) == (0, 0)


def test_the_live_plan_comes_back_even_when_heavy_weights_would_polish_it() -> None:
    """A live plan that is valid but worse than the best (a meeting off its preferred weekday,
    and off its series' pattern) stays as it is, whatever the soft rules' weights: any change
    costs more than the live plan's whole soft cost. Start afresh polishes it, and says so."""
    config = two_districts()
    config = config.model_copy(update={"weights": {"regularity": 10_000, "preferred_weekdays": 10_000}})
    live = moved_off_tuesday(config, live_plan(config), "kk-skovlunde")
    again = replan(config, live, now=NOW, time_limit=10)
    assert shapes(again) == shapes(live)
    afresh = replan(config, live, now=NOW, time_limit=10, fresh=True)
    changes = diff_plans(live, afresh)
    assert uid_off_tuesday(live, "kk-skovlunde") in {c.uid for c in changes}
    told = {a.person for c in changes for a in [*c.before_attendees, *c.after_attendees]}
    assert afresh.stats is not None
    assert (afresh.stats.changed_meetings, afresh.stats.notified_people) == (len(changes), len(told))


def moved_off_tuesday(config: MunicipalityConfig, plan: Plan, series: str) -> Plan:
    """The plan with the series' first meeting moved from Tuesday to Wednesday (still valid)."""
    meeting = next(m for m in plan.meetings if m.series == series and m.start.weekday() == 1)
    moved = meeting.model_copy(
        update={"start": meeting.start + timedelta(days=1), "end": meeting.end + timedelta(days=1)}
    )
    out = plan.model_copy(update={"meetings": [moved if m is meeting else m for m in plan.meetings]})
    assert verify_plan(config, out) == []
    return out


def uid_off_tuesday(plan: Plan, series: str) -> str:
    return next(m.uid for m in plan.meetings if m.series == series and m.start.weekday() == 2)


# --------------------------------------------------------------------------- a config change


def test_an_added_psychologist_changes_nothing() -> None:
    config = two_districts()
    live = live_plan(config)
    psykolog_c = Person(id="psykolog-c", name="Psykolog C", roles=["psykolog"], serves=Serves(all=True))
    changed = config.model_copy(update={"staff": [*config.staff, psykolog_c]})
    again = replan(changed, live, now=NOW, time_limit=10)
    assert diff_plans(live, again) == []
    assert again.stats is not None and again.stats.changed_meetings == 0


def test_a_series_going_monthly_changes_only_its_own_meetings() -> None:
    config = two_districts()
    live = live_plan(config)
    series = [
        s.model_copy(update={"cadence": Cadence(kind=CadenceKind.monthly)}) if s.id == "kk-baltorp" else s
        for s in config.series
    ]
    again = replan(config.model_copy(update={"series": series}), live, now=NOW, time_limit=10)
    assert again.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), again.explanation
    changes = diff_plans(live, again)
    assert changes, "a fortnightly series going monthly loses meetings"
    assert {c.series for c in changes} == {"kk-baltorp"}
    assert shapes(again, "kk-skovlunde") == shapes(live, "kk-skovlunde")
    assert len([m for m in again.meetings if m.series == "kk-baltorp"]) < len(
        [m for m in live.meetings if m.series == "kk-baltorp"]
    )
    assert again.stats is not None and again.stats.changed_meetings == len(changes)


# --------------------------------------------------------------------------- district scope


def test_a_district_solve_keeps_the_other_districts_meetings_as_they_are() -> None:
    """Even starting afresh: Skovlunde's meeting off its Tuesday stays off it in a Baltorp solve."""
    config = two_districts()
    live = moved_off_tuesday(config, live_plan(config), "kk-skovlunde")
    scoped = replan(config, live, now=NOW, time_limit=10, fresh=True, districts=["baltorp"])
    assert shapes(scoped, "kk-skovlunde") == shapes(live, "kk-skovlunde")
    assert {c.series for c in diff_plans(live, scoped)} <= {"kk-baltorp"}
    everywhere = replan(config, live, now=NOW, time_limit=10, fresh=True)
    assert shapes(everywhere, "kk-skovlunde") != shapes(live, "kk-skovlunde")


def test_past_meetings_keep_their_time_and_people() -> None:
    config = two_districts()
    live = moved_off_tuesday(config, live_plan(config), "kk-skovlunde")
    moved = next(m for m in live.meetings if m.series == "kk-skovlunde" and m.start.weekday() == 2)
    after = moved.end + timedelta(hours=1)
    afresh = replan(config, live, now=after, time_limit=10, fresh=True)
    assert {m.uid: shape(m) for m in afresh.meetings if m.start < after} == {
        m.uid: shape(m) for m in live.meetings if m.start < after
    }


@pytest.mark.parametrize("broken", ["no_time", "no_psychologist"])
def test_a_config_with_no_plan_gives_a_partial_plan_or_none_and_says_why(broken: str) -> None:
    config = two_districts()
    live = live_plan(config)
    if broken == "no_time":  # a window no two-hour meeting fits in
        update = {"window": TimeRange(start=13 * 60, end=14 * 60)}
        series = [s.model_copy(update=update) if s.id == "kk-baltorp" else s for s in config.series]
        config = config.model_copy(update={"series": series})
    else:  # nobody left to fill a seat
        config = config.model_copy(update={"staff": [p for p in config.staff if "psykolog" not in p.roles]})
    answer = replan(config, live, now=NOW, time_limit=10)
    if broken == "no_time":  # the other district's meetings stay: a PARTIAL plan lists the rest
        assert answer.status == PlanStatus.PARTIAL
        assert {u.series for u in answer.unplaced} == {"kk-baltorp"}
        assert "«Tidsrum på dagen»" in answer.unplaced[0].reason_da[0]
        assert {m.uid: shape(m) for m in answer.meetings} == {
            m.uid: shape(m) for m in live.meetings if m.series != "kk-baltorp"
        }
        return
    assert answer.status == PlanStatus.INFEASIBLE and answer.meetings == []  # no series can meet
    assert answer.explanation and answer.explanation[0].startswith("Der findes ingen plan")
