"""Tiers: one pick per CNY budget band, by stated rules.

Rules: a candidate is a catalogued card of an allowed form factor with a CNY
price and a measured-or-estimated time for the reference workload that can run
it (fits, or fits with a variant in config.tier_variants); reported claims
never count. Bands:
entry <= entry_max_cny < balanced <= balanced_max_cny < future_proof. Within a
band, cards are ranked by the tier's first key (config.tier_rank); cards within
config.tie_tolerance of the best are tied and ordered by the other key, then by
the lower price, then by name. The first is the pick, the second the runner-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import Figure, Fit, GpuResult, PsuAdvice, TierPick
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, msg, word

TIERS = ("entry", "balanced", "future_proof")
_MEASURED = ("measured", "measured_synthetic")


@dataclass(frozen=True)
class Candidate:
    gpu: str
    result: GpuResult
    fit: Fit
    price: Figure

    @property
    def seconds(self) -> float:
        return float(self.result.seconds.value)

    @property
    def perf_per_kcny(self) -> float:
        """Images per hour per 1,000 CNY."""
        return 3600 / self.seconds / (self.price.value / 1000)


def best_result(
    results: list[GpuResult], gpu: str, workload: str, fit: Fit | None
) -> GpuResult | None:
    """The figure a tier uses: measured before estimated, the card's fitting variant, bf16."""
    rows = [r for r in results if r.gpu == gpu and r.workload == workload and r.seconds.value]
    if not rows:
        return None
    variant = fit.variant if fit else "plain"
    return min(
        rows,
        key=lambda r: (
            r.seconds.evidence not in _MEASURED,
            r.variant != variant,
            r.variant != "plain",
            r.precision != "bf16",
            r.seconds.value,
        ),
    )


def candidates(
    dataset: Dataset, results: list[GpuResult], fits: list[Fit], config: AnalysisConfig
) -> tuple[list[Candidate], list[Message]]:
    """Cards a tier may pick, and why every other catalogued card was left out."""
    workload = config.reference_workload
    fit_of = {f.gpu: f for f in fits if f.workload == workload}
    out: list[Candidate] = []
    excluded: list[Message] = []
    for _, row in dataset.gpus.iterrows():
        gpu = row["name"]
        fit = fit_of.get(gpu)
        result = best_result(results, gpu, workload, fit)
        price = next((r.price_cny for r in results if r.gpu == gpu and r.price_cny), None)
        if row["form_factor"] not in config.tier_form_factors:
            form = word("form", str(row["form_factor"]))
            excluded.append(msg("tier.excluded_form", gpu=gpu, form_factor=form))
        elif fit is None or fit.verdict == "cannot_run":
            reason = fit.reason if fit else msg("tier.no_fit")
            excluded.append(
                msg("tier.excluded_cannot_run", gpu=gpu, workload=workload, reason=reason)
            )
        elif fit.variant not in config.tier_variants:
            excluded.append(
                msg(
                    "tier.excluded_variant",
                    gpu=gpu,
                    workload=workload,
                    variant=fit.variant,
                    reason=fit.reason,
                )
            )
        elif result is None:
            excluded.append(msg("tier.excluded_no_time", gpu=gpu, workload=workload))
        elif price is None or not price.value:
            excluded.append(msg("tier.excluded_no_price", gpu=gpu))
        else:
            out.append(Candidate(gpu, result, fit, price))
    return out, excluded


def band(config: AnalysisConfig, tier: str) -> tuple[float | None, float | None]:
    return {
        "entry": (None, config.entry_max_cny),
        "balanced": (config.entry_max_cny, config.balanced_max_cny),
        "future_proof": (config.balanced_max_cny, None),
    }[tier]


def in_band(price: float, lo: float | None, hi: float | None) -> bool:
    return (lo is None or price > lo) and (hi is None or price <= hi)


def _score(c: Candidate, key: str) -> float:
    """Lower is better for both keys."""
    return c.seconds if key == "seconds" else -c.perf_per_kcny


def rank(pool: list[Candidate], first: str, tolerance: float) -> list[Candidate]:
    other = "perf_per_cny" if first == "seconds" else "seconds"
    pool, ordered = list(pool), []
    while pool:
        best = min(_score(c, first) for c in pool)
        tied = [c for c in pool if _score(c, first) - best <= tolerance * abs(best)]
        pick = min(tied, key=lambda c: (_score(c, other), c.price.value, c.gpu))
        ordered.append(pick)
        pool.remove(pick)
    return ordered


def _reasons(
    c: Candidate, ordered: list[Candidate], tier: str, first: str, config: AnalysisConfig
) -> tuple[Message, ...]:
    lo, hi = band(config, tier)
    bounds = (
        msg("tier.bounds_above", lo=lo)
        if hi is None
        else msg("tier.bounds_range", lo=lo or 0, hi=hi)
    )
    ev = c.result.seconds.evidence
    reasons = [
        msg(
            "tier.fastest" if first == "seconds" else "tier.most_per_cny",
            n=len(ordered),
            bounds=bounds,
            workload=config.reference_workload,
        ),
        msg(
            "tier.seconds",
            seconds=c.seconds,
            evidence=msg("level." + ev),
            source=c.result.seconds.source,
        ),
        msg(
            "tier.perf",
            perf=c.perf_per_kcny,
            price=c.price.value,
            detail=c.price.detail or msg("tier.price_word"),
        ),
        msg("tier.fits_as_is")
        if c.fit.verdict == "fits"
        else msg("tier.needs_variant", variant=c.fit.variant, reason=c.fit.reason),
    ]
    tied = [
        o
        for o in ordered[1:]
        if _score(o, first) - _score(c, first) <= config.tie_tolerance * abs(_score(c, first))
    ]
    if tied:
        names = ", ".join(o.gpu for o in tied)
        reasons.append(msg("tier.tied", names=names, tolerance=config.tie_tolerance))
    return tuple(reasons)


def tiers(
    candidates_: list[Candidate], psu: list[PsuAdvice], config: AnalysisConfig
) -> list[TierPick]:
    psu_of = {p.gpu: p.recommended_w for p in psu}
    out: list[TierPick] = []
    for tier in TIERS:
        lo, hi = band(config, tier)
        first = config.tier_rank.get(tier, "seconds")
        ordered = rank(
            [c for c in candidates_ if in_band(c.price.value, lo, hi)], first, config.tie_tolerance
        )
        if not ordered:
            out.append(
                TierPick(
                    tier,
                    lo,
                    hi,
                    None,
                    None,
                    None,
                    None,
                    (msg("tier.none_in_band"),),
                )
            )
            continue
        pick = ordered[0]
        out.append(
            TierPick(
                tier=tier,
                budget_min_cny=lo,
                budget_max_cny=hi,
                gpu=pick.gpu,
                runner_up=ordered[1].gpu if len(ordered) > 1 else None,
                seconds=pick.result.seconds,
                price_cny=pick.price,
                reasons=_reasons(pick, ordered, tier, first, config),
                psu_w=psu_of.get(pick.gpu),
            )
        )
    return out
