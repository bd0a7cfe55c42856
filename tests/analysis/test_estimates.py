"""Estimates for unmeasured cards and which measured rows count."""

from __future__ import annotations

import json

import pytest
from conftest import claim, gpu, peak, run, timed

from guide_builder.analysis import AnalysisConfig, analyse


def by_gpu(analysis, name):
    return [r for r in analysis.results if r.gpu == name]


def test_same_architecture_calibration(tree):
    # Measured Ada card: floor 3.551 s, median 7.102 s -> efficiency 0.5.
    # Unmeasured Ada card with 200 SMs: floor 400 / 225.28 = 1.776 s -> 3.551 s.
    # Measured Ampere card at efficiency 0.25 must not count for the Ada estimate.
    amp_floor = 400 / peak(512, 100, 2200)
    ds = tree(
        gpus=[gpu("Ada1"), gpu("Ada2", sms=200), gpu("Amp1", "Ampere"), gpu("Amp2", "Ampere", sms=50)],
        runs=timed("b1", "Ada1", [400 / 112.64 / 0.5] * 3) + timed("b2", "Amp1", [amp_floor / 0.25] * 3),
    )
    a = analyse(ds)
    (est,) = by_gpu(a, "Ada2")
    assert est.seconds.evidence == "estimated" and est.n == 0
    assert est.efficiency == pytest.approx(0.5)
    assert est.seconds.value == pytest.approx(400 / 225.28 / 0.5)
    assert "measured Ada cards (Ada1)" in est.seconds.source
    assert "bf16 floor" in est.seconds.source
    (amp2,) = by_gpu(a, "Amp2")
    assert amp2.efficiency == pytest.approx(0.25)


def test_other_architecture_falls_back_to_all_measured(tree):
    ds = tree(
        gpus=[gpu("Ada1"), gpu("Ada2"), gpu("BW", "Blackwell")],
        runs=timed("b1", "Ada1", [400 / 112.64 / 0.4] * 3) + timed("b2", "Ada2", [400 / 112.64 / 0.6] * 3),
    )
    (bw,) = by_gpu(analyse(ds), "BW")
    assert bw.efficiency == pytest.approx(0.5)  # median of 0.4 and 0.6
    assert "all measured cards" in bw.seconds.source


def test_no_measured_rows_everything_estimated(tree):
    ds = tree(
        gpus=[gpu("A", price=5000), gpu("B", sms=200, price=9000, vram=16), gpu("C", price=None), gpu("T", "Turing")],
        reported=[claim("A", "seconds_per_image", 0.5, "s")],
    )
    cfg = AnalysisConfig(default_efficiency=0.4)
    a = analyse(ds, cfg)
    assert {r.gpu for r in a.results} == {"A", "B", "C"}  # Turing: no bf16, no estimate
    assert all(r.seconds.evidence == "estimated" for r in a.results)
    (ra,) = by_gpu(a, "A")
    assert ra.seconds.value == pytest.approx(400 / 112.64 / 0.4)
    assert "configured default" in ra.seconds.source
    assert a.fact_checks[0].flag.grade == "impossible"
    assert a.cooling == [] and a.pcie == []
    assert len(a.tiers) == 3
    json.dumps(a.roi_model)


def test_empty_catalogue_and_no_workloads_do_not_crash(tree):
    a = analyse(tree(gpus=[gpu("A")], workloads=[]))
    assert a.floors == [] and a.results == []
    assert a.fits and a.tiers[0].gpu is None


def test_synthetic_is_labelled_tiny_never_reaches_results(tree):
    ds = tree(
        gpus=[gpu("A"), gpu("B")],
        runs=timed("syn", "A", [5.0] * 3, weights="synthetic") + timed("tiny", "B", [0.1] * 3, weights="tiny"),
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
