"""The benchmark's instance format (`meeting-scheduling-neutral/1`), parsed strictly."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Person(_Frozen):
    id: str
    name: str = ""


class Room(_Frozen):
    id: str
    name: str = ""
    capacity: int = Field(ge=0)


class TimeGrain(_Frozen):
    id: str
    grain_index: int
    day_of_year: int
    starting_minute_of_day: int
    start: str = ""


class Meeting(_Frozen):
    id: str
    topic: str = ""
    duration_grains: int = Field(ge=1)
    required_attendees: list[str] = Field(default_factory=list)
    preferred_attendees: list[str] = Field(default_factory=list)

    @property
    def size(self) -> int:
        """Seats needed: required plus preferred attendees, as the capacity rule counts them."""
        return len(self.required_attendees) + len(self.preferred_attendees)


class Instance(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: str = "meeting-scheduling-neutral/1"
    source: str = ""
    grain_minutes: int = 15
    people: list[Person]
    rooms: list[Room] = Field(min_length=1)
    time_grains: list[TimeGrain] = Field(min_length=1)
    meetings: list[Meeting]

    @model_validator(mode="after")
    def _references(self) -> Instance:
        people = {p.id for p in self.people}
        for i, meeting in enumerate(self.meetings):
            for kind in ("required_attendees", "preferred_attendees"):
                for pid in getattr(meeting, kind):
                    if pid not in people:
                        raise ValueError(f"meetings[{i}].{kind}: unknown person '{pid}'")
        if len({m.id for m in self.meetings}) != len(self.meetings):
            raise ValueError("meetings: ids must be unique")
        if len({r.id for r in self.rooms}) != len(self.rooms):
            raise ValueError("rooms: ids must be unique")
        return self

    @cached_property
    def grains(self) -> dict[int, TimeGrain]:
        return {g.grain_index: g for g in self.time_grains}

    @cached_property
    def room_by_id(self) -> dict[str, Room]:
        return {r.id: r for r in self.rooms}


def load_instance(path: str | Path) -> Instance:
    return Instance.model_validate_json(Path(path).read_bytes())
