"""The benchmark's instances: the example, three municipalities it was never tuned for, and the
example scaled ×2, ×4 and ×10.

The three in `bench/instances/` are written from public facts about Danish municipalities (each
file's header says which numbers are facts and which are guesses), so that the benchmark measures
the planner on shapes other than the one it was developed on: a small municipality whose few
specialists serve every district (`lilleby`), Ballerup's size with half the specialists and most
of them part time (`stramkommune`), and a big city of twelve districts in three PPR areas
(`storby`). The scaled copies are generated in memory by `bench.generate.scale_config`; they are
never written to the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.generate import scale_config
from scheduler.config import load_config
from scheduler.model import MunicipalityConfig

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ballerup.yaml"
INSTANCES = Path(__file__).resolve().parent / "instances"

TERM = "foraar-2027"
"""The term every instance is planned for."""

UNTUNED = ("lilleby", "stramkommune", "storby")
"""The files in `bench/instances/` (without `.yaml`), smallest first."""

SCALE_FACTORS = (2, 4, 10)
"""The copies of the example that `benchmark_instances(scaled=True)` adds."""


@dataclass(frozen=True)
class Instance:
    """One problem of the benchmark: a checked config and the term to plan."""

    name: str  # "ballerup", "lilleby", "ballerup-x4", …
    config: MunicipalityConfig
    term: str  # term id to plan
    shape: str  # one line: "5 distrikter, 26 serier, 81 personer"


def shape_of(config: MunicipalityConfig) -> str:
    """The one-line size of a config, in the words the CLI's summary uses."""
    return f"{len(config.districts)} distrikter, {len(config.series)} serier, {len(config.staff)} personer"


def _instance(name: str, config: MunicipalityConfig) -> Instance:
    return Instance(name=name, config=config, term=TERM, shape=shape_of(config))


def instance_path(name: str) -> Path:
    """The YAML file of an unscaled instance ("ballerup" is the bundled example)."""
    if name == "ballerup":
        return EXAMPLE
    if name not in UNTUNED:
        raise KeyError(f"unknown benchmark instance {name!r}; known: ballerup, {', '.join(UNTUNED)}")
    return INSTANCES / f"{name}.yaml"


def benchmark_instances(scaled: bool = True) -> list[Instance]:
    """The example and the untuned municipalities, then (with `scaled`) the example ×2, ×4, ×10.

    Each config is loaded and checked afresh, so a caller may change one without affecting another.
    """
    base = load_config(EXAMPLE)
    instances = [_instance("ballerup", base)]
    instances += [_instance(name, load_config(instance_path(name))) for name in UNTUNED]
    if scaled:
        instances += [_instance(f"ballerup-x{f}", scale_config(base, f)) for f in SCALE_FACTORS]
    return instances
