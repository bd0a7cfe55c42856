"""Variants as data: how a built pipeline is placed on the device before images are made.

A variant's `prepare(pipe, family, workload, device)` places the components and returns
call kwargs (for example precomputed prompt embeddings). Memory caps are a separate
dimension (`runs.memory_cap_gib`), not variants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Prepare = Callable[[Any, Any, Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class Variant:
    """One way of running a pipeline."""

    name: str
    doc: str
    prepare: Prepare
    build_on_cpu: bool = False  # components start in host RAM (offload variants move them)
    devices: tuple[str, ...] = ("cuda", "cpu")
    # run when --variants is not given: everywhere (True), nowhere (False) or on these devices
    default: bool | tuple[str, ...] = True


VARIANTS: dict[str, Variant] = {}


def register(variant: Variant) -> Variant:
    VARIANTS[variant.name] = variant
    return variant


def get(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise KeyError(f"unknown variant {name!r}; known: {', '.join(sorted(VARIANTS))}") from None


def names(device: str | None = None, defaults_only: bool = False) -> list[str]:
    """Registered variants for `device` ('_' names are test entries, never listed)."""
    return [
        n
        for n, v in VARIANTS.items()
        if not n.startswith("_")
        and (device is None or device in v.devices)
        and (not defaults_only or v.default is True or (device or "") in (v.default or ()))
    ]


def _plain(pipe, family, workload, device) -> dict[str, Any]:
    pipe.to(device.torch_device)
    return {}


def _unload_text_encoder(pipe, family, workload, device) -> dict[str, Any]:
    """Encode the prompt once on the device, then keep the encoder in host RAM only."""
    # ComfyUI's default: load the encoder alone, encode once, move it back to host RAM, keep
    # the conditioning; only then load the transformer and VAE (so their peak never meets it)
    encoder = pipe.text_encoder
    encoder.to(device.torch_device)
    kwargs = family.encode(pipe, workload.prompt, device.torch_device)
    pipe.text_encoder = None  # the pipeline must not find it (nor pick its device)
    encoder.to("cpu")
    device.empty_cache()
    kwargs["_unloaded"] = encoder  # kept alive in host RAM, as ComfyUI keeps it
    return kwargs


def _text_encoder_unload(pipe, family, workload, device) -> dict[str, Any]:
    kwargs = _unload_text_encoder(pipe, family, workload, device)
    pipe.to(device.torch_device)
    return kwargs


def _fp8(pipe, family, workload, device) -> dict[str, Any]:
    import torch

    # diffusers' layerwise casting: weights stored in float8 e4m3, each layer upcast to bf16
    # for its forward; cast in host RAM so the bf16 copy never has to fit on the device
    pipe.transformer.enable_layerwise_casting(
        storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.bfloat16
    )
    pipe.to(device.torch_device)
    return {}


def _gguf(scheme: str) -> Prepare:
    def prepare(pipe, family, workload, device) -> dict[str, Any]:
        from guide_builder.measure.quantize import quantise_module

        # one weight at a time onto the device, quantised there: only the blocks stay
        quantise_module(pipe.transformer, "transformer", scheme, device=device.torch_device)
        pipe.to(device.torch_device)
        return {}

    return prepare


def _with_unload(place: Prepare) -> Prepare:
    """`<variant>+text_encoder_unload`: encode and unload first, then place as `<variant>` does."""

    def prepare(pipe, family, workload, device) -> dict[str, Any]:
        kwargs = _unload_text_encoder(pipe, family, workload, device)
        kwargs.update(place(pipe, family, workload, device))
        return kwargs

    return prepare


def _model_offload(pipe, family, workload, device) -> dict[str, Any]:
    pipe.enable_model_cpu_offload(device=device.torch_device)
    return {}


def _sequential_offload(pipe, family, workload, device) -> dict[str, Any]:
    pipe.enable_sequential_cpu_offload(device=device.torch_device)
    return {}


def _group_offload(pipe, family, workload, device) -> dict[str, Any]:
    import torch

    on_cuda = device.kind == "cuda"
    pipe.enable_group_offload(
        onload_device=torch.device(device.torch_device),
        offload_device=torch.device("cpu"),
        offload_type="block_level",
        num_blocks_per_group=1,
        # a CUDA stream overlaps the next block's upload with compute; the CPU has none (there
        # the variant only exercises the hooks: onload and offload are the same memory)
        use_stream=on_cuda,
    )
    return {}


register(Variant("plain", "Every component resident on the device (pipe.to).", _plain))
register(
    Variant(
        "text_encoder_unload",
        "Prompt encoded once on the device, then the text encoder moved to host RAM (ComfyUI's default).",
        _text_encoder_unload,
        build_on_cpu=True,
    )
)
register(
    Variant(
        "model_offload",
        "enable_model_cpu_offload: one whole component on the device at a time.",
        _model_offload,
        build_on_cpu=True,
        devices=("cuda",),
    )
)
register(
    Variant(
        "group_offload",
        "enable_group_offload, block level, one block per group, with a CUDA stream (none on the CPU).",
        _group_offload,
        build_on_cpu=True,
        default=("cuda",),
    )
)
register(
    Variant(
        "sequential_offload",
        "enable_sequential_cpu_offload: every submodule uploaded when it runs (slowest, smallest).",
        _sequential_offload,
        build_on_cpu=True,
        devices=("cuda",),
        default=False,  # minutes per full-size image: only when asked for
    )
)
register(
    Variant(
        "fp8",
        "Transformer weights stored float8 e4m3, computed in bf16 (diffusers' enable_layerwise_casting).",
        _fp8,
        build_on_cpu=True,
        default=("cuda",),  # on the CPU only when asked for (their pixels differ from plain)
    )
)
register(
    Variant(
        "gguf_q8_0",
        "Transformer quantised to GGUF Q8_0 blocks on the fly, run through diffusers' GGUFLinear.",
        _gguf("gguf_q8_0"),
        build_on_cpu=True,
        default=("cuda",),  # on the CPU only when asked for (their pixels differ from plain)
    )
)
register(
    Variant(
        "gguf_q4_k_m",
        "Transformer quantised to GGUF Q4_K_M's mix (Q4_K, Q5_K qkv, Q6_K w2) on the fly, run through diffusers' GGUFLinear.",
        _gguf("gguf_q4_k_m"),
        build_on_cpu=True,
        default=("cuda",),  # on the CPU only when asked for (their pixels differ from plain)
    )
)

# naming rule: `<variant>+text_encoder_unload` for the variants that change how the weights are
# stored; the offload variants already keep the encoder in host RAM between its uses
UNLOADABLE = ("fp8", "gguf_q8_0", "gguf_q4_k_m")
for _name in UNLOADABLE:
    _base = VARIANTS[_name]
    register(
        Variant(
            f"{_name}+text_encoder_unload",
            f"{_base.doc} The prompt is encoded first, then the text encoder kept in host RAM.",
            _with_unload(_base.prepare),
            build_on_cpu=True,
            devices=_base.devices,
            default=False,
        )
    )
