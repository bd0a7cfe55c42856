"""`count-memory`: weight bytes per component and storage scheme, into catalog/variant_memory.csv.

The components are built on the meta device from the committed published configs (no weights);
which tensors fp8 layerwise casting stores in float8 is read off the model after diffusers'
own casting is applied to it, so the table follows diffusers rather than a copy of its rules.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from guide_builder.accounting import COMPONENTS, GIB, SCHEMES, TensorSpec, account
from guide_builder.measure.output import csv_text, write_atomic
from guide_builder.schema import VARIANT_MEMORY

DEFAULT_OUT = Path("measurements/catalog/variant_memory.csv")


def tensor_specs(module: Any, fp8_module: Any | None = None) -> list[TensorSpec]:
    """Every parameter of `module`; `fp8_module` is a copy with layerwise casting applied."""
    import torch

    fp8 = set()
    if fp8_module is not None:
        fp8 = {n for n, p in fp8_module.named_parameters() if p.dtype == torch.float8_e4m3fn}
    return [TensorSpec(n, tuple(p.shape), n in fp8) for n, p in module.named_parameters()]


def apply_fp8_casting(module: Any) -> Any:
    """diffusers' layerwise casting (float8 e4m3 storage, bf16 compute) on `module`, in place."""
    import torch

    if hasattr(module, "enable_layerwise_casting"):  # a diffusers ModelMixin: its own skips
        module.enable_layerwise_casting(
            storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.bfloat16
        )
    else:  # transformers' Qwen3Model: diffusers' default skips (norms, embeddings by name)
        from diffusers.hooks import apply_layerwise_casting

        apply_layerwise_casting(
            module, storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.bfloat16
        )
    return module


def component_specs(family_module: Any = None) -> dict[str, list[TensorSpec]]:
    """TensorSpecs of the full-size Z-Image-Turbo components, built on the meta device."""
    import torch

    from guide_builder.measure import zimage

    makers = {
        "transformer": zimage.make_transformer,
        "text_encoder": zimage.make_text_encoder,
        "vae": zimage.make_vae,
    }
    out = {}
    for component in COMPONENTS:
        cfg = zimage.published_config(component)
        with torch.device("meta"):
            plain = makers[component](cfg).to(torch.bfloat16)
            cast = apply_fp8_casting(makers[component](cfg).to(torch.bfloat16))
        out[component] = tensor_specs(plain, cast)
    return out


def rows(specs: dict[str, list[TensorSpec]], diffusers_version: str) -> list[dict[str, Any]]:
    out = []
    for component, tensors in specs.items():
        for scheme in SCHEMES:
            a = account(component, tensors, scheme)
            out.append(
                {
                    "component": component,
                    "storage": scheme,
                    "params": a.params,
                    "tensors": a.tensors,
                    "quantized_params": a.quantized_params,
                    "weight_bytes": a.weight_bytes,
                    "diffusers_version": diffusers_version,
                }
            )
    return out


def run(out: Path = DEFAULT_OUT, echo=print) -> list[dict[str, Any]]:
    """Count every component under every scheme and write `out` atomically."""
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    table = rows(component_specs(), version("diffusers"))
    write_atomic(out, csv_text(VARIANT_MEMORY, table))
    for r in table:
        echo(
            f"{r['component']:<12} {r['storage']:<11} {r['weight_bytes'] / GIB:7.2f} GiB "
            f"({r['quantized_params']:,} of {r['params']:,} weights quantised)"
        )
    echo(f"wrote {out}")
    return table
