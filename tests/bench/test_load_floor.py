"""How fair a role's load can be when seats keep their person (`bench.load_floor`)."""

from __future__ import annotations

from bench.load_floor import relaxed_worst_load
from tests.builders import speech_config


def test_one_series_with_two_holders_is_unbalanced_whatever_the_plan() -> None:
    config = speech_config(substitute=True)  # one fortnightly conference, two speech therapists
    ratio, breaks, proven = relaxed_worst_load(config, "efteraar", seconds=10)
    assert (ratio, breaks, proven) == (2.0, 0, True)


def test_without_the_weight_of_continuity_the_seats_are_shared() -> None:
    config = speech_config(substitute=True)
    free = config.model_copy(update={"weights": {**config.weights, "continuity": 0}})
    ratio, _, proven = relaxed_worst_load(free, "efteraar", seconds=10)
    assert proven and ratio == 1.0  # the two take turns: the figure is continuity's price
