"""One person, one seat: the chair is not also the minute-taker."""

from __future__ import annotations

from collections import defaultdict

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class OneSeatPerPerson(Rule):
    name = "one_seat_per_person"
    level = "hard"
    local = True
    title_da = "Mødeleder og referent er forskellige"
    explanation_da = "En person udfylder én plads pr. møde; mødeleder og referent er ikke den samme."
    order = 21
    relaxable = False

    def post(self, ctx: PlanningContext) -> None:
        for occ in ctx.occurrences:
            lits_of: dict[str, list] = defaultdict(list)
            for choice in occ.seats:
                for pid, lit in choice.lits.items():
                    lits_of[pid].append(lit)
            for lits in lits_of.values():
                if len(lits) > 1:
                    ctx.model.add_at_most_one(lits)


RULE = OneSeatPerPerson()
