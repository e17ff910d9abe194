"""Two meetings at one site at the same time need two rooms; a room must seat the meeting.

Where a site has named rooms (with capacities) or a series asks for a room, each meeting chooses
its room (a literal per room, optional intervals, one no-overlap per room). Where a site only
has a number of anonymous rooms and nobody asks for one, counting is enough — a cumulative of
that many rooms — and rooms are numbered after solving (interval colouring never needs more
rooms than meetings at once).

A commitment held in a room (`staff[].commitments[].room`) takes that room at its times, like a
booked meeting; a site with such a room chooses rooms, so the plan never numbers a meeting into it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scheduler.availability import RoomUse, commitment_room_uses
from scheduler.context import MINUTES_PER_DAY, Occurrence, PlanningContext
from scheduler.rules import Rule


def committed_rooms(ctx: PlanningContext) -> dict[tuple[str, str], list[RoomUse]]:
    """Per (site, room), the term's times commitments take it (`scheduler.availability`), once per solve."""
    key = "committed_rooms"
    if key not in ctx.memo:
        ctx.memo[key] = commitment_room_uses(ctx.config, ctx.term.start, ctx.term.end, ctx.term.start)
    uses: dict[tuple[str, str], list[RoomUse]] = ctx.memo[key]
    return uses


def chooses_rooms(ctx: PlanningContext, site_id: str, occs: list[Occurrence]) -> bool:
    site = ctx.sites[site_id]
    return (
        isinstance(site.rooms, list)
        or any(o.series.room or o.series.preferred_rooms for o in occs)
        or any(site == site_id for site, _ in committed_rooms(ctx))
    )


class Rooms(Rule):
    name = "rooms"
    level = "hard"
    title_da = "Mødelokaler"
    explanation_da = (
        "Der holdes ikke flere møder samtidig på en adresse, end der er mødelokaler, og et lokale "
        "skal have plads til mødets deltagere."
    )
    order = 42
    relaxable = False

    def post(self, ctx: PlanningContext) -> None:
        by_site: dict[str, list[Occurrence]] = defaultdict(list)
        for occ in ctx.occurrences:
            by_site[occ.site].append(occ)
        for site_id, occs in by_site.items():
            if chooses_rooms(ctx, site_id, occs):
                self._choose(ctx, site_id, occs)
            else:
                self._count(ctx, site_id, occs)

    @staticmethod
    def _booked(ctx: PlanningContext, site_id: str, room: str | None = None) -> list[Any]:
        """Fixed intervals of the booked meetings at the site (in that room, if one is named)."""
        intervals = []
        for meeting in ctx.booked:
            if meeting.site != site_id or (room is not None and meeting.room != room):
                continue
            start, end = ctx.span_of(meeting)
            name = f"booked[{meeting.uid}]"
            intervals.append(ctx.model.new_fixed_size_interval_var(start, end - start, name))
        return intervals

    @staticmethod
    def _committed(ctx: PlanningContext, site_id: str, room: str) -> list[Any]:
        """Fixed intervals of the times commitments take the room."""
        intervals = []
        for day, start, end, _ in committed_rooms(ctx).get((site_id, room), []):
            at = ctx.day_index(day) * MINUTES_PER_DAY + start
            name = f"committed[{room}|{day}|{start}]"
            intervals.append(ctx.model.new_fixed_size_interval_var(at, end - start, name))
        return intervals

    def _count(self, ctx: PlanningContext, site_id: str, occs: list[Occurrence]) -> None:
        intervals = self._booked(ctx, site_id)
        if len(occs) + len(intervals) < 2:
            return
        for occ in occs:
            assert occ.start is not None
            name = f"room[{occ.uid}]"
            if occ.placed_lits():  # partial mode: a meeting left out takes no room
                interval = ctx.model.new_optional_fixed_size_interval_var(
                    occ.start, occ.duration, occ.placed_lits()[0], name
                )
            else:
                interval = ctx.model.new_fixed_size_interval_var(occ.start, occ.duration, name)
            intervals.append(interval)
        rooms = ctx.sites[site_id].room_count
        if rooms == 1:
            ctx.model.add_no_overlap(intervals)
        else:
            ctx.model.add_cumulative(intervals, [1] * len(intervals), rooms)

    def _choose(self, ctx: PlanningContext, site_id: str, occs: list[Occurrence]) -> None:
        model = ctx.model
        per_room: dict[str, list] = defaultdict(list)
        for occ in occs:
            assert occ.start is not None
            people = occ.series.headcount()
            required = ctx.index.room_at(occ.series, site_id)  # an alternating series' room: its own site
            for room in ctx.sites[site_id].room_list:
                if required is not None and room.id != required:
                    continue
                if room.capacity is not None and room.capacity < people:
                    continue
                lit = model.new_bool_var(f"in_room[{occ.uid}|{room.id}]")
                occ.rooms[room.id] = lit
                per_room[room.id].append(
                    model.new_optional_fixed_size_interval_var(
                        occ.start, occ.duration, lit, f"room[{occ.uid}|{room.id}]"
                    )
                )
            model.add(sum(occ.rooms.values()) == occ.placed())  # no room big enough: no plan
        for room_id, intervals in per_room.items():
            intervals += self._booked(ctx, site_id, room_id)
            intervals += self._committed(ctx, site_id, room_id)
            if len(intervals) > 1:
                model.add_no_overlap(intervals)


RULE = Rooms()
