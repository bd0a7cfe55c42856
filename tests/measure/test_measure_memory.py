"""The committed variant_memory.csv is what count-memory computes from the real architecture."""

import csv
from importlib.metadata import version

import pytest

pytest.importorskip("diffusers")

from guide_builder.measure import memory  # noqa: E402


def test_committed_table_matches_the_architecture(tmp_path):
    rows = memory.run(tmp_path / "vm.csv", echo=lambda *_: None)
    with open("measurements/catalog/variant_memory.csv", newline="", encoding="utf-8") as fh:
        committed = list(csv.DictReader(fh))
    got = [{k: str(v) for k, v in r.items()} for r in rows]
    if committed and committed[0]["diffusers_version"] != version("diffusers"):
        pytest.skip("committed with another diffusers version")
    assert got == committed
    by = {(r["component"], r["storage"]): r for r in rows}
    assert by["transformer", "bf16"]["params"] == 6_154_908_736
    assert by["transformer", "bf16"]["weight_bytes"] == 2 * 6_154_908_736
    assert (
        by["transformer", "fp8_e4m3"]["weight_bytes"]
        < by["transformer", "gguf_q8_0"]["weight_bytes"]
    )
    assert by["vae", "gguf_q4_k_m"]["weight_bytes"] == by["vae", "bf16"]["weight_bytes"]
