"""The meeting-scheduling benchmark solved the way moedeplan solves a term.

One CP-SAT model with named penalty terms (as in `scheduler/build.py`), started from a greedy
plan (as `scheduler/hint.py` does) and optimised lexicographically: the hard rules are
constraints, then the medium score is minimised, then the soft score with the medium score held
at its best value. Time is indexed by grain: a start literal per (meeting, grain), occupancy per
grain, so "every pair of overlapping meetings" costs sum_g C(n_g, 2) — a convex function of the
per-grain count — instead of a variable per pair. The result is always re-scored by
`score.score_assignment`, never taken from the model's own objective.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from ortools.sat.python import cp_model

from bench.meeting_scheduling.instance import Instance, Meeting
from bench.meeting_scheduling.score import Placement, Score, score_assignment

Assignment = dict[str, Placement]


@dataclass
class BenchResult:
    assignment: Assignment
    score: Score
    first_feasible_s: float | None
    wall_s: float
    phases: list[dict[str, object]] = field(default_factory=list)
    model_terms: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "assignment": {k: v.model_dump() for k, v in self.assignment.items()},
            "score": self.score.as_dict(),
            "first_feasible_s": None if self.first_feasible_s is None else round(self.first_feasible_s, 3),
            "wall_s": round(self.wall_s, 3),
            "breakdown": self.score.breakdown,
            "phases": self.phases,
        }


def valid_starts(instance: Instance, meeting: Meeting) -> list[int]:
    """Start grains whose meeting ends on an existing grain of the same day (hard rules 2 and 5)."""
    grains = instance.grains
    out = []
    for g, grain in grains.items():
        last = grains.get(g + meeting.duration_grains - 1)
        if last is not None and last.day_of_year == grain.day_of_year:
            out.append(g)
    return sorted(out)


def allowed_rooms(instance: Instance, meeting: Meeting) -> list[str]:
    """Rooms big enough (hard rule 4); every room when none is, so the model stays solvable."""
    big = [r.id for r in instance.rooms if r.capacity >= meeting.size]
    return big or [r.id for r in instance.rooms]


def _larger_room_cost(instance: Instance, room_id: str) -> int:
    own = instance.room_by_id[room_id].capacity
    return sum(r.capacity - own for r in instance.rooms if r.capacity > own)


# --------------------------------------------------------------------------- greedy start


def greedy(instance: Instance, order: list[Meeting] | None = None, packed: bool = False) -> Assignment | None:
    """Place meetings most constrained first at the (start, room) that adds the least medium, then soft.

    Never breaks a hard rule; returns None when some meeting finds no hard-feasible place.
    `packed` takes the earliest start instead (list scheduling), which keeps busy people's days
    in one piece. Per-grain occupancy arrays make each meeting a handful of numpy window sums.
    """
    grains = sorted(instance.grains)
    lo, n = grains[0], grains[-1] - grains[0] + 1
    people = {p.id: i for i, p in enumerate(instance.people)}
    any_busy = np.zeros((len(people), n), dtype=np.int64)
    req_busy = np.zeros((len(people), n), dtype=np.int64)
    room_busy = {r.id: np.zeros(n, dtype=np.int64) for r in instance.rooms}
    count = np.zeros(n, dtype=np.int64)
    out: Assignment = {}
    if order is None:
        load: dict[str, int] = defaultdict(int)
        for m in instance.meetings:
            for p in m.required_attendees:
                load[p] += m.duration_grains
        order = sorted(
            instance.meetings,
            key=lambda m: (
                -max((load[p] for p in m.required_attendees), default=0),
                -m.duration_grains,
                m.id,
            ),
        )
    for m in order:
        d = m.duration_grains
        req = [people[p] for p in m.required_attendees]
        every = req + [people[p] for p in m.preferred_attendees]
        best: tuple[tuple[int, int], int, str] | None = None
        for s in valid_starts(instance, m):
            window = slice(s - lo, s - lo + d)
            if req and req_busy[req, window].any():
                continue
            medium = int(any_busy[every, window].sum())
            soft = s + d - 1 + 10 * int(count[window].sum())
            for r in allowed_rooms(instance, m):
                if room_busy[r][window].any():
                    continue
                key = (medium, soft + _larger_room_cost(instance, r)) if not packed else (s, medium)
                if best is None or key < best[0]:
                    best = (key, s, r)
        if best is None:
            return None
        _, s, r = best
        window = slice(s - lo, s - lo + d)
        any_busy[every, window] += 1
        req_busy[req, window] += 1
        room_busy[r][window] += 1
        count[window] += 1
        out[m.id] = Placement(start_grain_index=s, room=r)
    return out


def feasible(instance: Instance, workers: int, limit: float, seed: int = 0) -> Assignment | None:
    """A hard-feasible assignment from a lean model: starts, rooms and the no-overlap rules only.

    The full model's per-grain bookkeeping makes CP-SAT slow to find a first solution; this
    one solves the 120-meeting instance in a fraction of a second, and the full model is then
    completed around it.
    """
    model = cp_model.CpModel()
    start: dict[str, cp_model.IntVar] = {}
    rooms: dict[str, dict[str, cp_model.IntVar]] = {}
    per_room: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    per_person: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    for m in instance.meetings:
        starts = valid_starts(instance, m)
        s = model.new_int_var_from_domain(cp_model.Domain.from_values(starts), f"start[{m.id}]")
        start[m.id] = s
        interval = model.new_fixed_size_interval_var(s, m.duration_grains, f"meeting[{m.id}]")
        for p in m.required_attendees:
            per_person[p].append(interval)
        rooms[m.id] = {r: model.new_bool_var(f"y[{m.id},{r}]") for r in allowed_rooms(instance, m)}
        model.add_exactly_one(rooms[m.id].values())
        for r, y in rooms[m.id].items():
            per_room[r].append(
                model.new_optional_fixed_size_interval_var(s, m.duration_grains, y, f"room[{m.id},{r}]")
            )
    for intervals in list(per_room.values()) + list(per_person.values()):
        model.add_no_overlap(intervals)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = max(0.1, limit)
    solver.parameters.random_seed = seed
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {
        m.id: Placement(
            start_grain_index=solver.value(start[m.id]),
            room=next(r for r, y in rooms[m.id].items() if solver.boolean_value(y)),
        )
        for m in instance.meetings
    }


# --------------------------------------------------------------------------- the CP-SAT model


class MeetingModel:
    """The CP-SAT model; `medium` and `soft` are sums of named penalty terms."""

    def __init__(self, instance: Instance, with_soft: bool = True):
        self.instance = instance
        model = self.model = cp_model.CpModel()
        grains = sorted(instance.grains)
        self.grains = grains
        n_rooms = len(instance.rooms)
        self.x: dict[str, dict[int, cp_model.IntVar]] = {}
        self.y: dict[str, dict[str, cp_model.IntVar]] = {}
        self.start: dict[str, cp_model.IntVar] = {}
        occ: dict[str, dict[int, cp_model.IntVar]] = {}
        for m in instance.meetings:
            starts = valid_starts(instance, m)
            if not starts:
                raise ValueError(f"meeting {m.id} ({m.duration_grains} grains) fits in no day")
            d = m.duration_grains
            xs = {s: model.new_bool_var(f"x[{m.id},{s}]") for s in starts}
            model.add_exactly_one(xs.values())
            self.x[m.id] = xs
            start = model.new_int_var_from_domain(cp_model.Domain.from_values(starts), f"start[{m.id}]")
            model.add(start == sum(s * v for s, v in xs.items()))
            self.start[m.id] = start
            ys = {r: model.new_bool_var(f"y[{m.id},{r}]") for r in allowed_rooms(instance, m)}
            model.add_exactly_one(ys.values())
            self.y[m.id] = ys
            occ[m.id] = {}
            for g in grains:
                covering = [v for s, v in xs.items() if s <= g <= s + d - 1]
                if covering:
                    o = model.new_bool_var(f"occ[{m.id},{g}]")
                    model.add(o == sum(covering))
                    occ[m.id][g] = o
        self.occ = occ
        meetings = {m.id: m for m in instance.meetings}

        # Hard: a room holds one meeting at a time; a required person attends one at a time.
        for room in instance.rooms:
            intervals = [
                model.new_optional_fixed_size_interval_var(
                    self.start[m.id], m.duration_grains, self.y[m.id][room.id], f"room[{m.id},{room.id}]"
                )
                for m in instance.meetings
                if room.id in self.y[m.id]
            ]
            model.add_no_overlap(intervals)
        required: dict[str, list[str]] = defaultdict(list)
        involved: dict[str, list[str]] = defaultdict(list)
        for m in instance.meetings:
            for p in m.required_attendees:
                required[p].append(m.id)
            for p in dict.fromkeys(m.required_attendees + m.preferred_attendees):
                involved[p].append(m.id)
        for mids in required.values():
            if len(mids) > 1:
                model.add_no_overlap(
                    model.new_fixed_size_interval_var(self.start[i], meetings[i].duration_grains, f"req[{i}]")
                    for i in mids
                )
                for g in grains:  # redundant, but gives the LP the same picture
                    model.add(sum(occ[i][g] for i in mids if g in occ[i]) <= 1)
        for g in grains:  # redundant: no more meetings at once than rooms
            model.add(sum(occ[m.id][g] for m in instance.meetings if g in occ[m.id]) <= n_rooms)

        # Medium: a person at T meetings in one grain has C(T, 2) conflicting pairs there; with
        # required attendance exclusive, that is exactly required-preferred plus preferred-preferred.
        medium_terms = []
        for p, mids in involved.items():
            if len(mids) < 2 or all(p in meetings[i].required_attendees for i in mids):
                continue
            for g in grains:
                here = [occ[i][g] for i in mids if g in occ[i]]
                if len(here) >= 2:
                    medium_terms.append(self._pairs(sum(here), min(len(here), n_rooms), f"med[{p},{g}]"))
        self.medium_terms = {"attendance_conflict": sum(medium_terms)}

        self.soft_terms: dict[str, cp_model.LinearExprT] = {}
        if with_soft:
            self._post_soft(required, meetings)

    def _post_soft(self, required: dict[str, list[str]], meetings: dict[str, Meeting]) -> None:
        """Soft, term by term as the README lists them."""
        instance, model, occ, grains = self.instance, self.model, self.occ, self.grains
        n_rooms = len(instance.rooms)
        asap = sum(self.start[m.id] + m.duration_grains - 1 for m in instance.meetings)
        overlapping = []
        for g in grains:
            here = [occ[m.id][g] for m in instance.meetings if g in occ[m.id]]
            if len(here) >= 2:
                overlapping.append(self._pairs(sum(here), min(len(here), n_rooms), f"ovl[{g}]"))
        breaks = []
        for g in grains:
            ending = [
                self.x[m.id][g - m.duration_grains + 1]
                for m in instance.meetings
                if g - m.duration_grains + 1 in self.x[m.id]
            ]
            starting = [self.x[m.id][g + 1] for m in instance.meetings if g + 1 in self.x[m.id]]
            if ending and starting:
                e = model.new_int_var(0, min(len(ending), n_rooms), f"ends[{g}]")
                s = model.new_int_var(0, min(len(starting), n_rooms), f"starts[{g + 1}]")
                model.add(e == sum(ending))
                model.add(s == sum(starting))
                both = model.new_int_var(0, n_rooms * n_rooms, f"adjacent[{g}]")
                model.add_multiplication_equality(both, [e, s])
                breaks.append(both)
        larger = sum(
            _larger_room_cost(instance, r) * v for m in instance.meetings for r, v in self.y[m.id].items()
        )
        self.soft_terms = {
            "as_soon_as_possible": asap,
            "one_grain_break": 100 * sum(breaks),
            "overlapping_meetings": 10 * sum(overlapping),
            "larger_rooms_first": larger,
            "room_stability": self._room_stability(required, meetings),
        }

    def _pairs(self, total: cp_model.LinearExprT, most: int, name: str) -> cp_model.IntVar:
        """A variable >= C(total, 2) (tight when minimised): the lines through consecutive points."""
        count = self.model.new_int_var(0, most, f"n{name}")
        self.model.add(count == total)
        z = self.model.new_int_var(0, most * (most - 1) // 2, name)
        for k in range(1, most):
            self.model.add(z >= k * count - k * (k + 1) // 2)
        return z

    def _room_stability(
        self, required: dict[str, list[str]], meetings: dict[str, Meeting]
    ) -> cp_model.LinearExprT:
        """Per pair sharing k required people: k if one starts within 2 grains of the other's end
        in another room. The two never overlap (hard), so an order literal decides which is first."""
        shared: dict[tuple[str, str], int] = defaultdict(int)
        for mids in required.values():
            for a, b in combinations(sorted(mids), 2):
                shared[(a, b)] += 1
        model, terms = self.model, []
        for (a, b), k in shared.items():
            da, db = meetings[a].duration_grains, meetings[b].duration_grains
            a_first = model.new_bool_var(f"order[{a},{b}]")
            close = model.new_bool_var(f"close[{a},{b}]")
            model.add(self.start[b] >= self.start[a] + da).only_enforce_if(a_first)
            model.add(self.start[a] >= self.start[b] + db).only_enforce_if(a_first.Not())
            model.add(self.start[b] >= self.start[a] + da + 2).only_enforce_if([a_first, close.Not()])
            model.add(self.start[a] >= self.start[b] + db + 2).only_enforce_if([a_first.Not(), close.Not()])
            moved = model.new_bool_var(f"moved[{a},{b}]")
            for r in set(self.y[a]) | set(self.y[b]):
                ya, yb = self.y[a].get(r), self.y[b].get(r)
                if ya is not None:
                    model.add(moved >= close + ya - (yb if yb is not None else 0) - 1)
            terms.append(k * moved)
        return sum(terms)

    @property
    def medium(self) -> cp_model.LinearExprT:
        return sum(self.medium_terms.values())

    @property
    def soft(self) -> cp_model.LinearExprT:
        return sum(self.soft_terms.values())

    def hint(self, assignment: Assignment) -> None:
        self.model.clear_hints()
        for m in self.instance.meetings:
            p = assignment[m.id]
            for s, v in self.x[m.id].items():
                self.model.add_hint(v, s == p.start_grain_index)
            for r, v in self.y[m.id].items():
                self.model.add_hint(v, r == p.room)

    def hint_values(self, values: list[int]) -> None:
        """Hint every variable (a complete solution), so the next phase starts from it at once."""
        self.model.clear_hints()
        for index, value in enumerate(values):
            self.model.add_hint(self.model.get_int_var_from_proto_index(index), value)

    def complete(self, assignment: Assignment, workers: int, limit: float) -> list[int] | None:
        """Every variable's value for an assignment: CP-SAT fills in the bookkeeping only."""
        self.hint(assignment)
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        solver.parameters.max_time_in_seconds = max(0.1, limit)
        solver.parameters.num_workers = workers
        status = solver.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return list(solver.response_proto.solution)

    def read(self, solver: cp_model.CpSolver | _Snapshot) -> Assignment:
        out: Assignment = {}
        for m in self.instance.meetings:
            start = next(s for s, v in self.x[m.id].items() if solver.boolean_value(v))
            room = next(r for r, v in self.y[m.id].items() if solver.boolean_value(v))
            out[m.id] = Placement(start_grain_index=start, room=room)
        return out


@dataclass
class _Snapshot:
    """The values of the best solution a phase found, readable like a solver."""

    values: dict[int, int]

    def boolean_value(self, var: cp_model.IntVar) -> bool:
        return bool(self.values[var.index])


class _Recorder(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float, on_solution: Callable[[float], None]):
        super().__init__()
        self.started = started
        self.on_solution = on_solution
        self.solutions = 0

    def on_solution_callback(self) -> None:
        self.solutions += 1
        self.on_solution(time.monotonic() - self.started)


def solve_instance(
    instance: Instance,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    medium_share: float = 0.6,
    log: Callable[[str], None] | None = None,
) -> BenchResult:
    """Greedy start, then minimise medium, then soft with medium fixed; re-scored independently."""
    started = time.monotonic()
    say = log or (lambda _: None)
    first_feasible: float | None = None
    # The medium-aware greedy is better but can strand a busy person; earliest-start list
    # scheduling packs days tightly and rarely fails; the lean CP-SAT model never gives up.
    best: Assignment | None = greedy(instance) or greedy(instance, packed=True)
    phases: list[dict[str, object]] = []
    if best is None:
        best = feasible(instance, workers, min(10.0, time_limit / 4), seed)
        say(f"greedy failed; lean model: {best is not None} at {time.monotonic() - started:.2f} s")
    if best is not None and score_assignment(instance, best).hard == 0:
        first_feasible = time.monotonic() - started
        say(f"greedy: {score_assignment(instance, best)} at {first_feasible:.2f} s")

    def remaining() -> float:
        return time_limit - (time.monotonic() - started)

    def feasible_at(elapsed: float) -> None:
        nonlocal first_feasible
        if first_feasible is None:
            first_feasible = elapsed

    medium_bound: int | None = None
    terms: dict[str, int] = {}
    for phase in ("medium", "soft"):
        mm = MeetingModel(instance, with_soft=phase == "soft")
        if medium_bound is not None:
            mm.model.add(mm.medium <= medium_bound)
        objective = mm.medium if phase == "medium" else mm.soft
        mm.model.minimize(objective)
        budget = remaining() * (medium_share if phase == "medium" else 1.0) - 0.3
        if budget <= 0.1:
            break
        values = mm.complete(best, workers, min(budget, 5.0)) if best is not None else None
        if values is not None:
            mm.hint_values(values)
        elif best is not None:
            mm.hint(best)
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(
            0.1, remaining() * (medium_share if phase == "medium" else 1.0) - 0.3
        )
        params.num_workers = workers
        params.random_seed = seed
        # Probing and symmetry detection cost seconds of presolve on the time-indexed model
        # and buy nothing once the search starts from a complete solution.
        params.cp_model_probing_level = 0
        params.symmetry_level = 0
        # From a complete solution, both workers do large-neighbourhood search: on x1 that
        # reaches medium -48 in 22 s where one LNS worker beside the full search reaches -68.
        params.use_lns_only = values is not None
        recorder = _Recorder(started, feasible_at)
        status = solver.solve(mm.model, recorder)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            phases.append({"phase": phase, "status": solver.status_name(status)})
            continue
        best = mm.read(solver)
        value = round(solver.objective_value)
        phases.append(
            {
                "phase": phase,
                "status": solver.status_name(status),
                "objective": value,
                "bound": round(solver.best_objective_bound),
                "seconds": round(solver.wall_time, 2),
                "solutions": recorder.solutions,
            }
        )
        say(f"{phase}: {solver.status_name(status)} {value} (bound {solver.best_objective_bound:.0f})")
        if phase == "medium":
            medium_bound = value
        else:
            terms = {name: round(solver.value(expr)) for name, expr in mm.soft_terms.items()}
    if best is None:
        raise RuntimeError("no assignment found within the time limit")
    score = score_assignment(instance, best)
    return BenchResult(best, score, first_feasible, time.monotonic() - started, phases, terms)
