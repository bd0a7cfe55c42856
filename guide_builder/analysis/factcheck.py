"""Fact-checks: reported claims against the floors and the catalogue.

Grades: *impossible* (faster than the floor of the stated precision at the
card's upper-bound peak; with no stated precision, of the fastest 16- or
8-bit precision the card has: 4-bit counts only where stated), *implausible*
(needs a larger fraction of peak than any measured run on the same
architecture reached; with no such run the claim is *unverified*, and says so),
*contradicts_spec* (bandwidth, VRAM, bf16 support against the catalogue),
otherwise *plausible* or *consistent*.
"""

from __future__ import annotations

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.floors import PRECISION_ORDER, RATE_OF, FloorKey
from guide_builder.analysis.results import FactCheck, Fit, Flag, Floor, GpuResult
from guide_builder.analysis.rows import catalogue_row, num, text
from guide_builder.catalog import PER_SM_RATES
from guide_builder.dataset import Dataset


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


def _floor_words(f: Floor) -> str:
    return (
        f"the {f.precision} floor ({f.floor_s:.2f} s: {f.tflop:.0f} TFLOP at an upper-bound "
        f"peak of {f.peak_tflops_upper:.0f} TFLOPS, {f.clock_basis})"
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
        return Flag(
            "unverified", f"no floor for {gpu} on {workload} (no FLOP count or no catalogue entry)"
        ), None
    fast_enough = [p for p in available if floor_index[(gpu, workload, p)].floor_s <= seconds]
    needed = fast_enough[0] if fast_enough else ""  # the slowest precision fast enough
    needed_tflops = floor_index[(gpu, workload, available[0])].tflop / seconds
    if stated:
        checked = RATE_OF.get(stated, stated)
        if checked not in available:
            return Flag(
                "contradicts_spec",
                f"{gpu} ({arch}) has no {stated} tensor cores",
                needed,
                needed_tflops,
            ), None
        what = f"stated as {stated}"
    else:
        allowed = [p for p in available if p != "int4"]
        checked = allowed[-1] if allowed else available[-1]
        what = f"no precision stated, so checked against the fastest 16/8-bit precision {gpu} has ({checked})"
    floor = floor_index[(gpu, workload, checked)]
    need = f"it needs {needed_tflops:.0f} TFLOPS" + (
        f", reachable only in {needed}" if needed else ", out of reach in every precision"
    )
    if seconds < floor.floor_s:
        ratio = floor.floor_s / seconds
        return Flag(
            "impossible",
            f"{seconds:g} s ({what}) is {ratio:.1f}x faster than {_floor_words(floor)}; {need}",
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
    base = f"{seconds:g} s ({what}) is above {_floor_words(floor)}; in {used.precision} it needs {fraction:.0%} of peak"
    if not reached:
        return Flag(
            "unverified",
            f"{base}, and no measured run on {arch} shows what fraction is reachable",
            needed,
            needed_tflops,
        ), floor.floor_s
    best = max(reached)
    grade = "implausible" if fraction > best else "plausible"
    return Flag(
        grade, f"{base}; measured {arch} runs reached at most {best:.0%}", needed, needed_tflops
    ), floor.floor_s


def _spec(value: float, spec: float | None, what: str, unit: str, config: AnalysisConfig) -> Flag:
    if spec is None:
        return Flag("unverified", f"the catalogue has no {what}")
    off = abs(value - spec) / spec
    if off > config.spec_tolerance:
        return Flag(
            "contradicts_spec",
            f"claimed {value:g} {unit}, the catalogue says {spec:g} {unit} ({off:.0%} off)",
        )
    return Flag("consistent", f"claimed {value:g} {unit}, the catalogue says {spec:g} {unit}")


def _other(row, gpu, arch, value, workload, fits, measured, config) -> Flag:
    claim = row["claim"]
    if claim == "no_bf16_support":
        if "bf16" in PER_SM_RATES.get(arch, {}):
            return Flag("contradicts_spec", f"{gpu} is {arch}: it has native bf16 tensor cores")
        return Flag("consistent", f"{gpu} is {arch}: no bf16 tensor cores")
    if claim == "oom":
        fit = next((f for f in fits if f.gpu == gpu and f.workload == workload), None)
        if fit is None:
            return Flag("unverified", "no fit computed for this card and workload")
        if fit.verdict == "fits":
            grade = "unverified" if fit.evidence == "estimated" else "implausible"
            return Flag(grade, f"the workload fits {gpu} as is: {fit.reason}")
        return Flag(
            "consistent", f"true without a variant: {fit.verdict} ({fit.variant}): {fit.reason}"
        )
    if claim in ("peak_vram", "loaded_vram") and value is not None:
        peaks = [
            r.peak_vram_gib.value
            for r in measured
            if r.workload == workload and r.variant == "plain" and r.peak_vram_gib
        ]
        dit = config.transformer_gib
        parts = config.transformer_gib + config.text_encoder_gib + config.vae_gib
        ctx = f"bf16 DiT alone {dit:g} GiB, all components {parts:.1f} GiB"
        if peaks:
            ctx += f"; measured plain peak {max(peaks):.2f} GiB"
        return Flag("unverified", f"claimed {value:g} {text(row.get('unit'))}: {ctx}")
    return Flag(
        "unverified",
        _context(claim, gpu, workload, measured, config)
        or "nothing in the data to check it against",
    )


def _context(
    claim: str, gpu: str, workload: str, measured: list[GpuResult], config: AnalysisConfig
) -> str:
    """What the data says next to a claim it cannot grade (power, temperature, price, ...)."""
    mine = [r for r in measured if r.gpu == gpu and r.workload == workload]
    if claim == "power":
        peaks = [r.power_max_w.value for r in mine if r.power_max_w]
        return f"measured instantaneous peak {max(peaks):.0f} W" if peaks else ""
    return ""


def _with_catalogue(flag: Flag, claim: str, cat: pd.Series) -> Flag:
    """Add the catalogue's figure to an ungraded power or price claim."""
    extra = ""
    if claim == "power" and num(cat.get("board_power_w")):
        extra = f"catalogue board power {num(cat['board_power_w']):g} W"
    elif claim == "price_cny" and num(cat.get("price_cny")):
        extra = f"catalogue price ¥{num(cat['price_cny']):,.0f} ({text(cat.get('price_cny_kind'))}, {text(cat.get('price_cny_date'))})"
    if not extra:
        return flag
    reason = extra if flag.reason.startswith("nothing in the data") else f"{flag.reason}; {extra}"
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
        gpu = text(row.get("gpu_name")) or text(row["gpu"])
        cat = catalogue_row(dataset, gpu)
        value = num(row.get("value"))
        stated = text(row.get("precision"))
        workload = claim_workload(dataset, row, config)
        floor_s = None
        if cat is None:
            flag = Flag("unverified", f"{gpu} is not in the catalogue")
        elif workload is None:
            res = text(row.get("resolution"))
            flag = Flag("unverified", f"no counted workload at {res}: nothing to check it against")
        elif row["claim"] == "seconds_per_image" and value:
            flag, floor_s = check_seconds(
                gpu, arch_of[gpu], workload, value, stated, floor_index, measured, arch_of
            )
        elif row["claim"] == "bandwidth" and value is not None:
            flag = _spec(value, num(cat.get("bandwidth_gb_s")), "bandwidth", "GB/s", config)
        elif row["claim"] == "vram" and value is not None:
            flag = _spec(value, num(cat.get("vram_gib")), "VRAM", "GiB", config)
        else:
            flag = _other(row, gpu, arch_of[gpu], value, workload, fits, measured, config)
            flag = _with_catalogue(flag, row["claim"], cat)
        out.append(
            FactCheck(
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
            )
        )
    return out
