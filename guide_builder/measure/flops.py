"""`count-flops`: FLOPs of each workload on the meta device, into catalog/workloads.csv."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from guide_builder.measure import workloads as registry
from guide_builder.measure.output import csv_text, write_atomic
from guide_builder.schema import WORKLOADS

DEFAULT_OUT = Path("measurements/catalog/workloads.csv")


def count(name: str) -> dict[str, Any]:
    """One workloads.csv row for the registered workload `name`."""
    w = registry.get(name)
    counted = w.family.count_flops(w, w.caption_tokens)
    return {
        "workload": w.name,
        "model": w.family.model,
        "width": w.width,
        "height": w.height,
        "steps": w.steps,
        "transformer_forwards": w.forwards,
        "caption_tokens": w.caption_tokens,
        "transformer_tflop_per_forward": f"{counted['transformer_tflop_per_forward']:.4f}",
        "text_encoder_tflop": f"{counted['text_encoder_tflop']:.4f}",
        "vae_decode_tflop": f"{counted['vae_decode_tflop']:.4f}",
        "transformer_params": counted["transformer_params"],
        "diffusers_version": version("diffusers"),
        "torch_version": version("torch"),
    }


def run(out: Path, names: list[str] | None = None, echo=print) -> list[dict[str, Any]]:
    """Count every (or the named) workload and write `out` atomically."""
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()  # its dtype-cast notice is noise on meta tensors
    rows = [count(n) for n in (names or registry.names())]
    write_atomic(out, csv_text(WORKLOADS, rows))
    for r in rows:
        echo(
            f"{r['workload']}: {r['transformer_tflop_per_forward']} TFLOP/forward x "
            f"{r['transformer_forwards']}, text encoder {r['text_encoder_tflop']}, "
            f"VAE decode {r['vae_decode_tflop']} TFLOP"
        )
    echo(f"wrote {out}")
    return rows
