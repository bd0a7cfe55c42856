"""Estimates for GPUs without measurements: bf16 floor / calibrated efficiency.

The efficiency (floor / measured median, bf16 results only) is taken from
measured cards of the same architecture when there are any, else from all
measured cards, else ``config.default_efficiency``; the median of the cards'
best efficiencies, so one card measured many times does not dominate. A card
that needs a variant to fit also pays for the weights that variant moves over
PCIe per image (``config.variant_transfers``) at its measured host-to-device
bandwidth, else ``config.offload_gb_s``.
"""

from __future__ import annotations

from guide_builder.analysis import stats
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.floors import FloorKey
from guide_builder.analysis.results import Figure, Fit, Floor, GpuResult
from guide_builder.analysis.rows import per_kcny, price_figure
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, msg


def card_efficiencies(measured: list[GpuResult], workload: str | None) -> dict[str, float]:
    """Each measured card's best bf16 efficiency on the workload (None: on any workload)."""
    best: dict[str, float] = {}
    for r in measured:
        if workload in (None, r.workload) and r.precision == "bf16" and r.efficiency is not None:
            best[r.gpu] = max(best.get(r.gpu, 0.0), r.efficiency)
    return best


def calibrate(
    dataset: Dataset,
    measured: list[GpuResult],
    workload: str,
    architecture: str,
    config: AnalysisConfig,
) -> tuple[float, Message]:
    """The efficiency to assume for an unmeasured card of ``architecture``, and its basis in words.

    Same architecture on this workload, else all cards on this workload, else the same
    two on any workload, else the configured default.
    """
    arch_of = dict(zip(dataset.gpus["name"], dataset.gpus["architecture"], strict=True))
    for scope_workload, where in ((workload, ""), (None, "_other")):
        per_card = card_efficiencies(measured, scope_workload)
        same = {g: e for g, e in per_card.items() if arch_of.get(g) == architecture}
        for pool, scope in ((same, "estimate.basis_arch"), (per_card, "estimate.basis_all")):
            if pool:
                names = ", ".join(sorted(pool))
                basis = msg(scope + where, arch=architecture, names=names)
                return stats.median(pool.values()), basis
    return config.default_efficiency, msg("estimate.basis_default")


def transfer_s(
    dataset: Dataset, gpu: str, variant: str, forwards: int, config: AnalysisConfig
) -> tuple[float, Message | None]:
    """Seconds per image spent moving weights over PCIe under a variant, and how."""
    moves = config.variant_transfers.get(variant, {})
    sizes = config.component_sizes()
    gib = sum(
        sizes["transformer"] * n * forwards
        if part == "transformer_per_forward"
        else sizes.get(part, 0) * n
        for part, n in moves.items()
    )
    if not gib:
        return 0.0, None
    probes = dataset.probes
    h2d = None
    # offloading moves pageable memory: its probe first, the pinned one for older benches
    for probe in ("h2d_bandwidth_pageable", "h2d_bandwidth"):
        if h2d or probes.empty:
            break
        hits = probes.loc[
            (probes["gpu_name"] == gpu) & (probes["probe"] == probe) & (probes["status"] == "ok")
        ]
        h2d = stats.median(hits["value"])
    key = "estimate.transfer_measured" if h2d else "estimate.transfer_assumed"
    h2d = h2d or config.offload_gb_s
    gb = gib * 2**30 / 1e9
    seconds = gb / h2d
    return seconds, msg(key, seconds=seconds, gb=gb, variant=variant, h2d=h2d)


def estimates(
    dataset: Dataset,
    measured: list[GpuResult],
    floor_index: dict[FloorKey, Floor],
    workloads: list[str],
    fits: list[Fit],
    config: AnalysisConfig,
) -> list[GpuResult]:
    """One `estimated` row per catalogued GPU x workload without a measured time."""
    have = {(r.gpu, r.workload) for r in measured}
    fit_of = {(f.gpu, f.workload): f for f in fits}
    forwards_of = dict(
        zip(dataset.workloads["workload"], dataset.workloads["transformer_forwards"], strict=True)
    )
    out: list[GpuResult] = []
    for _, gpu in dataset.gpus.iterrows():
        for workload in workloads:
            floor = floor_index.get((gpu["name"], workload, "bf16"))
            if (gpu["name"], workload) in have or floor is None:
                continue  # measured already, or no bf16 floor (no FLOP count / no bf16)
            eff, basis = calibrate(dataset, measured, workload, str(gpu["architecture"]), config)
            fit = fit_of.get((gpu["name"], workload))
            if fit and fit.verdict == "cannot_run":
                continue  # a time for a card that cannot hold the workload would mislead
            variant = fit.variant if fit else "plain"
            moving, moving_words = transfer_s(
                dataset, gpu["name"], variant, int(forwards_of[workload]), config
            )
            seconds = floor.floor_s / eff + moving
            model = msg(
                "estimate.model_moving" if moving_words else "estimate.model",
                floor_s=floor.floor_s,
                tflop=floor.tflop,
                peak=floor.peak_tflops_upper,
                clock_basis=floor.clock_basis,
                efficiency=eff,
                basis=basis,
                **({"moving": moving_words} if moving_words else {}),
            )
            price = price_figure(dataset, gpu["name"], config)
            out.append(
                GpuResult(
                    gpu=gpu["name"],
                    workload=workload,
                    variant=variant,
                    seconds=Figure(seconds, "s", "estimated", model),
                    p90_s=None,
                    iqr_s=None,
                    n=0,
                    wide_spread=False,
                    peak_vram_gib=None,
                    energy_j=None,
                    power_max_w=None,
                    efficiency=eff,
                    price_cny=price,
                    images_per_hour_per_kcny=per_kcny(seconds, price),
                )
            )
    return out
