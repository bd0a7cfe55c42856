"""Data text readers see exists in both languages: warnings for rows with only one.

Every free-text column a page shows has a Chinese sibling (`notes` / `notes_zh`
in gpus.csv, `note` / `note_zh` in reported claims, reported runs and prices).
A row that fills one and leaves the other empty still loads (the page shows the
English text, marked as English, on Chinese pages) but `validate` warns about it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

PAIRS = (("notes", "notes_zh"), ("note", "note_zh"))


def missing_language(path: Path) -> list[str]:
    """`file:row:column: ...` warnings for rows of one CSV with text in only one language."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            pairs = [(en, zh) for en, zh in PAIRS if en in header and zh in header]
            if not pairs:
                return []
            out = []
            for line, row in enumerate(reader, start=2):
                for en, zh in pairs:
                    has_en = bool((row.get(en) or "").strip())
                    has_zh = bool((row.get(zh) or "").strip())
                    if has_en != has_zh:
                        missing, present = (zh, en) if has_en else (en, zh)
                        column = header.index(missing) + 1
                        out.append(
                            f"{path}:{line}:{column}: '{missing}' is empty while '{present}' "
                            f"has text; pages in that language show the other one"
                        )
            return out
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # unreadable files are the loader's problems, reported there


def bilingual_warnings(paths: Iterable[Path]) -> list[str]:
    """Warnings for every CSV given (each file once)."""
    seen: set[Path] = set()
    out: list[str] = []
    for path in paths:
        path = Path(path)
        if path in seen or path.suffix != ".csv" or not path.is_file():
            continue
        seen.add(path)
        out.extend(missing_language(path))
    return out


def data_files(catalog_dir: Path | None, reported_files: Iterable[Path], roots: Iterable[Path]):
    """The CSVs whose text readers see: catalogue, reported claims and reported runs."""
    files = list(reported_files)
    if catalog_dir is not None:
        files += sorted(Path(catalog_dir).glob("*.csv"))
    for root in roots:
        files += sorted((Path(root) / "reported" / "runs").glob("*.csv"))
    return files
