"""Checks specific to reported runs (``reported/runs/*.csv``).

The generic column checks (types, enums, required cells) run first in
`guide_builder.columns`; this module adds the rules that span cells and the
GPU name resolution: an NVIDIA card in a grade A/B row must be in the
catalogue (its row is evidence for the estimator), anything else that is not
catalogued (non-NVIDIA hardware, C-grade rows) is shown but kept out of the
fit, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from guide_builder.catalog import NameResolver

Report = Callable[[str, int | None, str | None, str], None]

RESOLUTION = re.compile(r"^(\d+)x(\d+)$")
EVIDENCE_GRADES = ("A", "B")

# Names that are NVIDIA hardware even when the catalogue does not know them yet.
_NVIDIA = re.compile(
    r"nvidia|geforce|quadro|tesla|\b(rtx|gtx|titan)\b|jetson|dgx|"
    r"\b(a|h|l|b|gb|gh|v|t|p)\s?\d{1,3}[a-z]?\b",
    re.IGNORECASE,
)
_NOT_NVIDIA = re.compile(
    r"\b(amd|radeon|rx|mi\d+|instinct|intel|arc|apple|mac|m[1-5]( pro| max| ultra)?|"
    r"ascend|npu|cpu|snapdragon|adreno|moore|mthreads)\b",
    re.IGNORECASE,
)


def looks_nvidia(name: str) -> bool:
    """Whether a card name not in the catalogue still names NVIDIA hardware."""
    if _NOT_NVIDIA.search(name) and not re.search(r"nvidia|geforce", name, re.IGNORECASE):
        return False
    return bool(_NVIDIA.search(name))


def resolution(cell: str) -> tuple[int, int] | None:
    """(width, height) of a WIDTHxHEIGHT cell; None when it is not one."""
    m = RESOLUTION.match(cell.strip().lower()) if cell else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def check(
    frame: pd.DataFrame,
    resolver: NameResolver | None,
    report: Report,
    warn: Callable[[str], None],
) -> pd.Series:
    """Report cross-cell problems; return each row's canonical GPU name ("" when unknown)."""
    names = []
    for i in frame.index:
        row = frame.loc[i]
        file, line = str(row["source_file"]), int(row["source_row"])
        where = f"{file}:{line}"
        if row["resolution"] and resolution(row["resolution"]) is None:
            report(file, line, "resolution", f"expected WIDTHxHEIGHT, got '{row['resolution']}'")
        if pd.isna(row["seconds_per_image"]) and pd.isna(row["seconds_per_forward"]):
            report(
                file,
                line,
                "seconds_per_image",
                "a run needs seconds_per_image or seconds_per_forward (what the source states)",
            )
        elif pd.isna(row["seconds_per_forward"]) and pd.isna(row["dit_forwards"]):
            warn(f"{where}:dit_forwards: empty, so the run cannot be compared per forward")
        canonical = resolver.resolve(row["gpu"]) if resolver and row["gpu"] else None
        names.append(canonical or "")
        if canonical or not row["gpu"]:
            continue
        suggestion = resolver.suggest(row["gpu"]) if resolver else None
        hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
        if row["grade"] in EVIDENCE_GRADES and looks_nvidia(row["gpu"]):
            report(
                file,
                line,
                "gpu",
                f"unknown GPU '{row['gpu']}'{hint}: a grade {row['grade']} NVIDIA run is "
                "evidence, so add the card to catalog/gpus.csv with its sources or add this "
                "name to an existing card's aliases",
            )
        else:
            warn(f"{where}:gpu: '{row['gpu']}' is not in the catalogue: shown, kept out of the fit")
    return pd.Series(names, index=frame.index, dtype=object)
