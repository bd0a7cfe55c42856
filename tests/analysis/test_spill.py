"""Spill as a pitfall: reported slow runs of the full pipeline on small cards, and the
variant that avoids it on 8, 12 and 16 GiB."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_data import gpu
from test_fit import CARDS, with_accounting

from guide_builder.analysis import AnalysisConfig, analyse
from guide_builder.analysis.pitfalls import spill_runs

# The reported-runs columns (the loader adds gpu_name).
RUN_COLUMNS = [
    "source",
    "source_url",
    "date",
    "gpu",
    "gpu_count",
    "resolution",
    "dit_forwards",
    "forwards_basis",
    "precision",
    "toolchain",
    "compile",
    "offload",
    "attention",
    "settings",
    "seconds_per_image",
    "seconds_per_forward",
    "time_covers",
    "peak_vram_gib",
    "grade",
    "quote",
    "note",
    "note_zh",
]


def reported(**kw) -> dict:
    row = dict.fromkeys(RUN_COLUMNS, "")
    row.update(
        source="a benchmark file",
        source_url="https://example.org/bench",
        gpu="G8",
        gpu_count=1,
        resolution="1024x1024",
        precision="bf16",
        offload="none",
        seconds_per_image=689.0,
        grade="A",
    )
    row.update(kw)
    return row


def spills(tree, tmp_path, rows):
    a = analyse(with_accounting(tmp_path, tree, gpus=CARDS))
    ref = [f for f in a.fits if f.workload == a.config.reference_workload]
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return spill_runs(
        runs,
        list(runs["gpu"]),
        {f.gpu: f.capacity_gib for f in ref},
        {f.gpu: f for f in ref},
        18.5,  # plain: 17 GiB of weights + 1.5 margin (test_fit's table)
        "1024x1024",
        AnalysisConfig(),
    )


def test_reported_spill_names_the_run_and_the_variant_that_avoids_it(tree, tmp_path):
    (p,) = spills(tree, tmp_path, [reported()])
    assert (p.kind, p.gpu, p.evidence) == ("spill", "G8", "reported")
    assert "https://example.org/bench" in p.source
    text = str(p.evidence_text)
    assert (
        "689 s per image" in text
        and "offload: none" in text
        and "gguf_q4_k_m+text_encoder_unload" in text
    )


@pytest.mark.parametrize(
    "change",
    [
        {"seconds_per_image": 20.0},  # fast: not a spill
        {"gpu": "G24"},  # the plain pipeline fits
        {"offload": "model"},  # offloaded on purpose
        {"precision": "gguf_q4_k_m"},  # quantised
        {"grade": "C"},  # never evidence
        {"gpu_count": 2},
        {"resolution": "512x512"},
    ],
)
def test_runs_that_are_not_a_spill(tree, tmp_path, change):
    assert spills(tree, tmp_path, [reported(**change)]) == []


def test_general_spill_pitfall_advises_per_card_size(tree, tmp_path):
    a = analyse(with_accounting(tmp_path, tree, gpus=[gpu("G24", vram=24)]))
    (p,) = [p for p in a.pitfalls if p.kind == "spill"]
    text = str(p.evidence_text)
    # 8 GiB: gguf_q4_k_m+unload (5 + 1.5); 12 GiB: fp8+unload (7 + 1.5); 16: unload (13.5).
    assert "8 GiB: gguf_q4_k_m+text_encoder_unload (6.5 GiB)" in text
    assert "12 GiB: fp8+text_encoder_unload (8.5 GiB)" in text
    assert "16 GiB: text_encoder_unload (13.5 GiB)" in text
    assert "18.5 GiB" in text and p.evidence == "estimated"


def test_general_pitfall_cites_the_reported_runs(tree, tmp_path):
    from guide_builder.analysis.pitfalls import _with_examples
    from guide_builder.messages import msg

    reported_spills = spills(tree, tmp_path, [reported()])
    text = str(_with_examples(msg("variants.spill_source_fit"), reported_spills))
    assert "Reported runs of the full pipeline on such cards: G8 689 s per image" in text
