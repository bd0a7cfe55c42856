"""String catalogues (one YAML file per language) and the units each language writes.

Numbers, prices and evidence words are formatted by :class:`~guide_builder.site.format.Formatter`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from guide_builder.messages import fill, load_flat_yaml, render

DEFAULT_LANGUAGES = ("zh", "en")

# Units as each language writes them after a number.
UNITS = {
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
    """Translations of one language."""

    def __init__(self, lang: str):
        self.lang = lang
        self.strings = load_strings(lang)

    def t(self, key: str, **values: Any) -> str:
        """The text for key, with {placeholders} filled; a missing key is a bug, so it raises."""
        try:
            text = self.strings[key]
        except KeyError:
            raise KeyError(f"no '{key}' in the {self.lang} string catalogue") from None
        # The analysis's prose among the values is said in this language too.
        return fill(text, values, self.lang) if values else text

    def has(self, key: str) -> bool:
        return key in self.strings

    def text(self, value: Any) -> str:
        """A Message (the analysis's prose) in this language; any other value as str."""
        return render(value, self.lang)
