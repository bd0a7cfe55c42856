"""The shipped measurements: the source article's claims come out flagged, tiers are sane.

Needs measurements/catalog/workloads.csv (written by `guide-builder count-flops`):
the floors come from its FLOP count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guide_builder.analysis import AnalysisConfig, analyse
from guide_builder.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[2] / "measurements"
WL = "zimage-turbo-1024"


@pytest.fixture(scope="module")
def shipped():
    ds = load_dataset(ROOT)
    assert WL in set(ds.workloads["workload"]), (
        "measurements/catalog/workloads.csv must count zimage-turbo-1024 (guide-builder count-flops)"
    )
    return ds, analyse(ds)


def check(analysis, gpu, claim, value=None):
    hits = [
        c
        for c in analysis.fact_checks
        if c.gpu == gpu and c.claim == claim and (value is None or c.value == pytest.approx(value))
    ]
    assert hits, f"no {claim} claim for {gpu} ({value}) in measurements/reported"
    return hits


def sixteen_and_eight_bit_floors(analysis, gpu):
    return [
        f for f in analysis.floors if f.gpu == gpu and f.workload == WL and f.precision != "int4"
    ]


def test_article_4090_bf16_is_impossible(shipped):
    _, a = shipped
    (c,) = check(a, "RTX 4090", "seconds_per_image", 0.87)
    assert c.precision == "bf16" and c.flag.grade == "impossible"
    assert c.floor_s > 2 * 0.87


@pytest.mark.parametrize(("gpu", "seconds"), [("RTX 3090", 1.45), ("RTX 4070 Ti Super", 1.18)])
def test_article_claims_out_of_reach_in_every_16_and_8_bit_precision(shipped, gpu, seconds):
    _, a = shipped
    (c,) = check(a, gpu, "seconds_per_image", seconds)
    assert c.flag.grade == "impossible"
    assert c.flag.needed_precision == "int4"
    floors = sixteen_and_eight_bit_floors(a, gpu)
    assert floors and all(f.floor_s > seconds for f in floors)


def test_article_spec_claims_contradict_the_catalogue(shipped):
    _, a = shipped
    (bw,) = check(a, "RTX 4070 Ti Super", "bandwidth", 1152)
    assert bw.flag.grade == "contradicts_spec"
    (bf16,) = check(a, "RTX 3090", "no_bf16_support")
    assert bf16.flag.grade == "contradicts_spec"


def test_second_hand_4090_report_is_not_impossible(shipped):
    _, a = shipped
    (c,) = check(a, "RTX 4090", "seconds_per_image", 2.3)
    assert c.flag.grade != "impossible", c.flag.reason


def test_no_tier_pick_cannot_fit(shipped):
    _, a = shipped
    fit = {f.gpu: f for f in a.fits if f.workload == WL}
    picked = [g for t in a.tiers for g in (t.gpu, t.runner_up) if g]
    assert picked, "no tier picked any card"
    for gpu in picked:
        assert fit[gpu].verdict != "cannot_run"
        assert fit[gpu].variant in AnalysisConfig().tier_variants


def test_everything_renders_as_plain_data(shipped):
    _, a = shipped
    json.dumps(a.roi_model)
    assert len(a.tiers) == 6  # three bands, each with a new and a used pick
    assert all(
        r.seconds.evidence in ("measured", "measured_synthetic", "estimated") for r in a.results
    )
