"""Cooling from telemetry, PCIe from probes, pitfalls from data."""

from __future__ import annotations

import pytest
from analysis_data import gpu, probe, run, timed

from guide_builder.analysis import analyse


def samples(bench, clocks, reasons, temps):
    return [
        {
            "bench_id": bench,
            "gpu_index": 0,
            "t_s": float(t),
            "run_index": t,
            "phase": "stability",
            "sm_clock_mhz": c,
            "clock_event_reasons": r,
            "gpu_temp_c": temp,
        }
        for t, (c, r, temp) in enumerate(zip(clocks, reasons, temps, strict=True))
    ]


def test_throttle_time_clock_drop_and_pitfall(tree):
    clocks = [2700] * 5 + [2600, 2500, 2400, 2400, 2400]
    reasons = [0x4] * 6 + [0x24] * 4  # SwThermal appears at t = 6 s
    temps = [60, 65, 70, 75, 80, 83, 85, 86, 86, 87]
    ds = tree(
        gpus=[gpu("A")],
        runs=timed("a", "A", [4.0] * 3),
        telemetry=samples("a", clocks, reasons, temps),
    )
    a = analyse(ds)
    (c,) = a.cooling
    assert c.gpu == "A" and c.max_gpu_temp_c == 87 and c.max_mem_temp_c is None
    assert c.time_to_throttle_s == 6.0
    # First and last 20 % (2 samples): 2700 -> 2400 MHz = 11.1 % drop.
    assert c.clock_drop_pct == pytest.approx(300 / 2700 * 100)
    assert c.throttle_reasons == ("SwPowerCap", "SwThermal")
    assert "SwThermal" in c.advice and "after 6 s" in c.advice
    assert any(p.kind == "throttling" and p.gpu == "A" for p in a.pitfalls)


def test_power_cap_alone_is_not_throttling(tree):
    ds = tree(
        gpus=[gpu("A")],
        runs=timed("a", "A", [4.0] * 3),
        telemetry=samples("a", [2700] * 10, [0x4] * 10, [70] * 10),
    )
    (c,) = analyse(ds).cooling
    assert (
        c.time_to_throttle_s is None
        and "no thermal throttling" in c.advice
        and "SwPowerCap" in c.advice
    )


def test_pcie_link_below_max(tree):
    probes = [
        probe("a", "A", "pcie_link_gen", 3, "gen"),
        probe("a", "A", "pcie_link_width", 8, "lanes"),
        probe("a", "A", "pcie_link_max_gen", 4, "gen"),
        probe("a", "A", "pcie_link_max_width", 16, "lanes"),
        probe("a", "A", "h2d_bandwidth", 6.0, "gb_s"),
        probe("a", "A", "model_load_warm", 10.0, "s"),
        probe("a", "A", "model_load_cold", 60.0, "s"),
        probe("a", "A", "disk_read", 0.5, "gb_s"),
    ]
    a = analyse(tree(gpus=[gpu("A")], probes=probes))
    (p,) = a.pcie
    assert (p.link_gen, p.link_width, p.max_gen, p.max_width) == (3, 8, 4, 16)
    assert "x16 slot wired to the CPU" in p.advice
    weights_gb = (11.46 + 7.5 + 0.3) * 2**30 / 1e9
    assert f"{weights_gb / 6.0:.1f} s" in p.advice
    assert "the disk, not the slot" in p.advice
    assert any(x.kind == "slow_disk" for x in a.pitfalls)


def test_bandwidth_pitfall_only_from_measured_efficiency(tree):
    # Same floors (Ada, 100 SMs); X reaches 0.6 of peak, Y only 0.3 with less bandwidth per TFLOPS.
    floor = 400 / 128
    gpus = [
        gpu("X", bf16_tflops=100, bf16_tflops_basis="whitepaper", bandwidth_gb_s=1000),
        gpu("Y", bf16_tflops=100, bf16_tflops_basis="whitepaper", bandwidth_gb_s=300),
        gpu("Z", bf16_tflops=100, bf16_tflops_basis="whitepaper", bandwidth_gb_s=100),  # unmeasured
    ]
    ds = tree(
        gpus=gpus, runs=timed("x", "X", [floor / 0.6] * 3) + timed("y", "Y", [floor / 0.3] * 3)
    )
    bw = [p for p in analyse(ds).pitfalls if p.kind == "bandwidth"]
    assert [p.gpu for p in bw] == ["Y"]  # never Z: a spec sheet alone is not evidence


def test_catalogue_pitfalls(tree):
    a = analyse(
        tree(gpus=[gpu("BW", "Blackwell"), gpu("T", "Turing"), gpu("Lap", form_factor="laptop")])
    )
    kinds = {(p.kind, p.gpu) for p in a.pitfalls}
    assert {("cuda_12_8", "BW"), ("no_bf16", "T"), ("laptop", "Lap")} <= kinds


def test_uncapped_oom_run_is_a_pitfall(tree):
    ds = tree(
        gpus=[gpu("A", vram=16)],
        runs=[run("a", 0, "A", None, status="oom", error="CUDA out of memory")],
    )
    assert any(p.kind == "oom" and p.source == "a" for p in analyse(ds).pitfalls)


def test_a_bench_run_under_a_lowered_power_limit_is_a_pitfall():
    from types import SimpleNamespace

    from guide_builder.analysis.pitfalls import power_capped
    from guide_builder.messages import render
    from guide_builder.schema import BenchMeta

    def bench(bench_id, enforced, default):
        gpu_info = {"index": 0, "uuid": "GPU-1", "name_nvml": "NVIDIA GeForce RTX 4090"}
        gpu_info.update(name="RTX 4090", power_limit_w=enforced, power_limit_default_w=default)
        return BenchMeta.model_validate(
            {
                "bench_id": bench_id,
                "created_at": "2026-12-01T00:00:00+00:00",
                "device": "cuda",
                "weights": "synthetic",
                "gpus": [gpu_info],
            }
        )

    benches = {
        "capped": bench("capped", 300.0, 450.0),
        "stock": bench("stock", 450.0, 450.0),
        "old": bench("old", 450.0, None),  # recorded before default limits were
    }
    (p,) = power_capped(SimpleNamespace(benches=benches))
    assert p.kind == "power_capped" and p.gpu == "RTX 4090" and p.source == "capped"
    assert "300 W" in render(p.evidence_text, "en") and "450 W" in render(p.evidence_text, "zh")
    assert "capped" in render(p.title, "en") and "capped" in render(p.title, "zh")
