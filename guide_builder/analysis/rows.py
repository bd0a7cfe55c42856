"""Which rows of a Dataset count as evidence, and the catalogue facts every module reads."""

from __future__ import annotations

import math

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.pricing import price_figure as rule_price
from guide_builder.analysis.results import Evidence, Figure
from guide_builder.dataset import Dataset


def is_na(value) -> bool:
    """None, NaN or pandas' NA: the one test for a missing value, site included."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def num(value) -> float | None:
    """A float, or None for NaN / <NA> / missing."""
    if is_na(value):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def text(value) -> str:
    return "" if is_na(value) else str(value)


def is_measured(evidence: str) -> bool:
    """A figure timed on the card itself (real or synthetic weights)."""
    return evidence in ("measured", "measured_synthetic")


def evidence_of(weights: str) -> Evidence:
    """Synthetic weights give real time, memory and power, but are labelled as such."""
    return "measured_synthetic" if weights == "synthetic" else "measured"


def gpu_runs(dataset: Dataset) -> pd.DataFrame:
    """Runs that may reach the guide: on a catalogued CUDA GPU, never `tiny` weights."""
    runs = dataset.runs
    if runs.empty:
        return runs
    return runs.loc[reaches_guide(runs)]


def reaches_guide(runs: pd.DataFrame) -> pd.Series:
    """Which runs count: on a catalogued CUDA GPU, never `tiny` weights."""
    return (runs["device"] == "cuda") & (runs["weights"] != "tiny") & (runs["gpu_name"] != "")


def _uncapped(runs: pd.DataFrame) -> pd.Series:
    return runs["memory_cap_gib"].isna()


def timed_runs(dataset: Dataset) -> pd.DataFrame:
    """Latency evidence: timed, ok, with a time, not under a memory cap (capped times mislead)."""
    runs = gpu_runs(dataset)
    if runs.empty:
        return runs
    keep = (runs["phase"] == "timed") & (runs["status"] == "ok") & runs["total_s"].notna()
    return runs.loc[keep & _uncapped(runs)]


def price_figure(dataset: Dataset, gpu: str, config: AnalysisConfig | None = None) -> Figure | None:
    """The card's CNY price by the one rule (guide_builder.analysis.pricing), as a Figure
    with its kind and date; None when prices.csv has none for the card."""
    return rule_price(dataset, gpu, config or AnalysisConfig())


def workload_names(dataset: Dataset, reference: str) -> list[str]:
    """Workloads the guide covers: counted ones, measured ones, and the reference."""
    names = set(dataset.workloads["workload"]) if not dataset.workloads.empty else set()
    runs = gpu_runs(dataset)
    if not runs.empty:
        names |= set(runs["workload"])
    names.add(reference)
    return sorted(names)


def per_kcny(seconds: float | None, price: Figure | None) -> float | None:
    """Images per hour per 1,000 CNY: performance per CNY."""
    if not seconds or price is None or not price.value:
        return None
    return 3600 / seconds / (price.value / 1000)
