"""VRAM fit per GPU and workload: every variant's verdict, and the fastest that fits.

Every variant is judged (``config.fit_variants``, their ``+text_encoder_unload`` forms
and any variant measured): measured evidence first (any GPU's runs of the variant,
memory-capped runs included: a cap emulates a smaller card): an OOM under a limit at or
above the card's capacity says no; an ok run under a cap at or below it, or on the card
itself, says yes; otherwise the highest measured torch peak plus ``config.context_gib`` is
compared with the capacity. Without runs, the variant's weight bytes decide: its largest
group of components on the GPU together, each in the storage the variant gives it, with
sizes from the accounting (``catalog/variant_memory.csv``), plus ``config.vram_margin_gib``.
The card's fit is the first variant in ``config.variant_speed_order`` (fastest first) that
fits; the others stay in ``Fit.options`` for the GPU pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from guide_builder.accounting import SCHEME_PRECISION
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import Evidence, Fit, VariantFit
from guide_builder.analysis.rows import evidence_of, gpu_runs, num
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, join, msg

GIB = 2**30
UNLOAD = "+text_encoder_unload"

# (fits?, needed GiB, evidence, reason); fits is None when the evidence says nothing.
Verdict = tuple[bool | None, float | None, Evidence, Message | None]
# (component, storage) -> weight bytes
Sizes = dict[tuple[str, str], int]


@dataclass(frozen=True)
class VariantPlan:
    """Which components share the GPU under a variant, and how each is stored."""

    name: str
    groups: tuple[tuple[str, ...], ...]
    storage: tuple[tuple[str, str], ...] = ()  # (component, storage); others bf16

    def storage_of(self, component: str) -> str:
        return dict(self.storage).get(component, "bf16")

    @property
    def bf16_weights(self) -> bool:
        return all(s == "bf16" for _, s in self.storage)


def variant_plans(config: AnalysisConfig) -> list[VariantPlan]:
    """Every configured variant and its text-encoder-unloading form, fastest first."""
    plans = []
    for name, groups in config.fit_variants.items():
        storage = tuple(sorted(config.variant_storage.get(name, {}).items()))
        plans.append(VariantPlan(name, tuple(tuple(g) for g in groups), storage))
        if name in config.text_encoder_unload_combines:
            rest = tuple(t for g in groups if (t := tuple(c for c in g if c != "text_encoder")))
            plans.append(VariantPlan(name + UNLOAD, (("text_encoder",), *rest), storage))
    order = {v: i for i, v in enumerate(ordered([p.name for p in plans], config))}
    return sorted(plans, key=lambda p: order[p.name])


def ordered(names: list[str], config: AnalysisConfig) -> list[str]:
    """Names in ``variant_speed_order``; the rest after, in their given order."""
    rank = {v: i for i, v in enumerate(config.variant_speed_order)}
    return sorted(dict.fromkeys(names), key=lambda v: rank.get(v, len(rank)))


def component_bytes(dataset: Dataset, config: AnalysisConfig) -> Sizes:
    """Weight bytes per (component, storage): the accounting's table, else bf16 from config.

    Without ``catalog/variant_memory.csv`` only bf16 sizes are known (the config's GiB), so
    quantised variants are not judged by size.
    """
    table = getattr(dataset, "variant_memory", None)
    if table is not None and not table.empty:
        return {
            (str(c), str(s)): int(b)
            for c, s, b in zip(
                table["component"], table["storage"], table["weight_bytes"], strict=True
            )
        }
    return config_sizes(config)


def config_sizes(config: AnalysisConfig) -> Sizes:
    """bf16 bytes from the config's GiB (used only without the accounting's table)."""
    return {(c, "bf16"): round(gib * GIB) for c, gib in config.component_sizes().items()}


def weight_bytes(plan: VariantPlan, sizes: Sizes) -> int | None:
    """Bytes of the variant's largest co-resident group (None when a size is unknown)."""
    totals = []
    for group in plan.groups:
        parts = [sizes.get((c, plan.storage_of(c))) for c in group]
        if any(p is None for p in parts):
            return None
        totals.append(sum(parts))
    return max(totals, default=0)


def component_need(
    config: AnalysisConfig, variant: str, sizes: Sizes | None = None
) -> float | None:
    """GiB a variant needs by its weights plus the margin (None when unknown)."""
    sizes = sizes if sizes is not None else config_sizes(config)
    plan = next((p for p in variant_plans(config) if p.name == variant), None)
    if plan is None:
        return None
    b = weight_bytes(plan, sizes)
    return None if b is None else b / GIB + config.vram_margin_gib


def quality_evidence(dataset: Dataset) -> dict[str, tuple[Message, str]]:
    """Per variant (measured) or transformer storage (reported): what is known of its
    images against bf16. Measured PSNR/SSIM from benches first, reported LPIPS second."""
    out: dict[str, tuple[Message, str]] = {}
    quality = getattr(dataset, "quality", None)
    if quality is not None and not quality.empty:
        for variant, rows in quality.groupby("variant", sort=True):
            psnr = rows["psnr_db"].replace([float("inf")], float("nan")).dropna()
            ssim = rows["ssim"].dropna()
            out[str(variant)] = (
                msg(
                    "variants.quality_measured",
                    psnr=float(psnr.median()) if not psnr.empty else float("inf"),
                    ssim=float(ssim.median()) if not ssim.empty else 1.0,
                    n=len(rows),
                    benches=", ".join(sorted(set(rows["bench_id"]))),
                ),
                "measured",
            )
    claims = dataset.reported
    if not claims.empty:
        lpips = claims.loc[(claims["claim"] == "lpips") & claims["value"].notna()]
        for precision, rows in lpips.groupby("precision", sort=True):
            values = rows["value"].astype(float)
            sources = ", ".join(sorted(set(rows["source"])))
            lo, hi = float(values.min()), float(values.max())
            words = (
                msg("variants.quality_reported_one", lo=lo, sources=sources)
                if len(rows) == 1
                else msg("variants.quality_reported", lo=lo, hi=hi, n=len(rows), sources=sources)
            )
            out[f"reported:{precision}"] = (words, "reported")
    return out


def quality_of(
    plan: VariantPlan | None, variant: str = "", known: dict | None = None
) -> tuple[Message, str]:
    """What is known about a variant's image quality against bf16."""
    if plan is not None and plan.bf16_weights:
        return msg("variants.quality_same_weights"), "same_weights"
    known = known or {}
    if variant in known:
        return known[variant]
    storage = plan.storage_of("transformer") if plan is not None else ""
    reported = known.get(f"reported:{SCHEME_PRECISION.get(storage, storage)}")
    if reported:
        return reported
    return msg("variants.quality_not_measured"), "none"


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
    sizes = component_bytes(dataset, config)
    plans = {p.name: p for p in variant_plans(config)}
    known = quality_evidence(dataset)
    by_workload = (
        {} if runs.empty else dict(iter(runs.groupby("workload", sort=False, dropna=False)))
    )
    out: list[Fit] = []
    for workload in workloads:
        wl = by_workload.get(workload, runs.iloc[0:0])
        measured = [] if wl.empty else sorted(set(wl["variant"]) - set(plans))
        variants = ordered([*plans, *measured], config)
        by_variant = {} if wl.empty else dict(iter(wl.groupby("variant", sort=False, dropna=False)))
        evidence = {v: VariantRuns(by_variant.get(v, wl.iloc[0:0]), vram, config) for v in variants}
        bytes_of = {v: weight_bytes(plans[v], sizes) if v in plans else None for v in variants}
        for gpu, capacity in vram.items():
            options = [
                _judge(evidence[v], plans.get(v), bytes_of[v], v, gpu, capacity, config, known)
                for v in variants
            ]
            out.append(_pick(gpu, workload, capacity, options))
    return out


def _judge(
    runs: VariantRuns,
    plan: VariantPlan | None,
    nbytes: int | None,
    variant: str,
    gpu: str,
    capacity: float,
    config: AnalysisConfig,
    known: dict | None = None,
) -> VariantFit:
    """One variant on one card: measured evidence first, else its weight bytes."""
    quality, quality_level = quality_of(plan, variant, known)
    ok, needed, evidence, reason = runs.verdict(gpu, capacity)
    if ok is None:
        if nbytes is None:
            reason = msg("variants.not_sized", variant=variant)
            return VariantFit(
                variant, None, None, None, "estimated", reason, quality, quality_level
            )
        needed = nbytes / GIB + config.vram_margin_gib
        ok, evidence = needed <= capacity, "estimated"
        reason = msg(
            "fit.components",
            parts=nbytes / GIB,
            margin=config.vram_margin_gib,
            needed=needed,
        )
    return VariantFit(variant, ok, needed, nbytes, evidence, reason, quality, quality_level)


def _pick(gpu: str, workload: str, capacity: float, options: list[VariantFit]) -> Fit:
    """The fastest variant that fits (options are fastest first), with what failed before it."""
    tried: list[Message] = []
    for o in options:
        if o.fits is None:
            continue
        if o.fits:
            verdict = "fits" if o.variant == "plain" else "fits_with_variant"
            why = join(*tried, msg("fit.variant_fits", variant=o.variant, reason=o.reason))
            return Fit(
                gpu,
                workload,
                verdict,
                o.variant,
                o.needed_gib,
                capacity,
                o.evidence,
                why,
                tuple(options),
            )
        tried.append(msg("fit.variant_fails", variant=o.variant, reason=o.reason))
    judged = [o for o in options if o.fits is not None]
    return Fit(
        gpu,
        workload,
        "cannot_run",
        "none",
        None,
        capacity,
        judged[-1].evidence if judged else "estimated",
        join(*tried) if tried else msg("fit.no_variant"),
        tuple(options),
    )
