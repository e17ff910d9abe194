"""One indexed view of a config: lookups by id and the small facts every layer derives from them
(travel minutes between two sites, a series' site per meeting, which series run in a term, a series' grid of
start times), so none of them is written again by hand.

Build it with `index_of(config)`: views are cached per config object (configs are not changed in
place; `model_copy` makes a new object and so a new view).
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from scheduler.model import Absence, District, MunicipalityConfig, Person, Room, Series, Site, Term, Unit

_CACHE_SIZE = 32


class ConfigIndex:
    """Dictionaries by id over one config, and the facts derived from them."""

    def __init__(self, config: MunicipalityConfig):
        self.config = config
        self.people: dict[str, Person] = {p.id: p for p in config.staff}
        self.units: dict[str, Unit] = {u.id: u for u in config.units}
        self.sites: dict[str, Site] = {s.id: s for s in config.sites}
        self.series: dict[str, Series] = {s.id: s for s in config.series}
        self.districts: dict[str, District] = {d.id: d for d in config.districts}
        self.terms: dict[str, Term] = {t.id: t for t in config.terms}
        self.rooms: dict[str, dict[str, Room]] = {s.id: {r.id: r for r in s.room_list} for s in config.sites}
        self._travel = {
            frozenset(pair.sites): pair.minutes for pair in config.travel.pairs if len(set(pair.sites)) == 2
        }
        self.substituted: dict[str, list[Absence]] = {
            p.id: subs for p in config.staff if (subs := [a for a in p.absences if a.substitute is not None])
        }
        """person id -> their absences that name a substitute (few people have any)"""
        self.with_role: dict[str, list[Person]] = {}
        """role -> the people who hold it, in config order (a city's seats each ask for their pool)"""
        for person in config.staff:
            for role in dict.fromkeys(person.roles):
                self.with_role.setdefault(role, []).append(person)

    # ------------------------------------------------------------------ names users read

    def person_name(self, person_id: str) -> str:
        person = self.people.get(person_id)
        return person.name if person else person_id

    def unit_name(self, unit_id: str) -> str:
        unit = self.units.get(unit_id)
        return unit.name if unit else unit_id

    def site_name(self, site_id: str) -> str:
        site = self.sites.get(site_id)
        return site.name if site else site_id

    def district_name(self, district_id: str) -> str:
        district = self.districts.get(district_id)
        return district.name if district else district_id

    def term_name(self, term_id: str) -> str:
        term = self.terms.get(term_id)
        return term.name if term else term_id

    # ------------------------------------------------------------------ derived facts

    def term(self, term_id: str | None) -> Term:
        """The named term, or the first one; KeyError for an unknown id."""
        if term_id is None:
            return self.config.terms[0]
        return self.terms[term_id]

    def travel_minutes(self, site_a: str, site_b: str) -> int:
        """Minutes to travel between two sites: 0 within a site, the configured pair, else the default."""
        if site_a == site_b:
            return 0
        return self._travel.get(frozenset((site_a, site_b)), self.config.travel.default_minutes)

    def daily_cap(self, person_id: str) -> int | None:
        """The soft cap on the person's meetings in one day: their own, else the planning-wide
        one; None when no cap applies (the planner's rule and the slot finder both ask here)."""
        own = self.people[person_id].max_meetings_per_day
        return own if own is not None else self.config.planning.max_meetings_per_day

    def series_site(self, series: Series) -> str | None:
        """The site a series meets at first: its own, the first it alternates between, or its
        unit's first; None for an unknown unit."""
        sites = self.series_sites(series)
        return sites[0] if sites else None

    def series_sites(self, series: Series) -> list[str]:
        """Every site a series meets at, in turn order: `sites`, else its one site."""
        if series.sites:
            return list(series.sites)
        if series.site:
            return [series.site]
        unit = self.units.get(series.unit)
        return [unit.sites[0]] if unit and unit.sites else []

    def site_of(self, series: Series, period_index: int) -> str | None:
        """The site of the series' meeting in cadence period `period_index`: alternating series
        take turns in period order (period k at sites[k % len]), so a skipped period skips a turn."""
        sites = self.series_sites(series)
        return sites[period_index % len(sites)] if sites else None

    def room_at(self, series: Series, site_id: str) -> str | None:
        """The series' hard `room` where it belongs to that site; a room belongs to one site, so an
        alternating series' room applies only at its own site."""
        if series.room is None or series.room not in self.rooms.get(site_id, {}):
            return None
        return series.room

    def preferred_rooms_at(self, series: Series, site_id: str) -> list[str]:
        """The series' preferred rooms that are rooms of that site."""
        rooms = self.rooms.get(site_id, {})
        return [r for r in series.preferred_rooms if r in rooms]

    def active_series(self, term: Term) -> list[Series]:
        """The series that run in the term, in config order."""
        return [s for s in self.config.series if runs_in(s, term)]

    def start_grid(self, series: Series, day_span: tuple[int, int] | None = None) -> list[int]:
        """The start minutes a series may use: on the planning grid, inside the union of its
        weekdays' windows (widened to `day_span` when explaining), ending inside it."""
        windows = [w for w in (series.window_on(d) for d in series.weekdays) if w is not None]
        first = min(w.start for w in windows)
        last = max(w.end for w in windows)
        if day_span is not None:
            first, last = min(first, day_span[0]), max(last, day_span[1])
        return self.grid(first, last, series.duration_minutes)

    def grid(self, first: int, last: int, duration: int) -> list[int]:
        """The start minutes on the planning grid from `first` on of a meeting that ends by `last`."""
        slot = self.config.planning.slot_minutes
        first = -(-first // slot) * slot
        return list(range(first, last - duration + 1, slot))

    def on_grid(self, minute: int) -> bool:
        return minute % self.config.planning.slot_minutes == 0


def runs_in(series: Series, term: Term) -> bool:
    """Whether a series meets in the term (no `terms:` means every term)."""
    return series.terms is None or term.id in series.terms


_views: OrderedDict[int, ConfigIndex] = OrderedDict()
_lock = Lock()


def index_of(config: MunicipalityConfig) -> ConfigIndex:
    """The indexed view of a config, built once per config object."""
    key = id(config)
    with _lock:
        view = _views.get(key)
        if view is not None and view.config is config:
            _views.move_to_end(key)
            return view
    view = ConfigIndex(config)
    with _lock:
        _views[key] = view
        while len(_views) > _CACHE_SIZE:
            _views.popitem(last=False)
    return view
