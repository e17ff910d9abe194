"""A request for a meeting that does not recur by cadence (a Familiemøde or a case follow-up), and
the answer the slot finder gives: the shapes the CLI, the API and the web read and write.

A request is checked against the config like a config is (every problem with its place), and
keeps CPR numbers out of everything that could reach an invitation.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from scheduler.config import _unknown
from scheduler.index import index_of
from scheduler.model import (
    BUILT_IN_CALENDARS,
    WORKDAYS,
    Clock,
    Email,
    Identifier,
    MunicipalityConfig,
    Strict,
    TimeRange,
    Weekday,
    kept_calendars,
)
from scheduler.privacy_text import CPR_LOOKS_DA, find_cpr
from scheduler.validation_da import messages_da

KIND_TITLE_DA = {"familiemoede": "Familiemøde", "opfoelgning": "Opfølgning"}
"""Invitation titles are fixed by kind: no free text, so no child's name can reach an invite."""


# --------------------------------------------------------------------------- the request


class Participant(Strict):
    """A staff member by id, or someone from outside (the family) by a label and an e-mail."""

    person: Identifier | None = None
    name: str | None = Field(default=None, description="outside the staff: a label such as 'familien'")
    email: Email | None = None
    required: bool = True

    @field_validator("name", "email")
    @classmethod
    def _no_cpr(cls, value: str | None) -> str | None:
        """The label and address reach the booked meeting (and so the plan): no CPR number."""
        if value is not None and find_cpr(value) is not None:
            raise ValueError(f"{CPR_LOOKS_DA}; brug en betegnelse som 'familien' uden CPR-nummer")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Participant:
        if (self.person is None) == (self.name is None):
            raise ValueError("angiv enten 'person' (et id i staff) eller 'name' (en udefra)")
        return self


class FollowUp(Strict):
    """'Every 6 weeks, 8 times' or 'every 3 months (13 weeks) until 2028-01-31'."""

    every_weeks: int = Field(ge=1, le=52)
    count: int | None = Field(default=None, ge=2, le=60, description="meetings in all, the first included")
    until: date | None = None

    @model_validator(mode="after")
    def _end(self) -> FollowUp:
        if (self.count is None) == (self.until is None):
            raise ValueError("give either 'count' or 'until'")
        return self


class SlotRequest(Strict):
    id: Identifier = Field(description="the case meeting's id; part of the booked meetings' uids")
    kind: Literal["familiemoede", "opfoelgning"] = "familiemoede"
    unit: Identifier | None = Field(default=None, description="default: the first unit at the site")
    participants: list[Participant] = Field(min_length=1)
    duration_minutes: int = Field(default=60, ge=15, le=480)
    site: Identifier
    earliest: date
    latest: date
    window: TimeRange = Field(default_factory=lambda: TimeRange(start=8 * 60, end=16 * 60))
    weekdays: list[Weekday] = Field(default_factory=lambda: list(WORKDAYS))
    preferred_weekdays: list[Weekday] = Field(default_factory=list)
    preferred_starts: list[Clock] = Field(
        default_factory=list, description="soft: start times used when possible, e.g. ['13:00']"
    )
    related_series: Identifier | None = Field(
        default=None,
        description="the config series the meeting follows up: its preferred starts and weekdays "
        "apply where the request names none",
    )
    room: Identifier | None = None
    preferred_rooms: list[Identifier] = Field(default_factory=list)
    follow_up: FollowUp | None = None
    observe_school_holidays: bool = Field(default=True, description="the old form of 'observes'")
    observes: list[Identifier] | None = Field(
        default=None,
        description="closed-day calendars the meetings keep (helligdage, skoleferie, closed_calendars "
        "ids); default [helligdage, skoleferie]",
    )

    @model_validator(mode="after")
    def _checks(self) -> SlotRequest:
        if self.latest < self.earliest:
            raise ValueError(f"latest ({self.latest}) ligger før earliest ({self.earliest})")
        if (self.latest - self.earliest).days > 120:
            raise ValueError(
                "datointervallet er længere end 120 dage; en række opfølgninger bruger 'follow_up'"
            )
        if not any(p.person for p in self.participants if p.required):
            raise ValueError("mindst én påkrævet deltager skal være fra staff (et person-id)")
        return self

    @field_validator("id")
    @classmethod
    def _id_without_cpr(cls, value: str) -> str:
        """The id becomes the uids of the invitations: a CPR number (sag-0101901234) may not."""
        if find_cpr(value) is not None:
            raise ValueError(f"{CPR_LOOKS_DA}; brug et sagsnummer eller en anden betegnelse uden CPR-nummer")
        return value

    @field_validator("weekdays")
    @classmethod
    def _some_weekday(cls, value: list[Weekday]) -> list[Weekday]:
        if not value:
            raise ValueError("mindst én ugedag skal være tilladt")
        return value

    @property
    def series_id(self) -> str:
        return f"{self.kind}-{self.id}"

    @property
    def calendars(self) -> tuple[str, ...]:
        """The closed-day calendars the booked meetings keep, as a series' (`kept_calendars`)."""
        return kept_calendars(self.observes, self.observe_school_holidays)


class RequestError(ValueError):
    """A request that cannot be used: every problem, each with its place in the request."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def check_request(config: MunicipalityConfig, request: SlotRequest) -> list[str]:
    """Cross-references against the config, as 'path: message' (like the config's own errors)."""
    problems = []
    index = index_of(config)
    staff = list(index.people)
    for i, participant in enumerate(request.participants):
        if participant.person is not None and participant.person not in staff:
            problems.append(f"participants[{i}].person: {_unknown('person', participant.person, staff)}")
    people = [p.person for p in request.participants if p.person]
    for person, n in Counter(people).items():
        if n > 1:
            problems.append(f"participants: '{person}' står der {n} gange")
    site = index.sites.get(request.site)
    if site is None:
        problems.append(f"site: {_unknown('site', request.site, index.sites)}")
    else:
        rooms = [r.id for r in site.room_list]
        for where, room in [("room", request.room)] + [
            (f"preferred_rooms[{j}]", r) for j, r in enumerate(request.preferred_rooms)
        ]:
            if room is not None and room not in rooms:
                problems.append(f"{where}: {_unknown(f'lokale på mødestedet {site.id}', room, rooms)}")
    if request.related_series is not None and request.related_series not in index.series:
        problems.append(f"related_series: {_unknown('series', request.related_series, index.series)}")
    known = [*BUILT_IN_CALENDARS, *config.closed_calendars]
    for j, name in enumerate(request.observes or []):
        if name not in known:
            problems.append(f"observes[{j}]: ukendt lukkedagskalender '{name}'; kendte: {', '.join(known)}")
    units = list(index.units)
    if request.unit is not None and request.unit not in units:
        problems.append(f"unit: {_unknown('unit', request.unit, units)}")
    return problems


def parse_request(raw: Any, config: MunicipalityConfig) -> SlotRequest:
    """A validated request, or RequestError listing every problem with its field."""
    if not isinstance(raw, dict):
        raise RequestError(["(øverst): forespørgslen skal være et afsnit med nøgler som 'participants'"])
    try:
        request = SlotRequest.model_validate(raw)
    except ValidationError as exc:
        raise RequestError(messages_da(exc, data=raw)) from None
    problems = check_request(config, request)
    if problems:
        raise RequestError(problems)
    return request


def load_request(path: str | Path, config: MunicipalityConfig) -> SlotRequest:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RequestError([f"{path}: no such file"]) from None
    except yaml.YAMLError as exc:
        raise RequestError([f"(top): not valid YAML: {exc}"]) from None
    return parse_request(raw, config)


# --------------------------------------------------------------------------- the answer


class SlotMeeting(BaseModel):
    start: datetime
    end: datetime
    room: str | None
    attendees: list[str] = Field(description="staff who come (required, and optional who can)")
    optional_missing: list[str] = Field(default_factory=list)
    notes_da: list[str] = Field(
        default_factory=list,
        description="what the day means, in Danish: a follow-up moved out of a holiday, a day in a school "
        "holiday the request does not keep, or a day beyond the terms whose holidays are known",
    )


class Slot(BaseModel):
    rank: int
    cost: int = Field(description="weighted sum of the soft costs; lower is better")
    breakdown: dict[str, int] = Field(description="soft rule -> count (before weights)")
    meetings: list[SlotMeeting] = Field(description="one, or the whole follow-up series")


class SlotResult(BaseModel):
    request: str
    candidates: int = Field(description="times examined for the first meeting")
    slots: list[Slot] = Field(default_factory=list)
    explanation: list[str] = Field(default_factory=list, description="why there is no time, in Danish")
