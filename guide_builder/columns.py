"""Check a CSV's header and cells against its schema table and type the columns."""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np
import pandas as pd

from guide_builder.csvio import RawTable
from guide_builder.errors import shown
from guide_builder.schema import Column, Table

Report = Callable[[str, int | None, str | None, str], None]  # (file, line, column, message)

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
_MAX_INT = 2.0**53
_MISSING_WORDS = {"na", "n/a", "nan", "none", "null", "nil", "-", "?"}


def check_header(raw: RawTable, table: Table, report: Report) -> dict[str, int]:
    """Report duplicated, unknown and missing columns; return each known column's position."""
    file = str(raw.path)
    positions: dict[str, int] = {}
    for i, name in enumerate(raw.header):
        if name in positions:
            report(file, 1, name, f"duplicated column (also column {positions[name] + 1})")
            continue
        positions[name] = i
        if not name.strip():
            report(file, 1, None, f"column {i + 1} has no name (a stray comma in the header?)")
        elif name not in table.by_name:
            close = difflib.get_close_matches(name, table.names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            report(file, 1, name, f"unknown column for a {table.name} file{hint}")
    for name in table.names:
        if name not in positions:
            report(
                file, 1, name, "missing column (write it with empty cells when there is no value)"
            )
    return {n: i for n, i in positions.items() if n in table.by_name}


def typed_frame(raws: list[RawTable], table: Table, report: Report) -> pd.DataFrame:
    """Validate every cell of files of one kind and return one typed frame.

    Columns are checked once over all files together (the per-file cost of
    pandas calls dominates when a tree holds hundreds of benches). The frame
    has every schema column plus ``source_file`` and ``source_row`` (the CSV
    line). Rows with the wrong cell count are reported and left out; every
    other problem is reported and the row kept, so later checks still run.
    """
    columns: dict[str, list[str]] = {name: [] for name in table.names}
    absent: dict[str, list[bool]] = {name: [] for name in table.names}
    files: list[str] = []
    lines: list[int] = []
    for raw in raws:
        positions = check_header(raw, table, report)
        width = len(raw.header)
        good = []
        for row, line in zip(raw.rows, raw.lines, strict=True):
            if len(row) == width:
                good.append(row)
                lines.append(line)
            else:
                report(
                    str(raw.path), line, None, f"row has {len(row)} cells, the header has {width}"
                )
        files.extend([str(raw.path)] * len(good))
        for name in table.names:
            pos = positions.get(name)
            columns[name].extend([r[pos] for r in good] if pos is not None else [""] * len(good))
            absent[name].extend([pos is None] * len(good))
    line_array = np.asarray(lines, dtype=np.int64)
    file_array = np.asarray(files, dtype=object)
    data = {}
    for column in table.columns:
        text = pd.Series(columns[column.name], dtype=object)
        missing = np.asarray(absent[column.name], dtype=bool)
        where = _Where(file_array, line_array, column.name, report)
        data[column.name] = _check_column(text, column, where, missing)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(lines)))
    frame["source_row"] = line_array
    frame["source_file"] = file_array
    return frame


class _Where:
    """Reports problems for the rows a mask selects."""

    def __init__(self, files: np.ndarray, lines: np.ndarray, column: str, report: Report):
        self.files, self.lines, self.column, self.report = files, lines, column, report

    def __call__(self, mask: np.ndarray, message, values=None) -> None:
        """message is a string, or a function of the row's value."""
        picked = np.flatnonzero(mask)
        for i in picked:
            text = message(values[i]) if callable(message) else message
            self.report(self.files[i], int(self.lines[i]), self.column, text)


def _check_column(text: pd.Series, column: Column, where: _Where, absent: np.ndarray) -> pd.Series:
    empty = (text == "").to_numpy()
    values = text.to_numpy()
    if column.required:
        where(empty & ~absent, "required value is empty")
        blank = ~empty & (text.str.strip() == "").to_numpy(dtype=bool)
        where(blank, "required value is only white space")
    if column.numeric:
        return _check_numeric(text, empty, column, where)
    present = ~empty
    if column.kind == "enum":
        allowed = "|".join(column.allowed)
        bad = present & ~text.isin(column.allowed).to_numpy()
        where(bad, lambda v: f"{shown(v)} is not one of {allowed}", values)
    elif column.kind in _PATTERNS:
        ok = text.str.match(_PATTERNS[column.kind]).to_numpy(dtype=bool)
        help_text = _PATTERN_HELP[column.kind]
        where(present & ~ok, lambda v: f"{help_text}, got {shown(v)}", values)
    return text


def _check_numeric(text: pd.Series, empty: np.ndarray, column: Column, where: _Where) -> pd.Series:
    raw = text.to_numpy()
    numbers = pd.to_numeric(text.where(~empty), errors="coerce").astype("float64").to_numpy()
    nan_text = (
        ~empty
        & np.isnan(numbers)
        & text.str.strip().str.lower().isin(("nan", "+nan", "-nan")).to_numpy()
    )
    unparsed = ~empty & np.isnan(numbers) & ~nan_text

    def unparsed_message(value: str) -> str:
        if value.strip().lower() in _MISSING_WORDS:
            return f"text {shown(value)} where a number belongs (leave the cell empty when the value is missing)"
        return f"expected a number, got {shown(value)}"

    where(unparsed, unparsed_message, raw)
    where(nan_text, "NaN is not a value (leave the cell empty when missing)")
    infinite = np.isinf(numbers)
    where(infinite, lambda v: f"infinite value {v}", numbers)
    finite = np.isfinite(numbers)
    safe = np.where(finite, numbers, 0.0)
    if column.kind == "int":
        where(
            finite & (np.mod(safe, 1) != 0),
            lambda v: f"expected a whole number, got {v:g}",
            numbers,
        )
        # beyond 2**53 a float no longer holds every whole number (and int64 overflows)
        huge = finite & (np.abs(safe) > _MAX_INT)
        where(huge, lambda v: f"too large for a whole number, got {v:g}", numbers)
        finite &= ~huge
        safe = np.where(finite, safe, 0.0)
    if column.positive:
        where(finite & (safe <= 0), lambda v: f"must be greater than 0, got {v:g}", numbers)
    elif column.minimum is not None:
        where(
            finite & (safe < column.minimum),
            lambda v: f"must be at least {column.minimum:g}, got {v:g}",
            numbers,
        )
    clean = pd.Series(np.where(finite, numbers, np.nan), index=text.index)
    if column.kind == "int":
        whole = finite & (np.mod(safe, 1) == 0)
        return clean.where(whole).round().astype("Int64")
    return clean
