"""Page pieces for the reader-facing pages: fact-check rows, compare data, filters, local text.

Everything here is computed once per page in Python (formatted by
:class:`~guide_builder.site.format.Formatter` in the page's language), so the
templates and the small scripts only lay out what they are given.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from markupsafe import Markup

from guide_builder.analysis.estimates import level_name
from guide_builder.analysis.results import Figure
from guide_builder.analysis.tiers import band_of
from guide_builder.messages import Message
from guide_builder.site import variants
from guide_builder.site.assets import ASSETS
from guide_builder.site.charts import EVIDENCE_COLOURS, has_points
from guide_builder.site.escape import html_attr, html_text, json_text, markdown_text, safe_url
from guide_builder.site.format import DASH, Formatter, missing
from guide_builder.site.links import PageLinks, slugify
from guide_builder.site.svgchart import scatter_svg
from guide_builder.site.views import GpuView, SiteView

# Worst first: the order of the fact-check's summary and its default sort.
VERDICTS = (
    "impossible",
    "implausible",
    "contradicts_spec",
    "unverified",
    "plausible",
    "consistent",
)
COMPARE_MAX = 4
_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?])\s+(?=[A-Z0-9(])")


def claim_anchor(fc: Any) -> str:
    """A stable anchor for one checked claim: card, claim kind and a digest of what was claimed."""
    key = "|".join(
        str(x) for x in (fc.gpu, fc.claim, fc.value, fc.unit, fc.precision, fc.source, fc.date)
    )
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:6]
    return f"claim-{slugify(fc.gpu, set())}-{slugify(fc.claim, set())}-{digest}"


def first_sentence(text: str) -> str:
    """The first sentence of a reason (the one-line reason of a table row)."""
    text = text.strip()
    parts = [p for p in _SENTENCE_END.split(text) if p and p.strip()]
    return parts[0].strip() if parts else text


class Pieces:
    """Per-page helpers for the fact-check, compare, results filters and data-born text."""

    def __init__(self, fmt: Formatter, links: PageLinks, view: SiteView, files: dict[str, str]):
        self.fmt = fmt
        self.links = links
        self.view = view
        self.files = files  # the language's generated files (compare data goes there)

    # data-born text ----------------------------------------------------------
    def local(self, row: Any, column: str = "note") -> Markup:
        """The row's text in the page's language for raw HTML; English marked lang="en"."""
        local = self.fmt.local(row, column)
        if not local.text:
            return Markup("")
        if local.lang != self.fmt.lang:
            return Markup(f'<span lang="en">{html_text(local.text)}</span>')
        return html_text(local.text)

    def local_md(self, row: Any, column: str = "note") -> Markup:
        """The same for a Markdown context (a paragraph or table cell)."""
        local = self.fmt.local(row, column)
        if local.text and local.lang != self.fmt.lang:
            return Markup(f'<span lang="en">{markdown_text(local.text)}</span>')
        return markdown_text(local.text)

    # figures in Markdown ------------------------------------------------------
    def fig(self, fig: Figure | None, digits: int = 1) -> Markup:
        """Value with unit and its evidence level in words, as Markdown."""
        if fig is None or fig.value is None:
            return Markup(DASH)
        return Markup(
            f"{markdown_text(self.fmt.figure(fig, digits))} "
            f'<small class="gb-evidence">{markdown_text(self.fmt.evidence(fig))}</small>'
        )

    def fig_short(self, fig: Figure | None, digits: int = 1) -> Markup:
        """Value with its evidence level in one word; the full provenance in a tooltip.

        For the short answer (the home page), where the estimate model in words
        would drown the table; the tiers and results pages carry it in full.
        """
        if fig is None or fig.value is None:
            return Markup(DASH)
        return Markup(
            f"{markdown_text(self.fmt.figure(fig, digits))} "
            f'<small class="gb-evidence" title="{html_attr(self.fmt.evidence(fig))}">'
            f"{markdown_text(self.fmt.evidence_word(fig.evidence))}</small>"
        )

    def grade(self, grade: str) -> Markup:
        """A verdict word in its colour, for Markdown."""
        return Markup(
            f'<span class="gb-grade gb-grade-{html_attr(grade)}">'
            f"{markdown_text(self.fmt.grade(grade))}</span>"
        )

    def _msrp(self, gpu: str | None) -> Any:
        card = self.view.gpus.get(gpu) if gpu else None
        return card.spec.get("msrp_usd") if card else None

    def price(self, fig: Figure | None, gpu: str | None = None) -> str:
        """¥ price with the US MSRP beside it where the catalogue knows it."""
        return self.fmt.cny(fig.value if fig else None, self._msrp(gpu))

    def short_price(self, fig: Figure | None, gpu: str) -> str:
        """¥ price / US MSRP, for wide tables."""
        text = self.fmt.cny(fig.value if fig else None)
        usd = self._msrp(gpu)
        return f"{text} / ${usd:,.0f}" if fig and usd is not None else text

    def roi_data(self, model: dict[str, Any]) -> dict[str, Any]:
        """What the calculator needs from roi_model (its formula text is shown on the page)."""
        return {k: model.get(k) for k in ("parameters", "baseline", "cards")}

    # variants and small cards (site/variants.py) -------------------------------
    def variant_rows(self, gpu: GpuView) -> tuple:
        return variants.variant_rows(
            gpu, self.view.reference_workload, self.view.analysis.variant_estimates
        )

    def size_advice(self) -> list:
        return variants.size_advice(self.view)

    def small_card_pick(self) -> tuple:
        return variants.small_card_pick(self.view)

    def has_points(self, spec: dict[str, Any]) -> bool:
        return has_points(spec)

    def scatter_svg(self, spec: dict[str, Any]) -> Markup:
        """The price/speed scatter as static SVG (the home page's light chart)."""
        return scatter_svg(spec, self.fmt.t("nochart.generic"))

    # fact-check ----------------------------------------------------------------
    def badge(self, grade: str, count: int | None = None) -> Markup:
        """A verdict word in its colour, for raw HTML."""
        word = self.fmt.grade(grade) + (f" {count}" if count is not None else "")
        return Markup(
            f'<span class="gb-grade gb-grade-{html_attr(grade)}">{html_text(word)}</span>'
        )

    def source_key(self, source: str) -> str:
        return hashlib.sha1(str(source).encode("utf-8")).hexdigest()[:8]

    def source_html(self, title: Any, url: Any) -> Markup:
        safe = safe_url(url)
        if safe is None:
            return html_text(title)
        return Markup(f'<a href="{html_attr(safe)}">{html_text(title or safe)}</a>')

    def gpu_options(self, checks: list) -> list[tuple[str, str]]:
        return self.options([(self.slug(fc.gpu), fc.gpu) for fc in checks])

    def anchor(self, fc: Any) -> str:
        return claim_anchor(fc)

    def claim_href(self, fc: Any) -> str:
        """Raw-HTML URL of one claim's row on the fact-check page."""
        return self.links.page("fact-check.md") + "#" + claim_anchor(fc)

    def verdict_counts(self, checks: list) -> list[tuple[str, int]]:
        counts = {g: 0 for g in VERDICTS}
        for fc in checks:
            counts[fc.flag.grade] = counts.get(fc.flag.grade, 0) + 1
        return [(g, n) for g, n in counts.items() if n]

    def sorted_checks(self, checks: list) -> list:
        rank = {g: i for i, g in enumerate(VERDICTS)}
        return sorted(checks, key=lambda fc: (rank.get(fc.flag.grade, 99), fc.gpu, fc.claim))

    def verdict_rank(self, grade: str) -> int:
        return VERDICTS.index(grade) if grade in VERDICTS else 99

    def one_line(self, message: Any) -> str:
        return first_sentence(self.fmt.text(message))

    def options(self, values: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """(value, label) pairs without duplicates, sorted by label."""
        return sorted(dict(values).items(), key=lambda kv: kv[1].lower())

    def slug(self, name: str) -> str:
        gpu = self.view.gpus.get(name)
        return gpu.slug if gpu else slugify(name, set())

    def seconds(self, r: Any) -> str:
        """Seconds per image, with the estimator's interval where the row has one."""
        return self.fmt.interval(
            r.seconds.value, getattr(r, "low_s", None), getattr(r, "high_s", None), "s", 2
        )

    # results filters -----------------------------------------------------------
    def band(self, price: Any) -> str:
        """The budget band of a CNY price ("" when unknown)."""
        value = getattr(price, "value", None) if price is not None else None
        if missing(value):
            return ""
        return band_of(self.view.analysis.config, float(value))

    def vram_of(self, name: str) -> str:
        gpu = self.view.gpus.get(name)
        vram = gpu.spec.get("vram_gib") if gpu else None
        return "" if missing(vram) else f"{float(vram):g}"

    def availability_of(self, name: str) -> str:
        gpu = self.view.gpus.get(name)
        return str(gpu.spec.get("availability") or "") if gpu else ""

    def vram_choices(self) -> list[int]:
        sizes = {
            int(float(g.spec["vram_gib"]))
            for g in self.view.gpus.values()
            if not missing(g.spec.get("vram_gib"))
        }
        return [s for s in (8, 12, 16, 24, 32, 48, 80) if any(v >= s for v in sizes)]

    def availabilities(self) -> list[str]:
        return sorted({self.availability_of(n) for n in self.view.gpus} - {""})

    def avail_word(self, value: str) -> str:
        return self.fmt.word("avail.", value)

    def level_name(self, name: str) -> Message | str:
        """An estimator level ("consumer", "consumer Ada") in the page's language."""
        return level_name(name)

    # compare --------------------------------------------------------------------
    def compare_url(self, names: list[str]) -> str:
        slugs = [self.view.gpus[n].slug for n in names if n in self.view.gpus][:COMPARE_MAX]
        return self.links.page("compare.md") + "?gpus=" + ",".join(slugs)

    def neighbours(self, name: str) -> list[str]:
        """The card with the next cheaper and next dearer card by price (its tier neighbours)."""
        priced = []
        for g in self.view.gpus.values():
            price = _best_price(g)
            if price is not None:
                priced.append((price, g.name))
        priced.sort()
        names = [n for _, n in priced]
        if name not in names:
            return [name]
        i = names.index(name)
        return names[max(i - 1, 0) : i + 2]

    def compare_data(self) -> Markup:
        """Writes this language's compare JSON; returns its URL (a raw-HTML attribute)."""
        path = f"{ASSETS}/compare.json"
        if path not in self.files:
            self.files[path] = json_text(self._compare_payload())
        return Markup(html_attr(self.links.url(path)))

    def _compare_payload(self) -> dict[str, Any]:
        f, t = self.fmt, self.fmt.t
        ref = self.view.reference_workload
        rows: list[dict[str, str]] = [
            {"key": "architecture", "label": t("spec.architecture")},
            {"key": "vram", "label": t("spec.vram")},
            {"key": "bandwidth", "label": t("spec.bandwidth")},
            {"key": "bf16", "label": t("spec.bf16")},
            {"key": "board_power", "label": t("spec.board_power")},
            {"key": "price", "label": t("spec.price")},
            {"key": "availability", "label": t("spec.availability")},
            {"key": "psu", "label": t("compare.psu")},
        ]
        seen: set[str] = set()
        cards: dict[str, Any] = {}
        for gpu in self.view.gpus.values():
            s = gpu.spec
            cells: dict[str, str] = {
                "architecture": str(s.get("architecture") or DASH),
                "vram": f.quantity(s.get("vram_gib"), "gib", 0),
                "bandwidth": f.quantity(s.get("bandwidth_gb_s"), "gb_s", 0),
                "bf16": f.quantity(s.get("bf16_tflops"), "tflops", 1),
                "board_power": f.quantity(s.get("board_power_w"), "w", 0),
                "price": f.price(_price_of(gpu)),
                "availability": self.avail_word(str(s.get("availability") or "")) or DASH,
                "psu": f.quantity(gpu.psu.recommended_w, "w", 0) if gpu.psu else DASH,
            }
            for fit in gpu.fits:
                key = f"fit:{fit.workload}"
                if key not in seen:
                    seen.add(key)
                    rows.append({"key": key, "label": t("compare.fit", workload=fit.workload)})
                cells[key] = t("fit." + fit.verdict) + (
                    f" ({fit.variant})" if fit.variant and fit.variant != "plain" else ""
                )
            chart = None
            for r in sorted(gpu.results, key=lambda r: (r.workload != ref, r.workload, r.variant)):
                key = f"time:{r.workload}:{r.variant}"
                if key not in seen:
                    seen.add(key)
                    rows.append(
                        {
                            "key": key,
                            "label": t("compare.time", workload=r.workload, variant=r.variant),
                        }
                    )
                low, high = getattr(r, "low_s", None), getattr(r, "high_s", None)
                value = r.seconds.value
                cells[key] = (
                    f"{f.interval(value, low, high, 's', 2)} · {f.evidence_word(r.seconds.evidence)}"
                    if value is not None
                    else DASH
                )
                if (
                    r.workload == ref
                    and value is not None
                    and (chart is None or value < chart["s"])
                ):
                    chart = {
                        "s": round(float(value), 3),
                        "low": None if missing(low) else round(float(low), 3),
                        "high": None if missing(high) else round(float(high), 3),
                        "evidence": r.seconds.evidence,
                        "variant": r.variant,
                    }
            cards[gpu.slug] = {
                "name": gpu.name,
                "href": self.links.page(gpu.src),
                "cells": cells,
                "chart": chart,
            }
        time_rows = sorted(
            (r for r in rows if r["key"].startswith("time:")),
            key=lambda r: (not r["key"].startswith(f"time:{ref}:"), r["key"]),
        )
        other = [r for r in rows if not r["key"].startswith("time:")]
        return {
            "rows": other[:8] + time_rows + other[8:],
            "cards": cards,
            "max": COMPARE_MAX,
            "colours": dict(EVIDENCE_COLOURS),
            "evidence": {
                level: t("evidence." + level)
                for level in ("measured", "measured_synthetic", "reported", "estimated")
            },
            "words": {
                "title": t("compare.chart_title", workload=ref),
                "axis": t("chart.seconds_axis"),
                "none": t("compare.none_chosen"),
                "no_chart": t("compare.no_chart", workload=ref),
                "card": t("col.gpu"),
                "remove": t("compare.remove"),
                "legend": t("chart.colour_is_evidence"),
            },
        }


def _price_of(gpu: Any) -> Any:
    """The card's price figure as the analysis gave it on its results (None when it has none)."""
    for r in gpu.results:
        if r.price_cny is not None and not missing(getattr(r.price_cny, "value", None)):
            return r.price_cny
    return None


def _best_price(gpu: Any) -> float | None:
    price = _price_of(gpu)
    return None if price is None else float(price.value)
