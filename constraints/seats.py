"""Every seat is filled: the named people come, and each required role has someone who serves the unit."""

from __future__ import annotations

from constraints._text import join_da, person_name, series_name
from scheduler.config import all_roles, seat_pool
from scheduler.context import PlanningContext
from scheduler.rules import Rule


class Seats(Rule):
    name = "seats"
    level = "hard"
    local = True
    title_da = "Mødepligt og roller"
    explanation_da = (
        "Kernegruppen har mødepligt: de navngivne deltagere kommer, og hver krævet rolle "
        "(fx én psykolog) besættes af en, der dækker enheden."
    )
    order = 20

    def post(self, ctx: PlanningContext) -> None:
        for occ in ctx.occurrences:
            for choice in occ.seats:
                ct = ctx.model.add(sum(choice.lits.values()) == choice.seat.count * occ.placed())
                ctx.enforce(ct, self.name, f"{occ.series.id}|{choice.key}")

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        series_id, key = subject.split("|", 1)
        series = ctx.index.series[series_id]
        seat = dict(series.seats())[key]
        title = series_name(ctx, series_id)
        if seat.person is not None:
            return f"{title} kræver {person_name(ctx, seat.person)}."
        pool = [person_name(ctx, p) for p in seat_pool(ctx.config, series, seat)]
        roles = all_roles(ctx.config)
        label = roles.get(seat.role or "", seat.role or "en af de udpegede")
        what = label[:1].lower() + label[1:]  # "Psykolog (PPR)" -> "psykolog (PPR)"
        count = "én" if seat.count == 1 else str(seat.count)
        if len(pool) == 1 and seat.count == 1:
            unit = ctx.index.units[series.unit].name
            return f"{title} kræver {count} {what}, og kun {pool[0]} dækker {unit}."
        return f"{title} kræver {count} {what} blandt {join_da(pool)}."


RULE = Seats()
