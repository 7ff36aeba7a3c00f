"""The garbage collector's tuning for a long-running process."""

from __future__ import annotations

import gc

from bot.core.collector import YOUNG_THRESHOLD, tune_collector


def test_start_up_objects_are_frozen_and_young_collections_are_rarer() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_freeze_count() > 1000  # modules, mappers, translations: out of the collector's way
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        collected = gc.collect()
        assert collected >= 1  # cycles are still collected
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
