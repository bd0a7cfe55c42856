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
    default: bool = True  # run when --variants is not given


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
        and (v.default or not defaults_only)
    ]


def _plain(pipe, family, workload, device) -> dict[str, Any]:
    pipe.to(device.torch_device)
    return {}


def _text_encoder_unload(pipe, family, workload, device) -> dict[str, Any]:
    # ComfyUI's default: load the encoder alone, encode once, move it back to host RAM, keep
    # the conditioning; only then load the transformer and VAE (so their peak never meets it)
    encoder = pipe.text_encoder
    encoder.to(device.torch_device)
    kwargs = family.encode(pipe, workload.prompt, device.torch_device)
    pipe.text_encoder = None  # the pipeline must not find it (nor pick its device)
    encoder.to("cpu")
    device.empty_cache()
    pipe.to(device.torch_device)
    kwargs["_unloaded"] = encoder  # kept alive in RAM, as ComfyUI keeps it
    return kwargs


def _model_offload(pipe, family, workload, device) -> dict[str, Any]:
    pipe.enable_model_cpu_offload(device=device.torch_device)
    return {}


def _sequential_offload(pipe, family, workload, device) -> dict[str, Any]:
    pipe.enable_sequential_cpu_offload(device=device.torch_device)
    return {}


def _group_offload(pipe, family, workload, device) -> dict[str, Any]:
    import torch

    pipe.enable_group_offload(
        onload_device=torch.device(device.torch_device),
        offload_device=torch.device("cpu"),
        offload_type="block_level",
        num_blocks_per_group=1,
        use_stream=True,  # overlaps the next block's upload with compute
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
        "enable_group_offload, block level, one block per group, with a CUDA stream.",
        _group_offload,
        build_on_cpu=True,
        devices=("cuda",),
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
