"""Check a CSV's header and cells against its schema table and type the columns."""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np
import pandas as pd

from guide_builder.csvio import RawTable
from guide_builder.schema import Column, Table

Report = Callable[[int | None, str | None, str], None]  # (line, column, message)

_PATTERNS = {
    "date": r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
    "datetime": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$",
    "url": r"^https?://[^\s<>\"'`]+$",
    "sha256": r"^[0-9a-f]{64}$",
}
_PATTERN_HELP = {
    "date": "expected a date YYYY-MM-DD (or YYYY-MM)",
    "datetime": "expected an ISO 8601 time such as 2026-11-28T16:37:02Z",
    "url": "expected an http(s) URL",
    "sha256": "expected 64 lower-case hex digits",
}
_MISSING_WORDS = {"na", "n/a", "nan", "none", "null", "nil", "-", "?"}


def check_header(raw: RawTable, table: Table, report: Report) -> dict[str, int]:
    """Report duplicated, unknown and missing columns; return each known column's position."""
    positions: dict[str, int] = {}
    for i, name in enumerate(raw.header):
        if name in positions:
            report(1, name, f"duplicated column (also column {positions[name] + 1})")
            continue
        positions[name] = i
        if name not in table.by_name:
            close = difflib.get_close_matches(name, table.names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            report(1, name, f"unknown column for a {table.name} file{hint}")
    for name in table.names:
        if name not in positions:
            report(1, name, "missing column (write it with empty cells when there is no value)")
    return {n: i for n, i in positions.items() if n in table.by_name}


def typed_frame(raw: RawTable, table: Table, report: Report) -> pd.DataFrame:
    """Validate every cell and return a typed frame with ``source_row`` (the CSV line).

    Rows with the wrong cell count are reported and left out of the frame;
    every other problem is reported and the row kept, so later checks still run.
    """
    positions = check_header(raw, table, report)
    width = len(raw.header)
    good = [i for i, row in enumerate(raw.rows) if len(row) == width]
    for i, row in enumerate(raw.rows):
        if len(row) != width:
            report(raw.lines[i], None, f"row has {len(row)} cells, the header has {width}")
    lines = np.asarray([raw.lines[i] for i in good], dtype=np.int64)
    cells = [raw.rows[i] for i in good]
    data: dict[str, object] = {}
    for column in table.columns:
        if column.name not in positions:
            continue
        pos = positions[column.name]
        text = pd.Series([r[pos] for r in cells], dtype=object)
        data[column.name] = _check_column(text, column, lines, report)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(cells)))
    frame["source_row"] = lines
    return frame


def _check_column(text: pd.Series, column: Column, lines: np.ndarray, report: Report) -> pd.Series:
    empty = (text == "").to_numpy()
    if column.required:
        for line in lines[empty]:
            report(int(line), column.name, "required value is empty")
    if column.numeric:
        return _check_numeric(text, empty, column, lines, report)
    present = ~empty
    if column.kind == "enum":
        bad = present & ~text.isin(column.allowed).to_numpy()
        allowed = "|".join(column.allowed)
        for line, value in zip(lines[bad], text[bad], strict=True):
            report(int(line), column.name, f"'{value}' is not one of {allowed}")
    elif column.kind in _PATTERNS:
        ok = text.str.match(_PATTERNS[column.kind]).to_numpy(dtype=bool)
        bad = present & ~ok
        for line, value in zip(lines[bad], text[bad], strict=True):
            report(int(line), column.name, f"{_PATTERN_HELP[column.kind]}, got '{value}'")
    return text


def _check_numeric(
    text: pd.Series, empty: np.ndarray, column: Column, lines: np.ndarray, report: Report
) -> pd.Series:
    stripped = text.str.strip()
    numbers = pd.to_numeric(stripped.where(~empty), errors="coerce").astype("float64")
    values = numbers.to_numpy()
    lowered = stripped.str.lower()
    nan_text = lowered.isin(("nan", "+nan", "-nan")).to_numpy()
    unparsed = ~empty & np.isnan(values) & ~nan_text
    for line, value in zip(lines[unparsed], text[unparsed], strict=True):
        if value.strip().lower() in _MISSING_WORDS:
            msg = f"text '{value}' where a number belongs (leave the cell empty when the value is missing)"
        else:
            msg = f"expected a number, got '{value}'"
        report(int(line), column.name, msg)
    for line in lines[nan_text & ~empty]:
        report(int(line), column.name, "NaN is not a value (leave the cell empty when missing)")
    finite = np.isfinite(values)
    for line, value in zip(lines[np.isinf(values)], values[np.isinf(values)], strict=True):
        report(int(line), column.name, f"infinite value {value}")
    if column.kind == "int":
        fractional = finite & (np.mod(np.where(finite, values, 0), 1) != 0)
        for line, value in zip(lines[fractional], values[fractional], strict=True):
            report(int(line), column.name, f"expected a whole number, got {value:g}")
    if column.positive:
        low = finite & (values <= 0)
        for line, value in zip(lines[low], values[low], strict=True):
            report(int(line), column.name, f"must be greater than 0, got {value:g}")
    elif column.minimum is not None:
        low = finite & (values < column.minimum)
        for line, value in zip(lines[low], values[low], strict=True):
            report(int(line), column.name, f"must be at least {column.minimum:g}, got {value:g}")
    clean = pd.Series(np.where(finite, values, np.nan), index=text.index)
    if column.kind == "int":
        whole = np.isfinite(clean.to_numpy()) & (np.mod(np.nan_to_num(clean.to_numpy()), 1) == 0)
        return clean.where(whole).round().astype("Int64")
    return clean
