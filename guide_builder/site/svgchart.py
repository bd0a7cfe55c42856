"""A scatter figure spec (as `charts.py` builds it) drawn as static, inline SVG at build time.

For the home page: its one chart must appear within seconds on a slow phone
link, and plotly.js alone (about 390 KB gzipped) would break the page's 450 KB
budget. The same spec feeds the interactive chart on the results page, so both
show the same points. Colours of text and grid come from the theme's CSS
variables, so the chart follows the light/dark toggle without a script; each
point names itself in a <title> (the browser's hover tooltip); the labels the
spec prints (the Pareto front) are printed here too.
"""

from __future__ import annotations

import html
import math
from typing import Any

from markupsafe import Markup

from guide_builder.site.escape import html_attr

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 40, 40, 92  # plot margins (room for tick labels and legend)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values (1, 2 or 5 times a power of ten) covering low..high."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1 if math.isfinite(low) else 1
        low = low if math.isfinite(low) else 0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _width(text: str) -> float:
    """Rough width in px of a legend label at the tick font size (CJK characters are wider)."""
    return sum(13 if ord(c) > 0x2E80 else 7.5 for c in text)


def _place(
    label: str, cx: float, cy: float, taken: list[tuple[float, float, float, float]]
) -> tuple[float, float] | None:
    """A spot (above, below, right, left of the point) where the label overlaps no other; or None.

    A label that finds no free spot is left out: the point still names itself on hover.
    """
    w, h = _width(label), 14.0
    for x, y in (
        (cx, cy - 10),
        (cx, cy + 20),
        (cx + w / 2 + 10, cy + 4),
        (cx - w / 2 - 10, cy + 4),
    ):
        box = (x - w / 2, y - h + 3, x + w / 2, y + 3)
        inside = (
            box[0] >= 0
            and box[2] <= WIDTH
            and box[1] >= TOP - 12
            and box[3] <= TOP + (HEIGHT - TOP - BOTTOM)
        )
        if inside and not any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
        ):
            taken.append(box)
            return round(x, 1), round(y, 1)
    return None


def _text(value: Any) -> str:
    """A spec string (already HTML-escaped for plotly, `<br>` for line breaks) as SVG text."""
    plain = html.unescape(str(value)).replace("<br>", "\n")
    return html.escape(plain, quote=False)


def scatter_svg(spec: dict[str, Any], empty_text: str) -> Markup:
    """The figure as an inline <svg> (points, error bars, front line, labels, legend)."""
    traces = [t for t in spec.get("data", []) if t.get("x")]
    points = [t for t in traces if "markers" in t.get("mode", "")]
    if not points:
        return Markup(f'<p class="gb-nochart">{html.escape(empty_text)}</p>')
    layout = spec.get("layout", {})
    xs = [float(x) for t in traces for x in t["x"]]
    ys = [float(y) for t in traces for y in t["y"]]
    for t in points:
        err = t.get("error_y") or {}
        if err.get("visible"):
            ys += [y + float(e) for y, e in zip(t["y"], err.get("array", []), strict=False)]
            ys += [y - float(e) for y, e in zip(t["y"], err.get("arrayminus", []), strict=False)]
    xt = nice_ticks(min(xs) * 0.9, max(xs) * 1.05)
    yt = nice_ticks(0, max(ys) * 1.1)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + (x - x0) / ((x1 - x0) or 1) * pw, 1)

    def py(y: float) -> float:
        return round(TOP + ph - (y - y0) / ((y1 - y0) or 1) * ph, 1)

    title = _text((layout.get("title") or {}).get("text", ""))
    out = [
        f'<svg class="gb-svg-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{html_attr(html.unescape(title))}" xmlns="http://www.w3.org/2000/svg">',
        f'<text class="gb-svg-title" x="{LEFT}" y="22">{title}</text>',
    ]
    for y in yt:
        out.append(
            f'<line class="gb-svg-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{py(y)}" y2="{py(y)}"/>'
            f'<text class="gb-svg-tick" x="{LEFT - 6}" y="{py(y) + 4}" text-anchor="end">{y:g}</text>'
        )
    for x in xt:
        out.append(
            f'<line class="gb-svg-grid" x1="{px(x)}" x2="{px(x)}" y1="{TOP}" y2="{TOP + ph}"/>'
            f'<text class="gb-svg-tick" x="{px(x)}" y="{TOP + ph + 16}" text-anchor="middle">'
            f"¥{x:,.0f}</text>"
        )
    x_title = _text((layout.get("xaxis", {}).get("title") or {}).get("text", ""))
    y_title = _text((layout.get("yaxis", {}).get("title") or {}).get("text", ""))
    out.append(
        f'<text class="gb-svg-axis" x="{LEFT + pw / 2}" y="{TOP + ph + 36}" text-anchor="middle">{x_title}</text>'
        f'<text class="gb-svg-axis" transform="translate(14 {TOP + ph / 2}) rotate(-90)" '
        f'text-anchor="middle">{y_title}</text>'
    )
    for t in traces:
        if "lines" in t.get("mode", "") and "markers" not in t.get("mode", ""):
            coords = " ".join(f"{px(x)},{py(y)}" for x, y in zip(t["x"], t["y"], strict=True))
            out.append(f'<polyline class="gb-svg-front" points="{coords}"/>')
    legend_x = LEFT
    taken: list[tuple[float, float, float, float]] = []  # boxes of points and placed labels
    labels: list[tuple[str, float, float]] = []
    for t in points:
        colour = html_attr((t.get("marker") or {}).get("color", "#888888"))
        err = t.get("error_y") or {}
        for i, (x, y) in enumerate(zip(t["x"], t["y"], strict=True)):
            cx, cy = px(float(x)), py(float(y))
            if err.get("visible") and (err["array"][i] or err["arrayminus"][i]):
                hi, lo = (
                    py(float(y) + float(err["array"][i])),
                    py(float(y) - float(err["arrayminus"][i])),
                )
                out.append(
                    f'<line class="gb-svg-err" x1="{cx}" x2="{cx}" y1="{hi}" y2="{lo}" stroke="{colour}"/>'
                )
            hover = _text(t.get("hovertext", [""] * len(t["x"]))[i])
            out.append(
                f'<circle class="gb-svg-point" cx="{cx}" cy="{cy}" r="6" fill="{colour}">'
                f"<title>{hover}</title></circle>"
            )
            taken.append((cx - 7, cy - 7, cx + 7, cy + 7))
            label = t.get("text", [""] * len(t["x"]))[i]
            if label:
                labels.append((label, cx, cy))
        # legend: colour = evidence level
        name = _text(t.get("name", ""))
        out.append(
            f'<circle cx="{legend_x + 6}" cy="{HEIGHT - 14}" r="6" fill="{colour}"/>'
            f'<text class="gb-svg-tick" x="{legend_x + 16}" y="{HEIGHT - 10}">{name}</text>'
        )
        legend_x += 28 + _width(html.unescape(name))
    # labels last, on top of every point, each where it hides no point and no other label
    for label, cx, cy in labels:
        placed = _place(html.unescape(label), cx, cy, taken)
        if placed is not None:
            out.append(
                f'<text class="gb-svg-label" x="{placed[0]}" y="{placed[1]}" '
                f'text-anchor="middle">{_text(label)}</text>'
            )
    legend_title = _text(((layout.get("legend") or {}).get("title") or {}).get("text", ""))
    if legend_title:
        out.append(f'<text class="gb-svg-tick" x="{LEFT}" y="{HEIGHT - 32}">{legend_title}</text>')
    out.append("</svg>")
    return Markup('<div class="gb-svg-wrap" data-search-exclude>' + "".join(out) + "</div>")
