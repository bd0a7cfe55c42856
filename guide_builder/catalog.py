"""The GPU catalogue's rules: name resolution and the per-SM tensor rates.

A GPU is named many ways ("NVIDIA GeForce RTX 4090", "RTX 4090", "4090");
every name is resolved to the catalogue's canonical name through its aliases.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

# Dense tensor FLOP per clock per SM, by architecture and precision, from
# NVIDIA's architecture whitepapers (GA102, Ada, RTX Blackwell, H100).
# bf16: bf16 with fp32 accumulate (what PyTorch runs); fp16_acc16: fp16 with
# fp16 accumulate; fp8: fp8 with fp32 accumulate; int4: INT4 (FP4 on Blackwell).
# A missing entry means the architecture has no tensor support for it.
PER_SM_RATES: dict[str, dict[str, int]] = {
    "Turing": {"fp16_acc16": 1024, "int4": 4096},
    "Ampere": {"bf16": 512, "fp16_acc16": 1024, "int4": 4096},
    "Ada": {"bf16": 512, "fp16_acc16": 1024, "fp8": 1024, "int4": 4096},
    "Blackwell": {"bf16": 512, "fp16_acc16": 1024, "fp8": 1024, "int4": 4096},
    "Hopper": {"bf16": 4096, "fp16_acc16": 4096, "fp8": 8192},
}

# Catalogue column holding each precision's dense peak.
PRECISION_COLUMNS = {
    "bf16": "bf16_tflops",
    "fp16_acc16": "fp16_acc16_tflops",
    "fp8": "fp8_tflops",
    "int4": "int4_tops",
}

# A computed catalogue value must agree with SMs x clock x rate this closely.
COMPUTED_TOLERANCE = 0.005

_NOISE = re.compile(r"\b(nvidia|geforce)\b")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(name: str) -> str:
    """A lookup key: lower case, no vendor words, no spaces or punctuation."""
    return _NON_ALNUM.sub("", _NOISE.sub("", name.lower()))


def computed_tflops(
    architecture: str, precision: str, sm_count: float, clock_mhz: float
) -> float | None:
    """SMs x clock x per-SM rate, in TFLOPS; None when the architecture lacks the precision."""
    rate = PER_SM_RATES.get(architecture, {}).get(precision)
    if rate is None:
        return None
    return sm_count * clock_mhz * 1e6 * rate / 1e12


class NameResolver:
    """Resolves any known name or alias to the canonical catalogue name."""

    def __init__(self, names_and_aliases: Iterable[tuple[str, Iterable[str]]]):
        self._index: dict[str, str] = {}
        self.canonical: list[str] = []
        self.collisions: list[tuple[str, str, str]] = []  # (key, first, second)
        for name, aliases in names_and_aliases:
            self.canonical.append(name)
            for alias in (name, *aliases):
                key = normalise(alias)
                if not key:
                    continue
                known = self._index.setdefault(key, name)
                if known != name:
                    self.collisions.append((alias, known, name))

    def resolve(self, name: str) -> str | None:
        return self._index.get(normalise(name))

    def suggest(self, name: str) -> str | None:
        """The closest canonical name, for an error message."""
        keys = list(self._index)
        match = difflib.get_close_matches(normalise(name), keys, n=1, cutoff=0.6)
        return self._index[match[0]] if match else None


def split_aliases(cell: str) -> list[str]:
    return [a.strip() for a in cell.split(";") if a.strip()]
