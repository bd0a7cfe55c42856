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


# ---------------------------------------------------------------------------------------
# Every variant, sized by the accounting's bytes (catalog/variant_memory.csv), fastest first.

GIB = 2**30
# Small made-up accounting table: whole GiB so the expectations read at a glance.
SIZES_GIB = {
    ("transformer", "bf16"): 11,
    ("transformer", "fp8_e4m3"): 6,
    ("transformer", "gguf_q8_0"): 7,
    ("transformer", "gguf_q4_k_m"): 4,
    ("text_encoder", "bf16"): 5,
    ("vae", "bf16"): 1,
}


def with_accounting(root, dataset_builder, **kw):
    """Build a tree, add catalog/variant_memory.csv and load it again through the loader."""
    from analysis_data import csv_text

    from guide_builder.dataset import load_dataset
    from guide_builder.schema import VARIANT_MEMORY

    dataset_builder(**kw)
    rows = [
        {
            "component": c,
            "storage": s,
            "params": 1000,
            "tensors": 10,
            "quantized_params": 0 if s == "bf16" else 900,
            "weight_bytes": gib * GIB,
            "diffusers_version": "0.42.1",
        }
        for (c, s), gib in SIZES_GIB.items()
    ]
    (root / "m" / "catalog" / "variant_memory.csv").write_text(csv_text(VARIANT_MEMORY, rows))
    return load_dataset(root / "m")


CARDS = [gpu("G24", vram=24), gpu("G16", vram=16), gpu("G12", vram=12), gpu("G8", vram=8)]


def test_fastest_variant_that_fits_per_card(tree, tmp_path):
    # Margin 1.5 GiB. plain 11+5+1 = 17 -> 18.5; text_encoder_unload max(5, 11+1) = 12 -> 13.5;
    # fp8 6+5+1 = 12 -> 13.5 (after text_encoder_unload in speed order); fp8+unload max(5, 7)
    # -> 8.5; group/sequential offload keep no whole component: 1.5.
    a = analyse(with_accounting(tmp_path, tree, gpus=CARDS))
    picks = {n: fit_of(a, n) for n in ("G24", "G16", "G12", "G8")}
    assert (picks["G24"].verdict, picks["G24"].variant) == ("fits", "plain")
    assert picks["G16"].variant == "text_encoder_unload"
    assert picks["G12"].variant == "fp8+text_encoder_unload"
    assert picks["G12"].needed_gib == pytest.approx(7 + 1.5)
    # 8 GiB: the text encoder alone (5 + 1.5) fits, the fp8 DiT with the VAE (7 + 1.5) not.
    assert picks["G8"].variant == "gguf_q4_k_m+text_encoder_unload"
    assert "fp8+text_encoder_unload does not fit" in picks["G8"].reason
    g12 = {o.variant: o for o in picks["G12"].options}
    assert [o.variant for o in picks["G12"].options][:4] == [
        "plain",
        "text_encoder_unload",
        "fp8",
        "fp8+text_encoder_unload",
    ]
    assert g12["gguf_q8_0"].fits is False and g12["gguf_q8_0+text_encoder_unload"].fits
    assert g12["sequential_offload"].fits and g12["group_offload"].fits
    assert str(g12["fp8"].quality) == "quality not measured"
    assert g12["model_offload"].quality_evidence == "same_weights"


def test_need_is_the_accounting_bytes(tree, tmp_path):
    a = analyse(with_accounting(tmp_path, tree, gpus=[gpu("G12", vram=12)]))
    opts = {o.variant: o for o in fit_of(a, "G12").options}
    # The largest co-resident group, each component in its variant's storage.
    assert opts["plain"].weight_bytes == (11 + 5 + 1) * GIB
    assert opts["gguf_q4_k_m"].weight_bytes == (4 + 5 + 1) * GIB
    assert opts["gguf_q4_k_m+text_encoder_unload"].weight_bytes == 5 * GIB
    assert opts["model_offload"].weight_bytes == 11 * GIB
    assert opts["sequential_offload"].weight_bytes == 0
    for o in opts.values():
        assert o.needed_gib == pytest.approx(o.weight_bytes / GIB + 1.5)
        assert o.evidence == "estimated"


def test_speed_order_is_configurable(tree, tmp_path):
    cfg = AnalysisConfig(
        variant_speed_order=("gguf_q4_k_m+text_encoder_unload", "fp8+text_encoder_unload")
    )
    a = analyse(with_accounting(tmp_path, tree, gpus=[gpu("G12", vram=12)]), cfg)
    assert fit_of(a, "G12").variant == "gguf_q4_k_m+text_encoder_unload"


def test_without_accounting_quantised_variants_are_not_judged(tree):
    a = analyse(tree(gpus=[gpu("G12", vram=12)]))
    f = fit_of(a, "G12")
    opts = {o.variant: o for o in f.options}
    assert opts["fp8"].fits is None and "variant_memory.csv" in opts["fp8"].reason
    # bf16 sizes still come from the config: only offload fits in 12 GiB.
    assert f.variant == "group_offload"


def test_measured_runs_of_a_variant_decide_before_its_bytes(tree, tmp_path):
    # fp8+unload fits by bytes in 12 GiB, but an OOM under a 12 GiB cap says otherwise.
    runs = [
        run(
            "h",
            0,
            "H",
            None,
            phase="memory",
            status="oom",
            variant="fp8+text_encoder_unload",
            memory_cap_gib=12,
            error="OOM",
        )
    ]
    a = analyse(
        with_accounting(
            tmp_path, tree, gpus=[gpu("H", "Hopper", vram=80), gpu("G12", vram=12)], runs=runs
        )
    )
    f = fit_of(a, "G12")
    opt = next(o for o in f.options if o.variant == "fp8+text_encoder_unload")
    assert (opt.fits, opt.evidence) == (False, "measured")
    assert f.variant == "gguf_q8_0+text_encoder_unload"
