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
from markupsafe import Markup

from guide_builder.analysis.results import GpuResult
from guide_builder.site.assets import ASSETS
from guide_builder.site.escape import html_attr, json_text
from guide_builder.site.escape import plot_text as esc

# One colour per evidence level on every chart (the legend names the level), so a reader
# sees at a glance which points were measured and which are someone's report or our estimate.
EVIDENCE_COLOURS = {
    "measured": "#1b7837",
    "measured_synthetic": "#5aae61",
    "reported": "#2166ac",
    "estimated": "#e08214",
}
EVIDENCE_ORDER = tuple(EVIDENCE_COLOURS)


def has_points(spec: dict[str, Any]) -> bool:
    """Whether a figure has any data point (a chart without one is not drawn)."""
    return any(len(trace.get("x") or []) for trace in spec.get("data", []))


def interval(r: Any) -> tuple[float | None, float | None]:
    """The estimator's interval (low_s, high_s) of a result row, when it has one."""
    low, high = getattr(r, "low_s", None), getattr(r, "high_s", None)
    if low is None or high is None or low != low or high != high:
        return None, None
    return float(low), float(high)


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
        tr["marker"]["color"].append(EVIDENCE_COLOURS.get(level, "#888888"))
        low, high = interval(r)
        if low is not None and high is not None:
            # an estimate's interval from the estimator's cross-validation
            tr["error_y"]["array"].append(round(max(high - r.seconds.value, 0.0), 3))
            tr["error_y"]["arrayminus"].append(round(max(r.seconds.value - low, 0.0), 3))
        else:
            p90 = r.p90_s if r.p90_s is not None else r.seconds.value
            tr["error_y"]["array"].append(round(max(p90 - r.seconds.value, 0.0), 3))
            tr["error_y"]["arrayminus"].append(round((r.iqr_s or 0) / 2, 3))
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
    """Seconds per image against price in CNY.

    Colour is the evidence level (one trace, and one legend entry, per level);
    cards on the Pareto front (nothing both cheaper and faster) carry their
    name as a label, the others name themselves on hover; the front is a dotted
    line; estimates show their interval as error bars where they have one.
    """
    usable = [
        r
        for r in rows
        if r.seconds.value is not None and r.price_cny is not None and r.price_cny.value
    ]
    pts = [(float(r.price_cny.value), float(r.seconds.value)) for r in usable]
    front = set(pareto_front(pts))
    traces: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(usable):
        level = r.seconds.evidence
        tr = traces.setdefault(
            level,
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": t("evidence." + level),
                "x": [],
                "y": [],
                "text": [],
                "hovertext": [],
                "textposition": "top center",
                "cliponaxis": False,
                "marker": {"color": EVIDENCE_COLOURS.get(level, "#888888"), "size": 11},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [],
                    "arrayminus": [],
                    "visible": False,
                },
                "hovertemplate": "%{hovertext}<br>¥%{x:,.0f}, %{y:.2f} s<extra></extra>",
            },
        )
        tr["x"].append(pts[i][0])
        tr["y"].append(round(pts[i][1], 3))
        tr["text"].append(esc(r.gpu) if i in front else "")
        tr["hovertext"].append(f"{esc(r.gpu)}<br>{esc(evidence(r.seconds))}")
        low, high = interval(r)
        tr["error_y"]["array"].append(round(max(high - pts[i][1], 0.0), 3) if high else 0)
        tr["error_y"]["arrayminus"].append(round(max(pts[i][1] - low, 0.0), 3) if low else 0)
        if low is not None:
            tr["error_y"]["visible"] = True
    ordered = [traces[k] for k in EVIDENCE_ORDER if k in traces] + [
        v for k, v in traces.items() if k not in EVIDENCE_ORDER
    ]
    front_sorted = sorted(front, key=lambda i: pts[i])
    line = {
        "type": "scatter",
        "mode": "lines",
        "name": t("chart.pareto"),
        "x": [pts[i][0] for i in front_sorted],
        "y": [round(pts[i][1], 3) for i in front_sorted],
        "line": {"dash": "dot", "color": "#888888"},
        "hoverinfo": "skip",
    }
    layout = _layout(t("chart.price_title"), t("chart.price_axis"), t("chart.seconds_axis"))
    layout["legend"]["title"] = {"text": t("chart.colour_is_evidence")}
    return {"data": [*ordered, line] if front else ordered, "layout": layout}


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


CHARTS_DIR = f"{ASSETS}/charts"


class ChartFiles:
    """Per-page chart placing: each chart's JSON goes to the language's files, the page gets its container."""

    def __init__(self, links: Any, files: dict[str, str]):
        self.links = links  # the page's PageLinks
        self.files = files

    def spec(self, kind: str, *args: Any) -> dict[str, Any]:
        """The figure spec from one of this module's chart functions, by name."""
        fn: Callable[..., dict[str, Any]] = globals()[kind]
        return fn(*args)

    def place(self, name: str, spec: dict[str, Any], height: int = 420) -> Markup:
        """Write the chart's JSON file and return its (empty, data-only) container."""
        path = f"{CHARTS_DIR}/{name}.json"
        self.files[path] = json_text(spec)
        return Markup(
            f'<div class="gb-chart" data-src="{html_attr(self.links.url(path))}" '
            f'style="min-height:{int(height)}px" data-search-exclude></div>'
        )
