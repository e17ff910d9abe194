"""How big a config may be: the one home of the input limits, checked before anything is built.

A config is text from a user; a few kilobytes of YAML can describe millions of objects (aliases,
merge keys, deep nesting), and a solve over them can take all the server's memory. So a config is
measured in three steps, each before the next costs anything:

1. the text: its size in bytes (`check_size`);
2. the YAML event stream, which PyYAML yields without constructing anything (`scan_yaml`):
   nesting depth, aliases (`*name` and merge keys `<<: *name`) and the number of nodes once every
   alias is expanded — a "billion laughs" is counted, never expanded;
3. the parsed data: counts of districts, sites, units, staff, series and terms (`check_counts`),
   and the meetings a term would expand to (`check_occurrences`, series × cadence periods, a cheap
   estimate before any CP-SAT model exists).

The limits are generous for a real municipality: `bench/generate.py`'s ×10 Ballerup (50
districts, 190 sites, 150 units, 810 staff, 260 series, 2,790 meetings a term, 0.4 MB, depth 6,
35,000 nodes) validates and plans with room to spare. Messages are Danish, say the limit and what
was found, and name the place in the YAML.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
)

from scheduler.index import runs_in
from scheduler.model import Cadence, CadenceKind, MunicipalityConfig, Term
from scheduler.term_dates import week_monday


@dataclass(frozen=True)
class ConfigLimits:
    """The limits of one config; `LIMITS` is the one instance everything uses."""

    max_bytes: int = 2_000_000
    max_depth: int = 50
    max_aliases: int = 10_000
    max_nodes: int = 500_000
    """YAML nodes (scalars, lists, mappings) with every alias and merge key expanded"""
    max_districts: int = 200
    max_sites: int = 2_000
    max_units: int = 2_000
    max_staff: int = 5_000
    max_series: int = 2_000
    max_terms: int = 20
    max_occurrences_per_term: int = 10_000
    """meetings one term would expand to (series × cadence periods), before any model is built"""
    max_problems: int = 100
    """problems listed with suggestions; the rest are counted ('… og 1.234 andre problemer')"""


LIMITS = ConfigLimits()

# Top-level lists and their Danish names, in config order.
COUNTED = (
    ("districts", "distrikter", "max_districts"),
    ("sites", "mødesteder", "max_sites"),
    ("units", "enheder", "max_units"),
    ("staff", "personer", "max_staff"),
    ("series", "mødeserier", "max_series"),
    ("terms", "terminer", "max_terms"),
)


def number(value: int) -> str:
    """A count the Danish way: 100.000."""
    return f"{value:,}".replace(",", ".")


def check_size(size: int, source: str, limits: ConfigLimits = LIMITS) -> list[str]:
    """The text's size in bytes (of a file before it is read, or of UTF-8 text)."""
    if size <= limits.max_bytes:
        return []
    return [
        f"{source}: konfigurationen fylder {number(size)} bytes; "
        f"højst {number(limits.max_bytes)} bytes er tilladt"
    ]


@dataclass
class YamlShape:
    """What the event stream showed: deepest nesting (and where), aliases, expanded nodes."""

    depth: int = 0
    depth_line: int = 0
    aliases: int = 0
    nodes: int = 0
    error: yaml.YAMLError | None = None
    """the parser stopped here; the figures cover the text before it"""


FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser with PyYAML's safe constructor when PyYAML has it (several times faster)."""


def scan_yaml(text: str, loader: Any = None, max_depth: int = LIMITS.max_depth) -> YamlShape:
    """Measure a YAML text from its event stream, without building a single node.

    Every node counts once, an alias as many nodes as its anchor's node holds (counted when that
    node ended), so `[*a, *a, …]` over a big `&a` is as big as it would be expanded. The scan
    stops one level past `max_depth`: PyYAML's scanner slows down with every open level, so
    50,000 of them are never read, let alone recursed into.
    """
    shape = YamlShape()
    sizes: dict[str, int] = {}  # anchor -> expanded nodes of its node
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, nodes so far) per open collection
    total = 0

    def add(count: int) -> None:
        nonlocal total
        if open_nodes:
            anchor, so_far = open_nodes[-1]
            open_nodes[-1] = (anchor, so_far + count)
        else:
            total += count

    try:
        for event in yaml.parse(text, Loader=loader or FAST_LOADER):
            if isinstance(event, CollectionStartEvent):
                open_nodes.append((event.anchor, 1))
                if len(open_nodes) > shape.depth:
                    shape.depth = len(open_nodes)
                    shape.depth_line = event.start_mark.line + 1 if event.start_mark else 0
                    if shape.depth > max_depth:
                        break
            elif isinstance(event, SequenceEndEvent | MappingEndEvent):
                anchor, count = open_nodes.pop()
                if anchor is not None:
                    sizes[anchor] = count
                add(count)
            elif isinstance(event, ScalarEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                add(1)
            elif isinstance(event, AliasEvent):
                shape.aliases += 1
                add(sizes.get(event.anchor or "", 1))
    except yaml.YAMLError as exc:
        shape.error = exc
    shape.nodes = total + sum(count for _, count in open_nodes)
    return shape


def check_shape(shape: YamlShape, source: str, limits: ConfigLimits = LIMITS) -> list[str]:
    problems = []
    if shape.depth > limits.max_depth:
        problems.append(
            f"{source}: linje {shape.depth_line}: lister og afsnit er indlejret mere end "
            f"{limits.max_depth} niveauer dybt; højst {limits.max_depth} niveauer er tilladt"
        )
    if shape.aliases > limits.max_aliases:
        problems.append(
            f"{source}: konfigurationen bruger {number(shape.aliases)} aliaser (*navn og <<: *navn); "
            f"højst {number(limits.max_aliases)} er tilladt"
        )
    if shape.nodes > limits.max_nodes:
        problems.append(
            f"{source}: konfigurationen bliver til {number(shape.nodes)} værdier, når aliaser er "
            f"foldet ud; højst {number(limits.max_nodes)} er tilladt"
        )
    return problems


def check_counts(raw: dict[str, Any], limits: ConfigLimits = LIMITS) -> list[str]:
    """Counts of the top-level lists, on the plain data, before any model object is made."""
    problems = []
    for key, danish, limit_name in COUNTED:
        items = raw.get(key)
        limit = getattr(limits, limit_name)
        if isinstance(items, list) and len(items) > limit:
            problems.append(
                f"{key}: konfigurationen har {number(len(items))} {danish}; højst {number(limit)} er tilladt"
            )
    return problems


def periods_in(cadence: Cadence, term: Term) -> int:
    """An upper bound on a series' cadence periods in a term (holidays not subtracted)."""
    days = (term.end - term.start).days + 1
    if cadence.kind == CadenceKind.daily:
        return days
    if cadence.kind == CadenceKind.per_term:
        return cadence.count or 1
    if cadence.kind == CadenceKind.monthly:
        return (term.end.year - term.start.year) * 12 + term.end.month - term.start.month + 1
    weeks = {CadenceKind.weekly: 1, CadenceKind.fortnightly: 2}.get(cadence.kind, cadence.n or 1)
    return math.ceil(((term.end - week_monday(term.start)).days + 1) / (7 * weeks))


def occurrences_per_term(config: MunicipalityConfig) -> Iterable[tuple[int, Term, int]]:
    """(index, term, meetings it would expand to) for every term."""
    for i, term in enumerate(config.terms):
        count = sum(periods_in(series.cadence, term) for series in config.series if runs_in(series, term))
        yield i, term, count


def check_occurrences(config: MunicipalityConfig, limits: ConfigLimits = LIMITS) -> list[str]:
    return [
        f"terms[{i}]: terminen '{term.id}' ville få op til {number(count)} møder (mødeserier × "
        f"perioder); højst {number(limits.max_occurrences_per_term)} er tilladt pr. termin"
        for i, term, count in occurrences_per_term(config)
        if count > limits.max_occurrences_per_term
    ]


def capped(problems: list[str], limits: ConfigLimits = LIMITS, total: int | None = None) -> list[str]:
    """The first `max_problems` of `total` problems (default: all given), and how many more there are."""
    total = len(problems) if total is None else total
    shown = problems[: limits.max_problems]
    if total <= len(shown):
        return shown
    return [*shown, f"… og {number(total - len(shown))} andre problemer"]
