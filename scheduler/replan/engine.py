"""The pinning engine: one joint model for the new config, with a price on every change.

Each answer the replanner gives (a proposal for an absence, a what-if, a hand move) is a whole
new plan, solved on the same joint CP-SAT model as a fresh plan (`build_model` on the new
config), with every meeting the caller may not touch pinned to its current time and people.
What may change is a `Freedom` per meeting. On top of the plan's own objective, each changed
meeting costs `CHANGE_WEIGHT` and each person who would receive an update `NOTIFY_WEIGHT`, so
untouched meetings stay unless moving one is the only way.

Why a re-solve of an unchanged config gives the base plan back (`Engine.solve(warm=True)`): the
base plan is completed into a model solution first; if it is feasible, its soft cost S is known,
and the change weight is raised to more than S. Any plan that differs in a meeting's time, site
or people changes at least one meeting, so it costs more than S for the change alone, while its
soft cost is at least 0 (every penalty counts something): it cannot beat the base plan. The
search starts from the completed base plan and only accepts a cheaper one; if it finds none in
time, the completed base plan is the answer. (A room is not a change: it is in no calendar item.)

When the new config cannot keep every meeting (an absence nobody can cover), a partial engine
(`partial=True`) answers instead: the model of a partial plan (`build_model(partial=True)`), solved
lexicographically by `scheduler.solve.place_most` (first the most meetings placed, then the cost of
change and the soft rules). A pinned meeting (`PINNED`: locked, held, another district's) stays;
any other may be left out, and a meeting whose time is held (the notice period) keeps that time or
is left out. The plan comes back PARTIAL with the left-out meetings and their reasons.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from ortools.sat.python import cp_model

from scheduler.build import build_model, objective_terms
from scheduler.context import Occurrence, Option, PlanningContext
from scheduler.cpsat import HintWriter, hint_all, new_solver
from scheduler.model import OPTIONAL_SEAT, Meeting, MunicipalityConfig, Plan, Term
from scheduler.solve import MostPlaced, place_most, read_plan, with_unplaced
from scheduler.term_dates import local_datetime, local_shape

CHANGE_WEIGHT = 1000
"""Objective cost of one changed meeting (time, site or anyone attending), at least. With the
default weights it is above any soft rule's share of one meeting (a continuity break costs 50 a
seat, a broken pattern 10), but weights go up to 10 000 each: where the base plan is feasible,
`Engine.solve(warm=True)` raises it above the base plan's whole soft cost, which no change can
gain more than."""
NOTIFY_WEIGHT = 100
"""Objective cost of one person who receives an update: among equally many changed meetings,
the one that bothers fewer people wins."""
DEFAULT_TIME_LIMIT = 10.0
DEFAULT_WORKERS = 2


def _holders(meeting: Meeting) -> dict[str, set[str]]:
    """seat key -> people in it, optional attendees under OPTIONAL_SEAT."""
    out: dict[str, set[str]] = defaultdict(set)
    for a in meeting.attendees:
        out[a.seat].add(a.person)
    return out


SeatFreedom = Literal["none", "person", "all"]


@dataclass(frozen=True)
class Freedom:
    """What a strategy lets change in one meeting. `person` means: only the absent person's part."""

    time: bool = False
    seats: SeatFreedom = "none"
    optional: SeatFreedom = "none"


PINNED = Freedom()


@dataclass
class Outcome:
    status: Literal["ok", "infeasible", "timeout", "unpinnable"]
    plan: Plan | None = None
    problems: list[str] = field(default_factory=list)


class Engine:
    """One joint model for the new config, with the cost of change against the current plan.

    The model is built once; each strategy fixes the variables it may not change by narrowing
    their domains, solves, and restores them, so four strategies cost one model build.
    """

    def __init__(
        self,
        config: MunicipalityConfig,
        term: Term,
        current: Plan,
        *,
        person: str | None = None,
        earliest_move: datetime | None = None,
        horizon: date | None = None,
        time_limit: float = DEFAULT_TIME_LIMIT,
        workers: int = DEFAULT_WORKERS,
        booked: list[Meeting] | None = None,
        cost_of_change: bool = True,
        partial: bool = False,
    ):
        """`booked`: the one-off meetings the new plan keeps as they are (default: the current plan's).
        `cost_of_change` false: only the plan's own objective counts ("start afresh" around pins).
        `partial`: meetings that cannot be kept may be left out (see the module docstring)."""
        self.config = config
        self.current = current
        self.person = person
        self.earliest_move = earliest_move
        self.horizon = horizon
        self.time_limit = time_limit
        self.workers = workers
        self.deterministic = config.planning.deterministic  # the limit in work units, as a plan's solve
        self.cost_of_change = cost_of_change
        if booked is None:
            booked = [m for m in current.meetings if m.one_off]
        self.partial = partial
        self.ctx: PlanningContext = build_model(config, term, booked=booked, partial=partial)
        self.meetings = {m.uid: m for m in current.meetings}
        self.occ_by_uid = {occ.uid: occ for occ in self.ctx.occurrences}
        self.current_option: dict[int, Option | None] = {}
        for occ in self.ctx.occurrences:
            meeting = self.meetings.get(occ.uid)
            self.current_option[occ.index] = None if meeting is None else self._option_of(occ, meeting)
        self._track_changes()

    @staticmethod
    def _option_of(occ: Occurrence, meeting: Meeting) -> Option | None:
        _, day, start = local_shape(meeting)
        return next((o for o in occ.options if o.day == day and o.start == start), None)

    def _track_changes(self) -> None:
        """changed[occ] is true when time, site or anyone attending differs from the current plan;
        notified[p] when p attends a changed meeting before or after. Both go into the objective."""
        model = self.ctx.model
        changed_vars: list[cp_model.IntVar] = []
        notify: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for occ in self.ctx.occurrences:
            changed = model.new_bool_var(f"changed[{occ.uid}]")
            changed_vars.append(changed)
            meeting = self.meetings.get(occ.uid)
            if meeting is None:
                model.add(changed == occ.placed())  # a new meeting; left out, it changes nothing
                for pid, lit in occ.attends.items():
                    notify[pid].append(lit)
                continue
            before = {a.person for a in meeting.attendees}
            holders = _holders(meeting)
            current = self.current_option[occ.index]
            seat_keys = {c.key for c in occ.seats} | {OPTIONAL_SEAT}
            must_change = (
                current is None
                or meeting.site != occ.site
                or meeting.end - meeting.start != timedelta(minutes=occ.duration)
                or any(pid not in occ.attends for pid in before)
                or any(key not in seat_keys for key in holders)
            )
            if must_change:
                model.add(changed == 1)
            else:
                assert current is not None
                model.add_implication(current.var.negated(), changed)
                for choice in occ.seats:
                    held = holders.get(choice.key, set())
                    if any(pid not in choice.lits for pid in held):
                        model.add(changed == 1)
                    for pid, lit in choice.lits.items():
                        model.add_implication(lit.negated() if pid in held else lit, changed)
                for pid, attends in occ.attends.items():
                    model.add_implication(attends.negated() if pid in before else attends, changed)
            for pid in before:
                notify[pid].append(changed)
            for pid, attends in occ.attends.items():
                if pid not in before:
                    notify[pid].append(attends)
        notified_vars = []
        for pid, lits in notify.items():
            notified = model.new_bool_var(f"notified[{pid}]")
            for lit in lits:
                model.add_implication(lit, notified)
            notified_vars.append(notified)
        self.change = cp_model.LinearExpr.sum(changed_vars)
        self.notified_count = cp_model.LinearExpr.sum(notified_vars)
        self.plan_cost = cp_model.LinearExpr.sum(objective_terms(self.ctx))
        self._minimize(CHANGE_WEIGHT)

    def _objective(self, change_weight: int) -> cp_model.LinearExpr:
        if not self.cost_of_change:
            return self.plan_cost
        return change_weight * self.change + NOTIFY_WEIGHT * self.notified_count + self.plan_cost

    def _minimize(self, change_weight: int) -> None:
        self.change_weight = change_weight
        self.ctx.model.minimize(self._objective(change_weight))

    # ----------------------------------------------------------------- pins

    def _pins(
        self, occ: Occurrence, freedom: Freedom, allow_short_notice: bool
    ) -> tuple[dict[int, int], str]:
        """Variable index -> fixed value for what the freedom keeps; a problem if it cannot be kept."""
        fixed: dict[int, int] = {}
        meeting = self.meetings.get(occ.uid)
        if meeting is None:
            return fixed, ""  # a meeting the current plan does not have: nothing to keep
        current = self.current_option[occ.index]
        if not freedom.time:
            if current is None:
                return fixed, "det nuværende tidspunkt er ikke længere muligt"
            for option in occ.options:
                fixed[option.var.index] = int(option is current)
        else:
            for option in occ.options:
                if option is current:
                    continue
                start = local_datetime(option.day, option.start)
                too_soon = self.horizon is not None and not allow_short_notice and option.day <= self.horizon
                if (self.earliest_move is not None and start < self.earliest_move) or too_soon:
                    fixed[option.var.index] = 0
        holders = _holders(meeting)
        for choice in occ.seats:
            held = holders.get(choice.key, set())
            mode = freedom.seats
            if mode == "person" and self.person not in held:
                mode = "none"
            if mode == "all":
                continue
            if any(pid not in choice.lits for pid in held):
                return fixed, f"pladsen {choice.key} kan ikke beholde sin nuværende besætning"
            for pid, lit in choice.lits.items():
                if mode == "none" or (pid in held and pid != self.person):
                    fixed[lit.index] = int(pid in held)
        seated = {a.person for a in meeting.attendees if a.seat != OPTIONAL_SEAT}
        optional_before = holders.get(OPTIONAL_SEAT, set())
        for pid, lit in occ.optional.items():
            if freedom.optional == "all" or pid in seated:
                continue  # a seated person's optional literal does not change who comes
            if freedom.optional == "person" and pid == self.person:
                continue
            fixed[lit.index] = int(pid in optional_before)
        return fixed, ""

    def _hint(self, reference: Plan) -> None:
        """Start the search from a known plan: its times, seat holders and optional attendees."""
        hints = HintWriter()
        for meeting in reference.meetings:
            occ = self.occ_by_uid.get(meeting.uid)
            if occ is None:
                continue
            chosen = self._option_of(occ, meeting)
            for present in occ.placed_lits():
                hints.add(present, chosen is not None)
            if chosen is not None:
                for option in occ.options:
                    hints.add(option.var, option is chosen)
            holders = _holders(meeting)
            for choice in occ.seats:
                for pid, lit in choice.lits.items():
                    hints.add(lit, pid in holders.get(choice.key, set()))
            attending = {a.person for a in meeting.attendees}
            for pid, lit in occ.optional.items():
                hints.add(lit, pid in attending)
            if meeting.room in occ.rooms:
                for room, lit in occ.rooms.items():
                    hints.add(lit, room == meeting.room)
        hints.flush(self.ctx.model)

    def _complete(self) -> tuple[cp_model.CpSolver, int] | None:
        """The hinted plan as a whole model solution, and the change weight that keeps it.

        Every hinted choice is held; CP-SAT only fills in the bookkeeping (patterns, penalties,
        changed, notified). None when the hinted plan breaks a hard rule of the model. The weight
        is more than the hinted plan's soft cost: see the module docstring.
        """
        seed = self.config.planning.seed
        limit = min(max(self.time_limit / 4, 1.0), 10.0)
        solver = new_solver(
            time_limit=limit,
            workers=self.workers,
            seed=seed,
            fix_to_hints=True,
            deterministic=self.deterministic,
        )
        status = solver.solve(self.ctx.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        soft = int(solver.value(self.plan_cost))
        weight = max(CHANGE_WEIGHT, soft + 1)
        hint_all(self.ctx.model, list(solver.response_proto.solution))
        return solver, weight

    # ----------------------------------------------------------------- solving

    def solve(
        self,
        freedom_of: Callable[[Occurrence], Freedom],
        *,
        hint: Plan,
        allow_short_notice: bool = False,
        warm: bool = False,
    ) -> Outcome:
        """The cheapest plan in which each meeting changes no more than `freedom_of` allows.

        The pins narrow variable domains in place and are undone afterwards, so the next
        caller starts from the unpinned model; `hint` is where the search starts. `warm`: the
        hint is completed first and kept unless the search finds a cheaper plan, with the change
        weight raised above the hint's soft cost, so a hint that is still feasible (a re-solve
        of an unchanged config) comes back unchanged.
        """
        started = time.monotonic()
        if self.ctx.empty_occurrences and not self.partial:
            return Outcome("infeasible")  # a meeting with no possible time: not every one can be kept
        fixed: dict[int, int] = {}
        held: list[tuple[Occurrence, int]] = []
        """partial mode: (meeting, variable index) pinned to 1 only while the meeting is placed"""
        problems = []
        reasons: dict[str, str] = {}
        """partial mode: uid -> why a meeting that keeps its time (or crew) was left out"""
        for occ in self.ctx.occurrences:
            freedom = freedom_of(occ)
            pins, problem = self._pins(occ, freedom, allow_short_notice)
            droppable = self.partial and freedom != PINNED
            if problem and droppable:
                fixed[occ.placed_lits()[0].index] = 0  # it cannot be kept as it must: left out
                reasons[occ.uid] = self._kept_reason(occ, problem, not freedom.time)
                continue
            if problem:
                problems.append(f"{occ.uid}: {problem}")
            if not droppable:
                fixed.update(pins)
                if not occ.period.optional:
                    fixed.update({lit.index: 1 for lit in occ.placed_lits()})  # a pinned meeting stays
                elif freedom == PINNED:  # a holiday fortnight stays held, or skipped, as it is
                    fixed.update({lit.index: int(occ.uid in self.meetings) for lit in occ.placed_lits()})
                continue
            for index, value in pins.items():
                if value:
                    held.append((occ, index))
                else:
                    fixed[index] = value
            if not freedom.time and occ.uid in self.meetings:
                reasons[occ.uid] = ""  # filled in if it is left out
        if problems:
            return Outcome("unpinnable", problems=problems)
        model = self.ctx.model
        proto = model.proto
        saved = {index: list(proto.variables[index].domain) for index in fixed}
        first_added = len(proto.constraints)
        try:
            for index, value in fixed.items():
                domain = proto.variables[index].domain
                domain.clear()
                domain.extend([value, value])
            for occ, index in held:
                model.add_implication(occ.placed_lits()[0], model.get_bool_var_from_proto_index(index))
            self._hint(hint)
            answer = (
                self._solve_partial(started, reasons) if self.partial else self._solve_whole(started, warm)
            )
            if answer is None or isinstance(answer, str):
                return Outcome(answer or "infeasible")
            plan = answer
        finally:
            for index, domain_values in saved.items():
                domain = proto.variables[index].domain
                domain.clear()
                domain.extend(domain_values)
            _retract(model, first_added)
            if self.partial or self.change_weight != CHANGE_WEIGHT:
                self._minimize(CHANGE_WEIGHT)
            if warm:
                model.clear_hints()
        locked = {m.uid for m in self.current.meetings if m.locked}
        plan.meetings = [m.model_copy(update={"locked": m.uid in locked}) for m in plan.meetings]
        plan.objective = float(sum(c.cost for c in plan.rule_costs if c.level == "soft"))
        plan.best_bound = None  # the solver's bound speaks for the cost of change, not the plan
        return Outcome("ok", plan)

    def _solve_whole(self, started: float, warm: bool) -> Plan | Literal["infeasible", "timeout"]:
        """Every meeting placed: the cheapest plan, from the hint (`warm`: kept unless beaten)."""
        completed = self._complete() if warm else None
        if completed is not None:
            self._minimize(completed[1])
        seed = self.config.planning.seed
        solver = new_solver(
            time_limit=self.time_limit, workers=self.workers, seed=seed, deterministic=self.deterministic
        )
        status = solver.solve(self.ctx.model)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"invalid rescheduling model: {self.ctx.model.validate()}")
        if completed is not None:
            base, weight = completed
            objective = self._objective(weight)
            found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            if not found or solver.value(objective) >= base.value(objective):
                # nothing cheaper than the hint: keep it (optimal if the search proved its cost)
                same = found and solver.value(objective) == base.value(objective)
                solver, status = base, status if same else cp_model.FEASIBLE
        if status == cp_model.INFEASIBLE:
            return "infeasible"
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "timeout"
        return read_plan(self.ctx, solver, status, started, None)

    def _solve_partial(self, started: float, reasons: dict[str, str]) -> Plan | None:
        """The most meetings kept or placed, then the least change and the soft rules; PARTIAL
        with the rest listed, or None when no meeting can be placed."""
        seed = self.config.planning.seed

        def make_solver(seconds: float) -> cp_model.CpSolver:
            return new_solver(
                time_limit=seconds, workers=self.workers, seed=seed, deterministic=self.deterministic
            )

        most: MostPlaced | None = place_most(
            self.ctx, self._objective(CHANGE_WEIGHT), make_solver, self.time_limit
        )
        if most is None:
            return None
        plan = read_plan(self.ctx, most.solver, most.status, started, None)
        left_out = {occ.uid: occ for occ in most.left_out(self.ctx)}
        known = {
            uid: reason or self._kept_reason(left_out[uid], "", True)
            for uid, reason in reasons.items()
            if uid in left_out
        }
        return with_unplaced(self.ctx, most, plan, self.ctx.booked, known)

    def _kept_reason(self, occ: Occurrence, problem: str, held_time: bool) -> str:
        """Why a meeting that must keep its time (`held_time`: the notice period) or crew was left
        out, in Danish: when it is, and who cannot come then (the absent person), else the pin's
        problem."""
        from scheduler.danish import when_da
        from scheduler.explain import meeting_not_free

        meeting = self.meetings[occ.uid]
        away = meeting_not_free(self.config, self.ctx.term, meeting)
        why = away or problem or "det kan ikke holdes sammen med planens øvrige møder"
        if not held_time:
            return f"mødet {when_da(meeting.start)} kan ikke beholdes, fordi {why}."
        return f"mødet {when_da(meeting.start)} ligger inden for varslet og kan ikke flyttes, men {why}."


def _retract(model: cp_model.CpModel, first: int) -> None:
    """Empty the constraints added from index `first` on (protobuf lists cannot shrink here; an
    empty constraint constrains nothing), so a reused model is as before a solve's own additions."""
    for constraint in list(model.proto.constraints)[first:]:
        for kind in ("bool_and", "linear"):
            if getattr(constraint, f"has_{kind}")():
                getattr(constraint, f"clear_{kind}")()
