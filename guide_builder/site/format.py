"""One formatter per language: numbers, prices with kind and date, evidence words, intervals, dates.

Plain text out (no Markdown, no HTML): the templates and the Renderer escape
what they place. Figures come in as the analysis gives them; anything with
``value``/``cny``, ``kind``, ``date`` and ``stale`` attributes (the analysis's
``Figure`` or the price module's ``PriceFigure``) is a price to this module.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from guide_builder.site.i18n import Catalogue

DASH = "—"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def missing(value: Any) -> bool:
    """None, NaN, pandas' NA or an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):  # pandas.NA refuses bool()
        return True


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
        return self.cat.quantity(float(value), unit, digits)

    def interval(self, value: Any, low: Any, high: Any, unit: str = "s", digits: int = 1) -> str:
        """ "4.6 s (3.9–5.5)": the value with its interval; the value alone when there is none."""
        text = self.quantity(value, unit, digits)
        if text == DASH or missing(low) or missing(high):
            return text
        return f"{text} ({self.number(low, digits)}–{self.number(high, digits)})"

    def cny(self, value: Any) -> str:
        """¥12,999."""
        return DASH if missing(value) else f"¥{float(value):,.0f}"

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
        key = "price_kind." + str(kind)
        return self.cat.t(key) if self.cat.has(key) else str(kind)

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
                parts.append(self.cat.text(detail))
        text = self.cny(value)
        if parts:
            text += " · " + " ".join(parts)
        if getattr(price, "stale", False):
            text += " " + self.cat.t("format.stale")
        return text

    # evidence --------------------------------------------------------------
    def evidence_word(self, level: str) -> str:
        """measured / reported / estimated in one word."""
        return self.cat.t("evidence." + level)

    def evidence(self, figure: Any) -> str:
        """The evidence level with its source in words."""
        return self.cat.evidence(figure)

    def grade(self, grade: str) -> str:
        return self.cat.t("grade." + grade)

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
