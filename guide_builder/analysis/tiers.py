"""Tiers: per CNY budget band, a "new" and a "used" pick, by stated rules.

Rules: a candidate is a catalogued card of an allowed form factor with a
measured-or-estimated time for the reference workload that can run it (fits,
or fits with a variant in config.tier_variants); reported claims never count.
Its price is the one rule's (guide_builder.analysis.pricing), per segment:

- new: what a new card costs. Never a ``converted`` price. A card sold
  officially or as a China model may be picked at its street, grey or launch
  price; a discontinued or used-only card only at a street or grey price
  younger than config.price_max_age_days (remaining stock); a card not sold
  officially in mainland China only at a dated ``grey`` price, with a warning;
  a modified card only at a street or grey price, with its risks.
- used: a second-hand card at a ``used`` price, with the risks of buying used.

Bands (on the card's price): entry <= entry_max_cny < balanced <=
balanced_max_cny < future_proof. Within a band and segment, cards are ranked by
the tier's first key (config.tier_rank); cards within config.tie_tolerance of
the best are tied and ordered by the other key, then by the lower price, then
by name. The first is the pick, the second the runner-up. Each pick carries its
whole build cost (guide_builder.analysis.builds).
"""

from __future__ import annotations

from dataclasses import dataclass

from guide_builder.analysis.builds import BuildCost, build_cost
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.pricing import PriceFigure, Segment, price_for
from guide_builder.analysis.results import Figure, Fit, GpuResult, PsuAdvice, TierPick
from guide_builder.analysis.rows import is_measured, num, text
from guide_builder.analysis.storage import build_ssd_gb, recommended_ram_for
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, msg, word

TIERS = ("entry", "balanced", "future_proof")
SEGMENTS: tuple[Segment, ...] = ("new", "used")
_SOLD_NEW = ("official", "china_model")
_FORMER = ("discontinued", "used_only")
# Picks that carry risks a buyer would rather avoid when an equal card does not.
_RISKY = ("not_sold_officially", "modified")


@dataclass(frozen=True)
class Candidate:
    gpu: str
    result: GpuResult
    fit: Fit
    price: Figure  # the offer as a Figure (value = CNY)
    offer: PriceFigure | None = None
    segment: Segment = "new"
    availability: str = ""
    build: BuildCost | None = None
    warnings: tuple[Message, ...] = ()

    @property
    def seconds(self) -> float:
        return float(self.result.seconds.value)

    @property
    def perf_per_kcny(self) -> float:
        """Images per hour per 1,000 CNY (of the card)."""
        return 3600 / self.seconds / (self.price.value / 1000)

    @property
    def total_cny(self) -> float:
        """The whole build (card + parts); the card alone when no build was costed."""
        return self.build.total_cny if self.build else float(self.price.value)


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
            not is_measured(r.seconds.evidence),
            r.variant != variant,
            r.variant != "plain",
            r.precision != "bf16",
            r.seconds.value,
        ),
    )


def offer(
    dataset: Dataset, gpu: str, availability: str, segment: Segment, config: AnalysisConfig
) -> tuple[PriceFigure | None, Message | None, tuple[Message, ...]]:
    """The price a segment may pick the card at, or why not; and the pick's warnings."""
    price = price_for(dataset, gpu, config, segment)
    if price is None and segment == "new" and availability == "not_sold_officially":
        return None, msg("tier.not_sold_no_grey"), ()  # its launch price is not an offer
    if price is None:
        return None, msg("tier.no_segment_price", segment=word("market", segment)), ()
    warnings: list[Message] = []
    if price.stale:
        warnings.append(msg("tier.warn_stale", date=price.date, days=config.price_max_age_days))
    if segment == "used":
        if price.kind != "used":
            return None, msg("tier.no_segment_price", segment=word("market", segment)), ()
        warnings.append(msg("tier.warn_used"))
        if availability == "modified":
            warnings.append(msg("tier.warn_modified"))
        return price, None, tuple(warnings)
    if price.kind == "converted":
        return None, msg("tier.only_converted"), ()
    if availability == "not_sold_officially":
        if price.kind != "grey":
            return None, msg("tier.not_sold_no_grey"), ()
        warnings.append(msg("tier.warn_grey"))
    elif availability == "modified":
        if price.kind not in ("street", "grey"):
            return None, msg("tier.modified_no_price"), ()
        warnings.append(msg("tier.warn_modified"))
    elif availability in _FORMER:
        if price.kind not in ("street", "grey") or price.stale:
            return None, msg("tier.not_sold_new", availability=word("avail", availability)), ()
    elif availability not in _SOLD_NEW:
        return None, msg("tier.no_availability"), ()
    return price, None, tuple(warnings)


def candidates(
    dataset: Dataset,
    results: list[GpuResult],
    fits: list[Fit],
    config: AnalysisConfig,
    psu: list[PsuAdvice] = (),
) -> tuple[list[Candidate], list[Message]]:
    """Cards a tier may pick (one per card and segment), and why every other card was left out."""
    workload = config.reference_workload
    fit_of = {f.gpu: f for f in fits if f.workload == workload}
    psu_of = {p.gpu: p.recommended_w for p in psu}
    ssd_gb = build_ssd_gb(dataset, config)  # one drive size for every build
    # RAM by the variant the card runs (offloading keeps weights in system memory)
    ram_sizes: dict[str, int] = {}

    def ram_of(variant: str) -> int:
        if variant not in ram_sizes:
            ram_sizes[variant] = recommended_ram_for(dataset, config, variant)
        return ram_sizes[variant]

    out: list[Candidate] = []
    excluded: list[Message] = []
    for _, row in dataset.gpus.iterrows():
        gpu = row["name"]
        fit = fit_of.get(gpu)
        result = best_result(results, gpu, workload, fit)
        if row["form_factor"] not in config.tier_form_factors:
            form = word("form", str(row["form_factor"]))
            excluded.append(msg("tier.excluded_form", gpu=gpu, form_factor=form))
            continue
        if fit is None or fit.verdict == "cannot_run":
            reason = fit.reason if fit else msg("tier.no_fit")
            excluded.append(
                msg("tier.excluded_cannot_run", gpu=gpu, workload=workload, reason=reason)
            )
            continue
        if fit.variant not in config.tier_variants:
            excluded.append(
                msg(
                    "tier.excluded_variant",
                    gpu=gpu,
                    workload=workload,
                    variant=fit.variant,
                    reason=fit.reason,
                )
            )
            continue
        if result is None:
            excluded.append(msg("tier.excluded_no_time", gpu=gpu, workload=workload))
            continue
        availability = text(row.get("availability"))
        reasons: list[Message] = []
        for segment in SEGMENTS:
            price, why, warnings = offer(dataset, gpu, availability, segment, config)
            if price is None:
                reasons.append(why)
                continue
            build = build_cost(
                dataset,
                price,
                psu_of.get(gpu),
                num(row.get("board_power_w")),
                ssd_gb,
                config,
                ram_of(fit.variant),
            )
            out.append(
                Candidate(
                    gpu,
                    result,
                    fit,
                    price.figure(),
                    price,
                    segment,
                    availability,
                    build,
                    warnings,
                )
            )
        if len(reasons) == len(SEGMENTS):
            excluded.append(msg("tier.excluded_no_offer", gpu=gpu, reasons=tuple(reasons)))
    return out, excluded


def band(config: AnalysisConfig, tier: str) -> tuple[float | None, float | None]:
    return {
        "entry": (None, config.entry_max_cny),
        "balanced": (config.entry_max_cny, config.balanced_max_cny),
        "future_proof": (config.balanced_max_cny, None),
    }[tier]


def in_band(price: float, lo: float | None, hi: float | None) -> bool:
    return (lo is None or price > lo) and (hi is None or price <= hi)


def band_of(config: AnalysisConfig, price: float) -> str:
    """The tier whose budget band holds a price."""
    return next(tier for tier in TIERS if in_band(price, *band(config, tier)))


def _score(c: Candidate, key: str) -> float:
    """Lower is better for both keys."""
    return c.seconds if key == "seconds" else -c.perf_per_kcny


def rank(pool: list[Candidate], first: str, tolerance: float) -> list[Candidate]:
    other = "perf_per_cny" if first == "seconds" else "seconds"
    pool, ordered = list(pool), []
    while pool:
        best = min(_score(c, first) for c in pool)
        tied = [c for c in pool if _score(c, first) - best <= tolerance * abs(best)]
        # among equals, a card sold through official channels (warranty, no import risk)
        # before a grey import or a modified card, then the other key
        pick = min(
            tied,
            key=lambda c: (c.availability in _RISKY, _score(c, other), c.price.value, c.gpu),
        )
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
    """For each band, the new pick then the used pick."""
    psu_of = {p.gpu: p.recommended_w for p in psu}
    out: list[TierPick] = []
    for tier in TIERS:
        lo, hi = band(config, tier)
        first = config.tier_rank.get(tier, "seconds")
        for segment in SEGMENTS:
            pool = [
                c for c in candidates_ if c.segment == segment and in_band(c.price.value, lo, hi)
            ]
            ordered = rank(pool, first, config.tie_tolerance)
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
                        segment=segment,
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
                    segment=segment,
                    price=pick.offer,
                    build=pick.build,
                    availability=pick.availability,
                    warnings=pick.warnings,
                )
            )
    return out
