"""Find and book times for meetings that do not recur by cadence: Familiemøder and case follow-ups.

The published plan is fixed; a request names the people, the site, the length and a date range,
and the finder returns the best few times, ranked by the plan's own rules. It enumerates: a
request has at most a few hundred candidate times, each checked in microseconds, so a solver
would add start-up time and nothing else. Hard: closed days, working hours, absences, fixed
commitments, the planned meetings of every required person (with travel time between sites),
weekly ceilings, and a free room big enough (not one a commitment takes). Soft, with the config's
weights: optional people who cannot come, travel, load on the day, a person's day over the soft
daily cap, preferred weekdays, starts and rooms (a request's own, else those of the series it
follows up), and for a follow-up series the same weekday and time each time; sooner is better.
With no time at all, the answer says in Danish who or what blocks, and how often.

`book` adds the chosen meetings to a copy of the plan as one-off meetings (stable uids,
`series` like `familiemoede-<id>`) and re-checks the whole plan with the verifier.

Whether a person is free is `scheduler.availability`'s answer, as in the planner (with the trip
to and from a commitment held at another site); the request
and the answer's shapes live in `scheduler.slot_request` and are importable from here too.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler.availability import Venue, commitment_room_uses, not_free_da
from scheduler.danish import clock_da, join_da, numeric_date_da, weekday_da
from scheduler.index import index_of
from scheduler.model import (
    SKOLEFERIE,
    Attendee,
    Guest,
    Meeting,
    MunicipalityConfig,
    Person,
    Plan,
    Room,
    Term,
    Weekday,
)
from scheduler.rules import rule_by_name
from scheduler.slot_request import (
    KIND_TITLE_DA,
    FollowUp,
    Participant,
    RequestError,
    Slot,
    SlotMeeting,
    SlotRequest,
    SlotResult,
    check_request,
    load_request,
    parse_request,
)
from scheduler.term_dates import TZ, beyond_terms, closed_reason, local_datetime

__all__ = [
    "KIND_TITLE_DA",
    "BookingError",
    "FollowUp",
    "Participant",
    "RequestError",
    "Slot",
    "SlotMeeting",
    "SlotRequest",
    "SlotResult",
    "book",
    "booked_uid",
    "check_request",
    "find_and_book",
    "find_slots",
    "format_slots_da",
    "load_request",
    "parse_request",
]

SOONEST_WEIGHT = 1
"""the finder's own soft cost: a later slot costs this much more per day (no rule of the planner's)"""

PLANNER_RULES = (
    "preferred_attendees",
    "travel",
    "preferred_weekdays",
    "preferred_room",
    "regularity",
    "preferred_start",
    "max_meetings_per_day",
)
"""Soft costs the finder shares with the planner's rules, at the rule's own default weight unless
the config's `weights` name it; "load" is `fair_load`'s."""

RULE_DA = {
    "preferred_attendees": "valgfri deltagere, der ikke kan",
    "travel": "transport (påbegyndte 10 min.)",
    "load": "andre møder samme dag",
    "preferred_weekdays": "ikke en foretrukken ugedag",
    "preferred_room": "ikke et foretrukket lokale",
    "regularity": "møder uden for det faste mønster",
    "soonest": "hverdage efter første mulige dato",
    "preferred_start": "ikke et foretrukket starttidspunkt",
    "max_meetings_per_day": "deltagere over loftet for møder om dagen",
}


# --------------------------------------------------------------------------- the finder


@dataclass(frozen=True)
class _Busy:
    start: int
    end: int
    site: str
    title: str


@dataclass
class _Choice:
    day: date
    start: int
    room: str | None
    coming: list[str]
    missing: list[str]
    costs: Counter[str]
    notes: list[str] = dataclasses.field(default_factory=list)


def _at_da(value: datetime) -> str:
    """'tirsdag 9/3 2027 kl. 13:30', local time."""
    return f"{numeric_date_da(value.astimezone(TZ).date())} kl. {clock_da(value)}"


class _Finder:
    def __init__(self, config: MunicipalityConfig, plan: Plan, request: SlotRequest, term: Term):
        self.config = config
        self.plan = plan
        self.request = request
        self.term = term
        """the plan's term: it sets the phase of commitments every N weeks without a first date"""
        self.index = index_of(config)
        self.staff: dict[str, Person] = self.index.people
        self.site = self.index.sites[request.site]
        self.weights = {
            name: config.weights.get(name, rule_by_name(name).default_weight) for name in PLANNER_RULES
        }
        self.weights["load"] = config.weights.get("fair_load", rule_by_name("fair_load").default_weight)
        self.weights["soonest"] = SOONEST_WEIGHT
        self.busy: dict[tuple[str, date], list[_Busy]] = defaultdict(list)
        self.week_count: Counter[tuple[str, int, int]] = Counter()
        self.room_busy: dict[date, list[tuple[int, int, str | None]]] = defaultdict(list)
        for meeting in plan.meetings:
            start, end = meeting.start.astimezone(TZ), meeting.end.astimezone(TZ)
            day = start.date()
            span = _Busy(
                start.hour * 60 + start.minute, end.hour * 60 + end.minute, meeting.site, meeting.title
            )
            for attendee in meeting.attendees:
                joins, leaves = (moment.astimezone(TZ) for moment in meeting.span_of(attendee))
                part = _Busy(
                    joins.hour * 60 + joins.minute, leaves.hour * 60 + leaves.minute, span.site, span.title
                )
                self.busy[(attendee.person, day)].append(part)  # a partial seat: only its part
                iso = day.isocalendar()
                self.week_count[(attendee.person, iso.year, iso.week)] += 1
            if meeting.site == request.site:
                self.room_busy[day].append((span.start, span.end, meeting.room))
        self._committed_days: set[date] = set()
        self.venue = Venue(request.site, self.index)
        related = self.index.series.get(request.related_series or "")
        self.preferred_starts = set(request.preferred_starts or (related.preferred_starts if related else []))
        self.preferred_weekdays = request.preferred_weekdays or (
            related.preferred_weekdays if related else []
        )
        self.required = [p.person for p in request.participants if p.person and p.required]
        self.optional = [p.person for p in request.participants if p.person and not p.required]
        self.headcount = len(request.participants)
        self.rooms = [
            r
            for r in self.site.room_list
            if (request.room is None or r.id == request.room)
            and (r.capacity is None or r.capacity >= self.headcount)
        ]
        self.reasons: Counter[str] = Counter()
        self.examined = 0

    def travel_minutes(self, a: str, b: str) -> int:
        return self.index.travel_minutes(a, b)

    # ------------------------------------------------------------------ hard checks

    def person_blocks(self, pid: str, day: date, start: int, end: int, extra: int = 0) -> str | None:
        """Why the person cannot come, in Danish, or None."""
        person = self.staff[pid]
        away = not_free_da(person, day, start, end, self.term.start, self.venue)
        if away is not None:
            return away
        for busy in self.busy.get((pid, day), []):
            travel = self.travel_minutes(busy.site, self.request.site)
            if start < busy.end + travel and busy.start < end + travel:
                return f"{person.name} er optaget af {busy.title} {numeric_date_da(day)}"
        if person.max_meetings_per_week is not None:
            iso = day.isocalendar()
            if self.week_count[(pid, iso.year, iso.week)] + extra >= person.max_meetings_per_week:
                return f"{person.name} har allerede {person.max_meetings_per_week} møder i uge {iso.week}"
        return None

    def rooms_taken(self, day: date) -> list[tuple[int, int, str | None]]:
        """(start, end, room) of the site's planned meetings that day and of the commitments held
        in its rooms (added the first time the day is asked about)."""
        if day not in self._committed_days:
            self._committed_days.add(day)
            uses = commitment_room_uses(self.config, day, day, self.term.start)
            for (site, room), spans in uses.items():
                if site == self.request.site:
                    self.room_busy[day] += [(start, end, room) for _, start, end, _ in spans]
        return self.room_busy.get(day, [])

    def free_room(self, day: date, start: int, end: int) -> tuple[Room | None, str | None]:
        if not self.rooms:
            return None, f"intet lokale på {self.site.name} har plads til {self.headcount}"
        overlapping = [(s, e, r) for s, e, r in self.rooms_taken(day) if start < e and s < end]
        named = {r for _, _, r in overlapping if r is not None}
        anonymous = sum(1 for _, _, r in overlapping if r is None)
        free = [r for r in self.rooms if r.id not in named]
        if len(free) <= anonymous:
            return None, f"intet ledigt lokale på {self.site.name} {_at_da(local_datetime(day, start))}"
        preferred = [r for r in free if r.id in self.request.preferred_rooms]
        pool = preferred or free
        return min(pool, key=lambda r: (r.capacity is None, r.capacity or 0)), None

    def evaluate(self, day: date, start: int, extra: int = 0) -> tuple[_Choice | None, list[str]]:
        """The choice at (day, start) with its soft costs, or the Danish reasons it is impossible."""
        request = self.request
        end = start + request.duration_minutes
        closed = closed_reason(self.config, day, request.calendars)
        if closed is not None:
            return None, [f"{numeric_date_da(day)} er lukket: {closed}"]
        reasons = [r for pid in self.required if (r := self.person_blocks(pid, day, start, end, extra))]
        room, why = self.free_room(day, start, end)
        if why:
            reasons.append(why)
        if reasons:
            return None, reasons
        costs: Counter[str] = Counter()
        coming = list(self.required)
        missing = []
        for pid in self.optional:
            if self.person_blocks(pid, day, start, end, extra) is None:
                coming.append(pid)
            else:
                missing.append(pid)
                costs["preferred_attendees"] += 1
        for pid in coming:
            others = self.busy.get((pid, day), [])
            costs["load"] += len(others)
            trips = [self.travel_minutes(b.site, request.site) for b in others if b.site != request.site]
            if trips:
                costs["travel"] += -(-min(trips) // 10)
        for pid in coming:
            cap = self.index.daily_cap(pid)
            if cap is not None and len(self.busy.get((pid, day), [])) + 1 > cap:
                costs["max_meetings_per_day"] += 1
        if self.preferred_weekdays and Weekday.of(day) not in self.preferred_weekdays:
            costs["preferred_weekdays"] += 1
        if self.preferred_starts and start not in self.preferred_starts:
            costs["preferred_start"] += 1
        if request.preferred_rooms and (room is None or room.id not in request.preferred_rooms):
            costs["preferred_room"] += 1
        return _Choice(day, start, room.id if room else None, coming, missing, costs, self.day_notes(day)), []

    def day_notes(self, day: date) -> list[str]:
        """What a leader should know about a day the finder may use: it lies in a school holiday
        the request does not keep, or beyond the terms, where no school holiday is known."""
        if SKOLEFERIE not in self.request.calendars:
            holiday = closed_reason(self.config, day, [SKOLEFERIE])
            if holiday is not None and holiday != "weekend":
                return [f"{numeric_date_da(day)} ligger i {holiday}; forespørgslen holder ikke skoleferie"]
            return []
        beyond = beyond_terms(self.config, day)
        if beyond is not None:
            return [
                f"{numeric_date_da(day)} ligger {beyond}; skoleferierne så langt ude kendes ikke, "
                "så tjek datoen"
            ]
        return []

    # ------------------------------------------------------------------ candidates

    def starts(self) -> list[int]:
        window = self.request.window
        return self.index.grid(window.start, window.end, self.request.duration_minutes)

    def days(self, first: date, last: date) -> list[date]:
        out, day = [], first
        while day <= last:
            if Weekday.of(day) in self.request.weekdays:
                out.append(day)
            day += timedelta(days=1)
        return out

    def working_days_between(self, a: date, b: date) -> int:
        return sum(1 for i in range((b - a).days) if (a + timedelta(days=i)).weekday() < 5)

    def series_dates(self, first: date) -> list[date]:
        follow = self.request.follow_up
        if follow is None:
            return [first]
        step = timedelta(weeks=follow.every_weeks)
        out = [first]
        while True:
            nxt = out[-1] + step
            if (follow.count is not None and len(out) >= follow.count) or (
                follow.until is not None and nxt > follow.until
            ):
                return out
            out.append(nxt)

    def place_later(self, target: date, start: int, taken: int) -> tuple[_Choice | None, list[str]]:
        """A later meeting of a series: the same weekday and time if possible, else the best time
        in that week, else in the week after (a holiday week), each costing regularity. A longer
        holiday (the summer between two terms) is waited out: the first open week after it, as
        long as that is before the next meeting is due."""
        choice, reasons = self.evaluate(target, start, taken)
        if choice is not None:
            return choice, []
        monday = target - timedelta(days=target.weekday())
        every = self.request.follow_up.every_weeks if self.request.follow_up else 1
        for k in range(max(2, every)):
            week = monday + timedelta(weeks=k)
            if k >= 2 and not self.closed_week(week - timedelta(weeks=1)):
                break  # only a holiday is waited out; a busy week is no reason to drift further
            best: _Choice | None = None
            for day in self.days(week, week + timedelta(days=4)):
                for s in self.starts():
                    alt, _ = self.evaluate(day, s, taken)
                    if alt is not None and (best is None or self.cost(alt.costs) < self.cost(best.costs)):
                        best = alt
            if best is not None:
                best.costs["regularity"] += 1
                closed = closed_reason(self.config, target, self.request.calendars)
                why = (
                    f"er lukket ({closed})"
                    if closed is not None
                    else f"kl. {clock_da(local_datetime(target, start))} kan ikke bruges ({reasons[0]})"
                )
                moved_to = _at_da(local_datetime(best.day, best.start))
                best.notes.insert(0, f"{numeric_date_da(target)} {why}; mødet er flyttet til {moved_to}")
                return best, []
        return None, reasons

    def closed_week(self, monday: date) -> bool:
        """Whether every day the request may use in this week is closed (a holiday week)."""
        days = self.days(monday, monday + timedelta(days=6))
        return all(closed_reason(self.config, d, self.request.calendars) is not None for d in days)

    def cost(self, costs: Counter[str]) -> int:
        return sum(self.weights[k] * v for k, v in costs.items())

    def find(self, top: int) -> SlotResult:
        request = self.request
        found: list[tuple[int, list[_Choice], Counter[str]]] = []
        per_day: Counter[date] = Counter()
        for day in self.days(request.earliest, request.latest):
            for start in self.starts():
                self.examined += 1
                first, reasons = self.evaluate(day, start)
                if first is None:
                    self.reasons.update(reasons)
                    continue
                first.costs["soonest"] += self.working_days_between(request.earliest, day)
                choices, total = [first], Counter(first.costs)
                for k, target in enumerate(self.series_dates(day)[1:], start=1):
                    later, why = self.place_later(target, start, 0)
                    if later is None:
                        self.reasons.update(f"møde nr. {k + 1} ({numeric_date_da(target)}): {r}" for r in why)
                        break
                    choices.append(later)
                    total.update(later.costs)
                else:
                    found.append((self.cost(total), choices, total))
        found.sort(key=lambda f: (f[0], f[1][0].day, f[1][0].start))
        slots: list[Slot] = []
        for cost, choices, total in found:
            day = choices[0].day
            if per_day[day] >= 2:
                continue  # offer different days rather than five half-hours of one morning
            per_day[day] += 1
            slots.append(
                Slot(
                    rank=len(slots) + 1,
                    cost=cost,
                    breakdown={k: v for k, v in sorted(total.items()) if v},
                    meetings=[self.slot_meeting(c) for c in choices],
                )
            )
            if len(slots) >= top:
                break
        result = SlotResult(request=request.id, candidates=self.examined, slots=slots)
        if not slots:
            result.explanation = self.explain()
        return result

    def slot_meeting(self, choice: _Choice) -> SlotMeeting:
        return SlotMeeting(
            start=local_datetime(choice.day, choice.start),
            end=local_datetime(choice.day, choice.start + self.request.duration_minutes),
            room=choice.room,
            attendees=choice.coming,
            optional_missing=choice.missing,
            notes_da=choice.notes,
        )

    def explain(self) -> list[str]:
        request = self.request
        title = KIND_TITLE_DA[request.kind]
        lines = [
            f"Der er ingen ledig tid til {title} mellem {request.earliest.isoformat()} og "
            f"{request.latest.isoformat()} ({self.examined} mulige tidspunkter undersøgt)."
        ]
        if self.examined == 0:
            days = ", ".join(weekday_da(d) for d in request.weekdays)
            lines.append(f"Perioden har ingen {days} med et tidsrum på {request.duration_minutes} minutter.")
            return lines
        closures = [r for r in self.reasons if " er lukket: " in r]
        if closures and len(closures) == len(self.reasons):
            names = sorted({r.split(" er lukket: ", 1)[1] for r in closures})
            lines.append(
                f"Alle dage i perioden er lukket ({join_da(names)}); vælg datoer uden for ferien, eller "
                "sig i forespørgslen, at mødet ikke holder ferien (observes)."
            )
        by_person: Counter[str] = Counter()
        for reason, n in self.reasons.items():
            for pid in self.required:
                if reason.startswith(self.staff[pid].name + " ") or f": {self.staff[pid].name} " in reason:
                    by_person[pid] += n
        for pid, n in by_person.most_common():
            if n >= self.examined:
                lines.append(f"{self.staff[pid].name} kan ikke på noget af de mulige tidspunkter.")
        for reason, n in self.reasons.most_common(8):
            lines.append(f"- {reason} ({n} af {self.examined} tidspunkter)")
        return lines


def find_slots(config: MunicipalityConfig, plan: Plan, request: SlotRequest, top: int = 5) -> SlotResult:
    """The best `top` times for the request around the plan's meetings, or why there is none."""
    problems = check_request(config, request)
    term = index_of(config).terms.get(plan.term)
    if term is None:
        problems.append(f"plan: the plan is for term '{plan.term}', which the config does not define")
    if problems:
        raise RequestError(problems)
    assert term is not None
    return _Finder(config, plan, request, term).find(top)


# --------------------------------------------------------------------------- booking


class BookingError(Exception):
    """The slot cannot be booked into this plan (already booked, or it would break a rule)."""


def booked_uid(request: SlotRequest, index: int) -> str:
    """Stable per request and meeting number, so a re-sent invitation updates the same event."""
    return f"{request.series_id}.{index}@moedeplan"


def booking_unit_for(config: MunicipalityConfig, request: SlotRequest) -> str:
    """The unit a booked slot belongs to: the request's, else the first unit at its site (the
    finder and the booking service ask this one place)."""
    if request.unit:
        return request.unit
    return next((u.id for u in config.units if request.site in u.sites), config.units[0].id)


def book(config: MunicipalityConfig, plan: Plan, request: SlotRequest, slot: Slot) -> Plan:
    """A new plan with the slot's meeting(s) added as one-off meetings, verified like any plan."""
    from scheduler.verify import format_violations, verify_plan

    existing = {m.uid for m in plan.meetings}
    staff = index_of(config).people
    guests = [Guest(name=p.name, email=p.email) for p in request.participants if p.name is not None]
    required = [p.person for p in request.participants if p.person and p.required]
    added: list[Meeting] = []
    for index, sm in enumerate(slot.meetings):
        uid = booked_uid(request, index)
        if uid in existing:
            raise BookingError(f"{KIND_TITLE_DA[request.kind]} '{request.id}' er allerede booket ({uid})")
        attendees = []
        for pid in sm.attendees:
            is_required = pid in required
            seat = f"required_people[{required.index(pid)}]" if is_required else "optional"
            attendees.append(Attendee(person=pid, role=staff[pid].roles[0], required=is_required, seat=seat))
        added.append(
            Meeting(
                uid=uid,
                series=request.series_id,
                occurrence=index,
                title=KIND_TITLE_DA[request.kind],
                unit=booking_unit_for(config, request),
                site=request.site,
                start=sm.start,
                end=sm.end,
                attendees=attendees,
                room=sm.room,
                one_off=True,
                guests=guests,
                locked=True,
            )
        )
    new = plan.model_copy(deep=True)
    new.meetings = sorted([*new.meetings, *added], key=lambda m: (m.start, m.uid))
    before = {v.message for v in verify_plan(config, plan)}
    broken = [v for v in verify_plan(config, new) if v.message not in before]
    if broken:
        raise BookingError("tiden kan ikke bookes:\n" + format_violations(broken))
    return new


def find_and_book(
    config: MunicipalityConfig, plan: Plan, request: SlotRequest, rank: int, top: int = 5
) -> tuple[Plan, Slot]:
    """Book the slot with this rank (1 = best) of a fresh search; BookingError if there is none."""
    result = find_slots(config, plan, request, top=max(top, rank))
    if not result.slots:
        raise BookingError("\n".join(result.explanation))
    if not 1 <= rank <= len(result.slots):
        raise BookingError(f"der er kun {len(result.slots)} forslag; vælg 1-{len(result.slots)}")
    slot = result.slots[rank - 1]
    return book(config, plan, request, slot), slot


def format_slots_da(config: MunicipalityConfig, request: SlotRequest, result: SlotResult) -> str:
    """The ranked slots as a Danish text for the command line."""
    if not result.slots:
        return "\n".join(result.explanation)
    index = index_of(config)
    title = KIND_TITLE_DA[request.kind]
    lines = [
        f"{title} '{request.id}': {len(result.slots)} forslag ({result.candidates} tidspunkter undersøgt)"
    ]
    for slot in result.slots:
        first = slot.meetings[0]
        when = f"{_at_da(first.start)}-{clock_da(first.end)}"
        room = f", {first.room}" if first.room else ""
        more = f" + {len(slot.meetings) - 1} opfølgninger" if len(slot.meetings) > 1 else ""
        lines.append(f"{slot.rank}. {when}{room}{more} (omkostning {slot.cost})")
        for key, n in slot.breakdown.items():
            lines.append(f"     {RULE_DA.get(key, key)}: {n}")
        missing = [index.person_name(p) for m in slot.meetings for p in m.optional_missing]
        if missing:
            lines.append(f"     kan ikke komme: {', '.join(sorted(set(missing)))}")
        lines += [f"     ! {note}" for note in first.notes_da]
        for m in slot.meetings[1:]:
            lines.append(f"     - {_at_da(m.start)}")
            lines += [f"       ! {note}" for note in m.notes_da]
    return "\n".join(lines)
