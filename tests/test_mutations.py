"""Mutated input files: `validate` answers each with file:row:column lines and exit 1, or
exit 0 where the mutation leaves the file valid; never with a traceback.

Every file kind the loader reads is listed once in `KINDS` as (kind, path in the valid
tree that `datatree.write_tree` writes); a CSV kind's columns come from `schema.TABLES`,
so a new input table is covered by adding one line here (and a row to `write_tree`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from datatree import BENCH, REPORTED_RUN_ROW, write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guide_builder.cli import cli
from guide_builder.csvio import read_raw
from guide_builder.schema import TABLES, BenchGpu, BenchMeta, Column, HostInfo, Table

pytestmark = pytest.mark.slow

KINDS: list[tuple[str, str]] = [
    ("gpus", "catalog/gpus.csv"),
    ("workloads", "catalog/workloads.csv"),
    ("prices", "catalog/prices.csv"),
    ("fx_rates", "catalog/fx_rates.csv"),
    ("parts", "catalog/parts.csv"),
    ("variant_memory", "catalog/variant_memory.csv"),
    ("storage_classes", "catalog/storage_classes.csv"),
    ("pcie_links", "catalog/pcie_links.csv"),
    ("hardware_refs", "catalog/hardware_refs.csv"),
    ("reported", "reported/claims.csv"),
    ("reported_runs", "reported/runs/runs.csv"),
    ("runs", f"benches/{BENCH}/runs.csv"),
    ("probes", f"benches/{BENCH}/probes.csv"),
    ("telemetry", f"benches/{BENCH}/telemetry.csv"),
    ("bench", f"benches/{BENCH}/bench.json"),
]
CSV_KINDS = [(kind, path) for kind, path in KINDS if path.endswith(".csv")]
JSON_KINDS = [(kind, path) for kind, path in KINDS if path.endswith(".json")]

# Hypothesis examples per kind: enough to hit every mutation, few enough for a 2-core CI box
# (MUTATION_EXAMPLES=500 for a deeper search by hand).
EXAMPLES = int(os.environ.get("MUTATION_EXAMPLES", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # nothing written into the repository; a failure prints its example
)

INVALID = "invalid"  # exit 1, the mutated file named (at `line:column` when given)
VALID = "valid"  # exit 0
NAMED = "named"  # exit 0, or exit 1 with the mutated file named
ANY = "any"  # exit 0 or 1 (the problem may be reported in another file, e.g. an unknown GPU)

PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<row>\d+|-):(?P<column>[^:]*): \S")
SPECIAL = ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\n", "\r\n", "\r", '"', ",", "\ufeff"]
WORDS = ["abc", "NA", "None", "null", "-", "?", "1,5", "１２", "0x1F", "12abc", "1 2", "true"]
NOT_FINITE = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999"]


@dataclass
class Mutation:
    text: str  # the whole mutated file
    expect: str
    name: str
    line: int | None = None  # where the problem must be reported (with column)
    column: str | None = None
    cell: tuple[int, str] | None = None  # (row, value): must read back as this exact cell


def run_validate(root: Path) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    return result.exit_code, result.stdout.splitlines(), output


def assert_answer(root: Path, rel: str, mutation: Mutation) -> None:
    code, lines, output = run_validate(root)
    shown = f"{mutation.name}: exit {code}\n{output}"
    assert code in (0, 1), shown
    path = str(root / rel)
    if code == 1:
        problems = [line for line in lines if not line.startswith("valid:")]
        assert problems, shown
        for line in problems:
            assert PROBLEM_LINE.match(line), f"not file:row:column: {line!r}\n{shown}"
        named = [line for line in problems if line.startswith(path + ":")]
        if mutation.expect in (INVALID, NAMED):
            assert named, f"{rel} not named\n{shown}"
        if mutation.expect == INVALID and mutation.line is not None:
            where = f"{path}:{mutation.line}:{mutation.column or '-'}: "
            assert any(line.startswith(where) for line in named), f"no {where}\n{shown}"
    if mutation.expect == INVALID:
        assert code == 1, shown
    if mutation.expect == VALID:
        assert code == 0, shown
    # a cell holding line breaks, U+2028, U+0085 or a form feed is still one cell
    assert "cells, the header has" not in output or mutation.name.startswith(
        ("cell count", "truncate")
    ), shown
    if mutation.cell is not None:
        row, value = mutation.cell
        raw = read_raw(root / rel, 2**30)
        assert raw.rows[row][raw.header.index(mutation.column)] == value, shown


# -- CSV mutations ---------------------------------------------------------------------------


def bad_word_expectation(column: Column, value: str) -> str:
    if column.numeric:
        return INVALID
    if column.kind == "enum":
        return INVALID if value not in column.allowed else ANY
    if column.kind == "text":
        return ANY
    return INVALID  # date, datetime, url, sha256: a pattern no word matches


@st.composite
def csv_mutation(draw, table: Table, text: str) -> Mutation:
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    columns = table.columns
    line = 2 + draw(st.integers(0, len(rows) - 1))  # every valid tree row is one line
    row = rows[line - 2]
    column = draw(st.sampled_from(columns))
    i = header.index(column.name)
    kind = draw(
        st.sampled_from(
            [
                "none",
                "word",
                "not finite",
                "negative",
                "blank",
                "long",
                "special",
                "drop column",
                "extra column",
                "duplicate column",
                "duplicate row",
                "cell count",
                "truncate",
            ]
        )
    )
    expect, where, cell = VALID, None, None
    if kind == "word":
        row[i] = draw(st.sampled_from(WORDS))
        expect, where = bad_word_expectation(column, row[i]), column.name
    elif kind == "not finite":
        row[i] = draw(st.sampled_from(NOT_FINITE))
        expect = INVALID if column.numeric else bad_word_expectation(column, row[i])
        where = column.name
    elif kind == "negative":
        row[i] = draw(st.sampled_from(["-1", "-0.5", "-1e6"]))
        bounded = column.positive or column.minimum is not None or column.kind == "int"
        if column.numeric:
            expect = INVALID if bounded else NAMED
        else:
            expect = bad_word_expectation(column, row[i])
        where = column.name
    elif kind == "blank":
        row[i] = ""
        expect, where = (INVALID if column.required else ANY), column.name
    elif kind == "long":
        row[i] = draw(st.sampled_from(["x", "9", "é"])) * draw(st.sampled_from([5000, 200_000]))
        expect = ANY if column.kind == "text" else INVALID
        where = column.name
    elif kind == "special":
        char = draw(st.sampled_from(SPECIAL))
        at = draw(st.integers(0, len(row[i])))
        row[i] = row[i][:at] + char + row[i][at:]
        expect, where = ANY, column.name
        cell = (line - 2, row[i])
    elif kind == "drop column":
        del header[i]
        for r in rows:
            del r[i]
        expect, line, where = INVALID, 1, column.name
    elif kind == "extra column":
        name = draw(st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True))
        name = name if name not in table.by_name else name + "_x"
        header.append(name)
        for r in rows:
            r.append(draw(st.sampled_from(["", "1", "x"])))
        expect, line, where = INVALID, 1, name
    elif kind == "duplicate column":
        header.append(header[i])
        for r in rows:
            r.append(r[i])
        expect, line, where = INVALID, 1, column.name
    elif kind == "duplicate row":
        rows.append(list(row))
        expect = NAMED  # merged where rows have an identity, else "appears twice"
    elif kind == "cell count":
        if draw(st.booleans()):
            row.append("")
        else:
            row.pop()
        expect, where = INVALID, None
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    if kind == "special" and any(c in row[i] for c in "\r\n"):
        # the csv writer quotes only for its own line terminator; a bare CR in an unquoted
        # cell is a line break to every CSV reader, so quote as a careful writer does
        quoting = csv.QUOTE_ALL
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    csv.writer(out, lineterminator=ending, quoting=quoting).writerows([header, *rows])
    result = out.getvalue() + draw(st.sampled_from(["", ending, ending * 3]))
    if kind == "truncate":
        result = result[: draw(st.integers(0, len(result) - 1))]
        expect = ANY
    if draw(st.booleans()):
        result = "\ufeff" + result
    return Mutation(result, expect, f"{kind} {column.name}", line, where, cell)


@pytest.mark.parametrize(("kind", "rel"), CSV_KINDS, ids=[k for k, _ in CSV_KINDS])
@SETTINGS
@given(data=st.data())
def test_mutated_csv_is_answered_in_lines(kind: str, rel: str, data: st.DataObject) -> None:
    table = TABLES[kind]
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "m", reported_runs=[REPORTED_RUN_ROW])
        path = root / rel
        mutation = data.draw(csv_mutation(table, path.read_text(encoding="utf-8")))
        path.write_bytes(mutation.text.encode("utf-8"))
        assert_answer(root, rel, mutation)


# -- JSON mutations --------------------------------------------------------------------------


def numeric_fields() -> list[tuple[object, ...]]:
    """Paths of every number bench.json declares (top level, host, first GPU)."""
    paths = []
    for prefix, model in (((), BenchMeta), (("host",), HostInfo), (("gpus", 0), BenchGpu)):
        for name, info in model.model_fields.items():
            types = typing.get_args(info.annotation) or (info.annotation,)
            if int in types or float in types:
                paths.append((*prefix, name))
    return paths


def put(meta: dict, path: tuple[object, ...], value: object) -> None:
    target = meta
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(key, str) else target[key]
    target[path[-1]] = value


def required_keys() -> list[str]:
    return [name for name, info in BenchMeta.model_fields.items() if info.is_required()]


@st.composite
def json_mutation(draw, text: str) -> Mutation:
    meta = json.loads(text)
    kind = draw(
        st.sampled_from(
            [
                "none",
                "not finite",
                "negative",
                "wrong type",
                "missing key",
                "extra key",
                "not an object",
                "truncate",
                "garbage",
            ]
        )
    )
    expect, body = VALID, None
    if kind == "not finite":
        put(meta, draw(st.sampled_from(numeric_fields())), "@NUMBER@")
        number = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"]))
        body = json.dumps(meta).replace('"@NUMBER@"', number)
        expect = INVALID
    elif kind == "negative":
        put(meta, draw(st.sampled_from(numeric_fields())), draw(st.sampled_from([-1, -0.5])))
        expect = INVALID
    elif kind == "wrong type":
        key = draw(st.sampled_from(["device", "weights", "created_at", "gpus", "host", "status"]))
        meta[key] = draw(st.sampled_from([5, [1], None, True]))
        expect = INVALID
    elif kind == "missing key":
        del meta[draw(st.sampled_from(required_keys()))]
        expect = INVALID
    elif kind == "extra key":
        meta[draw(st.from_regex(r"[a-z_]{1,10}", fullmatch=True)) + "_extra"] = "x"
        expect = VALID
    elif kind == "not an object":
        body = draw(st.sampled_from(["[]", "null", "3", '"text"', ""]))
        expect = INVALID
    elif kind == "garbage":
        body = draw(st.sampled_from(["{", "\x00\x01", "{'a': 1}", "<html>", "[" * 5000]))
        expect = INVALID
    if body is None:
        body = json.dumps(meta, indent=draw(st.sampled_from([None, 2])))
    if draw(st.booleans()):
        body = body.replace("\n", "\r\n")
    if kind == "truncate":
        body = body[: draw(st.integers(0, len(body) - 2))]
        expect = INVALID
    if draw(st.booleans()):
        body = "\ufeff" + body
    return Mutation(body, expect, kind)


@pytest.mark.parametrize(("kind", "rel"), JSON_KINDS, ids=[k for k, _ in JSON_KINDS])
@SETTINGS
@given(data=st.data())
def test_mutated_json_is_answered_in_lines(kind: str, rel: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "m", reported_runs=[REPORTED_RUN_ROW])
        path = root / rel
        mutation = data.draw(json_mutation(path.read_text(encoding="utf-8")))
        path.write_bytes(mutation.text.encode("utf-8"))
        assert_answer(root, rel, mutation)


def test_invalid_utf8_names_the_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", reported_runs=[REPORTED_RUN_ROW])
    for _, rel in KINDS:
        (root / rel).write_bytes((root / rel).read_bytes() + b"\xff\xfe broken\n")
    code, lines, _ = run_validate(root)
    assert code == 1
    for _, rel in KINDS:
        assert any(line.startswith(f"{root / rel}:") for line in lines), rel


# -- the real command, in its own process --------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "column", "value"),
    [
        ("catalog/gpus.csv", "sm_count", "abc"),
        (f"benches/{BENCH}/runs.csv", "total_s", "inf"),
    ],
)
def test_console_command_exits_1_with_lines_and_no_traceback(
    tmp_path: Path, rel: str, column: str, value: str
) -> None:
    root = write_tree(tmp_path / "m", reported_runs=[REPORTED_RUN_ROW])
    path = root / rel
    header, *rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    rows[0][header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue())
    proc = subprocess.run(
        [sys.executable, "-c", "from guide_builder.cli import main; main()", "validate", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.startswith(f"{path}:2:{column}: "), proc.stdout
