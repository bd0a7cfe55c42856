"""Robust summaries of timing samples (median, p90, IQR), as pyperf reports them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def _values(xs: Iterable[float]) -> np.ndarray:
    a = np.asarray([float(x) for x in xs], dtype=float)
    return a[~np.isnan(a)]


def median(xs: Iterable[float]) -> float | None:
    a = _values(xs)
    return float(np.median(a)) if a.size else None


def p90(xs: Iterable[float]) -> float | None:
    a = _values(xs)
    return float(np.quantile(a, 0.9)) if a.size else None


def iqr(xs: Iterable[float]) -> float | None:
    """Interquartile range (linear interpolation, numpy's default)."""
    a = _values(xs)
    if not a.size:
        return None
    q1, q3 = np.quantile(a, [0.25, 0.75])
    return float(q3 - q1)
