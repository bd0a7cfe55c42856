"""PSU sizing from measured peak GPU power (board power when unmeasured).

raw W = (GPU W x transient factor + CPU W + platform W) / target load, rounded
up to the next common PSU size; the factor and its source come from the config.
"""

from __future__ import annotations

import math

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import Figure, GpuResult, PsuAdvice
from guide_builder.analysis.rows import num, text
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, msg


def round_psu(raw_w: float, sizes: tuple[int, ...]) -> int:
    """The smallest common size at or above raw_w; above the largest, the next 100 W up."""
    for size in sizes:
        if raw_w <= size:
            return size
    return int(math.ceil(raw_w / 100) * 100)


def psu_raw_w(gpu_w: float, config: AnalysisConfig) -> float:
    return (
        gpu_w * config.psu_transient_factor + config.cpu_w + config.platform_w
    ) / config.psu_target_load


def _connector_note(connector: str) -> Message | str:
    c = connector.lower()
    if "12v-2x6" in c or "12vhpwr" in c or "16-pin" in c:
        return msg("psu.connector_16pin", connector=connector)
    return connector


def psu_advice(
    dataset: Dataset, results: list[GpuResult], config: AnalysisConfig
) -> list[PsuAdvice]:
    """One PsuAdvice per catalogued GPU."""
    measured: dict[str, Figure] = {}
    for r in results:
        if r.power_max_w and r.power_max_w.value is not None:
            best = measured.get(r.gpu)
            if best is None or r.power_max_w.value > best.value:
                measured[r.gpu] = r.power_max_w
    out: list[PsuAdvice] = []
    for _, gpu in dataset.gpus.iterrows():
        name = gpu["name"]
        peak = measured.get(name)
        board = num(gpu.get("board_power_w"))
        if peak is None:
            if board is None:
                continue
            peak = Figure(board, "w", "estimated", msg("psu.board_power"))
        raw = psu_raw_w(peak.value, config)
        out.append(
            PsuAdvice(
                gpu=name,
                gpu_peak_w=peak,
                transient_factor=config.psu_transient_factor,
                transient_source=transient_source(config),
                cpu_w=config.cpu_w,
                platform_w=config.platform_w,
                target_load=config.psu_target_load,
                raw_w=raw,
                recommended_w=round_psu(raw, config.psu_sizes_w),
                connector=_connector_note(text(gpu.get("power_connector"))),
            )
        )
    return out


def transient_source(config: AnalysisConfig) -> Message | str:
    """The configured source text, or the built-in ATX 3.x derivation for this factor and load."""
    if config.psu_transient_source:
        return config.psu_transient_source
    return msg(
        "psu.transient_source", factor=config.psu_transient_factor, load=config.psu_target_load
    )
