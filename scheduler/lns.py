"""Large neighbourhood search on the joint model: hold most of the best plan, free one part, let
CP-SAT improve that part, keep the result when it is better (the CP-SAT primer's LNS loop).

Why our own neighbourhoods: a series' regularity and its preferred weekday change only when all
of its meetings move together, and a specialist's load only when their seats move to someone
else. CP-SAT's built-in neighbourhoods free random or constraint-graph pieces and rarely free
exactly those. So a neighbourhood here is
- a series and the series that share one of its people (a whole rhythm, and room to move it),
  half the time one of the series that meets at more than one weekday and start, or off its
  preferred weekday or start,
- one person's meetings (their load, their trips),
- one district's meetings, or
- one specialist role's seats all term, every meeting keeping its time (half the time with the
  series of the role's busiest holder freed whole): a unit's psychologist changes only when all
  of the series' meetings change hands at once, which no neighbourhood of a few series frees.

The rest is held by narrowing the domains of its decision literals to the best plan's values
(and restoring them after), so every sub-solve is the whole model with the whole objective:
whatever it finds is a complete plan. Measured (2026-12-01, 20 s, 2 workers, three instances
two seeds each, the full search vs this for 60 % of the time and then the full search hinted
with its best): every one of the six runs better, by 2-20 % of the objective.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.config import unit_districts
from scheduler.context import Occurrence, PlanningContext
from scheduler.cpsat import Holds, budget_spent, hint_all, new_solver
from scheduler.hint import occurrence_variables
from scheduler.model import Weekday
from scheduler.roles import fair_load_roles, full_time_scale

SUBSOLVE_SECONDS = 1.5
"""the most one neighbourhood's solve may take (less when the budget is nearly spent), at least:
a model that took the warm start longer to load gets `LOAD_FACTOR` times that"""

LOAD_FACTOR = 2.0
"""storby (444,000 constraints): the warm start's solve took 2.3 s; 1.5 s neighbourhoods found
nothing in 9 s, 5 s ones improved the plan four times in four (2,758 -> 2,299)"""

MIN_MEETINGS = 20
"""the smallest neighbourhood; a model of fewer than twice this is solved whole instead"""

STALL_ITERATIONS = 12
"""neighbourhoods in a row solved to their optimum without a better plan: the search moves on"""


ROLE_SWEEPS = 2
"""times the search first frees each role's seats in turn (`Neighbourhoods.role`), before drawing
at random: on the example's warm start one sweep took the objective from 991 to 705 in 8 s, where
20 s of the full search and random neighbourhoods ended at 737-807"""


@dataclass
class Incumbent:
    """The best plan so far: the value of every model variable, its objective and the solver
    that found it (the plan is read from that solver)."""

    values: list[int]
    objective: float
    solver: cp_model.CpSolver


@dataclass(frozen=True)
class Neighbourhood:
    """What one sub-solve frees; everything else is held at the best plan."""

    kind: str
    meetings: set[int]
    """occurrences freed whole (time, seats, guests), by index"""
    seats: frozenset[int] = frozenset()
    """seat literals freed besides (proto indices), in meetings that otherwise keep their time"""


@dataclass
class SearchReport:
    incumbent: Incumbent
    iterations: int
    improvements: int
    spent: float
    """of the budget, in the budget's seconds (work units turned into seconds when deterministic)"""


class Neighbourhoods:
    """The parts of a term's plan that can move together, drawn at random with a fixed seed."""

    def __init__(self, ctx: PlanningContext, seed: int):
        self._ctx = ctx
        self._rng = random.Random(seed)
        self._series = sorted(ctx.by_series)
        self._by_person: dict[str, list[Occurrence]] = defaultdict(list)
        self._by_district: dict[str, list[Occurrence]] = defaultdict(list)
        for occ in ctx.occurrences:
            for pid in occ.attends:
                self._by_person[pid].append(occ)
            for district in unit_districts(ctx.units[occ.series.unit]):
                self._by_district[district].append(occ)
        self._people = sorted(self._by_person)
        self._districts = sorted(self._by_district)
        self._role_seats = self._seats_by_role()

    def _seats_by_role(self) -> dict[str, list[tuple[Occurrence, str, int, float]]]:
        """Per fair-load role with two or more holders to choose from: (meeting, holder, literal's
        proto index, full-time minutes) of every seat some holder of the role may take."""
        counted = fair_load_roles(self._ctx.config.extra_roles)
        by_role: dict[str, list[tuple[Occurrence, str, int, float]]] = defaultdict(list)
        for occ in self._ctx.occurrences:
            for choice in occ.seats:
                if len(choice.lits) < 2:
                    continue
                minutes = choice.minutes(occ.duration)
                for pid, lit in choice.lits.items():
                    person = self._ctx.people[pid]
                    for role in counted & set(person.roles):
                        by_role[role].append((occ, pid, lit.index, minutes * full_time_scale(person)))
        return {
            role: seats for role, seats in sorted(by_role.items()) if len({pid for _, pid, _, _ in seats}) > 1
        }

    def draw(self, size: int, values: list[int]) -> Neighbourhood:
        """About `size` meetings (a role's seats: all of them); `values` is the best plan, whose
        irregular series (more than one weekday and start) are worth freeing first."""
        kind = self._rng.choice(["series", "irregular", "person", "district", "role"])
        if kind == "irregular":
            irregular = self._irregular(values)
            if irregular:
                return Neighbourhood(kind, self._grow([self._rng.choice(irregular)], size))
        if kind == "role" and self._role_seats:
            return self._role(values)
        if kind == "district" and self._districts:
            district = self._rng.choice(self._districts)
            meetings = self._by_district[district]
            if len(meetings) > size:  # a big district: a run of its series
                return Neighbourhood(kind, self._grow(self._series_of(meetings), size))
            return Neighbourhood(kind, {occ.index for occ in meetings})
        if kind == "person" and self._people:
            first = self._rng.choice(self._people)
            chosen = {occ.index for occ in self._by_person[first]}
            colleagues = self._colleagues(first)
            while len(chosen) < size and colleagues:  # so seats can change hands, and load with them
                chosen |= {occ.index for occ in self._by_person[colleagues.pop()]}
            return Neighbourhood(kind, chosen)
        return Neighbourhood("series", self._grow([self._rng.choice(self._series)], size))

    def _role(self, values: list[int]) -> Neighbourhood:
        """A random role's seats all term; half the time also the series of its busiest holder."""
        return self.role(self._rng.choice(self.roles()), self._rng.random() < 0.5, values)

    def roles(self) -> list[str]:
        """The fair-load roles with two or more holders to choose from."""
        return sorted(self._role_seats)

    def role(self, role: str, busiest_series: bool, values: list[int]) -> Neighbourhood:
        """Every seat some holder of `role` may take, all term, each meeting keeping its time; with
        `busiest_series` also the series (time and all) where the role's busiest holder sits."""
        seats = self._role_seats[role]
        meetings: set[int] = set()
        if busiest_series:
            load: dict[str, float] = defaultdict(float)
            for _, pid, index, minutes in seats:
                load[pid] += minutes * values[index]
            busiest = max(sorted(load), key=load.__getitem__)
            series = {occ.series.id for occ, pid, index, _ in seats if pid == busiest and values[index]}
            meetings = {occ.index for sid in series for occ in self._ctx.by_series[sid]}
        return Neighbourhood("role", meetings, frozenset(index for _, _, index, _ in seats))

    def _irregular(self, values: list[int]) -> list[str]:
        """The series that meet at more than one weekday and start in `values`, or at a weekday
        or start they do not prefer: to move them, their meetings must move together."""
        irregular = []
        for series_id in self._series:
            occurrences = self._ctx.by_series[series_id]
            series = occurrences[0].series
            chosen = [option for occ in occurrences for option in occ.options if values[option.var.index]]
            times = {(option.day.weekday(), option.start) for option in chosen}
            unwanted = any(
                (series.preferred_weekdays and Weekday.of(option.day) not in series.preferred_weekdays)
                or (series.preferred_starts and option.start not in series.preferred_starts)
                for option in chosen
            )
            if len(times) > 1 or unwanted:
                irregular.append(series_id)
        return irregular

    def _colleagues(self, pid: str) -> list[str]:
        """Others who share a role with `pid` (drawn last first), then everyone else."""
        roles = set(self._ctx.people[pid].roles)
        same = [p for p in self._people if p != pid and roles & set(self._ctx.people[p].roles)]
        others = [p for p in self._people if p != pid and p not in same]
        self._rng.shuffle(same)
        self._rng.shuffle(others)
        return others + same

    def _series_of(self, meetings: list[Occurrence]) -> list[str]:
        ids = sorted({occ.series.id for occ in meetings})
        self._rng.shuffle(ids)
        return ids

    def _grow(self, start: list[str], size: int) -> set[int]:
        """Whole series, starting from `start`, then the series that share their people."""
        chosen: set[int] = set()
        queue = list(start)
        seen = set(queue)
        while queue and len(chosen) < size:
            series_id = queue.pop(0)
            occurrences = self._ctx.by_series[series_id]
            chosen |= {occ.index for occ in occurrences}
            people = sorted({pid for occ in occurrences for pid in occ.attends})
            neighbours = sorted({o.series.id for pid in people for o in self._by_person[pid]} - seen)
            self._rng.shuffle(neighbours)
            seen |= set(neighbours)
            queue += neighbours
        return chosen


def _outside(ctx: PlanningContext, free: Neighbourhood, values: list[int]) -> dict[int, int]:
    """The decision literals the neighbourhood does not free, at their value in `values`."""
    return {
        var.index: values[var.index]
        for occ in ctx.occurrences
        if occ.index not in free.meetings
        for var in occurrence_variables(occ)
        if var.index not in free.seats
    }


def improve(
    ctx: PlanningContext,
    incumbent: Incumbent,
    *,
    budget: float,
    workers: int,
    seed: int,
    deterministic: bool,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    subsolve_seconds: float = SUBSOLVE_SECONDS,
    target: float = 0.0,
    role_sweeps: int = ROLE_SWEEPS,
) -> SearchReport:
    """Better plans by re-solving neighbourhoods, for `budget` seconds (work units when
    `deterministic`, so the same seed gives the same plan). The model's hints are left at the
    best plan, for the full search that follows.

    A neighbourhood solved to its optimum without a better plan grows the next one (there is
    nothing more to find that small); one that runs out of time shrinks it. `subsolve_seconds`:
    what one neighbourhood may take; a big model needs more just to be loaded. `target`: a
    proven lower bound of the objective; a plan that reaches it ends the search. `role_sweeps`:
    times every role's seats are freed in turn before neighbourhoods are drawn at random (0 for a
    search that goes on from an earlier one's plan)."""
    neighbourhoods = Neighbourhoods(ctx, seed)
    total = len(ctx.occurrences)
    size = max(MIN_MEETINGS, total // 8)
    spent, iterations, improvements, stalled = 0.0, 0, 0, 0
    sweep = [  # every role's seats first (quick), then each with its busiest holder's series
        (role, busiest)
        for _ in range(role_sweeps)
        for busiest in (False, True)
        for role in neighbourhoods.roles()
    ]
    holds = Holds(ctx.model)  # the rest of the best plan, held a neighbourhood at a time
    try:
        while (
            budget - spent >= subsolve_seconds / 3
            and stalled < STALL_ITERATIONS
            and incumbent.objective > target + 1e-6
        ):
            if sweep:
                role, busiest = sweep.pop(0)
                free = neighbourhoods.role(role, busiest, incumbent.values)
            else:
                free = neighbourhoods.draw(size, incumbent.values)
            hint_all(ctx.model, incumbent.values)
            solver = new_solver(
                time_limit=min(subsolve_seconds, budget - spent),
                workers=workers,
                seed=seed + iterations,
                deterministic=deterministic,
            )
            started = time.monotonic()
            holds.hold(_outside(ctx, free, incumbent.values))
            status = solver.solve(ctx.model, callback) if callback else solver.solve(ctx.model)
            spent += budget_spent(solver, started)
            iterations += 1
            found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            if found and solver.objective_value < incumbent.objective - 0.5:
                incumbent = Incumbent(list(solver.response_proto.solution), solver.objective_value, solver)
                improvements += 1
                stalled = 0
            elif free.kind == "role":
                pass  # the sweep's: says nothing of the size
            elif status == cp_model.OPTIMAL:
                stalled += 1
                size = min(total, int(size * 1.25) + 1)
            else:
                size = max(MIN_MEETINGS, int(size * 0.85))
    finally:
        holds.release()
    hint_all(ctx.model, incumbent.values)
    return SearchReport(incumbent, iterations, improvements, spent)
