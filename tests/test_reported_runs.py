"""Reported runs (reported/runs/*.csv): loaded, resolved and validated like every other file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from datatree import csv_text, write_tree

from guide_builder.cli import cli
from guide_builder.dataset import check, load_dataset
from guide_builder.reported_runs import looks_nvidia
from guide_builder.schema import REPORTED_RUNS

RUNS_CSV = "m/reported/runs/issues.csv"

ROW = {
    "source": "Z-Image issue 42: timings on a 4090",
    "source_url": "https://github.com/Tongyi-MAI/Z-Image/issues/42",
    "date": "2025-12-01",
    "gpu": "NVIDIA GeForce RTX 4090",
    "gpu_count": "1",
    "resolution": "1024x1024",
    "dit_forwards": "8",
    "forwards_basis": "num_inference_steps=9 in diffusers",
    "precision": "bf16",
    "toolchain": "diffusers",
    "compile": "no",
    "offload": "none",
    "seconds_per_image": "4.9",
    "time_covers": "pipeline",
    "grade": "A",
    "quote": "4.9s/it on 4090",
}


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_tree(Path("m"))


def write(tree: Path, rows: list[dict]) -> None:
    (tree / "reported" / "runs").mkdir(parents=True, exist_ok=True)
    (tree / "reported" / "runs" / "issues.csv").write_text(csv_text(REPORTED_RUNS, rows))


def validate() -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", "m"])
    return result.exit_code, result.stdout.splitlines()


def test_a_valid_run_loads_with_its_canonical_name(tree: Path) -> None:
    write(tree, [ROW])
    code, out = validate()
    assert code == 0, out
    assert out[-1].endswith("1 reported runs")
    runs = load_dataset("m").reported_runs
    assert list(runs["gpu_name"]) == ["RTX 4090"]
    assert runs.loc[0, "seconds_per_image"] == 4.9 and runs.loc[0, "dit_forwards"] == 8


@pytest.mark.parametrize("column", ["source_url", "quote", "grade", "date"])
def test_a_row_without_url_quote_grade_or_date_is_rejected(tree: Path, column: str) -> None:
    write(tree, [ROW, ROW | {column: ""}])
    code, out = validate()
    assert code == 1
    assert out == [f"{RUNS_CSV}:3:{column}: required value is empty"]


def test_cross_cell_rules(tree: Path) -> None:
    write(
        tree,
        [
            ROW | {"seconds_per_image": "", "seconds_per_forward": ""},
            ROW | {"resolution": "1024 x 1024"},
            ROW | {"gpu_count": "0"},
            ROW | {"grade": "D", "source_url": "github.com/x"},
        ],
    )
    code, out = validate()
    assert code == 1
    assert out == [
        f"{RUNS_CSV}:5:source_url: expected an http(s) URL, got 'github.com/x'",
        f"{RUNS_CSV}:4:gpu_count: must be greater than 0, got 0",
        f"{RUNS_CSV}:5:grade: 'D' is not one of A|B|C",
        f"{RUNS_CSV}:2:seconds_per_image: a run needs seconds_per_image or seconds_per_forward "
        "(what the source states)",
        f"{RUNS_CSV}:3:resolution: expected WIDTHxHEIGHT, got '1024 x 1024'",
    ]


def test_unknown_cards_nvidia_evidence_is_an_error_the_rest_a_warning(tree: Path) -> None:
    write(
        tree,
        [
            ROW | {"gpu": "RTX 4070 Ti"},  # grade A NVIDIA: must be catalogued
            ROW | {"gpu": "RTX 4070 Ti", "grade": "C"},
            ROW | {"gpu": "Apple M4 Max (Mac Studio)"},
            ROW | {"gpu": "AMD Radeon RX 7900 XTX", "grade": "B"},
        ],
    )
    dataset, problems = check("m")
    assert [str(p) for p in problems] == [
        f"{RUNS_CSV}:2:gpu: unknown GPU 'RTX 4070 Ti' (did you mean 'RTX 4090'?): a grade A NVIDIA run is evidence, so add "
        "the card to catalog/gpus.csv with its sources or add this name to an existing card's "
        "aliases"
    ]
    assert [w for w in dataset.warnings if ":gpu:" in w] == [
        f"{RUNS_CSV}:3:gpu: 'RTX 4070 Ti' is not in the catalogue: shown, kept out of the fit",
        f"{RUNS_CSV}:4:gpu: 'Apple M4 Max (Mac Studio)' is not in the catalogue: shown, kept "
        "out of the fit",
        f"{RUNS_CSV}:5:gpu: 'AMD Radeon RX 7900 XTX' is not in the catalogue: shown, kept out "
        "of the fit",
    ]
    assert list(dataset.reported_runs["gpu_name"]) == ["", "", "", ""]


@pytest.mark.parametrize(
    "name, nvidia",
    [
        ("H100", True),
        ("L20", True),
        ("NVIDIA GB10 (DGX Spark)", True),
        ("RTX 2070 Super", True),
        ("Tesla T4", True),
        ("A100 80GB", True),
        ("Apple M2 Ultra", False),
        ("AMD Ryzen AI Max (gfx1151, Strix Halo iGPU)", False),
        ("Intel Arc A770", False),
        ("Radeon RX 7900 XTX", False),
    ],
)
def test_nvidia_names_outside_the_catalogue(name: str, nvidia: bool) -> None:
    assert looks_nvidia(name) is nvidia


def test_the_shipped_corpus_has_sources_and_quotes() -> None:
    root = Path(__file__).resolve().parents[1] / "measurements"
    files = sorted((root / "reported" / "runs").glob("*.csv"))
    if not files:
        pytest.skip("no reported runs shipped yet")
    dataset, problems = check(root)
    run_problems = [p for p in problems if "/reported/runs/" in p.file]
    assert run_problems == []
    runs = dataset.reported_runs
    assert (runs["source_url"].str.startswith("http")).all() and (runs["quote"] != "").all()
