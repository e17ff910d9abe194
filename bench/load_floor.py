"""How fair a specialist role's load can be when seats keep their person all term.

The judge's worst load (`bench.judge.worst_load_ratio`) is the busiest holder of a role over the
role's mean. Continuity gives a series' seat to one person for the whole term, so a role with few
series or few holders cannot be balanced: two speech therapists and one series that needs one is
2.0 whatever the plan. This solves the load relaxation of `scheduler.bound` with availability
(who sits where, at the objective's weights of continuity and fair load; every time free) and
scores its seating as the judge scores a plan's: the worst load the objective would choose if
times cost nothing, to read a plan's figure against (with the seats it leaves to another person).

`python -m bench.load_floor --instances ballerup,lilleby,stramkommune`
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from bench.catalogue import benchmark_instances
from bench.judge import load_ratio
from scheduler.bound import LOAD_HARD_RULES, group_rules
from scheduler.build import build_model, find_term
from scheduler.cpsat import new_solver
from scheduler.model import MunicipalityConfig

SECONDS = 30.0
"""the relaxation's limit: the example's is proven in under a second, storby's is not in 30 s"""


def relaxed_worst_load(
    config: MunicipalityConfig, term_id: str, seconds: float = SECONDS
) -> tuple[float | None, int, bool]:
    """The judge's worst load of the load relaxation's best seating, the continuity breaks it
    takes, and whether it is proven optimal (else the best found within `seconds`)."""
    term = find_term(config, term_id)
    ctx = build_model(config, term, rules=LOAD_HARD_RULES | {"availability"} | group_rules("load"))
    solver = new_solver(time_limit=seconds, workers=2, seed=0)
    status = solver.solve(ctx.model)
    minutes: dict[str, float] = defaultdict(float)
    for occ in ctx.occurrences:
        for choice in occ.seats:
            for pid, lit in choice.lits.items():
                if solver.boolean_value(lit):
                    minutes[pid] += choice.minutes(occ.duration)
    breaks = sum(round(solver.value(p.expr)) for p in ctx.penalties if p.rule == "continuity")
    return load_ratio(config, term, minutes), breaks, solver.status_name(status) == "OPTIMAL"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="ballerup,lilleby,stramkommune")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args(argv)
    wanted = args.instances.split(",")
    scaled = any(name.startswith("ballerup-x") for name in wanted)
    print("| instance | worst load / role mean, times free | continuity breaks |")
    print("|---|---|---|")
    for instance in benchmark_instances(scaled):
        if instance.name in wanted:
            ratio, breaks, proven = relaxed_worst_load(instance.config, instance.term, args.seconds)
            print(f"| {instance.name} | {ratio}{'' if proven else ' (not proven)'} | {breaks} |")


if __name__ == "__main__":
    main()
