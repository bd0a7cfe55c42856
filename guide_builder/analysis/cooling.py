"""Cooling from telemetry: maximum temperatures, time to throttle, clock drop.

Throttling means a thermal or hardware clock-event reason (HwSlowdown,
SwThermal, HwThermal, HwPowerBrake); SwPowerCap is the card holding its power
limit, normal under full load, so it is reported but does not start the clock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

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


# --- Computed advice (no bench needed) -------------------------------------------------
# The sensible-heat relation BTU/h = 1.08 x CFM x dT(°F) (hardware_refs.csv, airflow_rule),
# with 1 W = 3.412 BTU/h: CFM = 3.412 / 1.08 x W / dT(°F) = 3.16 x W / dT(°F).
BTU_PER_WH = 3.412
SENSIBLE_FALLBACK = 1.08
CFM_TO_M3H = 1.69874  # 1 cfm = 1.69874 m³/h
# Assumptions (stated on the page): the case air may warm this much over the room, the
# working day's length over which images are spread, and the duty share above which heat
# is sustained.
AIR_RISE_C = 10.0
WORKING_HOURS = 8.0
SUSTAINED_DUTY = 0.25


def sensible_constant(dataset: Dataset) -> float:
    refs = dataset.reference("hardware_refs")
    hit = refs.loc[refs["kind"] == "airflow_rule"] if not refs.empty else refs
    return float(hit["value"].iloc[0]) if not hit.empty else SENSIBLE_FALLBACK


def airflow_cfm(watts: float, rise_c: float, constant: float = SENSIBLE_FALLBACK) -> float:
    """Airflow that carries ``watts`` away while warming the air by ``rise_c`` kelvin."""
    rise_f = rise_c * 9 / 5
    return BTU_PER_WH * watts / (constant * rise_f)


def fans_needed(cfm: float, fan_cfm: float) -> int:
    """Fans at their rated airflow (zero static pressure: real cases need more)."""
    return max(1, int(-(-cfm // fan_cfm)))


def fan_airflow_range(dataset: Dataset) -> tuple[float | None, float | None]:
    """The lowest and highest sourced case-fan airflow (CFM; hardware_refs ``fan_airflow``)."""
    refs = dataset.reference("hardware_refs")
    fans = refs.loc[refs["kind"] == "fan_airflow", "value"] if not refs.empty else []
    return (float(min(fans)), float(max(fans))) if len(fans) else (None, None)


def system_airflow(
    dataset: Dataset, board_power_w: float, config: AnalysisConfig, constant: float | None = None
) -> tuple[float, float]:
    """A system's heat (card + CPU + platform allowances, W) and the airflow (CFM) that
    carries it away at AIR_RISE_C; `constant`: sensible_constant(dataset), when known."""
    system = board_power_w + config.cpu_w + config.platform_w
    constant = sensible_constant(dataset) if constant is None else constant
    return system, airflow_cfm(system, AIR_RISE_C, constant)


def case_fans(dataset: Dataset, board_power_w: float, config: AnalysisConfig) -> int | None:
    """Fans that carry a system with this card's heat away, at the lower sourced airflow
    (the cautious count); None without a sourced airflow."""
    low = fan_airflow_range(dataset)[0]
    if low is None:
        return None
    return fans_needed(system_airflow(dataset, board_power_w, config)[1], low)


@dataclass(frozen=True)
class CoolingEstimate:
    gpu: str
    board_power_w: float
    system_w: float  # card + CPU + platform allowances
    rise_c: float
    cfm: float
    m3h: float
    fans_low: int  # at the higher sourced fan airflow
    fans_high: int  # at the lower sourced fan airflow
    fan_cfm_range: tuple[float, float]
    seconds_per_image: float | None
    seconds_evidence: str
    energy_per_image_j: float | None
    load_minutes_per_day: float | None
    duty: float | None
    sustained: bool | None
    memory_type: str
    memory_limit_c: float | None
    memory_limit_source: str

    @property
    def sustained_images_per_hour(self) -> float | None:
        """Images an hour at which the card is loaded SUSTAINED_DUTY of the time."""
        return (
            None if not self.seconds_per_image else SUSTAINED_DUTY * 3600 / self.seconds_per_image
        )


def cooling_estimates(
    dataset: Dataset, config: AnalysisConfig, results: list | None = None
) -> list[CoolingEstimate]:
    refs = dataset.reference("hardware_refs")
    fan_range = fan_airflow_range(dataset)
    limits = (
        {
            str(i): (float(v), str(s))
            for i, v, s in zip(
                refs.loc[refs["kind"] == "memory_tjmax", "item"],
                refs.loc[refs["kind"] == "memory_tjmax", "value"],
                refs.loc[refs["kind"] == "memory_tjmax", "source"],
                strict=True,
            )
        }
        if not refs.empty
        else {}
    )
    constant = sensible_constant(dataset)
    best = _best_seconds(results or [], config.reference_workload)
    out = []
    for _, card in dataset.gpus.iterrows():
        power = card["board_power_w"]
        if pd.isna(power) or card["form_factor"] != "desktop":
            continue
        system, cfm = system_airflow(dataset, float(power), config, constant)
        secs, evidence, energy = best.get(str(card["name"]), (None, "", None))
        if secs is not None and energy is None:
            energy = float(power) * secs
        minutes = config.images_per_day * secs / 60 if secs is not None else None
        duty = minutes / (WORKING_HOURS * 60) if minutes is not None else None
        mem = str(card["memory_type"] or "")
        limit = limits.get(mem)
        out.append(
            CoolingEstimate(
                gpu=str(card["name"]),
                board_power_w=float(power),
                system_w=system,
                rise_c=AIR_RISE_C,
                cfm=cfm,
                m3h=cfm * CFM_TO_M3H,
                fans_low=fans_needed(cfm, fan_range[1]) if fan_range[1] else 0,
                fans_high=fans_needed(cfm, fan_range[0]) if fan_range[0] else 0,
                fan_cfm_range=fan_range,
                seconds_per_image=secs,
                seconds_evidence=evidence,
                energy_per_image_j=energy,
                load_minutes_per_day=minutes,
                duty=duty,
                sustained=None if duty is None else duty >= SUSTAINED_DUTY,
                memory_type=mem,
                memory_limit_c=limit[0] if limit else None,
                memory_limit_source=limit[1] if limit else "",
            )
        )
    return out


def _best_seconds(results: list, workload: str) -> dict[str, tuple[float, str, float | None]]:
    """Each card's fastest seconds per image on the workload, its evidence, and energy."""
    best: dict[str, tuple[float, str, float | None]] = {}
    for r in results:
        if r.workload != workload or r.seconds is None or r.seconds.value is None:
            continue
        if r.memory_cap_gib is not None:
            continue
        s = float(r.seconds.value)
        energy = r.energy_j.value if r.energy_j and r.energy_j.value else None
        if r.gpu not in best or s < best[r.gpu][0]:
            best[r.gpu] = (s, str(r.seconds.evidence), energy)
    return best
