"""Reading the contract's CSVs as text, and writing files atomically."""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RawTable:
    """A CSV read as text: header, rows of cells and each row's line number."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # line in the file where each row ends (header is line 1)
    truncated_last_line: bool = False


class TooLarge(Exception):
    """A file over the size cap, refused before parsing."""


def read_raw(path: Path, max_bytes: int) -> RawTable:
    """Read a CSV as strings only (a BOM is accepted); never guess missing values.

    Rows with the wrong number of cells are kept as they are for the validator to
    report, except an unterminated last line (an interrupted writer), which is
    dropped and flagged so the caller can say so.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB cap")
    with path.open("rb") as fh:
        data = fh.read()
    text = data.decode("utf-8-sig")
    ends_with_newline = text.endswith(("\n", "\r"))
    reader = csv.reader(text.splitlines(keepends=True))
    header: list[str] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    for record in reader:
        if not header and not rows:
            header = record
            continue
        if not record:  # a blank line is not a row
            continue
        rows.append(record)
        lines.append(reader.line_num)
    truncated = False
    if rows and not ends_with_newline and len(rows[-1]) != len(header):
        rows.pop()
        lines.pop()
        truncated = True
    return RawTable(path, header, rows, lines, truncated)


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file so a reader sees the old or the new version, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
