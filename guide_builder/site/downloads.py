"""Raw CSV downloads, with spreadsheet formula injection neutralised.

A text cell that starts with = + - @ tab or CR is prefixed with ``'`` (OWASP's
advice) so Excel or WPS shows it as text; numeric columns are written as
numbers, untouched, so a reader's spreadsheet can still compute with them.
"""

from __future__ import annotations

import io
from dataclasses import asdict

import pandas as pd

from guide_builder.analysis.results import Analysis, GpuResult
from guide_builder.analysis.rows import gpu_runs
from guide_builder.dataset import Dataset
from guide_builder.site.escape import FORMULA_PREFIXES

# Internal bookkeeping columns that mean nothing to a reader.
_DROP = ("source_file",)


def neutralised_csv(frame: pd.DataFrame) -> str:
    """CSV text of frame with every text cell neutralised."""
    out = frame.drop(columns=[c for c in _DROP if c in frame.columns])
    out = out.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        text = series.astype(str)
        risky = series.map(lambda v: isinstance(v, str)) & text.str.startswith(FORMULA_PREFIXES)
        if risky.any():
            out[column] = series.where(~risky, "'" + text)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def results_frame(results: list[GpuResult]) -> pd.DataFrame:
    """The results table as flat columns (one row per GPU x workload x variant)."""
    rows = []
    for r in results:
        d = asdict(r)
        flat = {
            "gpu": r.gpu,
            "workload": r.workload,
            "variant": r.variant,
            "evidence": r.seconds.evidence,
            "source": str(r.seconds.source),  # English: the downloads are shared by both languages
            "median_s": r.seconds.value,
            "low_s": r.low_s,  # an estimate's interval (leave-one-source-out); empty if measured
            "high_s": r.high_s,
            "p90_s": r.p90_s,
            "iqr_s": r.iqr_s,
            "n": r.n,
            "peak_vram_gib": r.peak_vram_gib.value if r.peak_vram_gib else None,
            "energy_j": r.energy_j.value if r.energy_j else None,
            "power_max_w": r.power_max_w.value if r.power_max_w else None,
            "efficiency": r.efficiency,
            "price_cny": r.price_cny.value if r.price_cny else None,
            "images_per_hour_per_kcny": r.images_per_hour_per_kcny,
            "memory_cap_gib": r.memory_cap_gib,
            "bench_ids": ";".join(r.bench_ids),
            "flags": ";".join(f["grade"] for f in d["flags"]),
        }
        rows.append(flat)
    frame = pd.DataFrame(rows)
    for column in ("median_s", "low_s", "high_s", "p90_s", "iqr_s", "peak_vram_gib", "energy_j", "power_max_w",
                   "efficiency", "price_cny", "images_per_hour_per_kcny", "memory_cap_gib"):  # fmt: skip
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


TIERS_COLUMNS = (
    "tier",
    "segment",
    "gpu",
    "price_cny",
    "price_kind",
    "price_date",
    "availability",
    "build_total_cny",
)


def tiers_frame(analysis: Analysis | None) -> pd.DataFrame:
    """One row per tier and market (new, used): the pick, its price and its whole build."""
    rows = []
    for t in analysis.tiers if analysis else ():
        price, build = t.price, t.build
        rows.append(
            {
                "tier": t.tier,
                "segment": t.segment,
                "gpu": t.gpu or "",
                "price_cny": price.cny if price else None,
                "price_kind": price.kind if price else "",
                "price_date": price.date if price else "",
                "availability": t.availability,
                "build_total_cny": build.total_cny if build else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(TIERS_COLUMNS))
    for column in ("price_cny", "build_total_cny"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def prices_frame(dataset: Dataset) -> pd.DataFrame:
    """catalog/prices.csv as read (card names as written, plus the catalogue's name)."""
    return dataset.prices.drop(columns=["source_row"], errors="ignore")


def downloads(
    dataset: Dataset, results: list[GpuResult], analysis: Analysis | None = None
) -> dict[str, str]:
    """{file name: CSV text} for the results page's download list."""
    files = {
        "results.csv": results_frame(results),
        "runs.csv": gpu_runs(dataset),
        "probes.csv": dataset.probes.loc[dataset.probes["device"] == "cuda"]
        if not dataset.probes.empty
        else dataset.probes,
        "reported.csv": dataset.reported,
        "reported_runs.csv": dataset.reported_runs,
        "gpus.csv": dataset.gpus,
        "prices.csv": prices_frame(dataset),
        "tiers.csv": tiers_frame(analysis),
    }
    return {name: neutralised_csv(frame) for name, frame in files.items()}
