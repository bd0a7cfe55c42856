"""VRAM fit per GPU and workload: fits / fits with a named variant / cannot run.

Measured evidence first (any GPU's runs of the variant, memory-capped runs
included: a cap emulates a smaller card): an OOM under a limit at or above
the card's capacity says no; an ok run under a cap at or below it, or on the
card itself, says yes; otherwise the highest measured torch peak plus
``config.context_gib`` is compared with the capacity. Without runs, the
variant's component sizes plus ``config.vram_margin_gib`` decide.
"""

from __future__ import annotations

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import Evidence, Fit
from guide_builder.analysis.rows import evidence_of, gpu_runs, num
from guide_builder.dataset import Dataset

# (fits?, needed GiB, evidence, reason); fits is None when the evidence says nothing.
Verdict = tuple[bool | None, float | None, Evidence, str]


def component_need(config: AnalysisConfig, variant: str) -> float | None:
    sizes = config.component_sizes()
    groups = config.fit_variants.get(variant)
    if groups is None:
        return None
    return max(sum(sizes[c] for c in g) for g in groups) + config.vram_margin_gib


def _limit(row: pd.Series, vram: dict[str, float]) -> float | None:
    """The memory a run had: its cap, else its card's capacity."""
    return num(row["memory_cap_gib"]) or vram.get(row["gpu_name"])


def measured_verdict(
    runs: pd.DataFrame, gpu: str, capacity: float, vram: dict[str, float], config: AnalysisConfig
) -> Verdict:
    if runs.empty:
        return None, None, "measured", ""
    for _, r in runs.loc[runs["status"] == "oom"].iterrows():
        limit = _limit(r, vram)
        if limit is not None and limit >= capacity:
            where = (
                f"a {limit:g} GiB cap"
                if num(r["memory_cap_gib"])
                else f"a {limit:g} GiB {r['gpu_name']}"
            )
            return (
                False,
                None,
                evidence_of(r["weights"]),
                f"ran out of memory under {where} (bench {r['bench_id']})",
            )
    ok = runs.loc[runs["status"] == "ok"]
    peaks = ok["peak_reserved_gib"].fillna(ok["peak_allocated_gib"])
    needed = num(peaks.max())
    needed = None if needed is None else needed + config.context_gib
    for _, r in ok.iterrows():
        cap = num(r["memory_cap_gib"])
        if (cap is not None and cap <= capacity) or (cap is None and r["gpu_name"] == gpu):
            where = f"under a {cap:g} GiB cap" if cap is not None else f"on the {gpu}"
            return True, needed, evidence_of(r["weights"]), f"ran {where} (bench {r['bench_id']})"
    if needed is not None:
        ev = evidence_of(ok["weights"].iloc[0])
        word = "within" if needed <= capacity else "above"
        return (
            needed <= capacity,
            needed,
            ev,
            (
                f"measured peak {needed - config.context_gib:.2f} GiB + {config.context_gib:g} GiB context "
                f"= {needed:.2f} GiB, {word} {capacity:g} GiB"
            ),
        )
    return None, None, "measured", ""


def fits(dataset: Dataset, workloads: list[str], config: AnalysisConfig) -> list[Fit]:
    runs = gpu_runs(dataset)
    vram = dict(zip(dataset.gpus["name"], dataset.gpus["vram_gib"].astype(float), strict=True))
    out: list[Fit] = []
    for workload in workloads:
        wl = runs.loc[runs["workload"] == workload] if not runs.empty else runs
        measured_variants = (
            [] if wl.empty else sorted(set(wl["variant"]) - set(config.fit_variants))
        )
        variants = [*config.fit_variants, *measured_variants]
        for gpu, capacity in vram.items():
            out.append(_fit_one(wl, gpu, workload, capacity, variants, vram, config))
    return out


def _fit_one(wl, gpu, workload, capacity, variants, vram, config) -> Fit:
    tried: list[str] = []
    for variant in variants:
        runs = wl.loc[wl["variant"] == variant] if not wl.empty else wl
        ok, needed, evidence, reason = measured_verdict(runs, gpu, capacity, vram, config)
        if ok is None:
            needed = component_need(config, variant)
            if needed is None:
                continue
            ok, evidence = needed <= capacity, "estimated"
            reason = f"components {needed - config.vram_margin_gib:.2f} GiB + {config.vram_margin_gib:g} GiB margin = {needed:.2f} GiB"
        if ok:
            verdict = "fits" if variant == "plain" else "fits_with_variant"
            why = "; ".join([*tried, f"{variant}: {reason}"])
            return Fit(gpu, workload, verdict, variant, needed, capacity, evidence, why)
        tried.append(f"{variant} does not fit: {reason}")
    return Fit(
        gpu,
        workload,
        "cannot_run",
        "none",
        None,
        capacity,
        "estimated" if not tried else evidence,
        "; ".join(tried) or "no variant known",
    )
