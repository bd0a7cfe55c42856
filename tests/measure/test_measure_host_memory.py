"""Peak host RSS per configuration, and the run order that puts memory caps last."""

from __future__ import annotations

import pytest

from guide_builder.measure.config import MeasureConfig
from guide_builder.measure.rss import PeakRss


def test_peak_rss_is_per_window_not_per_process():
    rss = PeakRss()
    if rss.method == "unavailable":
        pytest.skip("no /proc here")
    rss.reset()
    block = bytearray(256 * 2**20)  # touched: zero-filled pages are resident
    block[::4096] = b"\1" * len(block[::4096])
    high = rss.peak_gib()
    del block
    rss.reset()
    low = rss.peak_gib()
    rss.close()
    assert high - low > 0.2, (rss.method, high, low)


def test_every_uncapped_configuration_runs_before_any_capped_one():
    cfg = MeasureConfig(workloads=["w"], variants=["a", "b"], memory_caps_gib=[12.0, None, 8.0])
    assert cfg.configurations() == [
        ("w", "a", None),
        ("w", "b", None),
        ("w", "a", 8.0),
        ("w", "b", 8.0),
        ("w", "a", 12.0),
        ("w", "b", 12.0),
    ]
