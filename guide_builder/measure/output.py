"""Writing the bench's files: rows appended and flushed as they come, whole files atomically."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from guide_builder.csvio import write_atomic
from guide_builder.schema import Table

__all__ = [
    "RowAppender",
    "cell",
    "csv_text",
    "write_atomic",
    "write_bytes_atomic",
    "write_json_atomic",
]


def cell(value: Any) -> str:
    """One CSV cell: None is the only missing value (an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".7g") if value == value else ""  # NaN is missing, not text
    return str(value)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary sibling, then rename it over `path`."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def csv_text(table: Table, rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.names)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in table.names])
    return buf.getvalue()


class RowAppender:
    """Appends rows of one table to a CSV, flushing each, writing the header once.

    On open, an unterminated last line (a writer killed mid-row) is cut off so the next row
    starts on its own line; the rows before it are kept intact.
    """

    def __init__(self, path: Path, table: Table, fsync: bool = True):
        self.path = path
        self.table = table
        self.fsync = fsync
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists() or path.stat().st_size == 0
        if not fresh:
            _cut_partial_line(path)
        self._fh = path.open("a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\n")
        if fresh:
            self._writer.writerow(table.names)
            self._fh.flush()

    def append(self, row: dict[str, Any]) -> None:
        unknown = set(row) - set(self.table.names)
        if unknown:
            raise KeyError(f"{self.table.name}: unknown columns {sorted(unknown)}")
        self._writer.writerow([cell(row.get(name)) for name in self.table.names])
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def _cut_partial_line(path: Path) -> None:
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        with path.open("r+b") as fh:
            fh.truncate(keep)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV we wrote, as text; a truncated last line is ignored."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8-sig")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    return list(csv.DictReader(io.StringIO(text)))
