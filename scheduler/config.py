"""Load a municipality config and check it, reporting every problem with its place in the YAML.

Pydantic checks each object on its own; this module adds what needs the whole config: ids that
must exist, roles that must be known, holidays that must fit their term, and seats that somebody
must be able to fill. Errors read like `staff[12].roles[0]: unknown role 'psykolg' (did you mean
'psykolog'?)`, so a district leader can fix the file without reading a traceback.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scheduler.danish import plural_da
from scheduler.index import index_of, runs_in
from scheduler.limits import (
    FAST_LOADER,
    LIMITS,
    ConfigLimits,
    capped,
    check_counts,
    check_occurrences,
    check_shape,
    check_size,
    scan_yaml,
)
from scheduler.model import (
    BUILT_IN_CALENDARS,
    SERIES_TYPE_DA,
    SKOLEFERIE,
    BalCourse,
    BalSequence,
    Meeting,
    MunicipalityConfig,
    Person,
    Seat,
    Series,
    Term,
    TimeRange,
    Unit,
    UnitKind,
    format_clock,
)
from scheduler.roles import KNOWN_ROLES, PPR_ROLES
from scheduler.term_dates import Period, closed_days_for, series_periods
from scheduler.validation_da import Lang, clean_loc, format_loc, messages_da
from scheduler.validation_da import where as place_of

KIND_DA = {
    "role": "rolle",
    "district": "distrikt",
    "unit": "enhed",
    "site": "mødested",
    "term": "termin",
    "person": "person",
    "series": "serie",
    "soft rule": "blød regel",
}
"""What an id names, in the Danish of 'ukendt rolle 'psykolg''."""


BAD_VALUE_DA = "er ikke en gyldig værdi"


class _NamesBadValues:
    """A value YAML cannot build (`2027-02-30`, `!!float x`) is a YAML error with its place.

    PyYAML raises a bare ValueError for those, with no line, which used to escape as a crash.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, TypeError, OverflowError):
            raise yaml.constructor.ConstructorError(
                None, None, f"'{node.value}' {BAD_VALUE_DA}", node.start_mark
            ) from None


class _FastLoader(_NamesBadValues, FAST_LOADER):  # type: ignore[misc, valid-type]
    """libyaml's parser (when PyYAML has it) with the safe constructor."""


class _ClearLoader(_NamesBadValues, yaml.SafeLoader):
    """PyYAML's own parser: slower, clearer about where and why a text is not YAML."""


class ConfigError(Exception):
    """A config that cannot be planned; `problems` are 'path: message' lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


EXTENDS_DEPTH = 3
"""how many files deep `extends:` may go (a BAL file extends the municipality's config)"""


def load_config(path: str | Path, limits: ConfigLimits = LIMITS) -> MunicipalityConfig:
    """The config in a YAML file. A file may start from another (`extends: ballerup.yaml`, a path
    relative to it): its own top-level sections replace or add to the other file's, so a BAL
    rollout or a variant keeps the municipality's facts in one place."""
    return config_from_data(_load_raw(Path(path), limits, ()), limits)


def _load_raw(path: Path, limits: ConfigLimits, chain: tuple[Path, ...]) -> Any:
    try:
        # The size first: a file far over the limit is refused without reading it.
        too_big = check_size(path.stat().st_size, str(path), limits)
        if too_big:
            raise ConfigError(too_big)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: filen findes ikke"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: filen kan ikke læses ({_read_problem(exc)})"]) from None
    raw = parse_raw(text, source=str(path), limits=limits)
    if not isinstance(raw, dict) or "extends" not in raw:
        return raw
    base_name = raw.pop("extends")
    if not isinstance(base_name, str) or not base_name.strip():
        raise ConfigError([f"{path}: extends skal være et filnavn, fx 'extends: ballerup.yaml'"])
    base = (path.parent / base_name).resolve()
    if base in chain or base == path.resolve():
        raise ConfigError([f"{path}: extends: '{base_name}' bygger på sig selv (en ring af filer)"])
    if len(chain) + 1 >= EXTENDS_DEPTH:
        raise ConfigError([f"{path}: extends: højst {EXTENDS_DEPTH} filer oven på hinanden"])
    base_raw = _load_raw(base, limits, (*chain, path.resolve()))
    if not isinstance(base_raw, dict):
        raise ConfigError([f"{base}: konfigurationen skal være et afsnit med nøgler som 'districts'"])
    return {**base_raw, **raw}


def parse_config(text: str, source: str = "config", limits: ConfigLimits = LIMITS) -> MunicipalityConfig:
    """The config in a YAML text (an upload: `extends:` needs a file, see `load_config`)."""
    raw = parse_raw(text, source, limits)
    if isinstance(raw, dict) and "extends" in raw:
        raise ConfigError([f"{source}: extends kan kun bruges i en fil på disken; send hele konfigurationen"])
    return config_from_data(raw, limits)


def parse_raw(text: str, source: str = "config", limits: ConfigLimits = LIMITS) -> Any:
    """The YAML text as data, measured (`scheduler.limits`) before anything is constructed."""
    problems = check_size(len(text.encode("utf-8", errors="surrogatepass")), source, limits)
    if problems:
        raise ConfigError(problems)
    problems = check_shape(scan_yaml(text, max_depth=limits.max_depth), source, limits)
    if problems:
        raise ConfigError(problems)
    try:
        return yaml.load(text, Loader=_FastLoader)
    except yaml.YAMLError:
        # libyaml's messages are terse: let PyYAML's own parser say where and why, after measuring
        # the text as that parser reads it (the two need not stop at the same place; libyaml stops
        # at 1,000 levels of nesting with an error before it yields them).
        problems = check_shape(scan_yaml(text, yaml.SafeLoader, limits.max_depth), source, limits)
        if problems:
            raise ConfigError(problems) from None
        try:
            return yaml.load(text, Loader=_ClearLoader)
        except yaml.YAMLError as exc:
            raise ConfigError([yaml_problem(source, exc)]) from None


def config_from_data(raw: Any, limits: ConfigLimits = LIMITS) -> MunicipalityConfig:
    if not isinstance(raw, dict):
        raise ConfigError(
            ["(øverst): konfigurationen skal være et afsnit med nøgler som 'districts' og 'staff'"]
        )
    problems = check_counts(raw, limits)
    if problems:
        raise ConfigError(problems)
    try:
        config = MunicipalityConfig.model_validate(raw)
    except ValidationError as exc:
        # one line per place (a union's alternatives are one problem), the first of them shown
        raise ConfigError(capped(messages_da(exc, data=raw), limits)) from None
    problems = check_occurrences(config, limits)
    if problems:
        raise ConfigError(problems)
    problems = [placed(problem, raw) for problem in cross_check(config, hints=limits.max_problems)]
    if problems:
        raise ConfigError(capped(problems, limits))
    return config


_YAML_PROBLEMS_DA = {
    "found character '\\t' that cannot start any token": "et tabulatortegn; ryk ind med mellemrum",
    "mapping values are not allowed here": (
        "et kolon her er ikke tilladt (mangler der mellemrum eller anførselstegn?)"
    ),
    "found undefined alias": "et alias (*navn) uden et anker (&navn)",
    "expected <block end>, but found '-'": "et listepunkt (-) med forkert indrykning",
    "could not find expected ':'": "en nøgle uden kolon",
    "found unexpected end of stream": "teksten slutter midt i en værdi (mangler et anførselstegn?)",
    "found duplicate anchor; first occurrence": "et anker (&navn) bruges to gange",
}
"""PyYAML's commonest reasons, as a leader reads them; any other says only where it stops."""


def yaml_problem(source: str, exc: yaml.YAMLError) -> str:
    """'config: ikke gyldig YAML i linje 3, kolonne 5: …', in Danish; PyYAML's words are not shown."""
    mark = getattr(exc, "problem_mark", None)
    where = f" i linje {mark.line + 1}, kolonne {mark.column + 1}" if mark else ""
    problem = str(getattr(exc, "problem", "") or "")
    reason = next((da for en, da in _YAML_PROBLEMS_DA.items() if problem.startswith(en)), None)
    if reason is None and problem.endswith(BAD_VALUE_DA):  # ours (`_NamesBadValues`): the user's value
        reason = problem
    return f"{source}: ikke gyldig YAML{where}" + (f": {reason}" if reason else "")


def _read_problem(exc: Exception) -> str:
    """Why a file cannot be read, in Danish, without the operating system's English."""
    if isinstance(exc, UnicodeDecodeError):
        return "den er ikke UTF-8-tekst"
    if isinstance(exc, PermissionError):
        return "ingen adgang"
    if isinstance(exc, IsADirectoryError):
        return "det er en mappe"
    return "læsefejl"


_PLACE = re.compile(r"^([a-z_][\w]*(?:\[\d+\]|\.[\w-]+)*)(?=: )")
"""The key path a cross-check line starts with: 'series[3].chair.person'."""


def placed(problem: str, raw: Any, lang: Lang = "da") -> str:
    """A 'path: message' line with the id of the path's item beside it (`validation_da.where`)."""
    match = _PLACE.match(problem)
    if match is None:
        return problem
    loc: list[str | int] = []
    for key, index in re.findall(r"([\w-]+)|\[(\d+)\]", match.group(1)):
        loc.append(int(index) if index else key)
    return place_of(loc, raw, lang) + problem[match.end() :]


def format_path(loc: Iterable[Any]) -> str:
    """A pydantic loc as the YAML key path: 'series[3].cadence' (`validation_da.format_loc`)."""
    return format_loc(clean_loc(list(loc)))


_SUGGESTION_POOL = 50
"""difflib's full ratio for at most this many names; the rest are ranked by its cheap quick_ratio"""


def closest_name(value: str, known: Iterable[str]) -> str | None:
    """The known name `value` was probably meant to be, in bounded time however many names there are."""
    names = list(known)
    if len(names) > _SUGGESTION_POOL:
        matcher = difflib.SequenceMatcher(b=value)
        scored = []
        for name in names:
            matcher.set_seq1(name)
            scored.append((matcher.quick_ratio(), name))
        names = [name for _, name in heapq.nlargest(_SUGGESTION_POOL, scored)]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown(kind: str, value: str, known: Iterable[str], hint: bool = True) -> str:
    close = closest_name(value, known) if hint else None
    suggestion = f" (mente du '{close}'?)" if close else ""
    return f"ukendt {KIND_DA.get(kind, kind)} '{value}'{suggestion}"


class _Unknown:
    """`_unknown` with "did you mean" for the first `hints` names only.

    difflib over thousands of names for each of thousands of unknown names took minutes; only
    the first problems are listed (`scheduler.limits.capped`), so only they get a suggestion.
    """

    def __init__(self, hints: int | None):
        self.left = hints

    def __call__(self, kind: str, value: str, known: Iterable[str]) -> str:
        hint = self.left is None or self.left > 0
        if self.left is not None:
            self.left -= 1
        return _unknown(kind, value, known, hint)


def all_roles(config: MunicipalityConfig) -> dict[str, str]:
    return {**KNOWN_ROLES, **config.extra_roles}


def unit_districts(unit: Unit) -> set[str]:
    return set(unit.districts)


def meeting_districts(config: MunicipalityConfig, meeting: Meeting) -> set[str]:
    """The districts a meeting belongs to: its unit's, and for a unit serving several districts
    (Socialafsnittet's Det Kreative Råd, a two-district club) the ones that take part in it.

    A district takes part when its people are there: each attendee counts for the unit's districts
    they serve, a person serving one district counting fully and one serving k districts 1/k; the
    districts with the most count win (all of them when nobody at the meeting is district-bound).
    """
    index = index_of(config)
    unit = index.units.get(meeting.unit)
    if unit is None:
        return set()
    districts = unit_districts(unit)
    if len(districts) <= 1:
        return districts
    score: dict[str, float] = {}
    for attendee in meeting.attendees:
        person = index.people.get(attendee.person)
        if person is None or person.serves.all:
            continue
        served = districts & set(person.serves.districts)
        for district in served:
            score[district] = score.get(district, 0.0) + 1 / len(served)
    if not score:
        return districts
    best = max(score.values())
    return {d for d, value in score.items() if value >= best - 1e-9}


def may_serve(person: Person, unit: Unit) -> bool:
    """Whether a person may be booked for meetings of this unit."""
    serves = person.serves
    return serves.all or unit.id in serves.units or any(d in unit.districts for d in serves.districts)


def seat_pool(config: MunicipalityConfig, series: Series, seat: Seat) -> list[str]:
    """The people who may fill a seat of a series, in config order."""
    if seat.person is not None:
        return [seat.person]
    index = index_of(config)
    unit = index.units[series.unit]
    if seat.people is not None:
        wanted = set(seat.people)
        people = [p for p in config.staff if p.id in wanted]
        if seat.role is None:
            return [p.id for p in people]
    else:
        people = index.with_role.get(seat.role, []) if seat.role is not None else []
    return [p.id for p in people if seat.role in p.roles and may_serve(p, unit)]


class _PoolSizes:
    """How many people could fill a seat, as `len(seat_pool(...))`, from an index built once.

    `seat_pool` walks the whole staff for every seat; over thousands of series and thousands of
    people that took minutes, so the seat check counts from who serves what instead.
    """

    def __init__(self, config: MunicipalityConfig):
        self.everywhere: dict[str, set[str]] = {}  # role -> people who serve all units
        self.near: dict[tuple[str, str], set[str]] = {}  # (role, unit or district id) -> people
        for person in config.staff:
            for role in person.roles:
                if person.serves.all:
                    self.everywhere.setdefault(role, set()).add(person.id)
                    continue
                for place in [*person.serves.units, *person.serves.districts]:
                    self.near.setdefault((role, place), set()).add(person.id)
        self._sizes: dict[tuple[str, str, tuple[str, ...] | None], int] = {}

    def size(self, unit: Unit, seat: Seat) -> int:
        if seat.person is not None:
            return 1
        if seat.role is None:
            return len(set(seat.people or []))
        key = (unit.id, seat.role, tuple(seat.people) if seat.people is not None else None)
        if key not in self._sizes:
            everywhere = self.everywhere.get(seat.role, set())
            near: set[str] = set()
            for place in [unit.id, *unit.districts]:
                near |= self.near.get((seat.role, place), set())
            if seat.people is None:
                self._sizes[key] = len(everywhere) + len(near - everywhere)
            else:
                self._sizes[key] = sum(1 for p in set(seat.people) if p in everywhere or p in near)
        return self._sizes[key]


def series_title(config: MunicipalityConfig, series: Series) -> str:
    """The title users see: the configured one, or the meeting type and the unit's name."""
    if series.title:
        return series.title
    return f"{SERIES_TYPE_DA[series.type]}, {index_of(config).units[series.unit].name}"


def cross_check(config: MunicipalityConfig, hints: int | None = None) -> Iterable[str]:
    """Every cross-reference problem, as 'path: message'; "did you mean" for the first `hints`."""
    unknown = _Unknown(hints)
    roles = all_roles(config)
    for name, ids in [
        ("districts", [d.id for d in config.districts]),
        ("sites", [s.id for s in config.sites]),
        ("units", [u.id for u in config.units]),
        ("staff", [p.id for p in config.staff]),
        ("terms", [t.id for t in config.terms]),
        ("series", [s.id for s in config.series]),
    ]:
        for value, n in Counter(ids).items():
            if n > 1:
                yield f"{name}[{ids.index(value)}].id: '{value}' bruges {n} gange; et id skal være entydigt"
    # Ordered sets: membership in constant time, suggestions from them in config order.
    district_ids = dict.fromkeys(d.id for d in config.districts)
    site_ids = dict.fromkeys(s.id for s in config.sites)
    unit_ids: dict[str, Unit] = {}
    for unit in config.units:
        unit_ids.setdefault(unit.id, unit)  # the first of duplicate ids, as `next(...)` finds it
    person_ids = dict.fromkeys(p.id for p in config.staff)
    term_ids = dict.fromkeys(t.id for t in config.terms)

    for i, unit in enumerate(config.units):
        for j, d in enumerate(unit.districts):
            if d not in district_ids:
                yield f"units[{i}].districts[{j}]: {unknown('district', d, district_ids)}"
        for j, s in enumerate(unit.sites):
            if s not in site_ids:
                yield f"units[{i}].sites[{j}]: {unknown('site', s, site_ids)}"

    for i, pair in enumerate(config.travel.pairs):
        for j, s in enumerate(pair.sites):
            if s not in site_ids:
                yield f"travel.pairs[{i}].sites[{j}]: {unknown('site', s, site_ids)}"

    for i, person in enumerate(config.staff):
        for j, role in enumerate(person.roles):
            if role not in roles:
                yield f"staff[{i}].roles[{j}]: {unknown('role', role, roles)}"
        for j, d in enumerate(person.serves.districts):
            if d not in district_ids:
                yield f"staff[{i}].serves.districts[{j}]: {unknown('district', d, district_ids)}"
        for j, u in enumerate(person.serves.units):
            if u not in unit_ids:
                yield f"staff[{i}].serves.units[{j}]: {unknown('unit', u, unit_ids)}"
        yield from _check_commitments(config, i, person, site_ids)
        yield from _check_substitutes(config, i, person)

    for i, term in enumerate(config.terms):
        holidays = sorted(term.school_holidays, key=lambda h: h.start)
        for j, holiday in enumerate(term.school_holidays):
            if holiday.start < term.start or holiday.end > term.end:
                yield (
                    f"terms[{i}].school_holidays[{j}]: '{holiday.name}' ({holiday.start} til "
                    f"{holiday.end}) ligger uden for terminen ({term.start} til {term.end})"
                )
        for first, second in zip(holidays, holidays[1:], strict=False):
            if second.start <= first.end:
                yield f"terms[{i}].school_holidays: '{first.name}' og '{second.name}' overlapper"
    for i, term in enumerate(config.terms):
        for other in config.terms[i + 1 :]:
            if term.start <= other.end and other.start <= term.end:
                yield f"terms[{i}]: terminen overlapper terminen '{other.id}'"

    for weight_name in config.weights:
        from scheduler.rules import soft_rule_names  # late: the catalogue loads the rule modules

        names = soft_rule_names()
        if weight_name not in names:
            yield f"weights.{weight_name}: {unknown('soft rule', weight_name, names)}"

    yield from _check_closed_calendars(config)

    pools = _PoolSizes(config)
    for i, series in enumerate(config.series):
        yield from _check_series(
            config, i, series, roles, site_ids, unit_ids, person_ids, term_ids, unknown, pools
        )
    yield from _check_rooms(config, unknown)
    yield from _check_after(config, unknown)
    yield from _check_guest_teams(config, unknown)
    yield from _check_bal(config, unknown)


def substitute_problem(config: MunicipalityConfig, person: Person, substitute_id: str) -> str | None:
    """Why `substitute_id` cannot stand in for the person, in Danish, or None when they can.

    A substitute is someone else on the staff who shares a role with the absent person: they take
    her role seats only where they hold the seat's role, so no role in common is a mistake.
    """
    people = index_of(config).people
    substitute = people.get(substitute_id)
    if substitute is None:
        close = closest_name(substitute_id, people)
        return f"ukendt person '{substitute_id}'" + (f" (mente du '{close}'?)" if close else "")
    if substitute.id == person.id:
        return f"'{person.id}' kan ikke være sin egen vikar"
    if not set(substitute.roles) & set(person.roles):
        return (
            f"'{substitute.id}' ({', '.join(substitute.roles)}) har ingen rolle til fælles "
            f"med '{person.id}' ({', '.join(person.roles)})"
        )
    return None


def _check_substitutes(config: MunicipalityConfig, i: int, person: Person) -> Iterable[str]:
    for j, absence in enumerate(person.absences):
        if absence.substitute is not None:
            problem = substitute_problem(config, person, absence.substitute)
            if problem is not None:
                yield f"staff[{i}].absences[{j}].substitute: {problem}"


def stand_ins(
    config: MunicipalityConfig, pool: Iterable[str], role: str | None, days: Iterable[date]
) -> dict[str, dict[date, tuple[str, ...]]]:
    """Named substitutes who may sit in a seat beside its pool, per day: who they stand in for.

    On a day of an absence with a `substitute`, the substitute takes the absent person's seats:
    a named seat, a seat of listed people, or a role seat when the substitute holds that role too.
    The planner's model (and through it the greedy start, continuity and replanning) uses this;
    the verifier re-derives it.
    """
    index = index_of(config)
    members = set(pool)
    out: dict[str, dict[date, tuple[str, ...]]] = {}
    if members.isdisjoint(index.substituted):
        return out  # nobody in the pool has a substitute (most seats, every period)
    wanted = sorted(set(days))
    for pid, absences in index.substituted.items():
        if pid not in members:
            continue
        for absence in absences:
            sub = absence.substitute
            if sub is None or sub in members or sub not in index.people:
                continue
            if role is not None and role not in index.people[sub].roles:
                continue
            for day in wanted:
                if absence.start <= day <= absence.end:
                    covered = out.setdefault(sub, {})
                    covered[day] = (*covered.get(day, ()), pid)
    return out


def series_site(config: MunicipalityConfig, series: Series) -> str | None:
    """The site a series meets at (first, when it alternates): its own, or its unit's first."""
    return index_of(config).series_site(series)


def _check_rooms(config: MunicipalityConfig, unknown: _Unknown) -> Iterable[str]:
    """Room ids are unique across sites; a series names only rooms of its own site, big enough."""
    seen: dict[str, str] = {}
    for i, site in enumerate(config.sites):
        if isinstance(site.rooms, list):
            for j, room in enumerate(site.rooms):
                if room.id in seen:
                    yield (
                        f"sites[{i}].rooms[{j}].id: '{room.id}' er også et lokale på mødestedet "
                        f"'{seen[room.id]}'"
                    )
                seen[room.id] = site.id
    index = index_of(config)
    for i, series in enumerate(config.series):
        hosts = [index.sites[s] for s in index.series_sites(series) if s in index.sites]
        if not hosts:
            continue
        # A room belongs to one site: an alternating series names rooms of any of its sites, and
        # each applies only at its own site.
        rooms = {r.id: r for host in hosts for r in host.room_list}
        wanted = ([("room", series.room)] if series.room else []) + [
            (f"preferred_rooms[{j}]", r) for j, r in enumerate(series.preferred_rooms)
        ]
        hosts_text = ("mødestederne " if len(hosts) > 1 else "mødestedet ") + ", ".join(h.id for h in hosts)
        for where, room_id in wanted:
            found = rooms.get(room_id)
            if found is None:
                yield f"series[{i}].{where}: {unknown(f'lokale på {hosts_text}', room_id, rooms)}"
            elif where == "room" and found.capacity is not None and found.capacity < series.headcount():
                yield (
                    f"series[{i}].room: '{room_id}' har {found.capacity} pladser, men mødet har "
                    f"{series.headcount()} deltagere"
                )


def _check_commitments(
    config: MunicipalityConfig, i: int, person: Person, site_ids: dict[str, None]
) -> Iterable[str]:
    """A commitment's place is a known site, and its room one of that site's rooms."""
    sites = index_of(config).sites
    for j, commitment in enumerate(person.commitments):
        at = f"staff[{i}].commitments[{j}]"
        if commitment.site is not None and commitment.site not in site_ids:
            close = closest_name(commitment.site, site_ids)
            hint = f" (mente du '{close}'?)" if close else ""
            yield f"{at}.site: ukendt mødested '{commitment.site}'{hint}"
            continue
        if commitment.room is None:
            continue
        if commitment.site is None:
            yield f"{at}.room: et lokale kræver et mødested; angiv også {at}.site"
            continue
        rooms = [r.id for r in sites[commitment.site].room_list]
        if commitment.room not in rooms:
            close = closest_name(commitment.room, rooms)
            hint = f" (mente du '{close}'?)" if close else ""
            known = ", ".join(rooms[:10]) + (" …" if len(rooms) > 10 else "")
            yield (
                f"{at}.room: '{commitment.room}' er ikke et lokale på mødestedet "
                f"'{commitment.site}' ({known}){hint}"
            )


def _check_alternating_sites(at: str, series: Series, unit: Unit, site_ids: dict[str, None]) -> Iterable[str]:
    """`sites` takes turns between the unit's own sites (a school on two addresses), instead of `site`."""
    if series.sites and series.site is not None:
        yield f"{at}.sites: angiv enten 'site' (ét mødested) eller 'sites' (skiftevis), ikke begge"
    for j, site in enumerate(series.sites):
        if site not in site_ids:
            close = closest_name(site, site_ids)
            hint = f" (mente du '{close}'?)" if close else ""
            yield f"{at}.sites[{j}]: ukendt mødested '{site}'{hint}"
        elif site not in unit.sites:
            yield (
                f"{at}.sites[{j}]: '{site}' er ikke et af enhedens mødesteder ({', '.join(unit.sites)}); "
                "en serie skifter kun mellem sin enheds egne adresser"
            )


def _check_observes(config: MunicipalityConfig, at: str, series: Series) -> Iterable[str]:
    """The calendars a series keeps exist; the old switch, if given too, says the same."""
    known = [*BUILT_IN_CALENDARS, *config.closed_calendars]
    for j, name in enumerate(series.observes or []):
        if name not in known:
            close = closest_name(name, known)
            hint = f" (mente du '{close}'?)" if close else ""
            yield f"{at}.observes[{j}]: ukendt lukkedagskalender '{name}'{hint}; kendte: {', '.join(known)}"
    if series.observes is not None and series.observe_school_holidays is not None:
        keeps = SKOLEFERIE in series.observes
        if keeps != series.observe_school_holidays:
            said = "true" if series.observe_school_holidays else "false"
            listed = "nævner" if keeps else "nævner ikke"
            yield (
                f"{at}.observe_school_holidays: er {said}, men observes {listed} '{SKOLEFERIE}'; "
                "brug kun observes (observe_school_holidays er den gamle form)"
            )


def _check_closed_calendars(config: MunicipalityConfig) -> Iterable[str]:
    """Named calendars may not take a built-in name; their spans must not overlap (a typo)."""
    for calendar_id, calendar in config.closed_calendars.items():
        at = f"closed_calendars.{calendar_id}"
        if calendar_id in BUILT_IN_CALENDARS:
            yield f"{at}: '{calendar_id}' er en indbygget kalender; vælg et andet id"
        spans = sorted(calendar.days, key=lambda d: d.start)
        for first, second in zip(spans, spans[1:], strict=False):
            if second.start <= first.end:
                yield f"{at}.days: '{first.name}' og '{second.name}' overlapper"


def _check_preferred_starts(
    config: MunicipalityConfig, at: str, series: Series, windows: list[TimeRange]
) -> Iterable[str]:
    """A preferred start the series can never use is a typo, not a preference."""
    index = index_of(config)
    for j, start in enumerate(series.preferred_starts):
        where = f"{at}.preferred_starts[{j}]"
        if not index.on_grid(start):
            yield (
                f"{where}: {format_clock(start)} passer ikke til tidsrasteret på "
                f"{config.planning.slot_minutes} minutter (planning.slot_minutes)"
            )
        elif not any(start in index.grid(w.start, w.end, series.duration_minutes) for w in windows):
            yield (
                f"{where}: et møde på {series.duration_minutes} minutter, der begynder "
                f"{format_clock(start)}, passer ikke i tidsrummet på nogen af seriens ugedage"
            )


def _check_series(
    config: MunicipalityConfig,
    i: int,
    series: Series,
    roles: dict[str, str],
    site_ids: dict[str, None],
    unit_ids: dict[str, Unit],
    person_ids: dict[str, None],
    term_ids: dict[str, None],
    unknown: _Unknown,
    pools: _PoolSizes,
) -> Iterable[str]:
    at = f"series[{i}]"
    if series.unit not in unit_ids:
        yield f"{at}.unit: {unknown('unit', series.unit, unit_ids)}"
        return
    unit = unit_ids[series.unit]
    if series.site is not None:
        if series.site not in site_ids:
            yield f"{at}.site: {unknown('site', series.site, site_ids)}"
        elif series.site not in unit.sites:
            yield f"{at}.site: '{series.site}' er ikke et af enhedens mødesteder ({', '.join(unit.sites)})"
    yield from _check_alternating_sites(at, series, unit, site_ids)
    yield from _check_observes(config, at, series)
    for j, t in enumerate(series.terms or []):
        if t not in term_ids:
            yield f"{at}.terms[{j}]: {unknown('term', t, term_ids)}"

    windows = [w for w in (series.window_on(d) for d in series.weekdays) if w is not None]
    grid = index_of(config).grid
    if not any(grid(w.start, w.end, series.duration_minutes) for w in windows):
        yield (
            f"{at}: ingen tilladt ugedag har et tidsrum med plads til {series.duration_minutes} "
            f"minutter fra en starttid på tidsrasteret på {config.planning.slot_minutes} minutter "
            "(planning.slot_minutes)"
        )
    yield from _check_preferred_starts(config, at, series, windows)

    for j, pid in enumerate(series.required_people):
        if pid not in person_ids:
            yield f"{at}.required_people[{j}]: {unknown('person', pid, person_ids)}"
    for j, pid in enumerate(series.optional_people):
        if pid not in person_ids:
            yield f"{at}.optional_people[{j}]: {unknown('person', pid, person_ids)}"

    seats: list[tuple[str, Seat]] = []
    if series.chair:
        seats.append((f"{at}.chair", series.chair))
    if series.minute_taker:
        seats.append((f"{at}.minute_taker", series.minute_taker))
    seats += [(f"{at}.required_roles[{j}]", s) for j, s in enumerate(series.required_roles)]
    if series.rota:
        seats.append((f"{at}.rota", series.rota))

    if series.convener is not None and series.convener not in person_ids:
        close = closest_name(series.convener, person_ids)
        hint = f" (mente du '{close}'?)" if close else ""
        yield f"{at}.convener: '{series.convener}' er ikke en person i staff{hint}"

    for where, seat in seats:
        if seat.part is not None:
            joins, leaves = seat.part.span(series.duration_minutes)
            if joins < 0 or leaves > series.duration_minutes:
                yield (
                    f"{where}.part: delen (minut {joins}-{leaves}) ligger ikke inden for mødets "
                    f"{series.duration_minutes} minutter (duration_minutes)"
                )
        if seat.person is not None and seat.person not in person_ids:
            yield f"{where}.person: {unknown('person', seat.person, person_ids)}"
            continue
        if seat.role is not None and seat.role not in roles:
            yield f"{where}.role: {unknown('role', seat.role, roles)}"
            continue
        bad = [p for p in seat.people or [] if p not in person_ids]
        if bad:
            yield f"{where}.people: {unknown('person', bad[0], person_ids)}"
            continue
        pool = pools.size(unit, seat)
        if pool < seat.count:
            who = f"med rollen '{seat.role}' dækker '{unit.id}'" if seat.role else "af de nævnte kan"
            yield (
                f"{where}: pladsen kan ikke besættes: den kræver {seat.count}, men kun {pool} {who} "
                "(se staff[].serves)"
            )

    if (
        series.chair
        and series.minute_taker
        and series.chair.person is not None
        and series.chair.person == series.minute_taker.person
    ):
        yield (
            f"{at}.minute_taker: '{series.chair.person}' er også mødeleder; "
            "det skal være to forskellige personer"
        )
    leaders = {seat.person for seat in (series.chair, series.minute_taker) if seat and seat.person}
    # a chair or minute-taker also listed in required_people is one seat (Series.seats drops it)
    fixed = [s.person for _, s in seats if s.person] + [p for p in series.required_people if p not in leaders]
    chair_is_minute_taker = bool(
        series.chair and series.minute_taker and series.chair.person == series.minute_taker.person
    )
    for pid, n in Counter(fixed).items():
        if n > 1 and not (chair_is_minute_taker and n == 2 and series.chair and pid == series.chair.person):
            yield f"{at}: '{pid}' har {n} pladser ved samme møde; en person har én plads"


# --------------------------------------------------------------------------- series order (after)


def _check_guest_teams(config: MunicipalityConfig, unknown: _Unknown) -> Iterable[str]:
    """`guest_teams` names teams of the `bal:` section (their addresses get the invitations)."""
    teams = [team.id for team in config.bal.teams] if config.bal is not None else []
    for i, series in enumerate(config.series):
        for k, tid in enumerate(series.guest_teams):
            if tid not in teams:
                yield f"series[{i}].guest_teams[{k}]: {unknown('BAL-team', tid, teams)}"


def _check_after(config: MunicipalityConfig, unknown: _Unknown) -> Iterable[str]:
    """`after` names another series that meets in every term this one does, with its n-th
    meeting early enough for this series' first period, and no ring of series waiting on each other."""
    index = index_of(config)
    open_periods = _OpenPeriods(config)
    for i, series in enumerate(config.series):
        after = series.after
        if after is None:
            continue
        at = f"series[{i}].after"
        other = index.series.get(after.series)
        if other is None:
            yield f"{at}.series: {unknown('series', after.series, index.series)}"
            continue
        if other.id == series.id:
            yield f"{at}.series: en serie kan ikke komme efter sig selv"
            continue
        for term in config.terms:
            if not runs_in(series, term):
                continue
            if not runs_in(other, term):
                yield (
                    f"{at}.series: '{other.id}' holdes ikke i terminen '{term.id}', som '{series.id}' "
                    "holdes i; serien skal komme efter et møde i samme termin"
                )
                break
            problem = _after_too_late(open_periods, term, series, other, after.meetings)
            if problem is not None:
                yield f"{at}.meetings: {problem}"
                break
    yield from _after_rings(config)


class _OpenPeriods:
    """A series' cadence periods with an open day in a term, computed once per series and term
    (many teams' analyses name the same course series), closed days once per set of calendars."""

    def __init__(self, config: MunicipalityConfig):
        self.config = config
        self._closed: dict[tuple[str, tuple[str, ...]], dict[date, str]] = {}
        self._periods: dict[tuple[str, str], list[Period]] = {}

    def __call__(self, series: Series, term: Term) -> list[Period]:
        key = (series.id, term.id)
        if key not in self._periods:
            calendars = (term.id, series.calendars)
            if calendars not in self._closed:
                self._closed[calendars] = closed_days_for(self.config, term, series)
            periods = series_periods(series, term, self._closed[calendars])
            self._periods[key] = [p for p in periods if p.days]
        return self._periods[key]


def _after_too_late(
    open_periods: _OpenPeriods, term: Term, series: Series, other: Series, n: int
) -> str | None:
    """Why the other series' n-th meeting cannot come before this series' first in the term, or
    None: it has fewer open periods, or its n-th open period begins after this one's first ends
    (`per_term` cuts a term into equal parts, so the 2nd of 3 can lie after the 1st of 6)."""
    theirs, ours = open_periods(other, term), open_periods(series, term)
    if not ours:
        return None
    if len(theirs) < n:
        return (
            f"'{other.id}' har kun {plural_da(len(theirs), 'møde', 'møder')} i terminen '{term.id}', "
            f"så intet {n}. møde at komme efter"
        )
    earliest, latest = theirs[n - 1].days[0], ours[0].days[-1]
    if earliest > latest and not ours[0].optional:
        return (
            f"det {n}. møde i '{other.id}' ligger tidligst {earliest}, men seriens første møde i "
            f"terminen '{term.id}' skal ligge senest {latest}"
        )
    return None


def _after_rings(config: MunicipalityConfig) -> Iterable[str]:
    """Series that wait on each other in a ring can never meet: reported once, at the first of them."""
    index = index_of(config)
    position = {s.id: i for i, s in enumerate(config.series)}
    reported: set[str] = set()
    for series in config.series:
        chain = [series.id]
        current = series
        while current.after is not None and current.after.series in index.series:
            nxt = current.after.series
            if nxt in chain:
                ring = chain[chain.index(nxt) :]
                if not reported & set(ring) and nxt != current.id:
                    reported.update(ring)
                    first = min(ring, key=position.__getitem__)
                    names = " → ".join(f"'{sid}'" for sid in [*ring, ring[0]])
                    yield (
                        f"series[{position[first]}].after: serierne venter på hinanden i en ring "
                        f"({names}); ingen af dem kan holdes"
                    )
                break
            chain.append(nxt)
            current = index.series[nxt]


# --------------------------------------------------------------------------- BAL


BAL_TEAM_KINDS = (UnitKind.skole, UnitKind.dagtilbud, UnitKind.klub)
"""The institutions whose teams take the BAL course (Børne- og ungestrategien: dagtilbud, skole, klub)."""

BAL_SERIES_PREFIX = "bal-"
"""A team's analyses become the series 'bal-<team id>' (`scheduler.bal_series`)."""

MAX_TEAM_ID = 80 - len(BAL_SERIES_PREFIX)
"""a series id has at most 80 characters, the team's id is that minus the prefix"""


def _check_bal(config: MunicipalityConfig, unknown: _Unknown) -> Iterable[str]:
    """The `bal:` section's references: teams at schools, day-care and clubs; facilitators from
    PPR's staff, each once; known sites and first term; course and analyses that fit their windows."""
    bal = config.bal
    if bal is None:
        return
    index = index_of(config)
    ids = [team.id for team in bal.teams]
    for value, n in Counter(ids).items():
        if n > 1:
            yield f"bal.teams[{ids.index(value)}].id: '{value}' bruges {n} gange; et id skal være entydigt"
    for i, team in enumerate(bal.teams):
        at = f"bal.teams[{i}]"
        if len(team.id) > MAX_TEAM_ID:
            yield (
                f"{at}.id: højst {MAX_TEAM_ID} tegn (teamets analyser får serie-id'et "
                f"'{BAL_SERIES_PREFIX}<id>', og et id har højst 80)"
            )
        unit = index.units.get(team.unit)
        if unit is None:
            yield f"{at}.unit: {unknown('unit', team.unit, index.units)}"
        elif unit.kind not in BAL_TEAM_KINDS:
            yield (
                f"{at}.unit: '{unit.id}' er en enhed af typen {unit.kind.value}; et BAL-team hører til "
                "en skole, et dagtilbud eller en klub"
            )
    first_at: dict[str, int] = {}
    for i, facilitator in enumerate(bal.facilitators):
        at = f"bal.facilitators[{i}]"
        person = index.people.get(facilitator.person)
        if person is None:
            yield f"{at}.person: {unknown('person', facilitator.person, index.people)}"
        elif not set(person.roles) & set(PPR_ROLES):
            yield (
                f"{at}.person: '{person.id}' ({', '.join(person.roles)}) har ingen PPR-rolle "
                f"({', '.join(PPR_ROLES)}); en facilitator er en medarbejder fra PPR"
            )
        elif facilitator.hours_per_week > person.weekly_hours:
            yield (
                f"{at}.hours_per_week: {facilitator.hours_per_week:g} timer om ugen er mere, end "
                f"'{person.id}' arbejder (weekly_hours: {person.weekly_hours:g})"
            )
        if facilitator.person in first_at:
            yield (
                f"{at}.person: '{facilitator.person}' står også som bal.facilitators"
                f"[{first_at[facilitator.person]}]; en facilitator nævnes én gang"
            )
        first_at.setdefault(facilitator.person, i)
        if facilitator.base_site is not None and facilitator.base_site not in index.sites:
            yield f"{at}.base_site: {unknown('site', facilitator.base_site, index.sites)}"
    for name, course in (("course", bal.course), ("leader_course", bal.leader_course)):
        if course is not None:
            yield from _check_bal_course(config, f"bal.{name}", course, unknown)
    yield from _check_bal_sequence(config, bal.sequence)
    if bal.first_term is not None and bal.first_term not in index.terms:
        yield f"bal.first_term: {unknown('term', bal.first_term, index.terms)}"


def _check_bal_course(
    config: MunicipalityConfig, at: str, course: BalCourse, unknown: _Unknown
) -> Iterable[str]:
    """A course site is a known site of some unit (a course session is in that unit's calendar),
    and a session fits the course's window on the grid."""
    index = index_of(config)
    for j, site in enumerate(course.sites):
        if site not in index.sites:
            yield f"{at}.sites[{j}]: {unknown('site', site, index.sites)}"
        elif not any(site in unit.sites for unit in config.units):
            yield (
                f"{at}.sites[{j}]: mødestedet '{site}' hører ikke til nogen enhed (units[].sites); "
                "et kursus holdes hos en enhed og står i dens kalender"
            )
    yield from _fits_window(config, at, course.window, course.minutes)


def _check_bal_sequence(config: MunicipalityConfig, sequence: BalSequence) -> Iterable[str]:
    yield from _fits_window(config, "bal.sequence", sequence.window, sequence.minutes)


def _fits_window(
    config: MunicipalityConfig, at: str, window: TimeRange | None, minutes: int
) -> Iterable[str]:
    span = window or TimeRange(start=8 * 60, end=16 * 60)
    if not index_of(config).grid(span.start, span.end, minutes):
        yield (
            f"{at}.window: tidsrummet {span} har ikke plads til {minutes} minutter fra en starttid "
            f"på tidsrasteret på {config.planning.slot_minutes} minutter (planning.slot_minutes)"
        )
