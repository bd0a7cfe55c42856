"""Estimates for GPUs without measurements: bf16 floor / fitted efficiency, with an interval.

The efficiency comes from `model` (per card class, partially pooled, fitted to
measured results and A/B reported runs of the reference setup); the interval
from its leave-one-source-out residuals at the estimate's level of support. A
card that needs a variant to fit also pays for the weights that variant moves
over PCIe per image (``config.variant_transfers``) at its measured
host-to-device bandwidth, else ``config.offload_gb_s``.
"""

from __future__ import annotations

import math

from guide_builder.accounting import SCHEME_PRECISION, variant_scheme
from guide_builder.analysis import stats
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.floors import FloorKey
from guide_builder.analysis.model import (
    SUPPORT,
    Fitted,
    Prediction,
    balance,
    bf16_peak,
    fit_dataset,
    segment_of,
)
from guide_builder.analysis.pcie import bytes_per_image
from guide_builder.analysis.results import Figure, Fit, Floor, GpuResult
from guide_builder.analysis.rows import per_kcny, price_figure
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, join, msg, word


def fitted_to(fitted: Fitted) -> Message:
    """What the model was fitted to, in words: "fitted to 23 reported runs of 14 cards"."""
    ref = fitted.reference()
    reported = sum(o.rows for o in ref if o.kind == "reported")
    measured = sum(1 for o in ref if o.kind == "measured")
    cards = len({o.gpu for o in ref})
    if not ref:
        return msg("estimator.fitted_none")
    if measured:
        return msg("estimator.fitted_measured", reported=reported, measured=measured, cards=cards)
    return msg("estimator.fitted", reported=reported, cards=cards)


def level_name(group: str) -> Message | str:
    """An estimator level ("consumer", "consumer Ada") in words of the reader's language."""
    segment, _, arch = group.partition(" ")
    seg = word("segment", segment)
    return msg("estimator.class_name", segment=seg, arch=arch) if arch else seg


def basis(p: Prediction, gpu: str, segment: str, architecture: str) -> Message:
    """Where a card's efficiency comes from: its own runs, its class, its segment, the pool."""
    n = p.level.n if p.level else 0
    key = {s: f"estimator.support_{s}" for s in SUPPORT}[p.support]
    words = {
        "gpu": gpu,
        "cls": level_name(f"{segment} {architecture}"),
        "segment": level_name(segment),
        "n": n,
    }
    return Message(key, {k: v for k, v in words.items() if k in _SUPPORT_PARAMS[p.support]})


_SUPPORT_PARAMS = {
    "card": ("gpu", "n", "cls"),
    "class": ("cls", "n", "gpu"),
    "bound": ("cls", "n"),
    "segment": ("cls", "segment", "n"),
    "pooled": ("segment", "n"),
    "default": (),
}


def transfer_s(
    dataset: Dataset, gpu: str, variant: str, forwards: int, config: AnalysisConfig
) -> tuple[float, Message | None]:
    """Seconds per image spent moving weights over PCIe under a variant, and how."""
    gb = bytes_per_image(dataset, config, variant, forwards) / 1e9
    if not gb:
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
    seconds = gb / h2d
    return seconds, msg(key, seconds=seconds, gb=gb, variant=variant, h2d=h2d)


def estimates(
    dataset: Dataset,
    measured: list[GpuResult],
    floor_index: dict[FloorKey, Floor],
    workloads: list[str],
    fits: list[Fit],
    config: AnalysisConfig,
    fitted: Fitted | None = None,
) -> list[GpuResult]:
    """One `estimated` row per catalogued GPU x workload without a measured time."""
    fitted = fitted or fit_dataset(dataset, measured, config)
    have = {(r.gpu, r.workload) for r in measured}
    fit_of = {(f.gpu, f.workload): f for f in fits}
    out: list[GpuResult] = []
    for _, gpu in dataset.gpus.iterrows():
        for workload in workloads:
            if (gpu["name"], workload) in have:
                continue  # measured already
            fit = fit_of.get((gpu["name"], workload))
            if fit and fit.verdict == "cannot_run":
                continue  # a time for a card that cannot hold the workload would mislead
            variant = fit.variant if fit else "plain"
            result = _estimate(dataset, gpu, workload, variant, floor_index, fitted, config)
            if result is not None:
                out.append(result)
    return out


def variant_setup(variant: str) -> str:
    """The reported-run setup whose speed factor a variant's weights follow ('reference':
    bf16 weights, whatever moves them)."""
    return SCHEME_PRECISION.get(variant_scheme(variant), "reference")


def variant_estimates(
    dataset: Dataset,
    fits: list[Fit],
    floor_index: dict[FloorKey, Floor],
    fitted: Fitted,
    config: AnalysisConfig,
) -> dict[tuple[str, str, str], GpuResult]:
    """An estimate for every variant that fits a card, keyed (gpu, workload, variant).

    bf16 variants differ only in the weights they move over PCIe; fp8 and GGUF variants
    also take their setup's fitted speed factor (the bf16 speed, said so, where no reported
    run of that setup exists).
    """
    gpus = {str(g["name"]): g for _, g in dataset.gpus.iterrows()}
    out = {}
    for fit in fits:
        gpu = gpus.get(fit.gpu)
        if gpu is None:
            continue
        for option in fit.options:
            if not option.fits:
                continue
            result = _estimate(
                dataset, gpu, fit.workload, option.variant, floor_index, fitted, config
            )
            if result is not None:
                out[(fit.gpu, fit.workload, option.variant)] = result
    return out


def _estimate(
    dataset: Dataset,
    gpu,
    workload: str,
    variant: str,
    floor_index: dict[FloorKey, Floor],
    fitted: Fitted,
    config: AnalysisConfig,
) -> GpuResult | None:
    """The estimated time of one card, workload and variant (None: no bf16 floor)."""
    floor = floor_index.get((gpu["name"], workload, "bf16"))
    if floor is None:
        return None  # no FLOP count, or no bf16 on this card
    setup = variant_setup(variant)
    factor, n_runs, n_sources = fitted.factors.get(setup, (1.0, 0, 0))
    segment, arch = segment_of(gpu), str(gpu["architecture"])
    # the model's peak (the floor's, unless the catalogue's bf16 figure is higher)
    peak = bf16_peak(dataset, gpu["name"], config) or floor.peak_tflops_upper
    card_balance = balance(peak, gpu)
    prediction = fitted.model.predict(gpu["name"], segment, arch, card_balance)
    curve = fitted.model.curve
    eff = math.exp(prediction.log_eff)
    interval = fitted.intervals[prediction.support]
    forwards = dataset.workloads.loc[
        dataset.workloads["workload"] == workload, "transformer_forwards"
    ]
    moving, moving_words = transfer_s(dataset, gpu["name"], variant, int(forwards.iloc[0]), config)
    compute = floor.tflop / (peak * eff * factor)
    seconds = compute + moving
    low = compute * math.exp(interval.lo) + moving
    high = compute * math.exp(interval.hi) + moving
    model = msg(
        "estimate.model_moving" if moving_words else "estimate.model",
        floor_s=floor.tflop / peak,
        tflop=floor.tflop,
        peak=peak,
        clock_basis=floor.clock_basis,
        efficiency=eff,
        curve=math.exp(curve.log_eff(card_balance)),
        balance=curve.balance_mean if card_balance is None else card_balance,
        basis=basis(prediction, gpu["name"], segment, arch),
        **({"moving": moving_words} if moving_words else {}),
    )
    if setup != "reference":
        # fp8 and GGUF weights are computed in bf16: without runs to fit a factor to, the
        # bf16 speed is assumed, and the text says so
        factor_words = (
            msg("estimate.factor", factor=factor, setup=setup, n=n_runs, sources=n_sources)
            if n_runs
            else msg("estimate.factor_none", setup=setup)
        )
        model = join(model, factor_words)
    source = msg(
        "estimator.source_wide" if interval.widened else "estimator.source",
        fitted=fitted_to(fitted),
        model=model,
        pct=config.estimator_interval * 100,
        low=low,
        high=high,
        **({"n": interval.n} if interval.widened else {}),
    )
    price = price_figure(dataset, gpu["name"], config)
    return GpuResult(
        gpu=gpu["name"],
        workload=workload,
        variant=variant,
        seconds=Figure(seconds, "s", "estimated", source, low=low, high=high),
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
