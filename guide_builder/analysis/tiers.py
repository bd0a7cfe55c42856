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
) -> tuple[list[Candidate], list[str]]:
    """Cards a tier may pick, and why every other catalogued card was left out."""
    workload = config.reference_workload
    fit_of = {f.gpu: f for f in fits if f.workload == workload}
    out: list[Candidate] = []
    excluded: list[str] = []
    for _, row in dataset.gpus.iterrows():
        gpu = row["name"]
        fit = fit_of.get(gpu)
        result = best_result(results, gpu, workload, fit)
        price = next((r.price_cny for r in results if r.gpu == gpu and r.price_cny), None)
        if row["form_factor"] not in config.tier_form_factors:
            excluded.append(f"{gpu}: {row['form_factor']} card, not picked for a tier")
        elif fit is None or fit.verdict == "cannot_run":
            excluded.append(
                f"{gpu}: cannot run {workload} ({fit.reason if fit else 'no fit computed'})"
            )
        elif fit.variant not in config.tier_variants:
            excluded.append(f"{gpu}: runs {workload} only with {fit.variant} ({fit.reason})")
        elif result is None:
            excluded.append(f"{gpu}: no measured or estimated time for {workload}")
        elif price is None or not price.value:
            excluded.append(f"{gpu}: no CNY price in the catalogue (add one with its source)")
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
) -> tuple[str, ...]:
    lo, hi = band(config, tier)
    bounds = f"above ¥{lo:,.0f}" if hi is None else f"¥{lo or 0:,.0f}-{hi:,.0f}"
    ev = c.result.seconds.evidence
    key_words = "fastest" if first == "seconds" else "most images per hour per ¥1,000"
    reasons = [
        f"{key_words} of {len(ordered)} card(s) priced {bounds} that run {config.reference_workload}",
        f"{c.seconds:.2f} s per image ({ev}; {c.result.seconds.source})",
        f"{c.perf_per_kcny:.1f} images per hour per ¥1,000 at ¥{c.price.value:,.0f} ({c.price.detail or 'price'})",
        "fits as is"
        if c.fit.verdict == "fits"
        else f"needs the {c.fit.variant} variant ({c.fit.reason})",
    ]
    tied = [
        o
        for o in ordered[1:]
        if _score(o, first) - _score(c, first) <= config.tie_tolerance * abs(_score(c, first))
    ]
    if tied:
        names = ", ".join(o.gpu for o in tied)
        reasons.append(
            f"tied with {names} within {config.tie_tolerance:.0%}; chosen on the other key, then price"
        )
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
                    ("no card priced in this band can run the workload",),
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
