"""Estimates for unmeasured cards and which measured rows count."""

from __future__ import annotations

import json

import pytest
from analysis_data import claim, gpu, peak, run, timed

from guide_builder.analysis import AnalysisConfig, analyse


def by_gpu(analysis, name):
    return [r for r in analysis.results if r.gpu == name]


def test_measured_class_calibrates_and_is_pooled(tree):
    # Measured Ada card at efficiency 0.5, measured Ampere card at 0.25 (weight 2 each).
    # With shrinkage off, the unmeasured Ada card gets its class's 0.5 exactly and the
    # Ampere card 0.25: the classes are told apart, never averaged.
    amp_floor = 400 / peak(512, 100, 2500)
    ds = tree(
        gpus=[
            gpu("Ada1"),
            gpu("Ada2", sms=200),
            gpu("Amp1", "Ampere"),
            gpu("Amp2", "Ampere", sms=50),
        ],
        runs=timed("b1", "Ada1", [400 / 128 / 0.5] * 3)
        + timed("b2", "Amp1", [amp_floor / 0.25] * 3),
    )
    a = analyse(ds, AnalysisConfig(estimator_shrinkage=0))
    (est,) = by_gpu(a, "Ada2")
    assert est.seconds.evidence == "estimated" and est.n == 0
    assert est.efficiency == pytest.approx(0.5)
    assert est.seconds.value == pytest.approx(400 / 256 / 0.5)
    assert "the consumer Ada class (1 observations; none of Ada2)" in est.seconds.source
    assert "fitted to 2 measured results and 0 reported runs of 2 cards" in est.seconds.source
    assert "bf16 floor" in est.seconds.source
    (amp2,) = by_gpu(a, "Amp2")
    assert amp2.efficiency == pytest.approx(0.25)
    # With the default shrinkage the one-card class is pulled toward the pool (geometric
    # mean 0.354), but stays on its own side of it.
    shrunk = by_gpu(analyse(ds), "Ada2")[0].efficiency
    assert 0.354 < shrunk < 0.5


def test_other_architecture_falls_back_to_its_segment(tree):
    ds = tree(
        gpus=[gpu("Ada1"), gpu("Ada2"), gpu("BW", "Blackwell")],
        runs=timed("b1", "Ada1", [400 / 128 / 0.4] * 3)
        + timed("b2", "Ada2", [400 / 128 / 0.6] * 3),
    )
    (bw,) = by_gpu(analyse(ds), "BW")
    assert bw.efficiency == pytest.approx((0.4 * 0.6) ** 0.5)  # geometric mean, log space
    assert "no consumer Blackwell runs: the consumer segment (2 observations)" in bw.seconds.source


def test_no_measured_rows_everything_estimated(tree):
    ds = tree(
        gpus=[
            gpu("A", price=5000),
            gpu("B", sms=200, price=9000, vram=16),
            gpu("C", price=None),
            gpu("T", "Turing"),
        ],
        reported=[claim("A", "seconds_per_image", 0.5, "s")],
    )
    cfg = AnalysisConfig(default_efficiency=0.4)
    a = analyse(ds, cfg)
    assert {r.gpu for r in a.results} == {"A", "B", "C"}  # Turing: no bf16, no estimate
    assert all(r.seconds.evidence == "estimated" for r in a.results)
    (ra,) = by_gpu(a, "A")
    assert ra.seconds.value == pytest.approx(400 / 128 / 0.4)
    assert "no runs at all: the configured default" in ra.seconds.source
    # no evidence at all: the interval says so by being wide (at least x/2 to x2)
    assert ra.low_s <= ra.seconds.value / 2 and ra.high_s >= ra.seconds.value * 2
    assert "wide" in ra.seconds.source
    assert a.fact_checks[0].flag.grade == "impossible"
    assert a.cooling == [] and a.pcie == []
    assert len(a.tiers) == 6  # three bands, each with a new and a used pick
    json.dumps(a.roi_model)


def test_empty_catalogue_and_no_workloads_do_not_crash(tree):
    a = analyse(tree(gpus=[gpu("A")], workloads=[]))
    assert a.floors == [] and a.results == []
    assert a.fits and a.tiers[0].gpu is None


def test_synthetic_is_labelled_tiny_never_reaches_results(tree):
    ds = tree(
        gpus=[gpu("A"), gpu("B")],
        runs=timed("syn", "A", [5.0] * 3, weights="synthetic")
        + timed("tiny", "B", [0.1] * 3, weights="tiny"),
    )
    a = analyse(ds)
    (ra,) = by_gpu(a, "A")
    assert ra.seconds.evidence == "measured_synthetic"
    assert ra.bench_ids == ("syn",)
    (rb,) = by_gpu(a, "B")
    assert rb.seconds.evidence == "estimated"  # the tiny run did not count


def test_capped_failed_and_untimed_rows_are_not_times(tree):
    runs = [
        run("b1", 0, "A", 1.0, memory_cap_gib=16),
        run("b1", 1, "A", 1.0, phase="warmup"),
        run("b1", 2, "A", None, status="oom", error="CUDA out of memory"),
        run("b1", 3, "A", 6.0),
        run("b1", 4, "A", 6.0, phase="memory", peak_reserved_gib=20.5),
    ]
    (ra,) = by_gpu(analyse(tree(gpus=[gpu("A")], runs=runs)), "A")
    assert ra.n == 1 and ra.seconds.value == 6.0
    assert ra.peak_vram_gib.value == 20.5


def test_offload_variant_pays_for_pcie_traffic(tree):
    # 13 GiB: only model_offload fits, which moves DiT + encoder + VAE (19.26 GiB) once per image.
    # A measured h2d probe (12.5 GB/s) replaces the assumed 20 GB/s on the second card.
    from analysis_data import probe

    ds = tree(
        gpus=[gpu("Off", vram=13), gpu("Off2", vram=13)],
        probes=[probe("p", "Off2", "h2d_bandwidth", 12.5, "gb_s")],
    )
    a = analyse(ds, AnalysisConfig(default_efficiency=0.5))
    gb = 19.26 * 2**30 / 1e9
    off, off2 = by_gpu(a, "Off")[0], by_gpu(a, "Off2")[0]
    assert off.variant == "model_offload"
    assert off.seconds.value == pytest.approx(400 / 128 / 0.5 + gb / 20)
    assert off2.seconds.value == pytest.approx(400 / 128 / 0.5 + gb / 12.5)
    assert "moving 21 GB per image for model_offload" in off.seconds.source
    assert "measured h2d" in off2.seconds.source


def test_sequential_offload_only_card_is_never_a_tier_pick(tree):
    # 8 GiB fits only with group/sequential offload (DiT streamed every forward): shown, not
    # picked; group_offload (prefetching on a CUDA stream) ranks first of the two.
    a = analyse(tree(gpus=[gpu("Eight", vram=8, price=2000), gpu("Big", vram=24, price=6000)]))
    (eight,) = by_gpu(a, "Eight")
    assert eight.variant == "group_offload"
    gb = (11.46 * 8 + 7.5 + 0.3) * 2**30 / 1e9
    assert eight.seconds.value == pytest.approx(400 / 128 / 0.5 + gb / 20)
    assert next(t for t in a.tiers if t.tier == "entry").gpu == "Big"
    assert any(
        str(x).startswith("Eight: runs zimage-turbo-1024 only with group_offload")
        for x in a.tier_exclusions
    )


def test_a_measured_workload_calibrates_the_others(tree):
    # Efficiency is per FLOP, so a card measured at 1024x1024 calibrates 768x768 too.
    from analysis_data import workload

    ds = tree(
        gpus=[gpu("Ada1"), gpu("Ada2")],
        runs=timed("b1", "Ada1", [400 / 128 / 0.4] * 3),
        workloads=[workload(), workload("zimage-turbo-768", per_forward=25, width=768, height=768)],
    )
    est = [r for r in analyse(ds).results if r.gpu == "Ada2" and r.workload == "zimage-turbo-768"]
    assert est[0].efficiency == pytest.approx(0.4)
    assert "the consumer Ada class" in est[0].seconds.source
    assert est[0].seconds.value == pytest.approx(200 / 128 / 0.4)
