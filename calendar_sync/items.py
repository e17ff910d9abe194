"""The desired calendar state of a plan: calendar items, each what one UID means in a calendar.

A regular series becomes one recurring item (RRULE, EXDATE for skipped dates, RECURRENCE-ID
overrides for moved meetings) so people get one invitation per series, not one per meeting;
meetings that do not fit the series' rhythm or its usual attendees become single items with the
meeting's own uid. Items are plain data: the sync engine compares their fingerprints with what
each calendar already has, and back-ends render them with `calendar_sync.itip.render`.

A recurring item's rhythm is a `Recurrence` (calendar_sync.recurrence), made here; `rule_starts`
and `instances` are the one expansion of an item into its instances, for every back-end.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from calendar_sync import texts
from calendar_sync.recurrence import Recurrence
from scheduler.index import index_of
from scheduler.model import (
    Attendee,
    CadenceKind,
    Meeting,
    MunicipalityConfig,
    Person,
    Plan,
    Series,
    Site,
    Term,
)
from scheduler.roles import KNOWN_ROLES
from scheduler.term_dates import TZ, Pattern, closed_days_for, local_shape, meeting_patterns, series_periods

Method = Literal["PUBLISH", "REQUEST", "CANCEL"]

Reason = Literal["new", "moved", "removed", "cancelled", "changed"]
"""Why one person gets one message: a meeting new to them, one moved (time or place), one they no
longer attend though it still takes place, one that is gone, or anything else that changed (also
a meeting that now reaches them in another item). `calendar_sync.sync.reason_for` decides it."""


@dataclass(frozen=True)
class ItemAttendee:
    person: str
    name: str
    email: str | None
    required: bool
    role_label: str
    attends: bool = True
    """False for a convener who calls the meeting without a seat in it (ROLE=NON-PARTICIPANT)"""


@dataclass(frozen=True)
class Override:
    """One instance of a recurring item that differs from the rule: moved, or other attendees."""

    recurrence_id: datetime
    """the instance's start as the RRULE would have it (aware, Europe/Copenhagen)"""
    start: datetime
    end: datetime
    location: str
    meeting_uid: str
    attendees: tuple[ItemAttendee, ...] | None = None
    """who comes to this instance when it is not the item's usual group (an optional attendee
    who can come this time, or cannot); None means the item's attendees"""
    description: str | None = None
    """the instance's own description when its attendees differ; None means the item's"""


@dataclass(frozen=True)
class CalendarItem:
    uid: str
    """calendar UID: the series' for a recurring item, the meeting's for a single one"""
    series: str
    unit: str
    title: str
    location: str
    description: str
    start: datetime
    """first instance (aware, Europe/Copenhagen); DTSTART of the master"""
    end: datetime
    organizer: ItemAttendee | None
    attendees: tuple[ItemAttendee, ...]
    meeting_uids: tuple[str, ...]
    """every plan meeting this item covers, in time order"""
    rrule: Recurrence | None = None
    """the rule of a recurring item (e.g. every 2nd week on Tuesday, UNTIL in UTC); None for a single event"""
    exdates: tuple[datetime, ...] = ()
    overrides: tuple[Override, ...] = field(default=())
    instances_only: bool = False
    """a recipient's view holding only some overrides (they come to those instances only): the
    master is not rendered, as RFC 5546 allows for an attendee invited to single instances"""
    guests: tuple[str, ...] = ()
    """labels of the people from outside the staff list (a one-off meeting's family): shown in
    the invite as 'familien (gæst)', never invited or addressed (their e-mail stays out). A BAL
    team's address is the exception: it is also an attendee ('team:<id>', `team_attendees`)"""
    reason: Reason | None = None
    """why the message carrying this item is sent, set by the sync engine per delivery: a cancel
    because "removed" is an uninvitation (the meeting still takes place), not a cancellation.
    Not content: the fingerprint leaves it out, and None means the action's plain meaning"""

    @property
    def core(self) -> tuple[str, ...]:
        """Person ids who hold the whole series: the organizer and the item's attendees."""
        ids = [a.person for a in self.attendees]
        if self.organizer and self.organizer.person not in ids:
            ids.insert(0, self.organizer.person)
        return tuple(ids)

    @property
    def recipients(self) -> tuple[str, ...]:
        """Person ids who hold this item, or some instances of it, in their calendar."""
        ids = list(self.core)
        for override in self.overrides:
            for attendee in override.attendees or ():
                if attendee.person not in ids:
                    ids.append(attendee.person)
        return tuple(ids)


def view_for(item: CalendarItem, person: str) -> CalendarItem | None:
    """The item as `person`'s calendar should hold it: exactly the instances they come to.

    A core member loses the instances whose own attendee list leaves them out (EXDATE there);
    someone who comes only to some instances gets just those overrides (`instances_only`).
    """
    if not item.overrides or all(o.attendees is None for o in item.overrides):
        return item if person in item.recipients else None

    def comes(override: Override) -> bool:
        if item.organizer is not None and item.organizer.person == person:
            return True
        attendees = item.attendees if override.attendees is None else override.attendees
        return any(a.person == person for a in attendees)

    if person in item.core:
        missed = [o for o in item.overrides if not comes(o)]
        if not missed:
            return item
        return replace(
            item,
            exdates=tuple(sorted({*item.exdates, *(o.recurrence_id for o in missed)})),
            overrides=tuple(o for o in item.overrides if comes(o)),
        )
    mine = tuple(o for o in item.overrides if comes(o))
    if not mine:
        return None
    return replace(item, overrides=mine, instances_only=True)


def meetings_of(item: CalendarItem, person: str) -> frozenset[str]:
    """The plan meetings `person` comes to through this item (their `view_for`)."""
    view = view_for(item, person)
    if view is None:
        return frozenset()
    if view.instances_only:
        return frozenset(o.meeting_uid for o in view.overrides)
    kept = {o.meeting_uid for o in view.overrides}
    missed = {o.meeting_uid for o in item.overrides if o.meeting_uid not in kept}
    return frozenset(item.meeting_uids) - missed


def notice(item: CalendarItem) -> str | None:
    """What a cancel says instead of "the meeting is cancelled" when it is not: the person was
    taken off it ("removed"), or its meetings reach them in another item ("changed"); None for
    a real cancellation. Days are those of the instances the item (a person's view) holds."""
    if item.reason == "removed":
        days = sorted({i.start.astimezone(TZ).date() for i in instances(item)})
        return texts.no_longer_attending(item.title, days)
    if item.reason == "changed":
        return texts.STILL_HELD
    return None


# --------------------------------------------------------------------------- from a plan

SERIES_UID = "{series}.{term}.serie@moedeplan"
"""UID of a series' recurring item: the same in every plan version of the term."""

REGULAR_SHARE = 0.75
"""A series is one recurring item when at least this share of its meetings fit the rule."""

KEEP_SHARE = 0.5
"""A series already delivered as one recurring item stays one while at least this share of its
meetings fit (hysteresis): a move that leaves it a little less regular is one RECURRENCE-ID
override, sent to that meeting's people, instead of the whole series re-sent as single events."""


def delivered_series(uids: Iterable[str], term: str) -> frozenset[str]:
    """The series whose recurring item is among `uids` (what a ledger holds, live, for `term`)."""
    suffix = SERIES_UID.format(series="", term=term)
    return frozenset(uid[: -len(suffix)] for uid in uids if uid.endswith(suffix) and len(uid) > len(suffix))


@dataclass(frozen=True)
class _Draft:
    """A meeting as an invite shows it, before it is placed in an item."""

    meeting: Meeting
    start: datetime
    end: datetime
    title: str
    location: str
    description: str
    organizer: ItemAttendee | None
    attendees: tuple[ItemAttendee, ...]

    @property
    def key(self) -> tuple[object, ...]:
        """What must be equal for two meetings to be instances of one item.

        The attendee set (person, required), refined by everything else the master VEVENT
        carries for all its instances alike (title, organizer, names and addresses, the
        description with its seats), so no instance ever shows another meeting's text.
        """
        return (
            self.title,
            self.organizer,
            frozenset(self.attendees),
            self.description,
        )

    @property
    def core_key(self) -> tuple[object, ...]:
        """What must be equal for two meetings to be instances of one recurring item at all: the
        required people (and title, organizer). Optional attendees may vary per instance."""
        return (self.title, self.organizer, frozenset(a for a in self.attendees if a.required))

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def single(self) -> CalendarItem:
        return CalendarItem(
            uid=self.meeting.uid,
            series=self.meeting.series,
            unit=self.meeting.unit,
            title=self.title,
            location=self.location,
            description=self.description,
            start=self.start,
            end=self.end,
            organizer=self.organizer,
            attendees=self.attendees,
            meeting_uids=(self.meeting.uid,),
            guests=tuple(guest.name for guest in self.meeting.guests),
        )


def _draft(
    meeting: Meeting,
    people: dict[str, Person],
    sites: dict[str, Site],
    role_labels: dict[str, str],
    convener_id: str | None = None,
) -> _Draft:
    """The meeting as an invite shows it. The organiser is the series' convener when it has one
    (they call the meeting, seated or not; seated, they are one attendee), else the chair."""
    if meeting.site not in sites:
        raise ValueError(f"meeting {meeting.uid}: unknown site '{meeting.site}'")
    chosen = texts.people_of(meeting, people)  # checks every person first

    def item_attendee(attendee: Attendee, person: Person) -> ItemAttendee:
        return ItemAttendee(
            person=person.id,
            name=person.name,
            email=person.email,
            required=attendee.required,
            role_label=role_labels.get(attendee.role, attendee.role),
        )

    chair = next((a.person for a in meeting.attendees if a.seat == "chair"), None)
    convener = people.get(convener_id) if convener_id is not None else None
    if convener is not None:
        chair = convener.id
    organizer = next((item_attendee(a, p) for a, p in chosen if p.id == chair), None)
    if organizer is None and convener is not None:  # calls the meeting without attending it
        role = convener.roles[0]
        label = role_labels.get(role, role)
        organizer = ItemAttendee(convener.id, convener.name, convener.email, True, label, attends=False)
    return _Draft(
        meeting=meeting,
        start=texts.local(meeting.start, meeting.uid),
        end=texts.local(meeting.end, meeting.uid),
        title=meeting.title,
        location=texts.location(sites[meeting.site], meeting.room),
        description=texts.description(meeting, people, role_labels, convener),
        organizer=organizer,
        attendees=(
            *(item_attendee(a, p) for a, p in chosen if p.id != chair),
            *team_attendees(meeting),
        ),
    )


TEAM_RECIPIENT = "team:"
"""The prefix of a BAL team's recipient id ('team:<team id>'): a team address, never staff."""


def team_attendees(meeting: Meeting) -> tuple[ItemAttendee, ...]:
    """A BAL meeting's team guests with an address, as optional attendees that get the invitation
    ('team:<id>', labelled as a guest); a family's guest label is never addressed."""
    return tuple(
        ItemAttendee(
            person=f"{TEAM_RECIPIENT}{guest.team}",
            name=guest.name,
            email=guest.email,
            required=False,
            role_label=texts.GUEST,
        )
        for guest in meeting.guests
        if guest.team is not None and guest.email is not None
    )


def items_from_plan(
    config: MunicipalityConfig, plan: Plan, recurring: Collection[str] = ()
) -> list[CalendarItem]:
    """The calendar items of a plan, in time order: one recurring item per regular series.

    A series is "regular enough" when it has at least two meetings and at least 75 % of them
    share both its most common pattern (phase in period, weekday, start — as the regularity
    rule counts it) and its most common attendees; for a series in `recurring` (delivered as a
    recurring item already: `delivered_series` of the ledger) 50 % keeps it one, so the
    representation of what people already have does not flip on one move. Its rule (RRULE
    bounded by UNTIL) starts at the first meeting that lies on it; rule instances without a
    meeting are EXDATEs; a meeting of the usual attendees off its period's instance overrides
    that instance (RECURRENCE-ID);
    anything else — other attendees, a period whose instance is missing or taken, per-term
    series, series too irregular — is a single item with the meeting's own uid. Every meeting
    is in exactly one item. Unknown people or sites and naive times raise ValueError.

    Items are not privacy-checked here: whatever sends or publishes them does that, through
    `calendar_sync.privacy.PrivacyGuard` (the sync engine, the feeds).
    """
    index = index_of(config)
    term = index.terms.get(plan.term)
    if term is None:
        raise ValueError(f"the plan's term '{plan.term}' is not in the config")
    people = index.people
    sites = index.sites
    role_labels = {**KNOWN_ROLES, **config.extra_roles}
    series_by_id = index.series

    drafts_by_series: dict[str, list[_Draft]] = {}
    for meeting in plan.meetings:
        series = None if meeting.one_off else series_by_id.get(meeting.series)
        convener = series.convener if series is not None else None
        draft = _draft(meeting, people, sites, role_labels, convener)
        drafts_by_series.setdefault(meeting.series, []).append(draft)

    items: list[CalendarItem] = []
    for series_id, drafts in drafts_by_series.items():
        drafts.sort(key=lambda d: (d.start, d.meeting.uid))
        series = series_by_id.get(series_id)
        if series is None:
            items += [d.single() for d in drafts]
        else:
            share = KEEP_SHARE if series_id in recurring else REGULAR_SHARE
            items += _series_items(config, term, series, drafts, share)
    items.sort(key=lambda i: (i.start, i.uid))
    return items


def _rule_candidates(series: Series, pattern: Pattern) -> list[Recurrence]:
    """Rules (without UNTIL) for a series' usual pattern; the best-fitting one wins.

    Phase 3 of a monthly series means "the 4th or a 5th weekday of the month", so both the 4th
    and the last weekday are tried.
    """
    phase, weekday, _ = pattern
    kind = series.cadence.kind
    if kind == CadenceKind.daily:
        return [Recurrence("DAILY", weekdays=tuple(sorted({w.number for w in series.weekdays})))]
    if kind == CadenceKind.monthly:
        last = [Recurrence("MONTHLY", weekdays=(weekday,), nth=-1)] if phase == 3 else []
        return [Recurrence("MONTHLY", weekdays=(weekday,), nth=phase + 1), *last]
    interval = {CadenceKind.weekly: 1, CadenceKind.fortnightly: 2}.get(kind, series.cadence.n or 1)
    return [Recurrence("WEEKLY", weekdays=(weekday,), interval=interval)]


def _expand(rule: Recurrence, first: datetime, last_day: date) -> list[datetime]:
    """Instances of `rule` from `first` (which must be one) to the end of `last_day`, wall time."""
    return rule.starts(first, end=datetime.combine(last_day, time(23, 59), tzinfo=TZ))


def _series_items(
    config: MunicipalityConfig, term: Term, series: Series, drafts: list[_Draft], share: float = REGULAR_SHARE
) -> list[CalendarItem]:
    singles = [d.single() for d in drafts]
    if series.cadence.kind == CadenceKind.per_term or len(drafts) < 2:
        return singles
    patterns = meeting_patterns(config, term, series, [local_shape(d.meeting) for d in drafts])
    known = Counter(p for p in patterns if p is not None)
    if not known:
        return singles
    usual_pattern = known.most_common(1)[0][0]
    usual_core = Counter(d.core_key for d in drafts).most_common(1)[0][0]
    regular = [
        d for d, p in zip(drafts, patterns, strict=True) if p == usual_pattern and d.core_key == usual_core
    ]
    if len(regular) < share * len(drafts):
        return singles
    usual_key = Counter(d.key for d in regular).most_common(1)[0][0]

    # The rule: the candidate on which most regular meetings lie as they stand, anchored at the
    # first regular meeting with the usual place and length (an odd first one is better a single
    # than the master every other instance has to override).
    shape = Counter((d.location, d.duration) for d in regular).most_common(1)[0][0]
    anchors = [d for d in regular if (d.location, d.duration) == shape]
    usual = next(d for d in regular if d.key == usual_key)  # whose attendees the series carries
    best: tuple[int, Recurrence, _Draft, list[datetime]] | None = None
    for rule in _rule_candidates(series, usual_pattern):
        for anchor in anchors:
            instances = _expand(rule, anchor.start, term.end)
            if instances and instances[0] == anchor.start:
                on_rule = len(set(instances) & {d.start for d in anchors})
                if best is None or on_rule > best[0]:
                    best = (on_rule, rule, anchor, instances)
                break
    if best is None:
        return singles
    _, rule, anchor, instances = best

    periods = series_periods(series, term, closed_days_for(config, term, series))
    period_of_day = {
        period.start + timedelta(days=i): period.index
        for period in periods
        for i in range((period.end - period.start).days + 1)
    }
    instance_in_period = {period_of_day[i.date()]: i for i in instances if i.date() in period_of_day}
    instance_set = set(instances)

    def period_of(draft: _Draft) -> int | None:
        if 0 <= draft.meeting.occurrence < len(periods):
            return draft.meeting.occurrence
        return period_of_day.get(draft.start.date())

    taken: dict[datetime, _Draft] = {}
    members = [d for d in drafts if d.key == usual.key]
    for draft in members:  # first the meetings that are plain rule instances as they stand
        if (
            draft.start in instance_set
            and draft.start not in taken
            and draft.duration == anchor.duration
            and draft.location == anchor.location
        ):
            taken[draft.start] = draft
    plain = {id(d) for d in taken.values()}
    overrides: list[Override] = []
    alone: list[_Draft] = []
    for draft in drafts:
        if id(draft) in plain:
            continue
        period = period_of(draft) if draft.core_key == anchor.core_key else None
        instance = instance_in_period.get(period) if period is not None else None
        if instance is None or instance in taken:
            alone.append(draft)
            continue
        taken[instance] = draft
        own_people = draft.key != usual.key
        overrides.append(
            Override(
                recurrence_id=instance,
                start=draft.start,
                end=draft.end,
                location=draft.location,
                meeting_uid=draft.meeting.uid,
                attendees=draft.attendees if own_people else None,
                description=draft.description if own_people else None,
            )
        )
    if len(taken) < 2:
        return singles

    until = max(taken)
    covered = sorted(taken.values(), key=lambda d: (d.start, d.meeting.uid))
    recurring = CalendarItem(
        uid=SERIES_UID.format(series=series.id, term=term.id),
        series=series.id,
        unit=anchor.meeting.unit,
        title=anchor.title,
        location=anchor.location,
        description=usual.description,
        start=anchor.start,
        end=anchor.end,
        organizer=usual.organizer,
        attendees=usual.attendees,
        meeting_uids=tuple(d.meeting.uid for d in covered),
        rrule=replace(rule, until=until.astimezone(UTC)),
        exdates=tuple(i for i in instances if i <= until and i not in taken),
        overrides=tuple(sorted(overrides, key=lambda o: o.recurrence_id)),
    )
    return [recurring, *(d.single() for d in alone)]


# --------------------------------------------------------------------------- fingerprint


def _moment(value: datetime) -> str:
    """An instant with its Copenhagen wall time: a change of either is a change."""
    return value.astimezone(TZ).isoformat()


def _person(who: ItemAttendee | None) -> list[object] | None:
    if who is None:
        return None
    # `attends` only when False: the fingerprints of everyone else stay what they were
    return [who.person, who.required, who.name, who.email, *([] if who.attends else [False])]


def fingerprint(item: CalendarItem) -> str:
    """sha256 (hex) of everything a recipient sees of an item; DTSTAMP and SEQUENCE are not in it.

    Title, place, description, times, organizer and attendees (person and required, and the
    name and address an invite shows), the rule, its exceptions and the moved instances. The
    covered meeting uids are bookkeeping and left out. Equal items give equal fingerprints in
    every process (no hash randomisation, keys sorted).
    """
    rrule = None
    if item.rrule is not None:
        rrule = {
            key: _moment(value) if isinstance(value, datetime) else value
            for key, value in sorted(item.rrule.parts().items())
        }
    data = {
        "uid": item.uid,
        "title": item.title,
        "location": item.location,
        "description": item.description,
        "start": _moment(item.start),
        "end": _moment(item.end),
        "organizer": _person(item.organizer),
        "attendees": sorted((_person(a) for a in item.attendees), key=repr),
        "rrule": rrule,
        "exdates": sorted(_moment(d) for d in item.exdates),
        "overrides": sorted(
            [
                _moment(o.recurrence_id),
                _moment(o.start),
                _moment(o.end),
                o.location,
                None if o.attendees is None else sorted((_person(a) for a in o.attendees), key=repr),
                o.description,
            ]
            for o in item.overrides
        ),
        "instances_only": item.instances_only,
    }
    if item.guests:  # only then: the fingerprints of items without guests stay what they were
        data["guests"] = list(item.guests)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recurrence_shape(item: CalendarItem) -> str:
    """The item's pattern and its exceptions as one string: back-ends that keep a series as a
    master with exceptions (Exchange) compare it to know whether the pattern must be resent."""
    data = {
        "start": item.start.isoformat(),
        "rrule": {k: str(v) for k, v in sorted(item.rrule.parts().items())} if item.rrule else {},
        "exdates": sorted(d.isoformat() for d in item.exdates),
        "overrides": sorted(
            [
                o.recurrence_id.isoformat(),
                o.start.isoformat(),
                o.end.isoformat(),
                o.location,
                repr(o.attendees),
            ]
            for o in item.overrides
        ),
    }
    return json.dumps(data, sort_keys=True)


# --------------------------------------------------------------------------- instances


def rule_starts(item: CalendarItem) -> list[datetime]:
    """Every start the item's rule yields, its EXDATEs included, in Copenhagen time: position + 1
    is Exchange's InstanceIndex. A single item: its own start."""
    if item.rrule is None:
        return [item.start.astimezone(TZ)]
    return item.rrule.starts(item.start)


@dataclass(frozen=True)
class Instance:
    """One meeting a calendar shows of an item: where the rule puts it, or where an override moved it."""

    start: datetime
    end: datetime
    location: str
    override: Override | None = None


def instances(item: CalendarItem) -> list[Instance]:
    """The meetings the item puts in a calendar, in rule order: the rule's starts less the EXDATEs,
    each moved where its override moves it; an `instances_only` view holds just its overrides."""
    if item.instances_only:
        return [Instance(o.start, o.end, o.location, o) for o in item.overrides]
    duration = item.end - item.start
    moved = {o.recurrence_id.astimezone(UTC): o for o in item.overrides}
    skipped = {d.astimezone(UTC) for d in item.exdates}
    out = []
    for start in rule_starts(item):
        key = start.astimezone(UTC)
        if key in skipped:
            continue
        o = moved.get(key)
        out.append(
            Instance(o.start, o.end, o.location, o) if o else Instance(start, start + duration, item.location)
        )
    return out


def crosses_neighbour(item: CalendarItem) -> bool:
    """Whether a moved meeting lands on or past the day of a neighbouring instance of its rule,
    which Exchange refuses (ErrorOccurrenceCrossingBoundary; Graph likewise). `items_from_plan`
    keeps a moved meeting inside its own cadence period, so for planned series this does not happen."""
    if item.rrule is None:
        return False
    starts = rule_starts(item)
    for override in item.overrides:
        at = starts.index(override.recurrence_id.astimezone(TZ))
        day = override.start.astimezone(TZ).date()
        if (at > 0 and day <= starts[at - 1].date()) or (
            at + 1 < len(starts) and day >= starts[at + 1].date()
        ):
            return True
    return False
