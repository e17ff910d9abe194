"""The benchmark's score, computed from an assignment alone: plain Python, no solver.

This is the referee for `solve.py`: every result the CLI writes is re-scored here, so a bug in
the CP-SAT model shows up as a worse score, never as a flattering one. The rules follow the
README of the benchmark (`/work/shared/bench/meeting-scheduling/README.md`) word for word:

- a meeting starting at grain s with d grains occupies s..s+d-1 ("ends at s+d-1");
- ov(a, b) is the number of grains both occupy;
- person-based rules count once per person (two meetings sharing two required people
  conflict twice), as Timefold's constraint streams do;
- "B starting at most 2 grains after A ends" means start(B) - last(A) <= 2;
- "one starts right after the other ends" means start(B) = last(A) + 1, whatever the day,
  since grain indices run across days without gaps.

Deliberately quadratic and obvious: 120 meetings are 7 140 pairs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from pydantic import BaseModel

from bench.meeting_scheduling.instance import Instance, Meeting


class Placement(BaseModel):
    start_grain_index: int
    room: str


@dataclass(frozen=True, order=True)
class Score:
    """Higher is better, compared lexicographically; (0, 0, 0) is perfect."""

    hard: int
    medium: int
    soft: int
    breakdown: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, int]:
        return {"hard": self.hard, "medium": self.medium, "soft": self.soft}

    def __str__(self) -> str:
        return f"{self.hard}/{self.medium}/{self.soft}"


HARD = ("room_conflict", "overtime", "required_attendance_conflict", "room_capacity", "same_day")
MEDIUM = ("required_and_preferred_attendance_conflict", "preferred_attendance_conflict")
SOFT = (
    "as_soon_as_possible",
    "one_grain_break",
    "overlapping_meetings",
    "larger_rooms_first",
    "room_stability",
)


@dataclass(frozen=True)
class _Placed:
    meeting: Meeting
    start: int
    last: int
    room: str


def overlap(a: _Placed, b: _Placed) -> int:
    """Grains both meetings occupy."""
    return max(0, min(a.last, b.last) - max(a.start, b.start) + 1)


def _place(instance: Instance, assignment: dict[str, Placement]) -> list[_Placed]:
    missing = [m.id for m in instance.meetings if m.id not in assignment]
    if missing:
        raise ValueError(f"assignment lacks meeting(s) {', '.join(missing)}")
    extra = sorted(set(assignment) - {m.id for m in instance.meetings})
    if extra:
        raise ValueError(f"assignment has unknown meeting(s) {', '.join(extra)}")
    placed = []
    for meeting in instance.meetings:
        p = assignment[meeting.id]
        if p.start_grain_index not in instance.grains:
            raise ValueError(f"meeting {meeting.id}: start grain {p.start_grain_index} does not exist")
        if p.room not in instance.room_by_id:
            raise ValueError(f"meeting {meeting.id}: unknown room '{p.room}'")
        start = p.start_grain_index
        placed.append(_Placed(meeting, start, start + meeting.duration_grains - 1, p.room))
    return placed


def score_assignment(instance: Instance, assignment: dict[str, Placement]) -> Score:
    """Hard, medium and soft score of a complete assignment, with the penalty of every rule."""
    placed = _place(instance, assignment)
    grains = instance.grains
    capacity = {r.id: r.capacity for r in instance.rooms}
    b: dict[str, int] = dict.fromkeys(HARD + MEDIUM + SOFT, 0)

    required: dict[str, list[_Placed]] = defaultdict(list)
    preferred: dict[str, list[_Placed]] = defaultdict(list)
    for p in placed:
        for pid in p.meeting.required_attendees:
            required[pid].append(p)
        for pid in p.meeting.preferred_attendees:
            preferred[pid].append(p)

    for p in placed:
        if p.last not in grains:
            b["overtime"] += p.last
        elif grains[p.last].day_of_year != grains[p.start].day_of_year:
            b["same_day"] += 1
        b["room_capacity"] += max(0, p.meeting.size - capacity[p.room])
        b["as_soon_as_possible"] += p.last
        own = capacity[p.room]
        b["larger_rooms_first"] += sum(c - own for c in capacity.values() if c > own)

    for a, c in combinations(placed, 2):
        ov = overlap(a, c)
        if a.room == c.room:
            b["room_conflict"] += ov
        b["overlapping_meetings"] += 10 * ov
        if c.start == a.last + 1 or a.start == c.last + 1:
            b["one_grain_break"] += 100

    for pid, meetings in required.items():
        for a, c in combinations(meetings, 2):
            b["required_attendance_conflict"] += overlap(a, c)
            first, second = (a, c) if a.start < c.start else (c, a)
            if first.start < second.start and first.room != second.room and second.start - first.last <= 2:
                b["room_stability"] += 1
        for a in meetings:
            for c in preferred.get(pid, []):
                if c is not a:
                    b["required_and_preferred_attendance_conflict"] += overlap(a, c)
    for meetings in preferred.values():
        for a, c in combinations(meetings, 2):
            b["preferred_attendance_conflict"] += overlap(a, c)

    return Score(
        hard=-sum(b[k] for k in HARD),
        medium=-sum(b[k] for k in MEDIUM),
        soft=-sum(b[k] for k in SOFT),
        breakdown=b,
    )
