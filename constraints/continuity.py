"""The same specialist meets the same unit all term: 'nærhed, tillid og bæredygtige relationer'."""

from __future__ import annotations

from scheduler.context import PlanningContext
from scheduler.rules import Rule


class Continuity(Rule):
    name = "continuity"
    level = "soft"
    default_weight = 50
    local = True
    bound_group = "load"
    title_da = "Kontinuitet"
    explanation_da = "Den samme psykolog, sundhedsplejerske og rådgiver møder den samme enhed hele terminen."
    order = 62
    count_da = (
        "{n} gang sidder en anden end den faste (psykolog, rådgiver …) på sin plads",
        "{n} gange sidder en anden end den faste (psykolog, rådgiver …) på sin plads",
    )

    def post(self, ctx: PlanningContext) -> None:
        """Each seat has a usual holder for the term; a meeting where someone else sits is a break.

        `usual[p]` picks the holder(s) for the series' seat; `substitute[o]` must be set whenever
        a meeting seats someone who is not a usual holder. Counting breaks per meeting (rather than
        people used) keeps the penalty 0 in the relaxation exactly where it is 0 in a plan, which
        lets CP-SAT prove bounds quickly.

        A named substitute (`absences[].substitute`) who sits in for a usual holder on the days of
        her absence is no break: the seat is kept for her, and the substitute never becomes a
        usual holder. Sitting in for someone who is not a usual holder is a break, as for anyone.
        """
        if ctx.explain:
            return
        model = ctx.model
        for series_id, occs in ctx.by_series.items():
            keys = {
                choice.key: choice.seat.count
                for choice in occs[0].seats
                if not choice.seat.rota
                and choice.seat.person is None
                and len(choice.lits) - len(choice.stand_ins) > choice.seat.count
            }
            for key, count in keys.items():
                pool = sorted(
                    {
                        pid
                        for occ in occs
                        for c in occ.seats
                        if c.key == key
                        for pid in c.lits
                        if pid not in c.stand_ins
                    }
                )
                usual = {pid: model.new_bool_var(f"usual[{series_id}|{key}|{pid}]") for pid in pool}
                model.add(sum(usual.values()) == count)
                for occ in occs:
                    choice = next(c for c in occ.seats if c.key == key)
                    substitute = model.new_bool_var(f"substitute[{occ.uid}|{key}]")
                    for pid, lit in choice.lits.items():
                        if pid in choice.stand_ins:
                            absent = sorted({p for by in choice.stand_ins[pid].values() for p in by})
                            model.add_bool_or([lit.negated(), substitute, *(usual[p] for p in absent)])
                        else:
                            model.add_bool_or([lit.negated(), usual[pid], substitute])
                    ctx.penalize(self.name, substitute)


RULE = Continuity()
