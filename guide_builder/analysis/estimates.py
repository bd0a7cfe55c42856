"""Estimates for GPUs without measurements: bf16 floor / calibrated efficiency.

The efficiency (floor / measured median, bf16 results only) is taken from
measured cards of the same architecture when there are any, else from all
measured cards, else ``config.default_efficiency``; the median of the cards'
best efficiencies, so one card measured many times does not dominate.
"""

from __future__ import annotations

from guide_builder.analysis import stats
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.floors import FloorKey
from guide_builder.analysis.results import Figure, Floor, GpuResult
from guide_builder.analysis.rows import price_figure
from guide_builder.dataset import Dataset


def card_efficiencies(measured: list[GpuResult], workload: str) -> dict[str, float]:
    """Each measured card's best bf16 efficiency on the workload."""
    best: dict[str, float] = {}
    for r in measured:
        if r.workload == workload and r.precision == "bf16" and r.efficiency is not None:
            best[r.gpu] = max(best.get(r.gpu, 0.0), r.efficiency)
    return best


def calibrate(
    dataset: Dataset,
    measured: list[GpuResult],
    workload: str,
    architecture: str,
    config: AnalysisConfig,
) -> tuple[float, str]:
    """The efficiency to assume for an unmeasured card of ``architecture``, and its basis in words."""
    per_card = card_efficiencies(measured, workload)
    arch_of = dict(zip(dataset.gpus["name"], dataset.gpus["architecture"], strict=True))
    same = {g: e for g, e in per_card.items() if arch_of.get(g) == architecture}
    for pool, scope in ((same, f"measured {architecture} cards"), (per_card, "all measured cards")):
        if pool:
            names = ", ".join(sorted(pool))
            return stats.median(pool.values()), f"median of {scope} ({names})"
    return config.default_efficiency, "the configured default (no card measured)"


def estimates(
    dataset: Dataset,
    measured: list[GpuResult],
    floor_index: dict[FloorKey, Floor],
    workloads: list[str],
    config: AnalysisConfig,
) -> list[GpuResult]:
    """One `estimated` row per catalogued GPU x workload without a measured time."""
    have = {(r.gpu, r.workload) for r in measured}
    out: list[GpuResult] = []
    for _, gpu in dataset.gpus.iterrows():
        for workload in workloads:
            floor = floor_index.get((gpu["name"], workload, "bf16"))
            if (gpu["name"], workload) in have or floor is None:
                continue  # measured already, or no bf16 floor (no FLOP count / no bf16)
            eff, basis = calibrate(dataset, measured, workload, str(gpu["architecture"]), config)
            seconds = floor.floor_s / eff
            model = (
                f"estimate: bf16 floor {floor.floor_s:.3g} s ({floor.tflop:.1f} TFLOP at "
                f"{floor.peak_tflops_upper:.1f} TFLOPS, {floor.clock_basis}) / efficiency "
                f"{eff:.2f} ({basis})"
            )
            price = price_figure(dataset, gpu["name"])
            out.append(
                GpuResult(
                    gpu=gpu["name"],
                    workload=workload,
                    variant="plain",
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
                    images_per_hour_per_kcny=(
                        3600 / seconds / (price.value / 1000) if price and price.value else None
                    ),
                )
            )
    return out
