"""Compute floors: the fastest a GPU can possibly run a workload in each precision.

floor_s = workload TFLOP / upper bound of the precision's dense tensor peak,
upper bound = SMs x per-SM rate (catalog.PER_SM_RATES) x maximum SM clock. The
maximum clock is NVML's max SM clock from a bench probe when one exists, else
the spec boost clock plus ``config.clock_margin`` (cards boost above spec). A
matmul probe is a lower bound on peak, so it is never used here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import Floor
from guide_builder.analysis.rows import num
from guide_builder.catalog import (
    COMPUTED_TOLERANCE,
    PER_SM_RATES,
    PRECISION_COLUMNS,
    computed_tflops,
)
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, msg

# Slowest first: the order in which "the precision a claim would need" is searched.
PRECISION_ORDER = ("bf16", "fp16_acc16", "fp8", "int4")

# Run dtypes and claimed precisions -> the tensor rate they run at. fp16 with
# fp32 accumulate (PyTorch's default) runs at the bf16 rate; fp32 matmuls run
# as TF32 at best, so the bf16 floor is still a lower bound; NVFP4 is the
# catalogue's 4-bit rate on Blackwell.
RATE_OF = {
    "bf16": "bf16",
    "fp16": "bf16",
    "fp32": "bf16",
    "fp16_acc16": "fp16_acc16",
    "fp8": "fp8",
    "int4": "int4",
    "nvfp4": "int4",
}

FloorKey = tuple[str, str, str]  # (gpu, workload, precision)


def workload_tflop(dataset: Dataset, workload: str) -> float | None:
    """Transformer forwards x TFLOP per forward, plus text encoder and VAE when counted."""
    rows = dataset.workloads.loc[dataset.workloads["workload"] == workload]
    if rows.empty:
        return None
    return tflop_per_image(rows.iloc[0])


def tflop_per_image(row: Any) -> float | None:
    """One workloads.csv row's TFLOP per image (None when its transformer figures are missing)."""
    per_forward, forwards = (
        num(row.get("transformer_tflop_per_forward")),
        num(row.get("transformer_forwards")),
    )
    if per_forward is None or forwards is None:
        return None
    total = per_forward * forwards
    for extra in ("text_encoder_tflop", "vae_decode_tflop"):
        total += num(row.get(extra)) or 0.0
    return total


def _clock_probes(dataset: Dataset) -> pd.DataFrame:
    probes = dataset.probes
    if probes.empty:
        return probes
    return probes.loc[
        (probes["probe"] == "max_sm_clock") & (probes["status"] == "ok") & probes["value"].notna()
    ]


def max_clock(
    dataset: Dataset, gpu: str, config: AnalysisConfig, clock_probes: pd.DataFrame | None = None
) -> tuple[float, Message] | None:
    """The highest SM clock the card may run at, and where that figure comes from.

    ``clock_probes`` is :func:`_clock_probes`'s frame, when the caller already has it.
    """
    probes = _clock_probes(dataset) if clock_probes is None else clock_probes
    if not probes.empty:
        hits = probes.loc[probes["gpu_name"] == gpu]
        if not hits.empty:
            best = hits.loc[hits["value"].idxmax()]
            return float(best["value"]), msg("floor.clock_nvml", bench=best["bench_id"])
    for bench in dataset.benches.values():
        for g in bench.gpus:
            if g.name == gpu and g.max_sm_clock_mhz:
                return float(g.max_sm_clock_mhz), msg("floor.clock_nvml", bench=bench.bench_id)
    row = dataset.gpu_row(gpu)
    if row is None:
        return None
    pct = config.clock_margin * 100
    boost = num(row.get("boost_clock_mhz"))
    if boost:
        return boost * (1 + config.clock_margin), msg("floor.clock_boost", boost=boost, pct=pct)
    # Data-centre cards often list no boost clock: take the clock implied by the
    # catalogue's own bf16 figure.
    rate = PER_SM_RATES.get(str(row["architecture"]), {}).get("bf16")
    bf16 = num(row.get("bf16_tflops"))
    if rate and bf16:
        implied = bf16 * 1e12 / (float(row["sm_count"]) * rate * 1e6)
        return implied * (1 + config.clock_margin), msg(
            "floor.clock_implied", bf16=bf16, implied=implied, pct=pct
        )
    return None


def upper_peak(
    gpu: pd.Series, precision: str, mhz: float | None, config: AnalysisConfig
) -> tuple[float | None, float | None]:
    """An upper bound of a card's dense peak in `precision` (TFLOPS), and the catalogue
    figure when that set it (else None).

    SMs x clock x the architecture's per-SM rate, but never below the catalogue's figure
    plus the clock margin: some chips (GA100, professional Ada) do more per SM and clock
    than their architecture's consumer parts. Within the catalogue's own tolerance for a
    computed figure the two are the same number, and the clock-based bound stands.
    """
    arch = str(gpu["architecture"])
    if precision not in PER_SM_RATES.get(arch, {}):
        return None, None
    computed = computed_tflops(arch, precision, float(gpu["sm_count"]), mhz) if mhz else None
    listed = num(gpu.get(PRECISION_COLUMNS[precision]))
    bound = listed * (1 + config.clock_margin) if listed else None
    if bound and (computed is None or bound > computed * (1 + COMPUTED_TOLERANCE)):
        return bound, listed
    return computed, None


def floors(dataset: Dataset, config: AnalysisConfig) -> list[Floor]:
    """One Floor per catalogued GPU, counted workload and precision the architecture has."""
    out: list[Floor] = []
    clock_probes = _clock_probes(dataset)
    for _, gpu in dataset.gpus.iterrows():
        clock = max_clock(dataset, gpu["name"], config, clock_probes)
        if clock is None:
            continue
        mhz, basis = clock
        for workload in dataset.workloads["workload"]:
            tflop = workload_tflop(dataset, workload)
            for precision in PRECISION_ORDER:
                peak, listed = upper_peak(gpu, precision, mhz, config)
                if peak is None or tflop is None:
                    continue
                why = (
                    msg("floor.listed_peak", listed=listed, pct=config.clock_margin * 100)
                    if listed
                    else basis
                )
                out.append(
                    Floor(gpu["name"], workload, precision, peak, mhz, why, tflop, tflop / peak)
                )
    return out


def index(floor_list: list[Floor]) -> dict[FloorKey, Floor]:
    return {(f.gpu, f.workload, f.precision): f for f in floor_list}


def efficiency(
    floor_index: dict[FloorKey, Floor], gpu: str, workload: str, dtype: str, seconds: float
) -> float | None:
    """Fraction of the upper-bound peak a time reached: floor / seconds."""
    f = floor_index.get((gpu, workload, RATE_OF.get(dtype, "bf16")))
    return f.floor_s / seconds if f and seconds else None
