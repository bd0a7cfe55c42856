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
from guide_builder.messages import Message, join, msg

# (fits?, needed GiB, evidence, reason); fits is None when the evidence says nothing.
Verdict = tuple[bool | None, float | None, Evidence, Message | None]


def component_need(config: AnalysisConfig, variant: str) -> float | None:
    sizes = config.component_sizes()
    groups = config.fit_variants.get(variant)
    if groups is None:
        return None
    return max(sum(sizes[c] for c in g) for g in groups) + config.vram_margin_gib


class VariantRuns:
    """One workload's runs of one variant, reduced once so each card's verdict is a lookup.

    A card's verdict: the first OOM row (in frame order) whose memory limit is at or
    above the card's capacity, else the first ok row run under a cap at or below it or
    uncapped on the card itself, else the measured peak compared with the capacity.
    """

    def __init__(self, runs: pd.DataFrame, vram: dict[str, float], config: AnalysisConfig):
        self.empty = runs.empty
        self.context_gib = config.context_gib
        if self.empty:
            return
        status = runs["status"].to_numpy()
        caps = [num(c) for c in runs["memory_cap_gib"]]
        names = runs["gpu_name"].tolist()
        benches = runs["bench_id"].tolist()
        weights = runs["weights"].tolist()
        # OOM rows: running maximum of the limit, so "first limit >= capacity" is a search.
        self.oom_rows: list[tuple[float, Evidence, Message]] = []
        best = None
        for i in (i for i, st in enumerate(status) if st == "oom"):
            limit = caps[i] or vram.get(names[i])
            if limit is None or (best is not None and limit <= best):
                continue
            best = limit
            reason = (
                msg("fit.oom_cap", limit=limit, bench=benches[i])
                if caps[i]
                else msg("fit.oom_card", limit=limit, gpu=names[i], bench=benches[i])
            )
            self.oom_rows.append((limit, evidence_of(weights[i]), reason))
        ok_idx = [i for i, st in enumerate(status) if st == "ok"]
        ok = runs.loc[runs["status"] == "ok"]
        peaks = ok["peak_reserved_gib"].fillna(ok["peak_allocated_gib"])
        needed = num(peaks.max())
        self.needed = None if needed is None else needed + config.context_gib
        self.needed_evidence: Evidence = evidence_of(weights[ok_idx[0]]) if ok_idx else "measured"
        # Capped ok rows: running minimum of the cap (first cap <= capacity is a search).
        self.capped: list[tuple[float, int]] = []  # (cap, position among ok rows) at each new min
        self.on_card: dict[str, int] = {}  # card -> position of its first uncapped ok row
        self.ok_rows: list[tuple[float | None, Evidence, str]] = []
        for pos, i in enumerate(ok_idx):
            cap = caps[i]
            self.ok_rows.append((cap, evidence_of(weights[i]), benches[i]))
            if cap is None:
                self.on_card.setdefault(names[i], pos)
            elif not self.capped or cap < self.capped[-1][0]:
                self.capped.append((cap, pos))

    def verdict(self, gpu: str, capacity: float) -> Verdict:
        if self.empty:
            return None, None, "measured", None
        for limit, evidence, reason in self.oom_rows:
            if limit >= capacity:
                return False, None, evidence, reason
        first = self.on_card.get(gpu)
        for cap, pos in self.capped:
            if cap <= capacity:
                first = pos if first is None else min(first, pos)
                break
        needed = self.needed
        if first is not None:
            cap, evidence, bench = self.ok_rows[first]
            reason = (
                msg("fit.ran_cap", cap=cap, bench=bench)
                if cap is not None
                else msg("fit.ran_card", gpu=gpu, bench=bench)
            )
            return True, needed, evidence, reason
        if needed is not None:
            key = "fit.peak_within" if needed <= capacity else "fit.peak_above"
            reason = msg(
                key,
                peak=needed - self.context_gib,
                context=self.context_gib,
                needed=needed,
                capacity=capacity,
            )
            return needed <= capacity, needed, self.needed_evidence, reason
        return None, None, "measured", None


def fits(dataset: Dataset, workloads: list[str], config: AnalysisConfig) -> list[Fit]:
    runs = gpu_runs(dataset)
    vram = dict(zip(dataset.gpus["name"], dataset.gpus["vram_gib"].astype(float), strict=True))
    by_workload = (
        {} if runs.empty else dict(iter(runs.groupby("workload", sort=False, dropna=False)))
    )
    out: list[Fit] = []
    for workload in workloads:
        wl = by_workload.get(workload, runs.iloc[0:0])
        measured_variants = (
            [] if wl.empty else sorted(set(wl["variant"]) - set(config.fit_variants))
        )
        variants = [*config.fit_variants, *measured_variants]
        by_variant = {} if wl.empty else dict(iter(wl.groupby("variant", sort=False, dropna=False)))
        evidence = {v: VariantRuns(by_variant.get(v, wl.iloc[0:0]), vram, config) for v in variants}
        for gpu, capacity in vram.items():
            out.append(_fit_one(evidence, gpu, workload, capacity, variants, config))
    return out


def _fit_one(evidence_of_variant, gpu, workload, capacity, variants, config) -> Fit:
    tried: list[Message] = []
    for variant in variants:
        ok, needed, evidence, reason = evidence_of_variant[variant].verdict(gpu, capacity)
        if ok is None:
            needed = component_need(config, variant)
            if needed is None:
                continue
            ok, evidence = needed <= capacity, "estimated"
            reason = msg(
                "fit.components",
                parts=needed - config.vram_margin_gib,
                margin=config.vram_margin_gib,
                needed=needed,
            )
        if ok:
            verdict = "fits" if variant == "plain" else "fits_with_variant"
            why = join(*tried, msg("fit.variant_fits", variant=variant, reason=reason))
            return Fit(gpu, workload, verdict, variant, needed, capacity, evidence, why)
        tried.append(msg("fit.variant_fails", variant=variant, reason=reason))
    return Fit(
        gpu,
        workload,
        "cannot_run",
        "none",
        None,
        capacity,
        "estimated" if not tried else evidence,
        join(*tried) if tried else msg("fit.no_variant"),
    )
