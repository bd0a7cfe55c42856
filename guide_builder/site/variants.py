"""What the small-cards section and each GPU's variants table show (no formatting here).

Both read the fit analysis's per-variant verdicts (`Fit.options`, fastest first) and the
results; a time is shown only where the analysis has one for that exact variant.
"""

from __future__ import annotations

from dataclasses import dataclass

from guide_builder.analysis.results import Analysis, Fit, GpuResult, VariantFit
from guide_builder.site.views import GpuView, SiteView


@dataclass(frozen=True)
class VariantRow:
    """One variant that fits a card, with its time where the analysis has one."""

    option: VariantFit
    result: GpuResult | None
    picked: bool  # the card's fit (the fastest that fits)


@dataclass(frozen=True)
class SizeAdvice:
    """The fastest variant that fits a card of ``size_gib``, and the catalogue's cards of it."""

    size_gib: float
    option: VariantFit | None
    cards: list[tuple[str, GpuResult | None]]  # (card, its time for the workload)


def reference_fit(fits: list[Fit], workload: str) -> Fit | None:
    return next((f for f in fits if f.workload == workload), None)


def variant_rows(
    gpu: GpuView, workload: str, estimated: dict | None = None
) -> tuple[Fit | None, list[VariantRow]]:
    """The card's fit for ``workload`` and every variant that fits it, fastest first; a
    variant's time is the card's own result, else the analysis's per-variant estimate."""
    fit = reference_fit(gpu.fits, workload)
    if fit is None:
        return None, []
    timed = {r.variant: r for r in gpu.results if r.workload == workload}
    estimated = estimated or {}
    rows = [
        VariantRow(
            o,
            timed.get(o.variant) or estimated.get((fit.gpu, workload, o.variant)),
            o.variant == fit.variant,
        )
        for o in fit.options
        if o.fits
    ]
    return fit, rows


def fastest_within(options: tuple[VariantFit, ...], size_gib: float) -> VariantFit | None:
    """The first option (fastest first) whose need is within ``size_gib``."""
    return next((o for o in options if o.needed_gib is not None and o.needed_gib <= size_gib), None)


def size_advice(view: SiteView) -> list[SizeAdvice]:
    """For each small card size: the fastest variant that fits, and the cards of that size."""
    analysis: Analysis = view.analysis
    workload = view.reference_workload
    fits = [f for f in analysis.fits if f.workload == workload and f.options]
    result_of = {r.gpu: r for r in view.results_by_workload.get(workload, [])}
    out = []
    for size in analysis.config.small_card_vram_gib:
        option = fastest_within(fits[0].options, size) if fits else None
        cards = sorted(
            ((f.gpu, result_of.get(f.gpu)) for f in fits if f.capacity_gib == size),
            key=lambda c: (c[1] is None, c[1].seconds.value if c[1] else 0.0, c[0]),
        )
        out.append(SizeAdvice(size, option, cards))
    return out


def small_card_pick(view: SiteView) -> tuple[GpuResult | None, int]:
    """The fastest card priced at or under ``small_card_max_cny`` that runs the workload,
    and how many priced cards were considered (price as the analysis gives it)."""
    limit = view.analysis.config.small_card_max_cny
    workload = view.reference_workload
    runnable = {
        f.gpu for f in view.analysis.fits if f.workload == workload and f.verdict != "cannot_run"
    }
    pool = [
        r
        for r in view.results_by_workload.get(workload, [])
        if r.gpu in runnable
        and r.price_cny is not None
        and r.price_cny.value is not None
        and r.price_cny.value <= limit
        and r.seconds.value is not None
        and r.memory_cap_gib is None
    ]
    best = min(pool, key=lambda r: (r.seconds.value, r.price_cny.value), default=None)
    return best, len(pool)
