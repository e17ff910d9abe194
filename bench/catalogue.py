"""The benchmark's instances (a minimal stand-in: the Ballerup example and its scaled copies).

Another part of issue 15 writes the realistic catalogue behind this same interface; `bench.run`
reads only `benchmark_instances()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.generate import scale_config
from scheduler.config import load_config
from scheduler.model import MunicipalityConfig

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ballerup.yaml"
TERM = "foraar-2027"
FACTORS = (2, 4, 10)


@dataclass(frozen=True)
class Instance:
    name: str
    config: MunicipalityConfig
    term: str
    shape: str
    """one line on what kind of municipality it is"""


def benchmark_instances(scaled: bool = True) -> list[Instance]:
    """The example, then (with `scaled`) its ×2, ×4 and ×10 copies from `bench.generate`."""
    base = load_config(EXAMPLE)
    instances = [Instance("ballerup", base, TERM, "Ballerup Kommune's example, 6 districts")]
    if scaled:
        instances += [
            Instance(f"ballerup-x{k}", scale_config(base, k), TERM, f"the example copied {k} times")
            for k in FACTORS
        ]
    return instances
