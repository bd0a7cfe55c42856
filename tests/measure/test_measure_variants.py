"""fp8 and GGUF variants: blocks readable by gguf and diffusers, bytes exactly as accounted."""

from __future__ import annotations

import gc
import weakref

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
gguf = pytest.importorskip("gguf")

from guide_builder.accounting import STORAGES, account  # noqa: E402
from guide_builder.measure import quantize, variants, workloads, zimage  # noqa: E402
from guide_builder.measure.device import CpuDevice  # noqa: E402
from guide_builder.measure.memory import apply_fp8_casting, tensor_specs  # noqa: E402

ZIMAGE = workloads.get("zimage-turbo-1024")
# the tiny transformer 768 wide (feed-forward 2048): every K-quant block type occurs
WIDE = dict(zimage.TINY_TRANSFORMER, dim=768, n_heads=6, n_kv_heads=6, axes_dims=[64, 32, 32])


@pytest.mark.parametrize(
    ("storage", "qtype", "tolerance"),
    [
        ("gguf_q8_0", 8, 1 / 254),
        ("gguf_q4_k", 12, 0.08),
        ("gguf_q5_k", 13, 0.04),
        ("gguf_q6_k", 14, 0.02),
    ],
)
def test_blocks_read_back_through_gguf_and_diffusers(storage, qtype, tolerance):
    from diffusers.quantizers.gguf.utils import GGUFParameter, dequantize_gguf_tensor

    w = torch.randn(6, 512, generator=torch.Generator().manual_seed(1)) * 0.05
    w[0, :256] = 0.0  # an all-zero block must not divide by zero
    data = quantize.quantise(w, storage)
    assert data.dtype == torch.uint8
    assert data.numel() == STORAGES[storage].nbytes(w.numel())
    ours = torch.from_numpy(gguf.quants.dequantize(data.numpy(), gguf.GGMLQuantizationType(qtype)))
    theirs = dequantize_gguf_tensor(GGUFParameter(data, quant_type=qtype)).float()
    # diffusers computes in fp16: agreement to its rounding (a layout error is of the values)
    assert (ours - theirs).abs().max() <= 5e-3 * w.abs().max()
    assert ours.shape == w.shape
    assert (ours - w).abs().max() <= tolerance * w.abs().max()
    assert torch.count_nonzero(ours[0, :256]) == 0


def test_q8_0_is_bit_exact_with_the_gguf_package():
    w = torch.randn(4, 96, generator=torch.Generator().manual_seed(2))
    ref = gguf.quants.quantize(w.numpy(), gguf.GGMLQuantizationType.Q8_0)
    assert (quantize.quantise(w, "gguf_q8_0").numpy() == ref).all()


def _transformer(cfg):
    torch.manual_seed(0)
    return zimage.make_transformer(cfg).to(torch.bfloat16).eval().requires_grad_(False)


def _forward(model):
    g = torch.Generator().manual_seed(3)
    x = [torch.randn(16, 1, 8, 8, generator=g).to(torch.bfloat16)]
    cap = [torch.randn(12, 16, generator=g).to(torch.bfloat16)]
    with torch.no_grad():
        return model(x, torch.tensor([0.5]), cap, return_dict=False)[0][0].float()


@pytest.mark.parametrize("cfg", [zimage.TINY_TRANSFORMER, WIDE], ids=["tiny", "wide"])
@pytest.mark.parametrize("scheme", ["gguf_q8_0", "gguf_q4_k_m"])
def test_quantised_transformer_bytes_match_the_accounting(cfg, scheme):
    model = _transformer(cfg)
    specs = tensor_specs(model)
    reference = _forward(model)
    chosen = quantize.quantise_module(model, "transformer", scheme)
    expected = account("transformer", specs, scheme)
    assert quantize.parameter_bytes(model) == expected.weight_bytes
    quantised = [n for n, s in chosen.items() if s.startswith("gguf_")]
    if cfg is zimage.TINY_TRANSFORMER and scheme == "gguf_q4_k_m":
        assert quantised == []  # 32-wide rows are never whole 256-weight super-blocks
    else:
        assert quantised
    if cfg is WIDE and scheme == "gguf_q4_k_m":
        assert set(chosen.values()) == {"bf16", "gguf_q4_k", "gguf_q5_k", "gguf_q6_k"}
    assert sum(1 for m in model.modules() if type(m).__name__ == "GGUFLinear") == len(quantised)
    out = _forward(model)  # diffusers' GGUFLinear dequantises on the fly
    assert torch.isfinite(out).all()
    assert (out - reference).norm() < 0.2 * reference.norm()
    if quantised:
        assert not torch.equal(out, reference)


@pytest.mark.parametrize("cfg", [zimage.TINY_TRANSFORMER, WIDE], ids=["tiny", "wide"])
def test_fp8_transformer_bytes_match_the_accounting(cfg):
    model = _transformer(cfg)
    specs = tensor_specs(model, apply_fp8_casting(_transformer(cfg)))
    apply_fp8_casting(model)
    assert quantize.parameter_bytes(model) == account("transformer", specs, "fp8_e4m3").weight_bytes
    assert any(p.dtype == torch.float8_e4m3fn for p in model.parameters())
    assert torch.isfinite(_forward(model)).all()


def test_every_storage_variant_combines_with_text_encoder_unload():
    names = variants.names("cpu")
    for base in ("fp8", "gguf_q8_0", "gguf_q4_k_m"):
        assert base in names and f"{base}+text_encoder_unload" in names
    assert "group_offload" in names and "group_offload+text_encoder_unload" not in names
    assert "fp8" not in variants.names("cpu", defaults_only=True)
    assert "fp8" in variants.names("cuda", defaults_only=True)


def test_unloaded_encoder_is_released_and_embeddings_carry_no_graph():
    pipe = ZIMAGE.family.build("tiny", "cpu", torch.bfloat16, {})
    pipe.set_progress_bar_config(disable=True)
    encoder = pipe.text_encoder
    encoder.requires_grad_(True)  # as freshly materialised weights are: the graph would pin them
    params = [weakref.ref(p) for p in encoder.parameters()]
    kwargs = variants.get("gguf_q8_0+text_encoder_unload").prepare(
        pipe, ZIMAGE.family, ZIMAGE, CpuDevice()
    )
    embeds = kwargs["prompt_embeds"]
    assert all(e.grad_fn is None and not e.requires_grad for e in embeds)
    assert pipe.text_encoder is None and kwargs["_unloaded"] is encoder
    del encoder, kwargs["_unloaded"]
    gc.collect()
    assert all(r() is None for r in params), "something still holds the unloaded encoder's weights"
    assert embeds[0].shape[-1] == zimage.TINY_TEXT_ENCODER["hidden_size"]


def test_every_new_variant_runs_on_the_cpu_and_validates(tmp_path):
    from measure_helpers import FAST, measure, problems, rows

    names = ["plain", "fp8", "gguf_q8_0", "gguf_q4_k_m", "group_offload"]
    res = measure(
        tmp_path,
        *FAST,
        *("--workloads", "zimage-turbo-1024", "--no-probes", "--variants", ",".join(names)),
    )
    assert res.returncode == 0, res.stderr
    assert problems(tmp_path / "b") == []
    got = rows(tmp_path / "b")
    assert sorted({r["variant"] for r in got}) == sorted(names)
    assert all(r["status"] == "ok" and float(r["peak_host_rss_gib"]) > 0 for r in got)
    hashes = {r["variant"]: r["image_sha256"] for r in got}
    assert hashes["group_offload"] == hashes["plain"]  # same weights, same arithmetic
    assert hashes["gguf_q4_k_m"] == hashes["plain"]  # nothing 256 wide in the tiny model
    assert hashes["gguf_q8_0"] != hashes["plain"] and hashes["fp8"] != hashes["plain"]
