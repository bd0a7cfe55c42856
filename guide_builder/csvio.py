"""Reading the contract's CSVs as text, and writing files atomically."""

from __future__ import annotations

import csv
import io
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
    lines: list[int]  # line in the file where each record starts (the header starts line 1)
    truncated_line: int | None = None  # start of an unterminated last line that was dropped
    error: str = ""  # why reading stopped early ("" when the whole file was read)
    error_line: int | None = None


class TooLarge(Exception):
    """A file over the size cap, refused before parsing."""


def read_raw(path: Path, max_bytes: int) -> RawTable:
    """Read a CSV as strings only (a BOM is accepted); never guess missing values.

    Records are split by the csv module itself (``newline=""``), so a quoted cell
    may hold line breaks, U+2028, U+0085 or a form feed and stay one cell; a
    row's line number is the line where its record starts, counting physical
    lines (``\n``, ``\r\n`` or ``\r``) from 1. Rows with the wrong number of
    cells are kept as they are for the validator to report, except an
    unterminated last line (an interrupted writer), which is dropped and
    flagged so the caller can say so.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB cap")
    with path.open("rb") as fh:
        data = fh.read()
    text = data.decode("utf-8-sig")
    ends_with_newline = text.endswith(("\n", "\r"))
    # A cell may be as long as the file (the size cap bounds it), not csv's default 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes, size))
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    error, error_line = "", None
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            error, error_line = f"unreadable CSV: {exc}", start
            break
        if header is None:
            header = record
        elif record:  # a blank line is not a row
            rows.append(record)
            lines.append(start)
        start = reader.line_num + 1
    truncated = None
    if rows and not ends_with_newline and not error and len(rows[-1]) != len(header or []):
        rows.pop()
        truncated = lines.pop()
    return RawTable(path, header or [], rows, lines, truncated, error, error_line)


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
