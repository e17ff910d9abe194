"""The BAL rollout: which team takes BAL in which round, with which facilitator (the same all
through) and in which course group, as one CP-SAT model.

The decision is `x[team, round, facilitator]`; a team with none waits, at a cost far above the
rest. Hard and soft rules are the rollout catalogue (`constraints/rollout/`, see
`scheduler.rollout_rules`); the facts of rounds, minutes and courses are `scheduler.bal_facts`.
The result is re-checked by the independent `scheduler.verify_rollout` before it is returned, as
`scheduler.solve.solve` does with a term plan.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.bal_facts import bal_rounds, course_of, hours_per_week, programme, team_minutes, travel_of
from scheduler.bal_greedy import Placement, greedy_rollout
from scheduler.cpsat import budget_spent, held, hint_all, new_solver
from scheduler.danish import join_da, number_da, plural_da
from scheduler.index import index_of
from scheduler.model import BalAssignment, BalRollout, BalTeam, MunicipalityConfig, PlanStatus, RuleCost
from scheduler.rollout_rules import GroupSlot, RolloutContext, load_rollout_rules
from scheduler.verify_rollout import verify_rollout

_STATUS = {
    cp_model.OPTIMAL: PlanStatus.OPTIMAL,
    cp_model.FEASIBLE: PlanStatus.FEASIBLE,
    cp_model.INFEASIBLE: PlanStatus.INFEASIBLE,
    cp_model.MODEL_INVALID: PlanStatus.INFEASIBLE,
}


@dataclass
class RolloutOptions:
    """How long and how to solve; None takes the config's `planning` setting."""

    time_limit: float | None = None
    workers: int | None = None
    seed: int | None = None
    deterministic: bool | None = None
    verify: bool = True


class RolloutVerificationError(RuntimeError):
    """The rollout verifier rejected what the solver returned: a bug in a rule, never the user's."""


def build_rollout(config: MunicipalityConfig) -> RolloutContext:
    """The rollout model with every rule posted (penalties collected, objective not yet set)."""
    bal = programme(config)
    model = cp_model.CpModel()
    rounds = bal_rounds(config)
    teams, facilitators = list(bal.teams), list(bal.facilitators)
    minutes = {(t.id, f.person): team_minutes(config, t, f) for t in teams for f in facilitators}
    travel = {(t.id, f.person): travel_of(config, t, f) for t in teams for f in facilitators}
    x = {
        (t.id, r.number, f.person): model.new_bool_var(f"x[{t.id},{r.number},{f.person}]")
        for t in teams
        for r in rounds
        for f in facilitators
    }
    in_round = {}
    for t in teams:
        for r in rounds:
            var = model.new_bool_var(f"in_round[{t.id},{r.number}]")
            model.add(var == sum(x[t.id, r.number, f.person] for f in facilitators))
            in_round[t.id, r.number] = var
    with_facilitator = {}
    for t in teams:
        for f in facilitators:
            var = model.new_bool_var(f"with[{t.id},{f.person}]")
            model.add(var == sum(x[t.id, r.number, f.person] for r in rounds))
            with_facilitator[t.id, f.person] = var
    waiting = {}
    for t in teams:
        var = model.new_bool_var(f"waiting[{t.id}]")
        model.add(var + sum(in_round[t.id, r.number] for r in rounds) == 1)  # one round, or waits
        waiting[t.id] = var
    ctx = RolloutContext(
        config=config,
        bal=bal,
        index=index_of(config),
        model=model,
        rounds=rounds,
        teams=teams,
        facilitators=facilitators,
        minutes=minutes,
        travel=travel,
        x=x,
        in_round=in_round,
        with_facilitator=with_facilitator,
        waiting=waiting,
    )
    for rule in load_rollout_rules():
        rule.post(ctx)
    return ctx


def objective_of(ctx: RolloutContext) -> cp_model.LinearExprT:
    """The weighted sum of the soft rules' penalty terms."""
    weights = {r.name: ctx.weight(r.name, r.default_weight) for r in load_rollout_rules()}
    return sum(weights[rule] * expr for rule, expr in ctx.penalties)


def warm_start(
    ctx: RolloutContext, seed: int, earlier: tuple[str, int] | None = None
) -> cp_model.CpSolver | None:
    """Hint the greedy rollout in full: its decisions, then every variable of the model as the
    solver completes them with the decisions fixed (a fraction of a second).

    A partial hint was not enough: on 200 teams CP-SAT's LP workers answered "everyone waits" or
    nothing in 10 s, with the complete hint they start from the greedy's rollout (2026-12-01).
    Returns the solver holding that rollout (None when the greedy's hint did not complete)."""
    add_hint(ctx, greedy_rollout(ctx.config, earlier))
    first = new_solver(time_limit=5, workers=1, seed=seed, fix_to_hints=True, first_solution=True)
    if first.solve(ctx.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None  # the greedy's hint stays; the search repairs it
    hint_all(ctx.model, list(first.response_proto.solution))
    return first


def add_hint(ctx: RolloutContext, placed: dict[str, Placement]) -> None:
    """Hint a complete rollout (`scheduler.bal_greedy`): every decision and course-group slot.

    Slots are filled fullest first (the model's order among a round's groups), so a greedy group
    k goes to the slot of its rank by seats."""
    for (team, number, facilitator), var in ctx.x.items():
        at = placed.get(team)
        ctx.model.add_hint(var, at is not None and at.round == number and at.facilitator == facilitator)
    for team, var in ctx.waiting.items():
        ctx.model.add_hint(var, team not in placed)
    by_id = {t.id: t for t in ctx.teams}
    for number in ctx.round_numbers():
        slots_by_course: dict[int, list[GroupSlot]] = {}
        for slot in ctx.slots:
            if slot.round == number:
                slots_by_course.setdefault(id(slot.course), []).append(slot)
        for slots in slots_by_course.values():
            course = slots[0].course
            members: dict[int, list[str]] = {}
            for team, at in placed.items():
                if at.round == number and course_of(ctx.bal, by_id[team]) is course:
                    members.setdefault(at.group, []).append(team)
            ranked = sorted(members.values(), key=lambda g: -sum(by_id[t].size for t in g))
            for slot, group in zip(slots, ranked + [[]] * len(slots), strict=False):
                for team, var in slot.members.items():
                    ctx.model.add_hint(var, team in group)
                if slot.leaders is not None and group:
                    ctx.model.add_hint(slot.leaders, by_id[group[0]].leaders)


FULL_SHARE = 0.25
"""The share of the time limit for one solve of the whole model (small rollouts end there, proved
optimal); the rest goes to the neighbourhood search (`improve`)."""

STEP_SECONDS = 0.25
"""The time limit of one neighbourhood's solve."""


def plan_rollout(
    config: MunicipalityConfig,
    options: RolloutOptions | None = None,
    earlier: tuple[str, int] | None = None,
) -> BalRollout:
    """The best rollout found in the time limit, verified. `earlier=(team, k)`: that team in a
    round before k (for 'why this round?').

    The greedy's rollout is the start; a solve of the whole model may prove the optimum (small
    rollouts); else a neighbourhood search improves the best rollout step by step. In
    deterministic mode the limit fixes the work (the number of steps, each one's work units), not
    the wall clock: each step's presolve of the whole model and its Python work come on top
    (about 0.3 s a step on the 203-team example with 1 worker, so a 10 s limit took 11-16 s on the
    shared 2-core machine, 2026-12-01)."""
    options = options or RolloutOptions()
    planning = config.planning
    started = time.monotonic()
    ctx = build_rollout(config)
    ctx.model.minimize(objective_of(ctx))
    seed = options.seed if options.seed is not None else planning.seed
    limit = options.time_limit if options.time_limit is not None else planning.time_limit_seconds
    workers = options.workers if options.workers is not None else planning.workers
    deterministic = options.deterministic if options.deterministic is not None else planning.deterministic
    if earlier is not None:
        team, before = earlier
        ctx.model.add(sum(ctx.in_round[team, n] for n in ctx.round_numbers() if n < before) == 1)
    best = warm_start(ctx, seed, earlier)
    solver = new_solver(
        time_limit=limit * FULL_SHARE, workers=workers, seed=seed, deterministic=deterministic
    )
    status = solver.solve(ctx.model)
    spent = budget_spent(solver, started)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and (
        best is None or status == cp_model.OPTIMAL or solver.objective_value <= best.objective_value
    ):
        best = solver
    if best is None:
        return _checked(config, options, read_rollout(ctx, solver, status, spent))
    bound = solver.best_objective_bound if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    if status != cp_model.OPTIMAL:
        steps = max(1, int(limit * (1 - FULL_SHARE) / STEP_SECONDS))
        best, used = improve(ctx, best, steps, seed, workers, deterministic, started + limit)
        spent += used
        status = cp_model.FEASIBLE
    rollout = read_rollout(ctx, best, status, spent)
    rollout.best_bound = bound
    return _checked(config, options, rollout)


def _checked(config: MunicipalityConfig, options: RolloutOptions, rollout: BalRollout) -> BalRollout:
    """The rollout after the independent verifier agreed (`RolloutVerificationError` if not)."""
    if options.verify and rollout.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        problems = verify_rollout(config, rollout)
        if problems:
            raise RolloutVerificationError("\n".join(problems))
    return rollout


def improve(
    ctx: RolloutContext,
    best: cp_model.CpSolver,
    steps: int,
    seed: int,
    workers: int,
    deterministic: bool,
    deadline: float,
) -> tuple[cp_model.CpSolver, float]:
    """Large neighbourhood search: free a few teams, fix every other team where it is, re-solve
    (the best rollout hinted), keep the answer when it is no worse. The neighbourhoods take turns:
    the teams of the busiest and the least busy facilitator (anywhere), the teams of two
    institutions (anywhere), and the teams of a quarter of the facilitators in the last round and
    one other (between those rounds and facilitators only). Small ones: a step of `STEP_SECONDS`
    mostly ends proved optimal. Returns the best solver and the budget used (work units in
    deterministic mode, so a seed gives one answer on any machine; the wall-clock `deadline` only
    cuts a non-deterministic search short; the Python work of a step, about 0.1 s on 200 teams,
    is not counted).

    CP-SAT's own search with one or two workers stayed at the greedy's rollout for 10 s on 200
    teams (its LNS workers need more threads, the root LP took the rest); larger neighbourhoods
    (three facilitators, half of them for two rounds) ended UNKNOWN at 0.5 s (2026-12-01)."""
    rng = random.Random(seed)
    options: dict[str, list[tuple[int, str, cp_model.IntVar]]] = {t.id: [] for t in ctx.teams}
    for (tid, number, facilitator), var in ctx.x.items():
        options[tid].append((number, facilitator, var))
    units = sorted({t.unit for t in ctx.teams})
    used = 0.0
    for step in range(steps):
        if not deterministic and time.monotonic() > deadline:
            break
        where = {t: _where(best, choices) for t, choices in options.items()}
        kind = step % 3
        allowed: tuple[set[int], set[str]] | None = None
        """(rounds, facilitators) the free teams may take; None: any"""
        if kind == 0:  # the busiest and the least busy facilitator (per hour they give)
            load = {f.person: 0.0 for f in ctx.facilitators}
            for t, w in where.items():
                if w is not None:
                    load[w[1]] += ctx.minutes[t, w[1]]
            share = sorted(ctx.facilitators, key=lambda f: (load[f.person] / f.hours_per_week, f.person))
            chosen = {share[0].person, share[-1].person}
            free = {t for t, w in where.items() if w is None or w[1] in chosen}
        elif kind == 1:  # two institutions
            picked = set(rng.sample(units, min(2, len(units))))
            free = {t.id for t in ctx.teams if t.unit in picked or where[t.id] is None}
        else:  # the last round and another, half the facilitators: teams move between the two
            last = max((w[0] for w in where.values() if w is not None), default=1)
            pair = {last, rng.randint(1, max(1, last - 1))}
            people = sorted(f.person for f in ctx.facilitators)
            half = set(rng.sample(people, max(2, len(people) // 4)))
            allowed = (pair, half)
            free = {t for t, w in where.items() if w is not None and w[0] in pair and w[1] in half}
        values = best.response_proto.solution
        fixed: dict[int, int] = {}
        for team, choices in options.items():
            if team in free and allowed is None:
                continue
            for number, facilitator, var in choices:
                if (
                    team in free
                    and allowed is not None
                    and number in allowed[0]
                    and facilitator in allowed[1]
                ):
                    continue
                fixed[var.index] = values[var.index] if team not in free else 0
            fixed[ctx.waiting[team].index] = values[ctx.waiting[team].index]
        hint_all(ctx.model, values)
        solver = new_solver(
            time_limit=STEP_SECONDS, workers=workers, seed=seed + step, deterministic=deterministic
        )
        with held(ctx.model, fixed):
            status = solver.solve(ctx.model)
        used += budget_spent(solver, time.monotonic() - solver.wall_time)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value <= best.objective_value:
            best = solver
    return best, used


def _where(
    solver: cp_model.CpSolver, choices: list[tuple[int, str, cp_model.IntVar]]
) -> tuple[int, str] | None:
    """(round, facilitator) of a team in the solver's rollout, None when it waits."""
    return next(((n, f) for n, f, var in choices if solver.boolean_value(var)), None)


def read_rollout(
    ctx: RolloutContext, solver: cp_model.CpSolver, status: cp_model.CpSolverStatus, seconds: float
) -> BalRollout:
    """The solver's answer as a `BalRollout`, with its course groups, hours and Danish summary."""
    config = ctx.config
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        answer = _STATUS.get(status, PlanStatus.UNKNOWN)
        why = (
            "ingen udrulning opfylder de faste regler (fx ledere først med for få facilitatortimer i runde 1)"
            if answer == PlanStatus.INFEASIBLE
            else "ingen udrulning fundet inden for tidsgrænsen"
        )
        return BalRollout(
            municipality=config.municipality,
            status=answer,
            rounds_used=0,
            solve_seconds=round(seconds, 2),
            waiting=[t.id for t in ctx.teams],
            explanation=[f"BAL-udrulning: {why}."],
        )
    placed: dict[str, tuple[int, str]] = {}
    for (team, number, facilitator), var in ctx.x.items():
        if solver.boolean_value(var):
            placed[team] = (number, facilitator)
    groups = _groups(ctx, solver, placed)
    terms = {r.number: r.term for r in ctx.rounds}
    assignments = [
        BalAssignment(
            team=t.id,
            round=placed[t.id][0],
            term=terms[placed[t.id][0]],
            facilitator=placed[t.id][1],
            course_group=groups[t.id],
        )
        for t in ctx.teams
        if t.id in placed
    ]
    rounds_used = max((a.round for a in assignments), default=0)
    waiting = [t.id for t in ctx.teams if t.id not in placed]
    rollout = BalRollout(
        municipality=config.municipality,
        status=_STATUS[status],
        rounds_used=rounds_used,
        objective=solver.objective_value,
        best_bound=solver.best_objective_bound,
        solve_seconds=round(seconds, 2),
        assignments=assignments,
        waiting=waiting,
        facilitator_hours=hours_per_week(config, placed, rounds_used),
        rule_costs=_rule_costs(ctx, solver),
    )
    rollout.explanation = summary_da(config, rollout)
    return rollout


def _rule_costs(ctx: RolloutContext, solver: cp_model.CpSolver) -> list[RuleCost]:
    totals: dict[str, int] = {}
    for name, expr in ctx.penalties:
        totals[name] = totals.get(name, 0) + int(solver.value(expr))
    costs = []
    for rule in load_rollout_rules():
        if rule.level != "soft":
            continue
        weight = ctx.weight(rule.name, rule.default_weight)
        count = totals.get(rule.name, 0)
        costs.append(
            RuleCost(
                rule=rule.name,
                title_da=rule.title_da,
                level="soft",
                weight=weight,
                violations=count,
                cost=weight * count,
            )
        )
    return costs


def _groups(
    ctx: RolloutContext, solver: cp_model.CpSolver, placed: dict[str, tuple[int, str]]
) -> dict[str, int]:
    """Team -> its course group's number in its round: leader groups first, then the others in
    order. Groups of a course with `max_groups` are the model's slots; the rest are packed here
    (largest team first into the first group with room), which any number of groups allows."""
    by_id = {t.id: t for t in ctx.teams}
    per_round: dict[int, list[list[str]]] = {r.number: [] for r in ctx.rounds}
    for slot in ctx.slots:
        members = [tid for tid, var in slot.members.items() if solver.boolean_value(var)]
        if members:
            per_round[slot.round].append(members)
    modelled = {t for slot in ctx.slots for t in slot.members}
    for rnd in ctx.rounds:
        loose = [by_id[t] for t, (n, _) in placed.items() if n == rnd.number and t not in modelled]
        for leaders in (True, False):
            kind = [t for t in loose if t.leaders == leaders]
            per_round[rnd.number].extend(pack_groups(kind, lambda t: course_of(ctx.bal, t).capacity))
    numbers: dict[str, int] = {}
    for groups in per_round.values():
        ordered = sorted(groups, key=lambda g: not by_id[g[0]].leaders)  # stable: leader groups first
        for k, group in enumerate(ordered, start=1):
            for tid in group:
                numbers[tid] = k
    return numbers


def pack_groups(teams: list[BalTeam], capacity: Callable[[BalTeam], int]) -> list[list[str]]:
    """Teams into groups, largest first (list order on a tie), each into the first group with room."""
    groups: list[tuple[int, list[str]]] = []
    for team in sorted(teams, key=lambda t: -t.size):
        for k, (used, members) in enumerate(groups):
            if used + team.size <= capacity(team):
                groups[k] = (used + team.size, [*members, team.id])
                break
        else:
            groups.append((team.size, [team.id]))
    return [members for _, members in groups]


def summary_da(config: MunicipalityConfig, rollout: BalRollout) -> list[str]:
    """The rollout in a few Danish lines: when all are through, who waits."""
    bal = programme(config)
    rounds = {r.number: r for r in bal_rounds(config)}
    index = index_of(config)
    names = {t.id: t.name for t in bal.teams}
    total = len(bal.teams)
    lines = []
    if not rollout.waiting and rollout.rounds_used:
        last = rounds[rollout.rounds_used]
        lines.append(
            f"Alle {plural_da(total, 'team', 'team')} er igennem efter "
            f"{plural_da(rollout.rounds_used, 'runde', 'runder')} (sidst {last.name})."
        )
    else:
        through = total - len(rollout.waiting)
        lines.append(
            f"{through} af {plural_da(total, 'team', 'team')} når igennem inden for "
            f"{plural_da(bal.max_rounds, 'runde', 'runder')}; "
            f"{plural_da(len(rollout.waiting), 'team venter', 'team venter')}: "
            f"{join_da([names[t] for t in rollout.waiting[:10]])}"
            + (" …" if len(rollout.waiting) > 10 else "")
            + "."
        )
    busiest = max(
        ((f, max(hours, default=0.0)) for f, hours in rollout.facilitator_hours.items()),
        key=lambda item: item[1],
        default=None,
    )
    if busiest is not None and busiest[1] > 0:
        lines.append(
            f"Travleste facilitator: {index.person_name(busiest[0])} med {number_da(busiest[1])} timer om "
            "ugen i sin travleste runde."
        )
    return lines
