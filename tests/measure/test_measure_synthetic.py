"""Synthetic weights build exactly the published architecture, and initialise every tensor sanely."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from guide_builder.measure import synthetic, zimage  # noqa: E402


def _meta(build):
    with torch.device("meta"):
        return build()


def _params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_transformer_matches_published_config_and_has_6_155_b_params():
    published = zimage.published_config("transformer")
    model = _meta(lambda: zimage.make_transformer(published))
    for key, value in published.items():
        if not key.startswith("_"):
            got = model.config[key]
            assert (list(got) if isinstance(got, tuple | list) else got) == value, key
    assert _params(model) / 1e9 == pytest.approx(6.155, abs=0.001)
    # the diffusers defaults are the real config (configs/zimage_turbo/SOURCES.md)
    assert _params(_meta(lambda: zimage.make_transformer({}))) == _params(model)


def test_text_encoder_is_qwen3_4b():
    published = zimage.published_config("text_encoder")
    model = _meta(lambda: zimage.make_text_encoder(published))
    cfg = model.config
    for key in (
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
        "num_key_value_heads",
        "head_dim",
        "vocab_size",
    ):
        assert getattr(cfg, key) == published[key], key
    assert cfg.rope_parameters["rope_theta"] == published["rope_theta"]
    assert _params(model) / 1e9 == pytest.approx(4.022, abs=0.001)


def test_vae_is_the_flux_autoencoder():
    published = zimage.published_config("vae")
    model = _meta(lambda: zimage.make_vae(published))
    for key in (
        "block_out_channels",
        "latent_channels",
        "layers_per_block",
        "scaling_factor",
        "shift_factor",
        "use_quant_conv",
        "use_post_quant_conv",
    ):
        got = model.config[key]
        assert (list(got) if isinstance(got, tuple) else got) == published[key], key
    assert _params(model) / 1e6 == pytest.approx(83.82, abs=0.01)


def test_materialise_initialises_every_parameter_and_recomputes_buffers():
    te_cfg = dict(zimage.TINY_TEXT_ENCODER)
    te = synthetic.materialise(lambda: zimage.make_text_encoder(te_cfg), "cpu", torch.bfloat16)
    assert synthetic.check_finite(te) == []
    fresh = zimage.make_text_encoder(te_cfg)
    for (name, got), (_, want) in zip(te.named_buffers(), fresh.named_buffers(), strict=True):
        assert torch.equal(got, want), name  # rotary inv_freq recomputed, not garbage
    norms = [m for m in te.modules() if "Norm" in type(m).__name__]
    assert norms and all(bool((m.weight == 1).all()) for m in norms)
    out = te(input_ids=torch.arange(12).unsqueeze(0), output_hidden_states=True).hidden_states[-2]
    assert bool(torch.isfinite(out).all())


def test_synthetic_transformer_forward_is_finite():
    model = synthetic.materialise(
        lambda: zimage.make_transformer(zimage.TINY_TRANSFORMER), "cpu", torch.bfloat16
    )
    x = [torch.randn(16, 1, 8, 8, dtype=torch.bfloat16)]
    cap = [torch.randn(64, 16, dtype=torch.bfloat16)]
    out = model(x, torch.tensor([0.5]), cap, return_dict=False)[0]
    assert bool(torch.isfinite(out[0]).all())


def test_unknown_buffer_owner_is_an_error_not_garbage():
    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("table", torch.ones(3))

    with pytest.raises(RuntimeError, match="no config"):
        synthetic.recompute_buffers(Odd(), "cpu")
