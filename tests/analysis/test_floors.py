"""Floors and efficiencies, checked against hand arithmetic."""

from __future__ import annotations

import pytest
from analysis_data import TFLOP, WL, gpu, peak, probe, timed

from guide_builder.analysis import AnalysisConfig, analyse
from guide_builder.analysis.floors import floors, index


def test_floor_uses_spec_boost_plus_margin(tree):
    ds = tree(gpus=[gpu("Card A", "Ada", sms=100, boost=2000)])
    f = index(floors(ds, AnalysisConfig()))
    # 2000 MHz + 25 % = 2500 MHz; bf16: 100 x 512 x 2.2e9 = 128 TFLOPS
    bf16 = f[("Card A", WL, "bf16")]
    assert bf16.clock_mhz == pytest.approx(2500)
    assert bf16.peak_tflops_upper == pytest.approx(128)
    assert bf16.floor_s == pytest.approx(400 / 128)
    assert f[("Card A", WL, "fp8")].floor_s == pytest.approx(400 / 256)
    assert f[("Card A", WL, "int4")].floor_s == pytest.approx(400 / 1024)
    assert "spec boost 2000 MHz + 25 %" in bf16.clock_basis


def test_ampere_has_no_fp8_floor_and_turing_no_bf16(tree):
    ds = tree(gpus=[gpu("Amp", "Ampere"), gpu("Tur", "Turing")])
    f = index(floors(ds, AnalysisConfig()))
    assert ("Amp", WL, "fp8") not in f and ("Amp", WL, "bf16") in f
    assert ("Tur", WL, "bf16") not in f and ("Tur", WL, "fp16_acc16") in f


def test_nvml_max_clock_beats_spec(tree):
    ds = tree(
        gpus=[gpu("Card A", sms=100, boost=2000)],
        runs=timed("b1", "Card A", [4.0, 4.0, 4.0]),
        probes=[probe("b1", "Card A", "max_sm_clock", 2500, "mhz")],
    )
    f = index(floors(ds, AnalysisConfig()))[("Card A", WL, "bf16")]
    assert f.clock_mhz == 2500
    assert f.floor_s == pytest.approx(TFLOP / peak(512, 100, 2500))
    assert "NVML max SM clock on bench b1" in f.clock_basis


def test_text_encoder_and_vae_flops_count(tree):
    from analysis_data import workload

    ds = tree(gpus=[gpu("Card A")], workloads=[workload(text_encoder_tflop=10, vae_decode_tflop=5)])
    f = index(floors(ds, AnalysisConfig()))[("Card A", WL, "bf16")]
    assert f.tflop == pytest.approx(415)


def test_efficiency_and_stats_of_measured_rows(tree):
    times = [4.0, 4.2, 4.4, 4.6, 10.0]
    ds = tree(gpus=[gpu("Card A")], runs=timed("b1", "Card A", times))
    a = analyse(ds)
    (r,) = [r for r in a.results if r.gpu == "Card A"]
    assert r.seconds.value == 4.4 and r.n == 5
    assert r.seconds.evidence == "measured"
    assert r.iqr_s == pytest.approx(4.6 - 4.2)
    assert r.p90_s == pytest.approx(4.6 + 0.6 * (10.0 - 4.6))
    assert r.wide_spread  # 0.4 / 4.4 = 9 % > 5 %
    assert r.efficiency == pytest.approx(400 / 128 / 4.4)
    # perf per CNY: 3600 / 4.4 images per hour per (10000 / 1000)
    assert r.images_per_hour_per_kcny == pytest.approx(3600 / 4.4 / 10)
