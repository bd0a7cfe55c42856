"""Fact-checks of claims about the parts around the card: drives, RAM, cooling, boards.

Each verdict rests on arithmetic over the sourced reference tables (drive read
rates, PCIe links, fan airflow, memory limits, lane maps) and the byte
accounting of ``storage.py``; where nothing can check a claim it is
*unverified*, with what is known beside it.
"""

from __future__ import annotations

import pandas as pd

from guide_builder.analysis import storage
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.cooling import (
    AIR_RISE_C,
    fan_airflow_range,
    fans_needed,
    system_airflow,
)
from guide_builder.analysis.results import FactCheck, Flag
from guide_builder.analysis.rows import num, text
from guide_builder.dataset import Dataset
from guide_builder.messages import msg, word
from guide_builder.schema import PART_CLAIMS

GB = 1e9
# Claims within this fraction of a computed or catalogue figure agree with it.
TOLERANCE = 0.05


def handles(row: pd.Series) -> bool:
    """Whether this module checks the claim (factcheck.py leaves it alone then)."""
    claim = text(row.get("claim"))
    if claim == "temperature":
        return _is_memory(row)
    return claim in PART_CLAIMS


def _is_memory(row: pd.Series) -> bool:
    note = text(row.get("note")).lower()
    return "memory" in note or "显存" in note


def _classes(dataset: Dataset) -> dict[str, float]:
    c = dataset.reference("storage_classes")
    return dict(zip(c["storage_class"], c["read_gb_s"].astype(float), strict=True))


def _drive_of(note: str) -> str | None:
    n = note.lower()
    if "sata" in n:
        return "sata_ssd"
    if "pcie 5.0" in n:
        return "nvme_pcie5"
    if "pcie 4.0" in n:
        return "nvme_pcie4"
    return None


def check_load(row, dataset: Dataset, config: AnalysisConfig, value: float) -> Flag:
    note = text(row.get("note"))
    read = storage.bytes_read(dataset, config, "plain", "hf_published")
    loaded = storage.bytes_loaded(dataset, config, "plain")
    h2d, _ = storage.h2d_rate(dataset)
    copy_s = loaded / (h2d * GB)
    if "warm" in note or "second" in note:
        base = msg("parts.warm_floor", value=value, copy_s=copy_s, gb=loaded / GB, h2d=h2d)
        if "separate" in note:
            return Flag("implausible", msg("parts.warm_drive", base=base))
        return Flag("plausible", base)
    classes = _classes(dataset)
    drive = None if "not named" in note else _drive_of(note.split(";")[0])
    if drive is None or drive not in classes:
        floors = [read / (rate * GB) + copy_s for rate in classes.values()]
        if not floors:
            return Flag("unverified", msg("check.nothing"))
        return Flag(
            "unverified",
            msg("parts.cold_unknown", value=value, lo=min(floors), hi=max(floors), gb=read / GB),
        )
    rate = classes[drive]
    floor = read / (rate * GB) + copy_s
    words = msg(
        "parts.cold_floor",
        value=value,
        gb=read / GB,
        rate=rate,
        drive=word("storage_class", drive),
        read_s=read / (rate * GB),
        copy_s=copy_s,
        floor=floor,
    )
    if value < floor * (1 - TOLERANCE):
        return Flag("impossible", words)
    return Flag("plausible", msg("parts.cold_rest", base=words, rest=value - floor))


def check_disk_read(row, dataset: Dataset, value: float) -> Flag:
    drive = _drive_of(text(row.get("note")))
    classes = _classes(dataset)
    if drive not in classes:
        return Flag("unverified", msg("check.nothing"))
    spec = classes[drive]
    name = word("storage_class", drive)
    if abs(value - spec) / spec <= 0.1:
        return Flag("consistent", msg("parts.drive_ok", value=value, drive=name, spec=spec))
    nearest = min(classes, key=lambda c: abs(classes[c] - value))
    return Flag(
        "contradicts_spec",
        msg(
            "parts.drive_off",
            value=value,
            drive=name,
            spec=spec,
            nearest=word("storage_class", nearest),
        ),
    )


def check_disk_space(row, dataset: Dataset, config: AnalysisConfig, value: float) -> Flag:
    unit = text(row.get("unit"))
    published = storage.bytes_read(dataset, config, "plain", "hf_published") / GB
    if unit == "gb":
        grade = "consistent" if abs(value - published) / published <= TOLERANCE else "implausible"
        return Flag(grade, msg("parts.files", value=value, published=published))
    every = storage.recommended_ssd_gb(
        dataset, config, storage.VARIANTS, storage.LAYOUTS, extra_gb=storage.SYSTEM_DRIVE_GB
    )
    return Flag("plausible", msg("parts.drive_size", value=value, need=every))


def check_ram(row, dataset: Dataset, config: AnalysisConfig, fits: list, value: float) -> Flag:
    gpu = text(row.get("gpu_name")) or text(row.get("gpu"))
    variant = storage.card_variant(fits, gpu, config.reference_workload)
    if variant is None or variant not in storage.BASE_VARIANTS:
        return Flag("unverified", msg("check.no_fit"))
    host = storage.host_weights_bytes(dataset, config, variant) / 2**30
    peak = storage.load_transient_bytes(dataset, config, variant, "hf_published") / 2**30
    need = storage.recommended_ram_gib(host, peak)
    words = msg("parts.ram", value=value, gpu=gpu, variant=variant, host=host, peak=peak, need=need)
    if value >= need:
        return Flag("plausible", words)
    if value >= storage.OS_AND_APPS_GIB + host:  # enough once loaded; the load peak is a bound
        return Flag("unverified", msg("parts.ram_steady", base=words))
    return Flag("implausible", words)


def check_fans(row, dataset: Dataset, config: AnalysisConfig, value: float) -> Flag:
    cat = dataset.gpu_row(text(row.get("gpu_name")) or text(row.get("gpu")))
    power = num(cat.get("board_power_w")) if cat is not None else None
    low = fan_airflow_range(dataset)[0]
    if power is None or low is None:
        return Flag("unverified", msg("check.nothing"))
    system, cfm = system_airflow(dataset, power, config)
    need = fans_needed(cfm, low)
    grade = "plausible" if value >= need else "implausible"
    return Flag(
        grade,
        msg(
            "parts.fans",
            value=value,
            system=system,
            rise=AIR_RISE_C,
            cfm=cfm,
            fan=low,
            need=need,
        ),
    )


def _memory_limit(dataset: Dataset, gpu: str) -> tuple[str, float | None]:
    cat = dataset.gpu_row(gpu)
    mem = text(cat.get("memory_type")) if cat is not None else ""
    refs = dataset.reference("hardware_refs")
    hit = refs.loc[(refs["kind"] == "memory_tjmax") & (refs["item"] == mem)]
    return mem, (float(hit["value"].iloc[0]) if not hit.empty else None)


def check_memory_temp(row, dataset: Dataset, value: float) -> Flag:
    gpu = text(row.get("gpu_name")) or text(row.get("gpu"))
    mem, limit = _memory_limit(dataset, gpu)
    if limit is None:
        return Flag("unverified", msg("parts.no_limit", mem=mem or "?"))
    if value < limit:
        return Flag("plausible", msg("parts.mem_below", value=value, mem=mem, limit=limit))
    return Flag("plausible", msg("parts.mem_at", value=value, mem=mem, limit=limit))


def check_throttle(row, dataset: Dataset, value: float) -> Flag:
    gpu = text(row.get("gpu_name")) or text(row.get("gpu"))
    mem, limit = _memory_limit(dataset, gpu)
    article = dataset.reported
    same = article.loc[
        (article["gpu_name"] == gpu)
        & (article["claim"] == "seconds_per_image")
        & (article["source"] == row["source"])
    ]
    seconds = num(same["value"].min()) if not same.empty else None
    if seconds is None:
        return Flag("unverified", msg("check.nothing"))
    return Flag(
        "implausible",
        msg(
            "parts.throttle",
            pct=value,
            seconds=seconds,
            expected=seconds * value / 100,
            claimed=0.15,
            share=0.15 / seconds * 100,
            mem=mem,
            limit=limit if limit is not None else float("nan"),
        ),
    )


def check_noise_reduction(row, dataset: Dataset, value: float) -> Flag:
    """A claimed noise reduction against the same source's own before and after figures."""
    gpu = text(row.get("gpu_name")) or text(row.get("gpu"))
    rep = dataset.reported
    own = rep.loc[
        (rep["gpu_name"] == gpu) & (rep["claim"] == "noise_db") & (rep["source"] == row["source"])
    ]["value"].dropna()
    if len(own) < 2:
        return Flag("unverified", msg("parts.noise", value=value))
    before, after = float(own.max()), float(own.min())
    words = msg("parts.noise_delta", value=value, before=before, after=after, delta=before - after)
    grade = "consistent" if abs(value - (before - after)) <= 1 else "implausible"
    return Flag(grade, words)


def check_board(row, dataset: Dataset) -> Flag:
    note = text(row.get("note"))
    refs = dataset.reference("hardware_refs")
    gpu = text(row.get("gpu_name")) or text(row.get("gpu"))
    cat = dataset.gpu_row(gpu)
    card_gen = int(num(cat.get("pcie_gen")) or 0) if cat is not None else 0
    card = msg("parts.card_gen", gpu=gpu, gen=card_gen) if card_gen and card_gen < 5 else ""
    if "B760" in note:
        hit = refs.loc[(refs["kind"] == "board_slot") & refs["item"].str.contains("B760-G")]
        if not hit.empty and float(hit["value"].iloc[0]) == 5:
            return Flag("consistent", msg("parts.board_ok", board=hit["item"].iloc[0], card=card))
    lanes = refs.loc[(refs["kind"] == "platform_lanes") & refs["item"].str.contains("B650")]
    if "B650" in note and not lanes.empty:
        return Flag("unverified", msg("parts.board_b650", card=card))
    return Flag("unverified", msg("check.nothing"))


def check_parts(
    dataset: Dataset, config: AnalysisConfig, fits: list | None = None
) -> list[FactCheck]:
    """Fact-checks for every claim this module handles (see `handles`)."""
    out: list[FactCheck] = []
    for _, row in dataset.reported.iterrows():
        if not handles(row):
            continue
        claim = text(row["claim"])
        value = num(row.get("value"))
        flag = _flag(row, claim, value, dataset, config, fits or [])
        out.append(
            FactCheck(
                source=text(row["source"]),
                source_url=text(row.get("source_url")),
                date=text(row.get("date")),
                gpu=text(row.get("gpu_name")) or text(row["gpu"]),
                claim=claim,
                value=value,
                unit=text(row.get("unit")),
                precision=text(row.get("precision")),
                note=text(row.get("note")),
                flag=flag,
            )
        )
    return out


def _flag(row, claim, value, dataset, config, fits) -> Flag:
    if claim == "load_seconds" and value:
        return check_load(row, dataset, config, value)
    if claim == "disk_read" and value:
        return check_disk_read(row, dataset, value)
    if claim == "disk_space" and value:
        return check_disk_space(row, dataset, config, value)
    if claim == "ram" and value:
        return check_ram(row, dataset, config, fits, value)
    if claim == "ram_swap":
        return Flag("implausible", msg("parts.swap", value=value or 64))
    if claim == "noise_db":
        return Flag("unverified", msg("parts.noise", value=value))
    if claim == "noise_reduction_db" and value:
        return check_noise_reduction(row, dataset, value)
    if claim == "memory_bandwidth_loss_pct":
        return Flag("unverified", msg("parts.per_10c", value=value))
    if claim == "memory_throttle" and value:
        return check_throttle(row, dataset, value)
    if claim == "temperature" and value:
        return check_memory_temp(row, dataset, value)
    if claim == "fan_layout" and value:
        return check_fans(row, dataset, config, value)
    if claim == "board_slot":
        return check_board(row, dataset)
    if claim == "slot_attenuation":
        return Flag("unverified", msg("parts.attenuation"))
    return Flag("unverified", msg("check.nothing"))
