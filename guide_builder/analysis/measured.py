"""Measured results: one row per GPU x workload x variant x dtype x evidence level."""

from __future__ import annotations

import pandas as pd

from guide_builder.analysis import stats
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.floors import FloorKey, efficiency
from guide_builder.analysis.results import Figure, Flag, Floor, GpuResult
from guide_builder.analysis.rows import (
    evidence_of,
    gpu_runs,
    num,
    per_kcny,
    price_figure,
    timed_runs,
)
from guide_builder.dataset import Dataset
from guide_builder.messages import msg

_KEY = ["gpu_name", "workload", "variant", "dtype", "evidence"]


def _with_evidence(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.assign(evidence=runs["weights"].map(evidence_of))


def _source(group: pd.DataFrame) -> tuple[tuple[str, ...], str]:
    benches = tuple(sorted(set(group["bench_id"])))
    return benches, ", ".join(benches)


def _peak_vram(memory_rows: pd.DataFrame, evidence: str, source: str) -> Figure | None:
    """Highest torch peak (reserved, else allocated) over the memory and timed passes."""
    if memory_rows.empty:
        return None
    peaks = memory_rows["peak_reserved_gib"].fillna(memory_rows["peak_allocated_gib"])
    value = num(peaks.max())
    if value is None:
        return None
    return Figure(value, "gib", evidence, source, msg("measured.peak_detail", n=len(peaks)))


def measured_results(
    dataset: Dataset, floor_index: dict[FloorKey, Floor], config: AnalysisConfig
) -> list[GpuResult]:
    timed = timed_runs(dataset)
    if timed.empty:
        return []
    timed = _with_evidence(timed)
    every = _with_evidence(gpu_runs(dataset))
    every = every.loc[(every["status"] == "ok") & every["memory_cap_gib"].isna()]
    # Group every uncapped ok run once (memory and power come from all phases).
    same_of = dict(iter(every.groupby(_KEY, sort=False)))
    empty = every.iloc[0:0]
    prices: dict[str, Figure | None] = {}
    out: list[GpuResult] = []
    for key, group in timed.groupby(_KEY, sort=True):
        gpu, workload, variant, dtype, evidence = key
        seconds = group["total_s"].astype(float)
        med, iqr, p90, n = (
            stats.median(seconds),
            stats.iqr(seconds),
            stats.p90(seconds),
            len(seconds),
        )
        benches, source = _source(group)
        same = same_of.get(key, empty)
        memory = same.loc[same["phase"].isin(["memory", "timed"])]
        energy = stats.median(group["energy_j"])
        power_max = num(same["power_max_w"].max())
        if gpu not in prices:
            prices[gpu] = price_figure(dataset, gpu, config)
        price = prices[gpu]
        eff = efficiency(floor_index, gpu, workload, dtype, med)
        flags: tuple[Flag, ...] = ()
        if eff is not None and eff > 1:
            # Faster than physics allows: a harness or catalogue error, never a result.
            flags = (
                Flag(
                    "impossible",
                    msg("measured.below_floor", median=med, precision=dtype),
                    dtype,
                ),
            )
        out.append(
            GpuResult(
                gpu=gpu,
                workload=workload,
                variant=variant,
                seconds=Figure(
                    med, "s", evidence, source, msg("measured.time_detail", n=n, iqr=iqr, p90=p90)
                ),
                p90_s=p90,
                iqr_s=iqr,
                n=n,
                wide_spread=bool(med and iqr / med > config.spread_warn_ratio),
                peak_vram_gib=_peak_vram(memory, evidence, source),
                energy_j=None
                if energy is None
                else Figure(energy, "j", evidence, source, msg("measured.median_of", n=n)),
                power_max_w=None
                if power_max is None
                else Figure(power_max, "w", evidence, source, msg("measured.highest_instant")),
                efficiency=eff,
                price_cny=price,
                images_per_hour_per_kcny=per_kcny(med, price),
                bench_ids=benches,
                flags=flags,
                precision=dtype,
            )
        )
    return out
