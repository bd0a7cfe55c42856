"""Weights modes and probes without a GPU or a download: tiny builds, real loads only local files."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from guide_builder.measure import probes, workloads  # noqa: E402
from guide_builder.measure.device import CpuDevice  # noqa: E402
from guide_builder.measure.nvml import Nvml  # noqa: E402
from guide_builder.measure.timing import Timer  # noqa: E402

ZIMAGE = workloads.get("zimage-turbo-1024")


def test_real_weights_load_a_local_folder_and_never_download(tmp_path, monkeypatch):
    tiny = ZIMAGE.family.build("tiny", "cpu", torch.bfloat16, {})
    tiny.save_pretrained(tmp_path / "zimage")
    pipe = ZIMAGE.family.build(
        "real", "cpu", torch.bfloat16, {"model_path": str(tmp_path / "zimage")}
    )
    assert pipe.transformer.config.dim == 32 and pipe.transformer.dtype == torch.bfloat16

    seen = {}
    from diffusers import ZImagePipeline

    def fake_from_pretrained(source, **kwargs):
        seen.update(kwargs, source=source)
        raise OSError("not in the local cache")

    monkeypatch.setattr(ZImagePipeline, "from_pretrained", fake_from_pretrained)
    with pytest.raises(OSError):
        ZIMAGE.family.build("real", "cpu", torch.bfloat16, {})
    assert seen["source"] == "Tongyi-MAI/Z-Image-Turbo" and seen["local_files_only"] is True
    with pytest.raises(OSError):
        ZIMAGE.family.build("real", "cpu", torch.bfloat16, {"allow_download": True})
    assert seen["local_files_only"] is False


def test_tiny_prompt_has_the_caption_length_the_flop_count_assumes():
    pipe = ZIMAGE.family.build("tiny", "cpu", torch.float32, {})
    embeds = ZIMAGE.family.encode(pipe, ZIMAGE.prompt, "cpu")["prompt_embeds"]
    assert embeds[0].shape[0] == ZIMAGE.caption_tokens == 64


def test_cpu_probes_write_a_row_for_every_probe(tmp_path: Path):
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 2**20)
    device = CpuDevice()
    steps = probes.plan(
        device, Timer(device), Nvml(object()), None, "real", load=lambda: None, model_dir=tmp_path
    )
    rows = {name: probes.run(name, fn, device) for name, _unit, fn in steps}
    assert set(rows) == set(probes.UNITS)
    from guide_builder.schema import PROBES

    assert set(probes.UNITS) == set(PROBES)
    assert rows["memory_bandwidth"]["status"] == "ok" and rows["memory_bandwidth"]["value"] > 0
    assert rows["bf16_matmul"]["unit"] == "tflops" and rows["bf16_matmul"]["value"] > 0
    assert 0 < rows["bf16_correctness"]["value"] < 0.05
    assert rows["disk_read"]["status"] == "ok" and rows["model_load_warm"]["status"] == "ok"
    for name in ("pcie_link_gen", "h2d_bandwidth", "idle_power", "power_limit"):
        assert rows[name]["status"] == "unsupported" and rows[name]["value"] is None


def test_a_failing_probe_is_an_error_row():
    def boom():
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    row = probes.run("bf16_matmul", boom, CpuDevice())
    assert row["status"] == "error" and row["value"] is None and "illegal memory" in row["detail"]
