"""Helpers for the measure tests: run the real CLI in a subprocess, read what it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAULTS = Path(__file__).with_name("faults.py")
# short runs: 1 warm-up, 2 timed images, no minimum duration
FAST = [
    "--device",
    "cpu",
    "--weights",
    "tiny",
    "--warmup",
    "1",
    "--min-iterations",
    "2",
    "--min-seconds",
    "0",
]


def cli_args(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("guide-builder")
    head = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from guide_builder.cli import main; main()"]
    )
    return head + list(args)


def measure(
    out: Path, *args: str, bench_id: str = "b", timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        cli_args("measure", "--out", str(out), "--bench-id", bench_id, *args),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def rows(folder: Path, name: str = "runs.csv") -> list[dict[str, str]]:
    from guide_builder.measure.output import read_rows

    return read_rows(folder / name)


def bench_json(folder: Path) -> dict:
    return json.loads((folder / "bench.json").read_text())


def problems(folder: Path) -> list:
    validate = pytest.importorskip("guide_builder.validate")
    return validate.check_paths([folder])
