"""`python -m bench.meeting_scheduling INSTANCE.json --time-limit S --workers N --out RESULT.json`.

Solves one Timefold meeting-scheduling instance and writes the referee's score. It is the bench's
own entry point, so the installed product (`moedeplan`) never imports `bench`. Exit codes: 0 the
result is written; 2 bad input (arguments or instance file), with the reason in Danish.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

from pydantic import ValidationError

from bench.meeting_scheduling.instance import Instance, load_instance
from bench.meeting_scheduling.solve import solve_instance

_Number = TypeVar("_Number", int, float)

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class _DanishParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in Danish with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"fejl: {message}\n")


def _number(
    kind: type[_Number], minimum: _Number, maximum: _Number | None = None
) -> Callable[[str], _Number]:
    """A parser for a number within bounds, failing with a Danish sentence."""

    def parse(text: str) -> _Number:
        try:
            value = kind(text)
        except ValueError:
            word = "et heltal" if kind is int else "et tal"
            raise argparse.ArgumentTypeError(f"{text!r} er ikke {word}") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" og højst {maximum}"
            raise argparse.ArgumentTypeError(f"{text} skal være mindst {minimum}{upper}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _DanishParser(
        prog="python -m bench.meeting_scheduling",
        description="Løs en Timefold meeting-scheduling-instans og skriv den uafhængigt beregnede score.",
    )
    parser.add_argument("instance", metavar="INSTANCE.json", type=Path, help="en meeting-scheduling-instans")
    parser.add_argument(
        "--time-limit", type=_number(float, 0.5), default=60.0, help="sekunder, modelbygning medregnet"
    )
    parser.add_argument("--workers", type=_number(int, 1, 64), default=2)
    parser.add_argument("--seed", type=_number(int, 0), default=0)
    parser.add_argument("--out", type=Path, default=Path("result.json"), help="resultatets JSON")
    return parser


def _load(path: Path) -> Instance | None:
    """The instance, or None after saying on stderr why it cannot be read."""
    try:
        return load_instance(path)
    except FileNotFoundError:
        print(f"{path}: filen findes ikke", file=sys.stderr)
    except ValidationError as exc:
        print(f"{path} er ikke en meeting-scheduling-instans:", file=sys.stderr)
        for err in exc.errors()[:20]:
            where = ".".join(str(part) for part in err["loc"]) or "(top)"
            print(f"  {where}: {err['msg']}", file=sys.stderr)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = _load(args.instance)
    if problem is None:
        return EXIT_BAD_INPUT
    result = solve_instance(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    out: Path = args.out
    out.write_text(json.dumps(result.as_json(), indent=2), encoding="utf-8")
    first = "-" if result.first_feasible_s is None else f"{result.first_feasible_s:.2f} s"
    print(
        f"{args.instance.name}: score {result.score} (hard/medium/soft), first feasible {first}, "
        f"wall {result.wall_s:.1f} s -> {out}"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
