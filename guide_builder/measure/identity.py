"""The columns that say where and what a row measured, built once for worker and parent."""

from __future__ import annotations

from typing import Any

from guide_builder.measure import workloads as workload_registry
from guide_builder.measure.config import MeasureConfig


def device_columns(bench_id: str, target: dict[str, Any]) -> dict[str, Any]:
    """Bench and GPU identity of a probe or run row (target as `Target.job_view()`)."""
    return {
        "bench_id": bench_id,
        "gpu_index": target.get("index"),
        "gpu_uuid": target.get("uuid") or None,
        "gpu_name": target.get("name") or None,
        "device": target["kind"],
    }


def configuration_columns(
    bench_id: str, target: dict[str, Any], cfg: MeasureConfig, item: dict[str, Any]
) -> dict[str, Any]:
    """Everything a run row of one configuration (workload x variant x cap) shares."""
    w = workload_registry.get(item["workload"])
    width, height = w.size(cfg.weights)
    return {
        **device_columns(bench_id, target),
        "gpu_name_nvml": target.get("name_nvml") or None,
        "workload": w.name,
        "variant": item["variant"],
        "memory_cap_gib": item["cap"],
        "weights": cfg.weights,
        "dtype": w.dtype,
        "attention_backend": cfg.attention_backend or "sdpa",
        "width": width,
        "height": height,
        "steps": w.steps,
        "seed": cfg.seed if cfg.seed is not None else w.seed,
    }
