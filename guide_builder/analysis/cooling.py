"""Cooling from telemetry: maximum temperatures, time to throttle, clock drop.

Throttling means a thermal or hardware clock-event reason (HwSlowdown,
SwThermal, HwThermal, HwPowerBrake); SwPowerCap is the card holding its power
limit, normal under full load, so it is reported but does not start the clock.
"""

from __future__ import annotations

import functools

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import CoolingAdvice
from guide_builder.analysis.rows import num
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, msg

REASON_BITS = {
    0x4: "SwPowerCap",
    0x8: "HwSlowdown",
    0x20: "SwThermal",
    0x40: "HwThermal",
    0x80: "HwPowerBrake",
}
THROTTLE_MASK = 0x8 | 0x20 | 0x40 | 0x80
# Share of the loaded samples taken as "the start" and "the end" for the clock drop.
WINDOW = 0.2


def reason_names(bits: int) -> tuple[str, ...]:
    return tuple(name for bit, name in REASON_BITS.items() if bits & bit)


def _loaded(samples: pd.DataFrame) -> pd.DataFrame:
    """Samples taken while an image was generated, longest sustained phase first."""
    busy = samples.loc[samples["run_index"].notna()]
    for phase in ("soak", "stability", "timed"):
        hit = busy.loc[busy["phase"] == phase]
        if not hit.empty:
            return hit.sort_values("t_s")
    return busy.sort_values("t_s")


def clock_drop_pct(loaded: pd.DataFrame) -> float | None:
    clocks = loaded["sm_clock_mhz"].dropna()
    if len(clocks) < 5:
        return None
    k = max(1, int(len(clocks) * WINDOW))
    start, end = clocks.iloc[:k].median(), clocks.iloc[-k:].median()
    return max(0.0, (start - end) / start * 100) if start else None


def cooling(dataset: Dataset, config: AnalysisConfig) -> list[CoolingAdvice]:
    tel = dataset.telemetry
    if tel.empty:
        return []
    names = _gpu_names(dataset)
    out: list[CoolingAdvice] = []
    for (bench, index), samples in tel.groupby(["bench_id", "gpu_index"], sort=True):
        gpu = names.get((bench, int(index)))
        loaded = _loaded(samples)
        if gpu is None or loaded.empty:
            continue
        reasons = loaded["clock_event_reasons"].dropna().astype(int)
        bits = functools.reduce(int.__or__, (int(b) for b in reasons), 0)
        flags = loaded["clock_event_reasons"].fillna(0).astype(int)
        hot = loaded.loc[(flags & THROTTLE_MASK) > 0]
        t0 = float(loaded["t_s"].iloc[0])
        ttt = None if hot.empty else float(hot["t_s"].iloc[0]) - t0
        drop = clock_drop_pct(loaded)
        out.append(
            CoolingAdvice(
                gpu=gpu,
                bench_id=str(bench),
                max_gpu_temp_c=num(loaded["gpu_temp_c"].max()),
                max_mem_temp_c=num(loaded["mem_temp_c"].max()),
                time_to_throttle_s=ttt,
                clock_drop_pct=drop,
                throttle_reasons=reason_names(bits),
                advice=_advice(loaded, bits, ttt, drop, config),
            )
        )
    return out


def _advice(loaded, bits, ttt, drop, config) -> Message:
    span = float(loaded["t_s"].iloc[-1] - loaded["t_s"].iloc[0])
    temp = num(loaded["gpu_temp_c"].max())
    seen = (
        msg("cooling.seen_temp", span=span, temp=temp)
        if temp is not None
        else msg("cooling.seen", span=span)
    )
    drop_txt = "" if drop is None else msg("cooling.drop", drop=drop)
    if ttt is not None:
        why = ", ".join(n for n in reason_names(bits & THROTTLE_MASK))
        return msg("cooling.throttled", why=why, after=ttt, seen=seen, drop=drop_txt)
    if drop is not None and drop > config.throttle_clock_drop_pct:
        return msg("cooling.clocks_fell", seen=seen, drop=drop_txt)
    cap = msg("cooling.power_cap") if bits & 0x4 else ""
    return msg("cooling.no_throttling", seen=seen, drop=drop_txt, cap=cap)


def _gpu_names(dataset: Dataset) -> dict[tuple[str, int], str]:
    """(bench, NVML index) -> canonical name, from runs and probes (telemetry has no name)."""
    names: dict[tuple[str, int], str] = {}
    for frame in (dataset.runs, dataset.probes):
        if frame.empty:
            continue
        rows = frame.loc[(frame["gpu_name"] != "") & frame["gpu_index"].notna()]
        for bench, index, name in zip(
            rows["bench_id"], rows["gpu_index"], rows["gpu_name"], strict=True
        ):
            names.setdefault((str(bench), int(index)), name)
    return names
