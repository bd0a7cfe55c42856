"""The Z-Image family (ZImagePipeline) and its registered workloads.

Components come from the committed published configs (`configs/zimage_turbo/`) for synthetic
weights and FLOP counts, from the `TINY_*` configs below for `--weights tiny`, and from a local
folder or the Hugging Face cache for `--weights real`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from guide_builder.measure import localtok
from guide_builder.measure.workloads import Workload, register

CONFIG_DIR = Path(__file__).parent / "configs" / "zimage_turbo"
MAX_SEQUENCE_LENGTH = 512  # ZImagePipeline pads every prompt to this: the encoder runs all of it

PROMPT = (
    "A cosy reading nook beside a rainy window at dusk, warm lamp light on a wooden desk, "
    "a grey cat asleep on a knitted blanket, shelves of old books, steam rising from a cup "
    "of tea, soft film grain, shallow depth of field, gentle evening light, photorealistic, "
    "35mm photograph 8k"
)

TINY_TRANSFORMER = {
    "all_patch_size": [2],
    "all_f_patch_size": [1],
    "in_channels": 16,
    "dim": 32,
    "n_layers": 2,
    "n_refiner_layers": 1,
    "n_heads": 2,
    "n_kv_heads": 2,
    "norm_eps": 1e-5,
    "qk_norm": True,
    "cap_feat_dim": 16,
    "rope_theta": 256.0,
    "t_scale": 1000.0,
    "axes_dims": [8, 4, 4],
    "axes_lens": [256, 32, 32],
}
TINY_TEXT_ENCODER = {
    "hidden_size": 16,
    "intermediate_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
    "head_dim": 8,
    "vocab_size": 512,
    "max_position_embeddings": 1024,
}
TINY_VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
    "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
    "block_out_channels": [32, 64],
    "layers_per_block": 1,
    "latent_channels": 16,
    "norm_num_groups": 32,
    "sample_size": 32,
    "scaling_factor": 0.3611,
    "shift_factor": 0.1159,
    "use_quant_conv": False,
    "use_post_quant_conv": False,
}


@cache
def published_config(component: str) -> dict[str, Any]:
    """A committed published config (transformer, text_encoder, vae, scheduler)."""
    return json.loads((CONFIG_DIR / f"{component}.json").read_text(encoding="utf-8"))


def _init_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cfg.items() if not k.startswith("_")}


def make_transformer(cfg: dict[str, Any]):
    from diffusers import ZImageTransformer2DModel

    return ZImageTransformer2DModel(**_init_kwargs(cfg))


def make_text_encoder(cfg: dict[str, Any]):
    from transformers import Qwen3Config, Qwen3Model

    keep = {k: v for k, v in cfg.items() if k not in ("architectures", "torch_dtype")}
    return Qwen3Model(Qwen3Config(**keep))


def make_vae(cfg: dict[str, Any]):
    from diffusers import AutoencoderKL

    keep = {k: v for k, v in _init_kwargs(cfg).items() if k not in ("latents_mean", "latents_std")}
    return AutoencoderKL(**keep)


def make_scheduler(cfg: dict[str, Any]):
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler.from_config(cfg)


class ZImageFamily:
    """Z-Image (Turbo): a 6B single-stream DiT, Qwen3-4B text encoder, FLUX VAE."""

    name = "zimage"
    model = "Tongyi-MAI/Z-Image-Turbo"
    tiny_size = (32, 32)

    def build(self, weights: str, device: str, dtype: Any, options: dict[str, Any]) -> Any:
        from diffusers import ZImagePipeline

        if weights == "real":
            source = options.get("model_path") or self.model
            pipe = ZImagePipeline.from_pretrained(
                source,
                dtype=dtype,
                local_files_only=not options.get("allow_download", False),
            )
            for part in (pipe.transformer, pipe.text_encoder, pipe.vae):
                part.requires_grad_(False)  # inference only: no autograd graph anywhere
            return pipe.to(device)
        tokenizer = localtok.build_tokenizer([PROMPT])
        if weights == "tiny":
            import torch

            torch.manual_seed(0)
            te_cfg = dict(TINY_TEXT_ENCODER, vocab_size=max(len(tokenizer), 64))
            parts = {
                "transformer": make_transformer(TINY_TRANSFORMER),
                "text_encoder": make_text_encoder(te_cfg),
                "vae": make_vae(TINY_VAE),
            }
            parts = {
                k: v.to(device=device, dtype=dtype).eval().requires_grad_(False)
                for k, v in parts.items()
            }
            scheduler = make_scheduler({})
        elif weights == "synthetic":
            from guide_builder.measure.synthetic import materialise

            parts = {
                "transformer": materialise(
                    lambda: make_transformer(published_config("transformer")), device, dtype, 1
                ),
                "text_encoder": materialise(
                    lambda: make_text_encoder(published_config("text_encoder")), device, dtype, 2
                ),
                "vae": materialise(lambda: make_vae(published_config("vae")), device, dtype, 3),
            }
            scheduler = make_scheduler(published_config("scheduler"))
        else:
            raise ValueError(f"unknown weights mode {weights!r}")
        return ZImagePipeline(scheduler=scheduler, tokenizer=tokenizer, **parts)

    def encode(self, pipe: Any, prompt: str, device: str) -> dict[str, Any]:
        import torch

        # encode_prompt has no no_grad of its own (only __call__ does): without it the kept
        # embeddings would hold an autograd graph that pins the encoder's weights and activations
        with torch.no_grad():
            embeds, _ = pipe.encode_prompt(
                prompt=prompt, device=device, do_classifier_free_guidance=False
            )
        return {"prompt": None, "prompt_embeds": [e.detach() for e in embeds]}

    def caption_tokens(self, args: tuple, kwargs: dict) -> int | None:
        cap_feats = args[2] if len(args) > 2 else kwargs.get("cap_feats")
        return int(cap_feats[0].shape[0]) if cap_feats else None

    def count_flops(self, workload: Workload, caption_tokens: int) -> dict[str, float | int]:
        """TFLOP of one transformer forward, the text encoder and the VAE decode (meta device)."""
        import torch
        from torch.utils.flop_counter import FlopCounterMode

        dtype = torch.bfloat16
        with torch.device("meta"):
            transformer = make_transformer(published_config("transformer")).to(dtype)
            text_encoder = make_text_encoder(published_config("text_encoder")).to(dtype)
            vae = make_vae(published_config("vae")).to(dtype)
        scale = 2 ** (len(vae.config.block_out_channels) - 1)
        lat_h, lat_w = workload.height // scale, workload.width // scale
        meta = {"device": "meta", "dtype": dtype}

        def tflop(fn) -> float:
            counter = FlopCounterMode(display=False)
            with counter, torch.no_grad():
                fn()
            return counter.get_total_flops() / 1e12

        latents = [torch.empty(transformer.config.in_channels, 1, lat_h, lat_w, **meta)]
        caption = [torch.empty(caption_tokens, transformer.config.cap_feat_dim, **meta)]
        timestep = torch.zeros(1, device="meta")
        ids = torch.zeros(1, MAX_SEQUENCE_LENGTH, dtype=torch.long, device="meta")
        z = torch.empty(1, vae.config.latent_channels, lat_h, lat_w, **meta)
        return {
            # no attention mask: masking code calls .item(), which meta tensors refuse;
            # the FLOPs of a full-length causal pass are the same
            "transformer_tflop_per_forward": tflop(
                lambda: transformer(latents, timestep, caption, return_dict=False)
            ),
            "text_encoder_tflop": tflop(
                lambda: text_encoder(input_ids=ids, output_hidden_states=True)
            ),
            "vae_decode_tflop": tflop(lambda: vae.decode(z, return_dict=False)),
            "transformer_params": sum(p.numel() for p in transformer.parameters()),
        }


ZIMAGE = ZImageFamily()

for _size in (1024, 768):
    register(
        Workload(
            name=f"zimage-turbo-{_size}",
            family=ZIMAGE,
            width=_size,
            height=_size,
            # diffusers >= 0.42 (PR #13730) takes exactly one forward per step: 8 steps = 8 forwards
            steps=8,
            guidance=0.0,
            prompt=PROMPT,
            forwards=8,
            caption_tokens=localtok.caption_tokens(PROMPT),
        )
    )
