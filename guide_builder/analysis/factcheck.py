"""Fact-checks: reported claims against the floors and the catalogue.

Grades: *impossible* (faster than the floor of the stated precision at the
card's upper-bound peak; with no stated precision, of the fastest 16- or
8-bit precision the card has: 4-bit counts only where stated), *implausible*
(needs a larger fraction of peak than any measured run on the same
architecture reached; with no such run the claim is *unverified*, and says so),
*contradicts_spec* (bandwidth, VRAM, bf16 support against the catalogue),
otherwise *plausible* or *consistent*.

Reported runs take part twice: a seconds-per-image claim is *contradicted* when
grade A runs of the same card, resolution and (stated) precision are further
from it than ``config.run_contradiction_tolerance`` outside their range (the
fact-check links them); and C-grade runs are checked like claims (needed
TFLOPS against the upper-bound peak of the precision they state), as are A/B
runs that turn out impossible (a corpus error worth showing).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.factcheck_parts import check_parts, handles
from guide_builder.analysis.floors import (
    PRECISION_ORDER,
    RATE_OF,
    FloorKey,
    max_clock,
    upper_peak,
)
from guide_builder.analysis.model import Flops
from guide_builder.analysis.pricing import PriceFigure, price_for
from guide_builder.analysis.results import FactCheck, Fit, Flag, Floor, GpuResult
from guide_builder.analysis.rows import num, text
from guide_builder.catalog import PER_SM_RATES
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, join, msg, word
from guide_builder.reported_runs import resolution


def claim_workload(dataset: Dataset, row: pd.Series, config: AnalysisConfig) -> str | None:
    """The workload a claim is about: stated; else the counted one at its resolution (the
    reference workload first); else, with no resolution given, the reference workload.
    None when the claim names a resolution no counted workload has."""
    if text(row.get("workload")):
        return text(row["workload"])
    res = text(row.get("resolution")).lower().replace(" ", "")
    if not res:
        return config.reference_workload
    wl = dataset.workloads
    hits = [
        w
        for w, wd, h in zip(wl["workload"], wl["width"], wl["height"], strict=True)
        if f"{wd}x{h}" == res
    ]
    if config.reference_workload in hits:
        return config.reference_workload
    return hits[0] if hits else None


def _floor_words(f: Floor) -> Message:
    return msg(
        "check.floor_words",
        precision=f.precision,
        floor_s=f.floor_s,
        tflop=f.tflop,
        peak=f.peak_tflops_upper,
        clock_basis=f.clock_basis,
    )


def check_seconds(
    gpu: str,
    arch: str,
    workload: str,
    seconds: float,
    stated: str,
    floor_index: dict[FloorKey, Floor],
    measured: list[GpuResult],
    arch_of: dict[str, str],
) -> tuple[Flag, float | None]:
    available = [p for p in PRECISION_ORDER if (gpu, workload, p) in floor_index]
    if not available:
        return Flag("unverified", msg("check.no_floor", gpu=gpu, workload=workload)), None
    fast_enough = [p for p in available if floor_index[(gpu, workload, p)].floor_s <= seconds]
    needed = fast_enough[0] if fast_enough else ""  # the slowest precision fast enough
    needed_tflops = floor_index[(gpu, workload, available[0])].tflop / seconds
    if stated:
        checked = RATE_OF.get(stated, stated)
        if checked not in available:
            return Flag(
                "contradicts_spec",
                msg("check.no_tensor_cores", gpu=gpu, arch=arch, precision=stated),
                needed,
                needed_tflops,
            ), None
        what = msg("check.stated", precision=stated)
    else:
        allowed = [p for p in available if p != "int4"]
        checked = allowed[-1] if allowed else available[-1]
        what = msg("check.unstated", gpu=gpu, precision=checked)
    floor = floor_index[(gpu, workload, checked)]
    need = (
        msg("check.need_reachable", tflops=needed_tflops, precision=needed)
        if needed
        else msg("check.need_unreachable", tflops=needed_tflops)
    )
    if seconds < floor.floor_s:
        ratio = floor.floor_s / seconds
        return Flag(
            "impossible",
            msg(
                "check.impossible",
                seconds=seconds,
                what=what,
                ratio=ratio,
                floor=_floor_words(floor),
                need=need,
            ),
            needed,
            needed_tflops,
        ), floor.floor_s
    # The fraction of peak in the precision checked: the stated one, or (unstated) the
    # fastest 16/8-bit one, the most generous reading of the claim.
    used = floor
    fraction = used.floor_s / seconds
    reached = [
        r.efficiency for r in measured if r.efficiency is not None and arch_of.get(r.gpu) == arch
    ]
    base = msg(
        "check.above_floor",
        seconds=seconds,
        what=what,
        floor=_floor_words(floor),
        precision=used.precision,
        fraction=fraction,
    )
    if not reached:
        return Flag(
            "unverified",
            msg("check.no_reach_data", base=base, arch=arch),
            needed,
            needed_tflops,
        ), floor.floor_s
    best = max(reached)
    grade = "implausible" if fraction > best else "plausible"
    return Flag(
        grade, msg("check.reached", base=base, arch=arch, best=best), needed, needed_tflops
    ), floor.floor_s


def _spec(value: float, spec: float | None, what: str, unit: str, config: AnalysisConfig) -> Flag:
    """``what`` names the catalogue column in words: "bandwidth" or "vram"."""
    if spec is None:
        return Flag("unverified", msg("spec.missing_" + what))
    off = abs(value - spec) / spec
    if off > config.spec_tolerance:
        return Flag(
            "contradicts_spec",
            msg("spec.contradicts", value=value, unit=word("unit", unit), spec=spec, off=off),
        )
    return Flag(
        "consistent", msg("spec.consistent", value=value, unit=word("unit", unit), spec=spec)
    )


def _other(row, gpu, arch, value, workload, fits, measured, config) -> Flag:
    claim = row["claim"]
    if claim == "no_bf16_support":
        if "bf16" in PER_SM_RATES.get(arch, {}):
            return Flag("contradicts_spec", msg("check.has_bf16", gpu=gpu, arch=arch))
        return Flag("consistent", msg("check.lacks_bf16", gpu=gpu, arch=arch))
    if claim == "oom":
        fit = next((f for f in fits if f.gpu == gpu and f.workload == workload), None)
        if fit is None:
            return Flag("unverified", msg("check.no_fit"))
        if fit.verdict == "fits":
            grade = "unverified" if fit.evidence == "estimated" else "implausible"
            return Flag(grade, msg("check.fits_as_is", gpu=gpu, reason=fit.reason))
        return Flag(
            "consistent",
            msg(
                "check.oom_true",
                verdict=msg("verdict." + fit.verdict),
                variant=fit.variant,
                reason=fit.reason,
            ),
        )
    if claim in ("peak_vram", "loaded_vram") and value is not None:
        peaks = [
            r.peak_vram_gib.value
            for r in measured
            if r.workload == workload and r.variant == "plain" and r.peak_vram_gib
        ]
        dit = config.transformer_gib
        parts = config.transformer_gib + config.text_encoder_gib + config.vae_gib
        ctx = (
            msg("check.vram_context_peak", dit=dit, parts=parts, peak=max(peaks))
            if peaks
            else msg("check.vram_context", dit=dit, parts=parts)
        )
        return Flag(
            "unverified",
            msg(
                "check.vram_claim",
                value=value,
                unit=word("unit", text(row.get("unit"))),
                context=ctx,
            ),
        )
    return Flag(
        "unverified",
        _context(claim, gpu, workload, measured, config) or msg("check.nothing"),
    )


def _context(
    claim: str, gpu: str, workload: str, measured: list[GpuResult], config: AnalysisConfig
) -> Message | None:
    """What the data says next to a claim it cannot grade (power, temperature, price, ...)."""
    mine = [r for r in measured if r.gpu == gpu and r.workload == workload]
    if claim == "power":
        peaks = [r.power_max_w.value for r in mine if r.power_max_w]
        return msg("check.power_peak", peak=max(peaks)) if peaks else None
    return None


def _with_catalogue(flag: Flag, claim: str, cat: pd.Series, price: PriceFigure | None) -> Flag:
    """Add the catalogue's figure to an ungraded power or price claim."""
    extra = None
    if claim == "power" and num(cat.get("board_power_w")):
        extra = msg("check.catalogue_power", power=num(cat["board_power_w"]))
    elif claim == "price_cny" and price is not None:
        extra = msg(
            "check.catalogue_price",
            price=price.cny,
            kind=word("price_kind", price.kind),
            date=price.date,
        )
    if extra is None:
        return flag
    reason = extra if flag.reason == msg("check.nothing") else join(flag.reason, extra)
    return Flag(flag.grade, reason, flag.needed_precision, flag.needed_tflops)


def fact_checks(
    dataset: Dataset,
    floor_index: dict[FloorKey, Floor],
    measured: list[GpuResult],
    fits: list[Fit],
    config: AnalysisConfig,
) -> list[FactCheck]:
    arch_of = dict(zip(dataset.gpus["name"], dataset.gpus["architecture"].astype(str), strict=True))
    out: list[FactCheck] = []
    for _, row in dataset.reported.iterrows():
        if handles(row):  # drives, RAM, cooling and boards: factcheck_parts.py
            continue
        gpu = text(row.get("gpu_name")) or text(row["gpu"])
        cat = dataset.gpu_row(gpu)
        value = num(row.get("value"))
        stated = text(row.get("precision"))
        workload = claim_workload(dataset, row, config)
        floor_s = None
        if cat is None:
            flag = Flag("unverified", msg("check.not_catalogued", gpu=gpu))
        elif workload is None:
            res = text(row.get("resolution"))
            flag = Flag("unverified", msg("check.no_workload", resolution=res))
        elif row["claim"] == "seconds_per_image" and value:
            flag, floor_s = check_seconds(
                gpu, arch_of[gpu], workload, value, stated, floor_index, measured, arch_of
            )
        elif row["claim"] == "bandwidth" and value is not None:
            flag = _spec(value, num(cat.get("bandwidth_gb_s")), "bandwidth", "GB/s", config)
        elif row["claim"] == "vram" and value is not None:
            flag = _spec(value, num(cat.get("vram_gib")), "vram", "GiB", config)
        else:
            flag = _other(row, gpu, arch_of[gpu], value, workload, fits, measured, config)
            flag = _with_catalogue(flag, row["claim"], cat, price_for(dataset, gpu, config))
        check = FactCheck(
            source=text(row["source"]),
            source_url=text(row.get("source_url")),
            date=text(row.get("date")),
            gpu=gpu,
            claim=text(row["claim"]),
            value=value,
            unit=text(row.get("unit")),
            precision=stated,
            note=text(row.get("note")),
            flag=flag,
            floor_s=floor_s,
            note_zh=text(row.get("note_zh")),
        )
        out.append(against_runs(check, dataset, workload, config) if cat is not None else check)
    return out + check_parts(dataset, config, fits) + run_checks(dataset, config)


# --- reported runs --------------------------------------------------------------------

# The tensor rate a run's stated weights may have run at, read generously (the fastest
# the setup could use): fp16 may accumulate in fp16 (ComfyUI's --fast), GGUF weights are
# dequantised to 16-bit, fp8/int8 run at the fp8 rate where the card has one.
_RUN_RATES = {
    "bf16": ("bf16",),
    "fp16": ("fp16_acc16",),
    "fp8": ("fp8", "fp16_acc16"),
    "int8": ("fp8", "fp16_acc16"),
    "int4": ("int4",),
    "nvfp4": ("int4",),
}


def _run_rate(precision: str, arch: str) -> str | None:
    rates = PER_SM_RATES.get(arch, {})
    wanted = _RUN_RATES.get(precision)
    if wanted is None:  # gguf_*: dequantised to 16-bit; unknown: the fastest 16/8-bit rate
        wanted = ("fp16_acc16",) if precision.startswith("gguf") else ("fp8", "fp16_acc16")
    return next((r for r in wanted if r in rates), None)


def _run_work(row: pd.Series, flops: Flops) -> tuple[float, float, str] | None:
    """(TFLOP the stated time covers, seconds, claim kind); the least work when unsure."""
    size = resolution(text(row["resolution"]))
    work = flops.at(*size) if size else None
    if work is None:
        return None
    per_forward, te, vae = work
    spf, spi = num(row["seconds_per_forward"]), num(row["seconds_per_image"])
    if spf is not None:
        return per_forward, spf, "seconds_per_forward"
    forwards = row["dit_forwards"]
    if pd.isna(forwards):
        forwards = 1  # unknown: at least one forward (generous: the least work)
    extra = te + vae if row["time_covers"] == "pipeline" else 0.0
    return per_forward * int(forwards) + extra, spi, "seconds_per_image"


def run_checks(dataset: Dataset, config: AnalysisConfig) -> list[FactCheck]:
    """Reported runs checked like claims: every C row, and A/B rows only when impossible."""
    runs = dataset.reported_runs
    if runs.empty:
        return []
    flops = Flops(dataset.workloads)
    out = []
    for _, row in runs.iterrows():
        gpu = text(row.get("gpu_name"))
        cat = dataset.gpu_row(gpu) if gpu else None
        work = _run_work(row, flops)
        floor_s = None
        if cat is None:
            if row["grade"] != "C":
                continue  # shown on no card page: not catalogued (validation said so)
            flag = Flag("unverified", msg("check.not_catalogued", gpu=text(row["gpu"])))
        elif work is None:
            flag = Flag("unverified", msg("estimator.run_unchecked"))
        else:
            tflop, seconds, _ = work
            arch = str(cat["architecture"])
            rate = _run_rate(text(row["precision"]), arch)
            clock = max_clock(dataset, gpu, config)
            peak = upper_peak(cat, rate, clock[0], config)[0] if rate and clock else None
            if not peak:
                flag = Flag("unverified", msg("estimator.run_unchecked"))
            else:
                needed = tflop / seconds
                floor_s = tflop / peak
                words = dict(
                    seconds=seconds, tflop=tflop, needed=needed, gpu=gpu, precision=rate, peak=peak
                )
                if needed > peak:
                    flag = Flag(
                        "impossible", msg("estimator.run_impossible", **words), rate, needed
                    )
                else:
                    flag = Flag(
                        "plausible",
                        msg("estimator.run_possible", fraction=needed / peak, **words),
                        rate,
                        needed,
                    )
        if row["grade"] != "C" and flag.grade != "impossible":
            continue  # A/B rows are evidence (the estimator's), not claims to grade
        kind = work[2] if work else "seconds_per_image"
        value = work[1] if work else num(row["seconds_per_image"])
        check = FactCheck(
            source=text(row["source"]),
            source_url=text(row["source_url"]),
            date=text(row["date"]),
            gpu=gpu or text(row["gpu"]),
            claim=kind,
            value=value,
            unit="s",
            precision=text(row["precision"]),
            note=text(row.get("note")),
            flag=flag,
            floor_s=floor_s,
            kind="run",
            note_zh=text(row.get("note_zh")),
        )
        if row["grade"] == "C" and cat is not None and kind == "seconds_per_image":
            # like any claim: held against grade A runs at the same resolution
            size = resolution(text(row["resolution"]))
            wl = dataset.workloads
            same = wl.loc[(wl["width"] == size[0]) & (wl["height"] == size[1])] if size else wl[:0]
            if not same.empty and row["time_covers"] == "pipeline":
                check = against_runs(check, dataset, str(same.iloc[0]["workload"]), config)
        out.append(check)
    return out


def _per_image(row: pd.Series, workload: pd.Series, flops: Flops) -> float | None:
    """A run's time scaled to one image of ``workload`` by FLOPs (None when unclear)."""
    size = resolution(text(row["resolution"]))
    if size != (int(workload["width"]), int(workload["height"])):
        return None
    work = flops.at(*size)
    if work is None:
        return None
    per_forward, te, vae = work
    total = per_forward * int(workload["transformer_forwards"]) + te + vae
    spf, spi = num(row["seconds_per_forward"]), num(row["seconds_per_image"])
    forwards = row["dit_forwards"]
    if spf is not None:
        return spf * total / per_forward
    if spi is None or pd.isna(forwards):
        return None
    if row["time_covers"] == "pipeline":
        return spi * total / (per_forward * int(forwards) + te + vae)
    if row["time_covers"] in ("denoise", "forward"):
        return spi / int(forwards) * total / per_forward
    return None


def against_runs(
    check: FactCheck, dataset: Dataset, workload: str | None, config: AnalysisConfig
) -> FactCheck:
    """A seconds-per-image claim held against grade A reported runs of the same card and setup."""
    runs = dataset.reported_runs
    if runs.empty or check.claim != "seconds_per_image" or not check.value or workload is None:
        return check
    wl = dataset.workloads.loc[dataset.workloads["workload"] == workload]
    if wl.empty:
        return check
    flops = Flops(dataset.workloads)
    mine = runs.loc[(runs["gpu_name"] == check.gpu) & (runs["grade"] == "A")]
    if check.precision and check.precision != "unknown":
        same = {"fp16_acc16": "fp16"}.get(check.precision, check.precision)
        mine = mine.loc[mine["precision"] == same]
    times, refs, setups = [], [], []
    for _, row in mine.iterrows():
        t = _per_image(row, wl.iloc[0], flops)
        if t is None:
            continue
        times.append(t)
        refs.append((text(row["source"]), text(row["source_url"])))
        setups.append(
            f"{row['toolchain']} {row['precision']}"
            + (" compile" if row["compile"] == "yes" else "")
        )
    if not times:
        return check
    lo, hi, tol = min(times), max(times), config.run_contradiction_tolerance
    size = f"{int(wl.iloc[0]['width'])}x{int(wl.iloc[0]['height'])}"
    words = dict(gpu=check.gpu, resolution=size, lo=lo, hi=hi, tol=tol)
    outside = check.value < lo * (1 - tol) or check.value > hi * (1 + tol)
    extra = (
        msg("estimator.contradicted", settings=", ".join(sorted(set(setups))), **words)
        if outside
        else msg("estimator.agrees", **words)
    )
    grade = "contradicted" if outside and check.flag.grade != "impossible" else check.flag.grade
    flag = Flag(
        grade, join(check.flag.reason, extra), check.flag.needed_precision, check.flag.needed_tflops
    )
    return replace(check, flag=flag, runs=tuple(dict.fromkeys(refs)))
