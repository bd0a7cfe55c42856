"""One formatter per language: numbers, prices with kind and date, evidence words, intervals, dates.

Templates reach it as ``f`` (and its ``t`` as ``t``): the page's words from the
string catalogue, coded values in words (availability, price kinds, pitfall
kinds), spec cells. Plain text out (no Markdown, no HTML): the templates and the
Renderer escape what they place; Markdown pieces live in ``pieces.Pieces``.
Figures come in as the analysis gives them; anything with ``value``/``cny``,
``kind``, ``date`` and ``stale`` attributes (the analysis's ``Figure`` or the
price module's ``PriceFigure``) is a price to this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from guide_builder.analysis.power import transient_source
from guide_builder.analysis.results import Figure
from guide_builder.analysis.rows import is_measured, is_na, num
from guide_builder.site.i18n import UNITS, Catalogue

DASH = "—"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def missing(value: Any) -> bool:
    """None, NaN, pandas' NA or an empty string."""
    return is_na(value) or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class LocalText:
    """A data-born text and the language it is in ("" when there is no text)."""

    text: str
    lang: str


class Formatter:
    """Every figure as a reader of one language reads it."""

    def __init__(self, lang: str):
        self.lang = lang
        self.cat = Catalogue(lang)
        self.units = UNITS.get(lang, UNITS["en"])

    # words -----------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """The catalogue's text for key (see :meth:`Catalogue.t`)."""
        return self.cat.t(key, **values)

    def has(self, key: str) -> bool:
        return self.cat.has(key)

    def text(self, value: Any) -> str:
        """A Message (the analysis's prose) in this language; any other value as str."""
        return self.cat.text(value)

    def word(self, prefix: str, value: Any) -> str:
        """The catalogue's word for a coded value ("avail.official"), the value itself when none."""
        key = prefix + str(value)
        return self.t(key) if self.has(key) else str(value)

    # numbers -------------------------------------------------------------
    def number(self, value: Any, digits: int = 1) -> str:
        """1,234.5 (both languages group by thousands); an em dash when missing."""
        if missing(value):
            return DASH
        return f"{float(value):,.{digits}f}"

    def quantity(self, value: Any, unit: str, digits: int = 1) -> str:
        """A number with its unit as this language writes it ("4.6 s", "4.6 秒")."""
        if missing(value):
            return DASH
        return self.number(value, digits) + self.units.get(unit, " " + unit)

    def interval(self, value: Any, low: Any, high: Any, unit: str = "s", digits: int = 1) -> str:
        """ "4.6 s (3.9–5.5)": the value with its interval; the value alone when there is none."""
        text = self.quantity(value, unit, digits)
        if text == DASH or missing(low) or missing(high):
            return text
        return f"{text} ({self.number(low, digits)}–{self.number(high, digits)})"

    def cny(self, value: Any, usd: Any = None) -> str:
        """¥12,999, with the US MSRP beside it where the catalogue knows it."""
        if missing(value):
            return DASH
        text = f"¥{float(value):,.0f}"
        if not missing(usd):
            text += self.t("fmt.usd_beside", usd=f"${float(usd):,.0f}")
        return text

    def num(self, value: Any) -> str:
        """A raw number for data-sort ("" when missing)."""
        value = num(value)
        return "" if value is None else f"{value:.6g}"

    def pct(self, value: Any) -> str:
        return DASH if missing(value) else self.quantity(float(value) * 100, "pct", 0)

    def payback(self, months: Any) -> str:
        return self.t("roi.never") if missing(months) else self.quantity(months, "months", 1)

    def budget(self, tp: Any) -> str:
        """A tier's budget band: "≤ ¥5,000", "> ¥20,000" or "¥5,000–¥10,000"."""
        lo, hi = tp.budget_min_cny, tp.budget_max_cny
        if lo is None and hi is not None:
            return "≤ " + self.cny(hi)
        if hi is None and lo is not None:
            return "> " + self.cny(lo)
        if lo is None and hi is None:
            return DASH
        return f"{self.cny(lo)}–{self.cny(hi)}"

    # figures -----------------------------------------------------------------
    def figure(self, fig: Figure | None, digits: int = 1) -> str:
        """A Figure's value with its unit and interval (no evidence words: see :meth:`evidence`)."""
        if fig is None:
            return DASH
        if fig.unit == "cny":
            return self.cny(fig.value)
        return self.interval(fig.value, fig.low, fig.high, fig.unit, digits)

    def figure_with_evidence(self, fig: Figure | None, row: Figure, digits: int = 1) -> str:
        """A figure; its evidence words only when they differ from the row's."""
        if fig is None or fig.value is None:
            return DASH
        text = self.figure(fig, digits)
        if fig.evidence != row.evidence:
            text += f" ({self.evidence(fig)})"
        return text

    def spread(self, r: Any) -> str:
        """IQR and p90 in this language's words."""
        if r.iqr_s is None and r.p90_s is None:
            return DASH
        return self.t("fmt.spread", iqr=self.number(r.iqr_s, 2), p90=self.number(r.p90_s, 2))

    def claim_value(self, fc: Any) -> str:
        """What a checked claim stated, with its unit."""
        if fc.value is None:
            return ""
        unit = fc.unit or ""
        if unit == "cny":
            return self.cny(fc.value)
        return self.quantity(fc.value, unit, 2) if unit else self.number(fc.value, 2)

    # dates -----------------------------------------------------------------
    def date(self, value: Any, precision: str = "month") -> str:
        """An ISO date cut to its month ("2025-01") or day; text that is no date as it is."""
        if missing(value):
            return ""
        text = str(value).strip()
        match = _DATE.match(text)
        if not match:
            return text
        year, month, day = match.groups()
        if precision == "year" or month is None:
            return year
        if precision == "month" or day is None:
            return f"{year}-{month}"
        return f"{year}-{month}-{day}"

    # prices ----------------------------------------------------------------
    def price_kind(self, kind: str) -> str:
        return self.word("price_kind.", kind)

    def price(self, price: Any) -> str:
        """ "¥8,299 · 首发价 2025-01" / "¥8,299 · launch 2025-01", with a stale mark when old."""
        if price is None:
            return DASH
        value = getattr(price, "cny", None)
        if missing(value):
            value = getattr(price, "value", None)
        if missing(value):
            return DASH
        kind = getattr(price, "kind", "") or ""
        date = self.date(getattr(price, "date", "") or "")
        parts = [self.price_kind(kind)] if kind else []
        if date:
            parts.append(date)
        if not parts:
            # the analysis's Figure carries kind and date in its detail text
            detail = getattr(price, "detail", "")
            if not missing(detail):
                parts.append(self.text(detail))
        text = self.cny(value)
        if parts:
            text += " · " + " ".join(parts)
        if getattr(price, "stale", False):
            text += " " + self.t("format.stale")
        return text

    # evidence --------------------------------------------------------------
    def evidence_word(self, level: str) -> str:
        """measured / reported / estimated in one word."""
        return self.t("evidence." + level)

    def evidence(self, fig: Any) -> str:
        """The evidence level in words: measured, measured (synthetic weights), reported by, estimated from."""
        if fig is None:
            return ""
        return self.t("evidence_words." + fig.evidence, source=self.text(fig.source) or "?")

    def evidence_of(self, level: str, source: Any) -> str:
        return self.t("evidence_words." + level, source=self.text(source) or "?")

    def grade(self, grade: str) -> str:
        return self.t("grade." + grade)

    def measured_count(self, gpu: Any) -> str:
        """ "3 measured rows" or "estimated only" for a GPU index line."""
        n = sum(1 for r in gpu.results if is_measured(r.seconds.evidence))
        return self.t("gpus.measured_rows", n=n) if n else self.t("gpus.estimated_only")

    # specs and coded words -----------------------------------------------------
    def pcie_link(self, gen: Any, width: Any) -> str:
        if gen is None and width is None:
            return DASH
        return f"PCIe {gen if gen is not None else '?'}.0 ×{width if width is not None else '?'}"

    def pcie_spec(self, spec: dict[str, Any]) -> str:
        return self.pcie_link(spec.get("pcie_gen"), spec.get("pcie_lanes"))

    def availability(self, spec: dict[str, Any]) -> str:
        parts = [spec.get("availability"), spec.get("form_factor")]
        return ", ".join(self.word("avail.", p) for p in parts if p) or DASH

    def basis(self, basis: Any) -> str:
        return f"({self.t('basis.' + basis)})" if basis and self.has("basis." + str(basis)) else ""

    def pitfall_kind(self, kind: str) -> str:
        return self.word("pitfall_kind.", kind)

    def transient_source(self, config: Any) -> str:
        """The PSU transient factor's source, in this page's language."""
        return self.text(transient_source(config))

    def bench_gpus(self, bench: dict[str, Any]) -> str:
        names = [g.get("name") or g.get("name_nvml") or "?" for g in bench.get("gpus", [])]
        return ", ".join(names) or DASH

    # data-born text --------------------------------------------------------
    def local(self, row: Any, column: str = "note") -> LocalText:
        """`<column>_zh` on Chinese pages, `<column>` on English ones; English when zh is missing.

        `row` is a mapping or an object with those attributes; the returned text
        says which language it is in, so a page can mark an English fallback.
        """

        def get(name: str) -> str:
            value = row.get(name) if isinstance(row, dict) else getattr(row, name, None)
            return "" if missing(value) else str(value).strip()

        if self.lang != "en":
            own = get(f"{column}_{self.lang}")
            if own:
                return LocalText(own, self.lang)
        english = get(column)
        return LocalText(english, "en" if english else "")
