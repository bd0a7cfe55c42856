"""VRAM fits: measured (capped runs included) before component sizes."""

from __future__ import annotations

import pytest
from analysis_data import WL, gpu, run

from guide_builder.analysis import AnalysisConfig, analyse

# Component sizes (defaults): DiT 11.46, text encoder 7.5, VAE 0.3, margin 1.5 GiB.
PLAIN = 11.46 + 7.5 + 0.3 + 1.5  # 20.76
TE_UNLOAD = 11.46 + 0.3 + 1.5  # 13.26 (the DiT and VAE together outweigh the encoder alone)
OFFLOAD = 11.46 + 1.5  # 12.96 (one component at a time, the DiT the largest)


def fit_of(analysis, name):
    return next(f for f in analysis.fits if f.gpu == name and f.workload == WL)


def test_component_sizes(tree):
    a = analyse(tree(gpus=[gpu("Big", vram=24), gpu("Mid", vram=14), gpu("Off", vram=13)]))
    big, mid, off = (fit_of(a, n) for n in ("Big", "Mid", "Off"))
    assert (big.verdict, big.variant, big.evidence) == ("fits", "plain", "estimated")
    assert big.needed_gib == pytest.approx(PLAIN)
    assert (mid.verdict, mid.variant) == ("fits_with_variant", "text_encoder_unload")
    assert mid.needed_gib == pytest.approx(TE_UNLOAD)
    # 13 GiB: the encoder cannot stay, and even the DiT with the VAE does not fit: offload only.
    assert (off.verdict, off.variant) == ("fits_with_variant", "model_offload")
    assert off.needed_gib == pytest.approx(OFFLOAD)
    assert "plain does not fit" in off.reason and "text_encoder_unload does not fit" in off.reason


def test_cannot_run_when_no_variant_fits(tree):
    cfg = AnalysisConfig(
        fit_variants={
            "plain": [["transformer", "text_encoder", "vae"]],
            "model_offload": [["transformer"]],
        }
    )
    a = analyse(tree(gpus=[gpu("Tiny", vram=8)]), cfg)
    f = fit_of(a, "Tiny")
    assert f.verdict == "cannot_run" and f.variant == "none"
    assert any(p.kind == "oom" and p.gpu == "Tiny" for p in a.pitfalls)
    assert all(t.gpu != "Tiny" for t in a.tiers)
    assert not [r for r in a.results if r.gpu == "Tiny"]  # no estimated time either


def test_capped_runs_decide_for_smaller_cards(tree):
    # On a 141 GiB card: plain OOMs under a 16 GiB cap, text_encoder_unload runs under it.
    runs = [
        run("h", 0, "H", None, phase="memory", status="oom", memory_cap_gib=16, error="OOM"),
        run(
            "h",
            1,
            "H",
            9.0,
            phase="memory",
            variant="text_encoder_unload",
            memory_cap_gib=16,
            peak_reserved_gib=12.1,
        ),
        run("h", 2, "H", 1.0, phase="timed", peak_reserved_gib=20.0),
    ]
    ds = tree(
        gpus=[
            gpu("H", "Hopper", vram=141),
            gpu("S16", vram=16),
            gpu("S24", vram=24),
            gpu("S13", vram=13),
        ],
        runs=runs,
    )
    a = analyse(ds)
    s16, s24, s13 = (fit_of(a, n) for n in ("S16", "S24", "S13"))
    assert (s16.verdict, s16.variant, s16.evidence) == (
        "fits_with_variant",
        "text_encoder_unload",
        "measured",
    )
    assert "16 GiB cap" in s16.reason
    # 24 GiB: the 16 GiB OOM says nothing; the measured plain peak 20.0 + 0.5 context fits.
    assert (s24.verdict, s24.evidence) == ("fits", "measured")
    assert s24.needed_gib == pytest.approx(20.5)
    # 13 GiB: plain OOMed at 16; the unload variant needs 12.1 + 0.5 = 12.6 <= 13 (measured peak).
    assert (s13.verdict, s13.variant, s13.evidence) == (
        "fits_with_variant",
        "text_encoder_unload",
        "measured",
    )
    # The capped runs never became a time.
    (h,) = [r for r in a.results if r.gpu == "H"]
    assert h.n == 1 and h.seconds.value == 1.0


def test_measured_fit_only_with_offload(tree):
    runs = [
        run("c", 0, "C12", None, phase="memory", status="oom", error="OOM"),
        run(
            "c",
            1,
            "C12",
            None,
            phase="memory",
            variant="text_encoder_unload",
            status="oom",
            error="OOM",
        ),
        run("c", 2, "C12", 30.0, phase="timed", variant="model_offload", peak_reserved_gib=11.6),
    ]
    a = analyse(tree(gpus=[gpu("C12", vram=12)], runs=runs))
    f = fit_of(a, "C12")
    assert (f.verdict, f.variant, f.evidence) == ("fits_with_variant", "model_offload", "measured")
    assert any(p.kind == "needs_offload" and p.gpu == "C12" for p in a.pitfalls)
    assert any(p.kind == "oom" and "plain" in p.title for p in a.pitfalls)
