"""Scaled benchmark instances: the example municipality, `factor` times over, as one joint problem.

Copy 1 keeps the original ids and names; copy k >= 2 suffixes every id with `-xk` and every name
with ` k` ("Baltorp 2"). Terms, holidays, planning and weights are shared. Travel pairs are
replicated within each copy (sites of different copies are `default_minutes` apart). So that the
copies do not fall apart into independent problems, a few specialists of copy k also serve one
district of copy k+1: all motorikkonsulenter and pædagogiske vejledere, and the first psykolog
and ressourcepædagog of each copy, who then sit in role pools of both copies.

    python -m bench.generate examples/ballerup.yaml --factor 4 \
        --out bench/instances/ballerup_x4.yaml
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from scheduler.config import ConfigError, config_from_data, load_config
from scheduler.model import MunicipalityConfig, Seat

COUPLING_ALL_ROLES = ("motorikkonsulent", "paedagogisk_vejleder")
"""Every person with one of these roles also serves a district of the next copy."""

COUPLING_FIRST_ROLES = ("psykolog", "ressourcepaedagog")
"""The first person with each of these roles also serves a district of the next copy."""


def suffix_id(value: str, k: int) -> str:
    """The id of copy k: unchanged for the first copy."""
    return value if k == 1 else f"{value}-x{k}"


def suffix_name(value: str, k: int) -> str:
    return value if k == 1 else f"{value} {k}"


def _seat(seat: Seat | None, k: int) -> Seat | None:
    if seat is None:
        return None
    return seat.model_copy(
        update={
            "person": None if seat.person is None else suffix_id(seat.person, k),
            "people": None if seat.people is None else [suffix_id(p, k) for p in seat.people],
        }
    )


def _copy(config: MunicipalityConfig, k: int) -> dict[str, list[Any]]:
    """Districts, sites, units, travel pairs, staff and series of copy k, with rewritten ids."""

    def ids(value: str) -> str:
        return suffix_id(value, k)

    districts = [
        d.model_copy(update={"id": ids(d.id), "name": suffix_name(d.name, k)}) for d in config.districts
    ]
    sites = [s.model_copy(update={"id": ids(s.id), "name": suffix_name(s.name, k)}) for s in config.sites]
    units = [
        u.model_copy(
            update={
                "id": ids(u.id),
                "name": suffix_name(u.name, k),
                "districts": [ids(d) for d in u.districts],
                "sites": [ids(s) for s in u.sites],
            }
        )
        for u in config.units
    ]
    pairs = [p.model_copy(update={"sites": (ids(p.sites[0]), ids(p.sites[1]))}) for p in config.travel.pairs]
    staff = []
    for person in config.staff:
        email = person.email
        if email is not None and k > 1 and "@" in email:
            local, domain = email.split("@", 1)
            email = f"{local}-x{k}@{domain}"
        serves = person.serves.model_copy(
            update={
                "districts": [ids(d) for d in person.serves.districts],
                "units": [ids(u) for u in person.serves.units],
            }
        )
        staff.append(
            person.model_copy(
                update={
                    "id": ids(person.id),
                    "name": suffix_name(person.name, k),
                    "email": email,
                    "serves": serves,
                }
            )
        )
    series = [
        s.model_copy(
            update={
                "id": ids(s.id),
                "title": None if s.title is None else suffix_name(s.title, k),
                "unit": ids(s.unit),
                "site": None if s.site is None else ids(s.site),
                "sites": [ids(site) for site in s.sites],
                "chair": _seat(s.chair, k),
                "minute_taker": _seat(s.minute_taker, k),
                "required_people": [ids(p) for p in s.required_people],
                "required_roles": [_seat(r, k) for r in s.required_roles],
                "rota": _seat(s.rota, k),
                "optional_people": [ids(p) for p in s.optional_people],
            }
        )
        for s in config.series
    ]
    return {
        "districts": districts,
        "sites": sites,
        "units": units,
        "pairs": pairs,
        "staff": staff,
        "series": series,
    }


def coupling_people(config: MunicipalityConfig) -> list[str]:
    """Ids (of copy 1) of the specialists who also serve a district of the next copy."""
    chosen: list[str] = []
    firsts: set[str] = set()
    for person in config.staff:
        if person.serves.all or not person.serves.districts:
            continue
        if any(role in COUPLING_ALL_ROLES for role in person.roles):
            chosen.append(person.id)
            continue
        for role in COUPLING_FIRST_ROLES:
            if role in person.roles and role not in firsts:
                firsts.add(role)
                chosen.append(person.id)
                break
    return chosen


def scale_config(config: MunicipalityConfig, factor: int) -> MunicipalityConfig:
    """The config `factor` times over in the same proportions, coupled into one joint problem."""
    if factor < 1:
        raise ValueError("factor must be at least 1")
    if factor == 1:
        return config.model_copy(deep=True)
    copies = [_copy(config, k) for k in range(1, factor + 1)]
    couplers = set(coupling_people(config))
    for k in range(1, factor):  # copy k (1-based) reaches into copy k+1
        for person in copies[k - 1]["staff"]:
            base_id = person.id if k == 1 else person.id.removesuffix(f"-x{k}")
            if base_id not in couplers:
                continue
            own = person.serves.districts[0]
            base_district = own if k == 1 else own.removesuffix(f"-x{k}")
            extra = suffix_id(base_district, k + 1)
            person.serves = person.serves.model_copy(update={"districts": [*person.serves.districts, extra]})

    def merged(key: str) -> list[Any]:
        return [item for copy in copies for item in copy[key]]

    scaled = config.model_copy(
        update={
            "districts": merged("districts"),
            "sites": merged("sites"),
            "units": merged("units"),
            "travel": config.travel.model_copy(update={"pairs": merged("pairs")}),
            "staff": merged("staff"),
            "series": merged("series"),
        },
        deep=True,
    )
    # Round-trip through validation, so the result is a checked config like any loaded one.
    return config_from_data(scaled.model_dump(mode="json"))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_KEYS = frozenset({"start", "end", "date", "first_date"})


def _readable(value: Any) -> Any:
    """Write time spans as '08:00-16:00' and dates as YAML dates again, as a person would."""
    if isinstance(value, dict):
        if set(value) == {"start", "end"} and all(type(v) is int for v in value.values()):
            start, end = value["start"], value["end"]
            return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
        return {
            key: date.fromisoformat(item)
            if key in _DATE_KEYS and isinstance(item, str) and _ISO_DATE.match(item)
            else _readable(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_readable(item) for item in value]
    return value


def to_yaml(config: MunicipalityConfig, header: str = "") -> str:
    data = _readable(config.model_dump(mode="json", exclude_defaults=True))
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    return header + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Write a scaled benchmark instance of a municipality config.",
    )
    parser.add_argument("config", type=Path, help="config to scale, e.g. examples/ballerup.yaml")
    parser.add_argument("--factor", type=int, default=2, help="copies of the municipality")
    parser.add_argument("--out", type=Path, help="output file; standard output if left out")
    args = parser.parse_args(argv)
    if args.factor < 1:
        parser.error("--factor must be at least 1")
    try:
        config = load_config(args.config)
        scaled = scale_config(config, args.factor)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    summary = f"{len(scaled.districts)} districts, {len(scaled.staff)} staff, {len(scaled.series)} series"
    source = f"{args.config} with --factor {args.factor}"
    header = f"# Generated by bench.generate from {source}: {summary}.\n"
    text = to_yaml(scaled, header)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
