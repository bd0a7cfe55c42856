"""Pitfalls derived from the data, each with its evidence."""

from __future__ import annotations

import pandas as pd

from guide_builder.analysis import stats
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import CoolingAdvice, FactCheck, Fit, GpuResult, Pitfall
from guide_builder.analysis.rows import gpu_runs, num, text
from guide_builder.catalog import PER_SM_RATES
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, join, msg, word


def fit_pitfalls(fits: list[Fit], config: AnalysisConfig) -> list[Pitfall]:
    out = []
    for f in fits:
        if f.workload != config.reference_workload or f.verdict == "fits":
            continue
        if f.verdict == "cannot_run":
            out.append(
                Pitfall(
                    "oom",
                    f.gpu,
                    msg(
                        "pitfall.cannot_run",
                        gpu=f.gpu,
                        capacity=f.capacity_gib,
                        workload=f.workload,
                    ),
                    f.reason,
                    f.evidence,
                    msg("pitfall.source_fit"),
                )
            )
        else:
            out.append(
                Pitfall(
                    "needs_offload",
                    f.gpu,
                    msg("pitfall.needs_variant", gpu=f.gpu, workload=f.workload, variant=f.variant),
                    f.reason,
                    f.evidence,
                    msg("pitfall.source_fit"),
                )
            )
    return out


def oom_runs(dataset: Dataset) -> list[Pitfall]:
    """Uncapped OOMs on a real card (capped ones speak through the fits)."""
    runs = gpu_runs(dataset)
    if runs.empty:
        return []
    ooms = runs.loc[(runs["status"] == "oom") & runs["memory_cap_gib"].isna()]
    out = []
    for (gpu, workload, variant), g in ooms.groupby(["gpu_name", "workload", "variant"], sort=True):
        benches = ", ".join(sorted(set(g["bench_id"])))
        ev = "measured_synthetic" if (g["weights"] == "synthetic").all() else "measured"
        out.append(
            Pitfall(
                "oom",
                gpu,
                msg("pitfall.oom_runs", gpu=gpu, workload=workload, variant=variant),
                msg("pitfall.oom_runs_text", n=len(g), error=text(g["error"].iloc[0])),
                ev,
                benches,
            )
        )
    return out


def below_floor(checks: list[FactCheck]) -> list[Pitfall]:
    return [
        Pitfall(
            "below_floor",
            c.gpu,
            msg("pitfall.below_floor", value=c.value, unit=word("unit", c.unit), gpu=c.gpu),
            c.flag.reason,
            "reported",
            c.source,
        )
        for c in checks
        if c.flag.grade == "impossible"
    ]


def throttling(cooling: list[CoolingAdvice], config: AnalysisConfig) -> list[Pitfall]:
    out = []
    for c in cooling:
        dropped = c.clock_drop_pct is not None and c.clock_drop_pct > config.throttle_clock_drop_pct
        if c.time_to_throttle_s is not None or dropped:
            out.append(
                Pitfall(
                    "throttling",
                    c.gpu,
                    msg("pitfall.throttled", gpu=c.gpu),
                    c.advice,
                    "measured",
                    c.bench_id,
                )
            )
    return out


def bandwidth(dataset: Dataset, results: list[GpuResult], config: AnalysisConfig) -> list[Pitfall]:
    """Only where measured efficiency shows it: the transformer is compute-bound at 1024x1024."""
    best: dict[str, GpuResult] = {}
    for r in results:
        if (
            r.seconds.evidence != "estimated"
            and r.precision == "bf16"
            and r.efficiency
            and r.workload == config.reference_workload
        ) and (r.gpu not in best or r.efficiency > best[r.gpu].efficiency):
            best[r.gpu] = r
    if len(best) < 2:
        return []
    cat = dataset.gpus.set_index("name")
    ratio = {
        g: num(cat.at[g, "bandwidth_gb_s"]) / num(cat.at[g, "bf16_tflops"])
        for g in best
        if num(cat.at[g, "bandwidth_gb_s"]) and num(cat.at[g, "bf16_tflops"])
    }
    med_eff = stats.median(r.efficiency for r in best.values())
    med_ratio = stats.median(ratio.values())
    out = []
    for g, r in best.items():
        if (
            g in ratio
            and r.efficiency < config.bandwidth_efficiency_ratio * med_eff
            and ratio[g] < med_ratio
        ):
            out.append(
                Pitfall(
                    "bandwidth",
                    g,
                    msg("pitfall.bandwidth", gpu=g),
                    msg(
                        "pitfall.bandwidth_text",
                        efficiency=r.efficiency,
                        median=med_eff,
                        ratio=ratio[g],
                        median_ratio=med_ratio,
                    ),
                    r.seconds.evidence,
                    r.seconds.source,
                )
            )
    return out


def catalogue_pitfalls(dataset: Dataset) -> list[Pitfall]:
    """Laptop power limits, missing bf16 and Blackwell's CUDA 12.8 need, from the catalogue."""
    out = []
    for _, g in dataset.gpus.iterrows():
        name, arch, src = g["name"], str(g["architecture"]), text(g.get("spec_source_url"))
        if g["form_factor"] == "laptop":
            power = num(g.get("board_power_w"))
            out.append(
                Pitfall(
                    "laptop",
                    name,
                    msg("pitfall.laptop", gpu=name),
                    msg("pitfall.laptop_text_power", power=power)
                    if power
                    else msg("pitfall.laptop_text"),
                    "reported",
                    src,
                )
            )
        if "bf16" not in PER_SM_RATES.get(arch, {}):
            out.append(
                Pitfall(
                    "no_bf16",
                    name,
                    msg("pitfall.no_bf16", gpu=name),
                    msg("pitfall.no_bf16_text", arch=arch),
                    "reported",
                    msg("pitfall.no_bf16_source"),
                )
            )
        if arch == "Blackwell":
            out.append(
                Pitfall(
                    "cuda_12_8",
                    name,
                    msg("pitfall.cuda_12_8", gpu=name),
                    msg("pitfall.cuda_12_8_text"),
                    "reported",
                    msg("pitfall.cuda_12_8_source"),
                )
            )
    return out


def slow_disk(dataset: Dataset, config: AnalysisConfig) -> list[Pitfall]:
    probes = dataset.probes
    if probes.empty:
        return []
    disk = probes.loc[
        (probes["probe"] == "disk_read")
        & (probes["status"] == "ok")
        & (probes["value"] < config.slow_disk_gb_s)
    ]
    out = []
    for _, p in disk.iterrows():
        cold = probes.loc[
            (probes["bench_id"] == p["bench_id"])
            & (probes["probe"] == "model_load_cold")
            & probes["value"].notna()
        ]
        read = float(p["value"])
        out.append(
            Pitfall(
                "slow_disk",
                text(p["gpu_name"]),
                msg("pitfall.slow_disk"),
                msg("pitfall.slow_disk_cold", read=read, cold=float(cold["value"].iloc[0]))
                if not cold.empty
                else msg("pitfall.slow_disk_text", read=read),
                "measured",
                str(p["bench_id"]),
            )
        )
    return out


def _fastest_within(fit: Fit, capacity: float):
    """The first option (fastest first) whose estimated need is within ``capacity``."""
    return next(
        (o for o in fit.options if o.needed_gib is not None and o.needed_gib <= capacity), None
    )


def spill_runs(
    runs: pd.DataFrame,
    gpu_names: list[str],
    vram_of: dict[str, float],
    fit_of: dict[str, Fit],
    plain_need: float,
    resolution: str,
    config: AnalysisConfig,
) -> list[Pitfall]:
    """Reported single-card runs of the unquantised pipeline, without offload, on a card
    too small for it, slower than ``config.spill_seconds``: memory spill, not compute."""
    out = []
    if runs is None or runs.empty:
        return out
    for row, gpu in zip(runs.to_dict("records"), gpu_names, strict=True):
        vram = vram_of.get(gpu)
        seconds = num(row.get("seconds_per_image"))
        if (
            not gpu
            or vram is None
            or vram >= plain_need
            or seconds is None
            or seconds < config.spill_seconds
            or text(row.get("grade")) not in ("A", "B")
            or str(row.get("gpu_count", "1")) not in ("1", "<NA>", "")
            or text(row.get("precision")) not in ("bf16", "fp16", "unknown", "")
            or text(row.get("offload")) not in ("none", "unknown", "")
            or text(row.get("resolution")) != resolution
        ):
            continue
        fit = fit_of.get(gpu)
        best = _fastest_within(fit, vram) if fit else None
        source = f"{text(row.get('source'))} ({text(row.get('source_url'))})"
        out.append(
            Pitfall(
                "spill",
                gpu,
                msg("variants.spill", gpu=gpu, seconds=seconds),
                msg(
                    "variants.spill_text",
                    gpu=gpu,
                    vram=vram,
                    need=plain_need,
                    seconds=seconds,
                    source=source,
                    grade=text(row.get("grade")),
                    precision=text(row.get("precision")) or "unknown",
                    offload=text(row.get("offload")) or "unknown",
                    variant=best.variant if best else "none",
                    variant_need=best.needed_gib if best else 0.0,
                ),
                "reported",
                source,
            )
        )
    return out


def _with_examples(text: Message, reported: list[Pitfall]) -> Message:
    """The general spill text, followed by the reported runs it rests on (when any)."""
    if not reported:
        return text
    seen = tuple(
        msg("variants.spill_example", gpu=p.gpu, seconds=p.title.values["seconds"])
        for p in reported
    )
    return join(text, msg("variants.spill_examples", items=seen))


def spill(dataset: Dataset, fits: list[Fit], config: AnalysisConfig) -> list[Pitfall]:
    """What happens when the full pipeline does not fit, and which variant avoids it on
    small cards: reported spill runs (when the data has them) and one general pitfall."""
    ref = [f for f in fits if f.workload == config.reference_workload and f.options]
    if not ref:
        return []
    plain = next((o for o in ref[0].options if o.variant == "plain"), None)
    if plain is None or plain.needed_gib is None:
        return []
    need = plain.needed_gib
    fit_of = {f.gpu: f for f in ref}
    vram_of = {f.gpu: f.capacity_gib for f in ref}
    wl = dataset.workloads.loc[dataset.workloads["workload"] == config.reference_workload]
    resolution = (
        f"{int(wl['width'].iloc[0])}x{int(wl['height'].iloc[0])}" if not wl.empty else "1024x1024"
    )
    runs = getattr(dataset, "reported_runs", None)
    names: list[str] = []
    if runs is not None and not runs.empty:
        if "gpu_name" in runs:
            names = [text(g) for g in runs["gpu_name"]]
        else:
            resolver = dataset.resolver
            names = [(resolver.resolve(str(g)) if resolver else None) or "" for g in runs["gpu"]]
    reported = spill_runs(runs, names, vram_of, fit_of, need, resolution, config)
    advice: list[Message] = []
    for size in config.small_card_vram_gib:
        best = _fastest_within(ref[0], size)
        advice.append(
            msg("variants.spill_advice", size=size, variant=best.variant, need=best.needed_gib)
            if best
            else msg("variants.spill_advice_none", size=size)
        )
    sizes = ", ".join(f"{s:g}" for s in config.small_card_vram_gib) + " GiB"
    general = Pitfall(
        "spill",
        "",
        msg("variants.spill_general_title", sizes=sizes),
        _with_examples(
            msg("variants.spill_general", sizes=sizes, need=need, advice=tuple(advice)), reported
        ),
        "reported" if reported else "estimated",
        msg("variants.spill_source") if reported else msg("variants.spill_source_fit"),
    )
    return [general, *reported]


def power_capped(dataset: Dataset) -> list[Pitfall]:
    """A bench whose card ran under a power limit below its default: its times are not the card's."""
    out = []
    for bench_id, meta in sorted(dataset.benches.items()):
        for g in meta.gpus:
            enforced, default = g.power_limit_w, g.power_limit_default_w
            if enforced is None or default is None or enforced >= default - 1.0:
                continue
            out.append(
                Pitfall(
                    "power_capped",
                    g.name or g.name_nvml,
                    msg("power_cap.title", gpu=g.name or g.name_nvml, bench=bench_id),
                    msg(
                        "power_cap.text",
                        enforced=enforced,
                        default=default,
                        pct=100.0 * enforced / default,
                    ),
                    "measured",
                    bench_id,
                )
            )
    return out


def pitfalls(dataset, fits, checks, cooling, results, config) -> list[Pitfall]:
    return [
        *fit_pitfalls(fits, config),
        *spill(dataset, fits, config),
        *oom_runs(dataset),
        *below_floor(checks),
        *throttling(cooling, config),
        *bandwidth(dataset, results, config),
        *slow_disk(dataset, config),
        *catalogue_pitfalls(dataset),
        *power_capped(dataset),
    ]
