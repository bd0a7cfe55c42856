"""The committed FLOP counts recompute, on the meta device, from the pinned diffusers."""

from __future__ import annotations

import csv
from importlib.metadata import version

import pytest
from measure_helpers import REPO

pytest.importorskip("diffusers")


def test_zimage_1024_forward_is_55_6_tflop_with_64_caption_tokens():
    from guide_builder.measure import flops

    row = flops.count("zimage-turbo-1024")
    assert row["caption_tokens"] == 64
    assert float(row["transformer_tflop_per_forward"]) == pytest.approx(55.6, abs=0.1)
    assert row["transformer_forwards"] == 8
    # text encoder (512 padded tokens) and VAE decode add a few percent of 8 forwards
    extra = float(row["text_encoder_tflop"]) + float(row["vae_decode_tflop"])
    assert 0.01 < extra / (8 * float(row["transformer_tflop_per_forward"])) < 0.06


def test_committed_workloads_csv_matches_a_recount():
    from guide_builder.measure import flops
    from guide_builder.schema import WORKLOADS

    path = REPO / "measurements" / "catalog" / "workloads.csv"
    with path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == WORKLOADS.names
        committed = {r["workload"]: r for r in reader}
    assert set(committed) >= {"zimage-turbo-1024", "zimage-turbo-768"}
    for name, row in committed.items():
        assert row["diffusers_version"] == version("diffusers")
        fresh = {k: str(v) for k, v in flops.count(name).items()}
        for column in WORKLOADS.names:
            if column != "torch_version":  # the count does not depend on the torch build
                assert row[column] == fresh[column], (name, column)
