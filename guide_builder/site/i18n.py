"""String catalogues (one YAML file per language) and per-language number formats."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from guide_builder.analysis.results import Figure
from guide_builder.messages import Message, load_flat_yaml, render

DEFAULT_LANGUAGES = ("zh", "en")

# Units as each language writes them after a number.
_UNITS = {
    "zh": {"s": " 秒", "gib": " GiB", "w": " W", "j": " J", "c": " °C", "mhz": " MHz",
           "tflops": " TFLOPS", "gb_s": " GB/s", "pct": "%", "wh": " Wh", "h": " 小时",
           "months": " 个月", "gb": " GB", "cny": "",
           "db": " dB", "tb": " TB", "gen": "（PCIe 代）", "fans": " 个风扇", "lpips": ""},
    "en": {"s": " s", "gib": " GiB", "w": " W", "j": " J", "c": " °C", "mhz": " MHz",
           "tflops": " TFLOPS", "gb_s": " GB/s", "pct": " %", "wh": " Wh", "h": " h",
           "months": " months", "gb": " GB", "cny": "",
           "db": " dB", "tb": " TB", "gen": " (PCIe gen)", "fans": " fans", "lpips": ""},
}  # fmt: skip


@cache
def load_strings(lang: str) -> dict[str, str]:
    """The flat {key: text} catalogue of a language (guide_builder/site/i18n/<lang>.yml)."""
    return load_flat_yaml("guide_builder.site", f"i18n/{lang}.yml")


class Catalogue:
    """Translations and number formats of one language."""

    def __init__(self, lang: str):
        self.lang = lang
        self.strings = load_strings(lang)
        self.units = _UNITS.get(lang, _UNITS["en"])

    def t(self, key: str, **values: Any) -> str:
        """The text for key, with {placeholders} filled; a missing key is a bug, so it raises."""
        try:
            text = self.strings[key]
        except KeyError:
            raise KeyError(f"no '{key}' in the {self.lang} string catalogue") from None
        if not values:
            return text
        # The analysis's prose among the values is said in this language too.
        return text.format(
            **{k: render(v, self.lang) if isinstance(v, Message) else v for k, v in values.items()}
        )

    def has(self, key: str) -> bool:
        return key in self.strings

    # numbers --------------------------------------------------------------
    def number(self, value: float | None, digits: int = 1) -> str:
        """1,234.5 (both languages group by thousands); an em dash when missing."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return f"{value:,.{digits}f}"

    def quantity(self, value: float | None, unit: str, digits: int = 1) -> str:
        """A number with its unit as this language writes it."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return self.number(value, digits) + self.units.get(unit, " " + unit)

    def cny(self, value: float | None, usd: float | None = None) -> str:
        """¥12,999 with the US MSRP beside it where the catalogue knows it."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        text = f"¥{value:,.0f}"
        if usd is not None and not (isinstance(usd, float) and math.isnan(usd)):
            text += self.t("fmt.usd_beside", usd=f"${usd:,.0f}")
        return text

    def figure(self, fig: Figure | None, digits: int = 1) -> str:
        """A Figure's value with its unit (no evidence words: see :meth:`evidence`)."""
        if fig is None:
            return "—"
        if fig.unit == "cny":
            return self.cny(fig.value)
        text = self.quantity(fig.value, fig.unit, digits)
        if fig.value is not None and fig.low is not None and fig.high is not None:
            # an estimate's interval: "4.6 s (3.9–5.5)"
            text += f" ({self.number(fig.low, digits)}–{self.number(fig.high, digits)})"
        return text

    def evidence(self, fig: Figure | None) -> str:
        """The evidence level in words: measured, measured (synthetic weights), reported by, estimated from."""
        if fig is None:
            return ""
        return self.t("evidence_words." + fig.evidence, source=self.text(fig.source) or "?")

    def text(self, value: Any) -> str:
        """A Message (the analysis's prose) in this language; any other value as str."""
        return render(value, self.lang)
