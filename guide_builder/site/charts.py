"""Plotly figure specs (plain dicts) for the guide's charts.

The specs are written as JSON files and drawn in the browser by ``charts.js``;
plotly.py's graph objects are not needed for that and would only slow the
build. Every trace is SVG (``bar``/``scatter``, never ``scattergl``): headless
and GPU-less browsers may not render WebGL.
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from guide_builder.analysis.results import GpuResult
from guide_builder.site.escape import plot_text as esc

# Telemetry is sampled at ~10 Hz: a long soak has tens of thousands of samples;
# a chart needs a few hundred points to show the curve's shape.
MAX_POINTS = 300


def gpu_colour(name: str) -> str:
    """A stable colour per GPU (a hash of its name), the same on every chart and build."""
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    light = 0.42 + (digest[2] % 3) * 0.06
    r, g, b = colorsys.hls_to_rgb(hue / 360, light, 0.65)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "hovermode": "closest",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.25},
    }
    layout.update(extra)
    return layout


def seconds_by_gpu(
    rows: Sequence[GpuResult], t: Callable[..., str], evidence: Callable[[Any], str]
) -> dict[str, Any]:
    """Median seconds per image by GPU, error bars up to p90, one trace per evidence level."""
    rows = sorted(rows, key=lambda r: r.seconds.value or 0)
    traces: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.seconds.value is None:
            continue
        words = evidence(r.seconds)
        level = r.seconds.evidence
        tr = traces.setdefault(
            level,
            {
                "type": "bar",
                "name": t("evidence." + level),
                "x": [],
                "y": [],
                "text": [],
                "textposition": "none",  # the text is for hovering, not printed on the bars
                "marker": {"color": []},
                "error_y": {"type": "data", "symmetric": False, "array": [], "arrayminus": []},
                "hovertemplate": "%{x}: %{y:.2f} s<br>%{text}<extra></extra>",
            },
        )
        tr["x"].append(esc(r.gpu))
        tr["y"].append(round(r.seconds.value, 3))
        tr["text"].append(f"{esc(words)}; n={r.n}")
        tr["marker"]["color"].append(gpu_colour(r.gpu))
        p90 = r.p90_s if r.p90_s is not None else r.seconds.value
        high = r.high_s if r.high_s is not None else p90  # an estimate: its interval
        low = r.low_s if r.low_s is not None else r.seconds.value - (r.iqr_s or 0) / 2
        tr["error_y"]["array"].append(round(max(high - r.seconds.value, 0.0), 3))
        tr["error_y"]["arrayminus"].append(round(max(r.seconds.value - low, 0.0), 3))
        if level == "estimated":
            tr["marker"]["opacity"] = 0.5
    return {
        "data": list(traces.values()),
        "layout": _layout(t("chart.seconds_title"), t("chart.gpu"), t("chart.seconds_axis")),
    }


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of points no other point beats on both price and seconds (lower is better)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best = [], float("inf")
    for i in order:
        if points[i][1] < best:
            front.append(i)
            best = points[i][1]
    return front


def seconds_vs_price(
    rows: Sequence[GpuResult], t: Callable[..., str], evidence: Callable[[Any], str]
) -> dict[str, Any]:
    """Seconds per image against price in CNY, with the Pareto front drawn as a line."""
    usable = [
        r
        for r in rows
        if r.seconds.value is not None and r.price_cny is not None and r.price_cny.value
    ]
    pts = [(float(r.price_cny.value), float(r.seconds.value)) for r in usable]
    front = pareto_front(pts)
    points = {
        "type": "scatter",
        "mode": "markers",
        "name": t("chart.cards"),
        "x": [p[0] for p in pts],
        "y": [round(p[1], 3) for p in pts],
        "text": [f"{esc(r.gpu)}<br>{esc(evidence(r.seconds))}" for r in usable],
        "marker": {"color": [gpu_colour(r.gpu) for r in usable], "size": 11},
        "hovertemplate": "%{text}<br>¥%{x:,.0f}, %{y:.2f} s<extra></extra>",
    }
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": t("chart.pareto"),
        "x": [pts[i][0] for i in front],
        "y": [round(pts[i][1], 3) for i in front],
        "text": [esc(usable[i].gpu) for i in front],
        "line": {"dash": "dot", "color": "#888888"},
        "marker": {"symbol": "diamond-open", "size": 14, "color": "#888888"},
        "hovertemplate": "%{text}<extra></extra>",
    }
    return {
        "data": [points, line],
        "layout": _layout(t("chart.price_title"), t("chart.price_axis"), t("chart.seconds_axis")),
    }


def vram_vs_capacity(
    rows: Sequence[GpuResult], capacity: dict[str, float], t: Callable[..., str]
) -> dict[str, Any]:
    """Peak VRAM per GPU (highest over variants) beside the card's capacity."""
    peak: dict[str, float] = {}
    for r in rows:
        if r.peak_vram_gib is not None and r.peak_vram_gib.value is not None:
            peak[r.gpu] = max(peak.get(r.gpu, 0.0), float(r.peak_vram_gib.value))
    names = sorted(peak, key=lambda g: capacity.get(g, 0))
    return {
        "data": [
            {
                "type": "bar",
                "name": t("chart.capacity"),
                "x": [esc(g) for g in names],
                "y": [capacity.get(g) for g in names],
                "marker": {"color": "rgba(136,136,136,0.35)"},
            },
            {
                "type": "bar",
                "name": t("chart.peak_vram"),
                "x": [esc(g) for g in names],
                "y": [round(peak[g], 2) for g in names],
                "marker": {"color": [gpu_colour(g) for g in names]},
            },
        ],
        "layout": _layout(
            t("chart.vram_title"), t("chart.gpu"), t("chart.gib_axis"), barmode="overlay"
        ),
    }


def efficiency(rows: Sequence[GpuResult], t: Callable[..., str]) -> dict[str, Any]:
    """Measured speed as a fraction of the bf16 floor (1.0 = at the floor)."""
    usable = sorted(
        (r for r in rows if r.efficiency is not None and r.seconds.evidence != "estimated"),
        key=lambda r: r.efficiency or 0,
    )
    return {
        "data": [
            {
                "type": "bar",
                "name": t("chart.efficiency"),
                "x": [esc(f"{r.gpu} ({r.variant})") for r in usable],
                "y": [round(float(r.efficiency or 0) * 100, 1) for r in usable],
                "marker": {"color": [gpu_colour(r.gpu) for r in usable]},
                "hovertemplate": "%{x}: %{y:.1f} %<extra></extra>",
            }
        ],
        "layout": _layout(
            t("chart.efficiency_title"),
            t("chart.gpu"),
            t("chart.pct_axis"),
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": 100,
                    "y1": 100,
                    "line": {"dash": "dash", "color": "#d62728"},
                }
            ],
            annotations=[
                {
                    "xref": "paper",
                    "x": 1,
                    "y": 100,
                    "text": t("chart.floor"),
                    "showarrow": False,
                    "yanchor": "bottom",
                    "xanchor": "right",
                }
            ],
        ),
    }


def downsample(t: np.ndarray, v: np.ndarray, max_points: int = MAX_POINTS) -> tuple[list, list]:
    """Time and value of one series, averaged into at most max_points equal-count bins."""
    keep = ~(np.isnan(t) | np.isnan(v))
    t, v = t[keep], v[keep]
    if not len(t):
        return [], []
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if len(t) > max_points:
        starts = np.linspace(0, len(t), max_points + 1).astype(int)[:-1]
        counts = np.diff(np.append(starts, len(t)))
        t = np.add.reduceat(t, starts) / counts
        v = np.add.reduceat(v, starts) / counts
    return np.round(t, 2).tolist(), np.round(v, 2).tolist()


def curves(frame: pd.DataFrame) -> dict[str, tuple[list, list]]:
    """The downsampled telemetry series of one bench and GPU, computed once for all languages."""
    t = frame["t_s"].to_numpy(dtype=float, na_value=np.nan)
    out = {}
    for column, _axis in TELEMETRY_SERIES.values():
        out[column] = downsample(t, frame[column].to_numpy(dtype=float, na_value=np.nan))
    return out


TELEMETRY_SERIES = {
    "temperature": ("gpu_temp_c", "chart.temp_axis"),
    "power": ("power_w", "chart.power_axis"),
    "clock": ("sm_clock_mhz", "chart.clock_axis"),
}


def telemetry(
    series_by_bench: dict[str, dict[str, tuple[list, list]]],
    series: str,
    gpu: str,
    t: Callable[..., str],
) -> dict[str, Any]:
    """One telemetry curve (temperature, power or SM clock) per bench for one GPU."""
    column, axis = TELEMETRY_SERIES[series]
    data = []
    for i, (bench, by_column) in enumerate(sorted(series_by_bench.items())):
        x, y = by_column[column]
        if not x:
            continue
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines",
            "name": esc(bench),
            "x": x,
            "y": y,
            "line": {"color": gpu_colour(gpu), "dash": ["solid", "dot", "dash"][i % 3]},
        }
        data.append(trace)
    return {
        "data": data,
        "layout": _layout(t("chart." + series + "_title"), t("chart.time_axis"), t(axis)),
    }
