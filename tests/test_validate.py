"""`guide-builder validate`: every kind of bad input gives its exact error line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from datatree import BENCH, GPU_ROW, REPORTED_ROW, RUN_ROW, bench_json, csv_text, write_tree

from guide_builder.cli import cli
from guide_builder.dataset import DataError, load_dataset
from guide_builder.schema import GPUS, REPORTED, RUNS

RUNS_CSV = f"m/benches/{BENCH}/runs.csv"


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_tree(Path("m"))


def validate(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", *args])
    return result.exit_code, result.stdout.splitlines()


def write_runs(tree: Path, rows: list[dict], header: list[str] | None = None) -> None:
    (tree / "benches" / BENCH / "runs.csv").write_text(csv_text(RUNS, rows, header))


def test_valid_tree_passes(tree: Path) -> None:
    code, out = validate("m")
    assert code == 0
    assert out[-1].startswith("valid: 1 bench(es), 1 run rows")


def test_missing_column(tree: Path) -> None:
    write_runs(tree, [RUN_ROW], [c for c in RUNS.names if c != "workload"])
    code, out = validate("m")
    assert code == 1
    assert out == [
        f"{RUNS_CSV}:1:workload: missing column (write it with empty cells when there is no value)"
    ]


def test_unknown_column_suggests_the_closest(tree: Path) -> None:
    write_runs(tree, [RUN_ROW], [*RUNS.names, "totl_s"])
    code, out = validate("m")
    assert code == 1
    assert out == [f"{RUNS_CSV}:1:totl_s: unknown column for a runs file; did you mean 'total_s'?"]


def test_duplicated_header(tree: Path) -> None:
    header = [*RUNS.names, "total_s"]
    write_runs(tree, [RUN_ROW], header)
    code, out = validate("m")
    position = RUNS.names.index("total_s") + 1
    assert code == 1
    assert out == [f"{RUNS_CSV}:1:total_s: duplicated column (also column {position})"]


def test_utf8_bom_is_accepted(tree: Path) -> None:
    path = tree / "benches" / BENCH / "runs.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    gpus = tree / "catalog" / "gpus.csv"
    gpus.write_bytes(b"\xef\xbb\xbf" + gpus.read_bytes())
    assert validate("m")[0] == 0
    assert load_dataset(tree).runs.loc[0, "bench_id"] == BENCH


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("total_s", "fast", "expected a number, got 'fast'"),
        (
            "total_s",
            "NA",
            "text 'NA' where a number belongs (leave the cell empty when the value is missing)",
        ),
        (
            "total_s",
            "None",
            "text 'None' where a number belongs (leave the cell empty when the value is missing)",
        ),
        ("total_s", "inf", "infinite value inf"),
        ("total_s", "-inf", "infinite value -inf"),
        ("total_s", "0", "must be greater than 0, got 0"),
        ("peak_allocated_gib", "-1.5", "must be at least 0, got -1.5"),
        ("width", "0", "must be greater than 0, got 0"),
        ("steps", "8.5", "expected a whole number, got 8.5"),
        ("run_index", "nan", "NaN is not a value (leave the cell empty when missing)"),
        ("run_index", "", "required value is empty"),
        ("status", "fine", "'fine' is not one of ok|oom|error"),
        (
            "started_at",
            "yesterday",
            "expected an ISO 8601 time such as 2026-11-28T16:37:02Z, got 'yesterday'",
        ),
        ("image_sha256", "abc", "expected 64 lower-case hex digits, got 'abc'"),
    ],
)
def test_bad_cell(tree: Path, column: str, value: str, message: str) -> None:
    write_runs(tree, [{**RUN_ROW, column: value}])
    code, out = validate("m")
    assert code == 1
    assert out == [f"{RUNS_CSV}:2:{column}: {message}"]


def test_ok_run_needs_a_time(tree: Path) -> None:
    write_runs(tree, [{**RUN_ROW, "total_s": ""}])
    assert validate("m") == (1, [f"{RUNS_CSV}:2:total_s: a run with status ok needs total_s"])


def test_missing_words_stay_text(tree: Path) -> None:
    """NA, None and null in a text column are text, never turned into missing values."""
    write_runs(
        tree,
        [
            {**RUN_ROW, "attention_backend": "NA"},
            {**RUN_ROW, "run_index": "1", "attention_backend": "None"},
            {**RUN_ROW, "run_index": "2", "attention_backend": "null"},
        ],
    )
    assert validate("m")[0] == 0
    runs = load_dataset(tree).runs
    assert list(runs["attention_backend"]) == ["NA", "None", "null"]
    assert runs["gpu_temp_max_c"].isna().all()  # empty cells are the missing values


def test_unknown_gpu_suggests_and_says_how_to_add(tree: Path) -> None:
    write_runs(tree, [{**RUN_ROW, "gpu_name": "RTX 4090X"}])
    code, out = validate("m")
    assert code == 1
    assert out == [
        f"{RUNS_CSV}:2:gpu_name: unknown GPU 'RTX 4090X': did you mean 'RTX 4090'? add the card to "
        "catalog/gpus.csv with its sources, or add this name to an existing card's aliases"
    ]


def test_nvml_names_resolve_through_aliases(tree: Path) -> None:
    write_runs(tree, [{**RUN_ROW, "gpu_name": "", "gpu_name_nvml": "NVIDIA GeForce RTX 4090"}])
    assert validate("m")[0] == 0
    assert load_dataset(tree).runs.loc[0, "gpu_name"] == "RTX 4090"


def test_cpu_bench_needs_no_catalogue_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cpu_run = {
        **RUN_ROW,
        "device": "cpu",
        "weights": "tiny",
        "gpu_index": "",
        "gpu_uuid": "",
        "gpu_name": "",
        "gpu_name_nvml": "",
    }
    bench = Path("out") / BENCH
    bench.mkdir(parents=True)
    (bench / "bench.json").write_text(json.dumps(bench_json(device="cpu", weights="tiny", gpus=[])))
    (bench / "runs.csv").write_text(csv_text(RUNS, [cpu_run]))
    code, out = validate("out")
    assert code == 0, out


def test_file_over_the_cap_is_refused_before_parsing(tree: Path) -> None:
    path = tree / "benches" / BENCH / "telemetry.csv"
    path.write_text(path.read_text() + "x" * 300_000)  # garbage that parsing would choke on
    code, out = validate("m", "--max-file-mib", "0.25")
    assert code == 1
    assert out == [
        f"m/benches/{BENCH}/telemetry.csv:-:-: file is 0.3 MiB, over the 0 MiB cap; refused before parsing"
    ]


def test_metadata_contradicting_rows(tree: Path) -> None:
    (tree / "benches" / BENCH / "bench.json").write_text(json.dumps(bench_json(weights="real")))
    write_runs(tree, [{**RUN_ROW, "gpu_uuid": "GPU-other"}])
    code, out = validate("m")
    assert code == 1
    assert out == [
        f"{RUNS_CSV}:2:weights: 'synthetic' contradicts bench.json (weights 'real')",
        f"{RUNS_CSV}:2:gpu_uuid: 'GPU-other' is not one of bench.json's GPUs",
    ]


def test_bench_id_must_match_its_folder(tree: Path) -> None:
    (tree / "benches" / BENCH / "bench.json").write_text(json.dumps(bench_json(bench_id="other")))
    code, out = validate("m")
    assert code == 1
    assert (
        f"m/benches/{BENCH}/bench.json:-:bench_id: 'other' contradicts the folder name '{BENCH}'"
        in out
    )


def test_bad_bench_json_names_the_field(tree: Path) -> None:
    (tree / "benches" / BENCH / "bench.json").write_text(json.dumps(bench_json(device="tpu")))
    code, out = validate("m")
    assert code == 1
    assert out == [f"m/benches/{BENCH}/bench.json:-:device: Input should be 'cuda' or 'cpu'"]


def test_catalogue_computed_values_must_recompute(tree: Path) -> None:
    write_tree(tree, gpus=[{**GPU_ROW, "fp16_acc16_tflops": "400"}])
    code, out = validate("m")
    assert code == 1
    assert out == [
        "m/catalog/gpus.csv:2:fp16_acc16_tflops: computed value 400 does not match "
        "SMs x clock x rate = 330.3"
    ]


def test_reported_claims_resolve_their_gpu(tree: Path) -> None:
    write_tree(tree, reported=[{**REPORTED_ROW, "gpu": "RTX 9999"}])
    code, out = validate("m")
    assert code == 1
    assert out[0].startswith("m/reported/claims.csv:2:gpu: unknown GPU 'RTX 9999'")


def test_every_problem_is_reported_at_once(tree: Path) -> None:
    rows = [
        {**RUN_ROW, "total_s": "fast", "width": "0"},
        {**RUN_ROW, "run_index": "1", "status": "fine", "gpu_name": "RTX 4090X"},
        {**RUN_ROW, "run_index": "2", "peak_allocated_gib": "-1", "seed": "NA"},
    ]
    write_runs(tree, rows)
    (tree / "reported" / "claims.csv").write_text(
        csv_text(REPORTED, [{**REPORTED_ROW, "value": "inf"}])
    )
    code, out = validate("m")
    assert code == 1
    assert sorted(out) == sorted(
        [
            f"{RUNS_CSV}:2:total_s: expected a number, got 'fast'",
            f"{RUNS_CSV}:2:width: must be greater than 0, got 0",
            f"{RUNS_CSV}:3:status: 'fine' is not one of ok|oom|error",
            f"{RUNS_CSV}:3:gpu_name: unknown GPU 'RTX 4090X': did you mean 'RTX 4090'? add the card to "
            "catalog/gpus.csv with its sources, or add this name to an existing card's aliases",
            f"{RUNS_CSV}:4:peak_allocated_gib: must be at least 0, got -1",
            f"{RUNS_CSV}:4:seed: text 'NA' where a number belongs (leave the cell empty when the value is missing)",
            "m/reported/claims.csv:2:value: infinite value inf",
        ]
    )


def test_row_with_wrong_cell_count(tree: Path) -> None:
    path = tree / "benches" / BENCH / "runs.csv"
    path.write_text(path.read_text() + "bench-a,1,0\n")
    code, out = validate("m")
    assert code == 1
    assert out == [f"{RUNS_CSV}:3:-: row has 3 cells, the header has {len(RUNS.names)}"]


def test_truncated_last_line_is_tolerated_and_said(tree: Path) -> None:
    """An interrupted writer leaves half a line: it is skipped with a warning, never silently."""
    path = tree / "benches" / BENCH / "runs.csv"
    path.write_text(path.read_text() + "bench-a,1,0,GPU-")
    result = CliRunner().invoke(cli, ["validate", "m"])
    assert result.exit_code == 0
    assert (
        f"warning: {RUNS_CSV}:3: unterminated last line skipped (an interrupted write)"
        in result.stderr
    )


def test_merging_benches_deduplicates_identical_rows(tree: Path, tmp_path: Path) -> None:
    copy = Path("copy")
    write_tree(copy)
    dataset = load_dataset(tree, copy)
    assert len(dataset.runs) == 1
    assert dataset.duplicates_dropped == 3  # one run, one probe, one telemetry row
    code, out = validate("m", "copy")
    assert code == 0
    assert out[-1].endswith("; 3 duplicated rows merged")


def test_same_identity_different_content_is_an_error(tree: Path) -> None:
    write_runs(tree, [RUN_ROW, {**RUN_ROW, "total_s": "4.0"}])
    code, out = validate("m")
    assert code == 1
    assert out == [
        f"{RUNS_CSV}:3:run_index: same bench_id/run_index as line 2 with different content"
    ]


def test_load_dataset_raises_with_every_problem(tree: Path) -> None:
    write_runs(tree, [{**RUN_ROW, "total_s": "fast", "width": "0"}])
    with pytest.raises(DataError) as info:
        load_dataset(tree)
    assert len(info.value.problems) == 2


def test_missing_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert validate("nowhere") == (1, ["nowhere:-:-: no such folder"])


def test_help_explains_itself() -> None:
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0
    assert "file:row:column" in result.stdout
    assert "--max-file-mib" in result.stdout


# -- rules that used to live only in tests, and input that used to end in a traceback ------

GPUS_CSV = "m/catalog/gpus.csv"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"sm_count": "abc"},
            [
                f"{GPUS_CSV}:2:sm_count: expected a number, got 'abc'",
                f"{GPUS_CSV}:2:fp16_acc16_tflops: a computed value needs sm_count (SMs x clock x rate)",
            ],
        ),
        (
            {"sm_count": "inf"},
            [
                f"{GPUS_CSV}:2:sm_count: infinite value inf",
                f"{GPUS_CSV}:2:fp16_acc16_tflops: a computed value needs sm_count (SMs x clock x rate)",
            ],
        ),
        (
            {"sm_count": ""},
            [
                f"{GPUS_CSV}:2:sm_count: required value is empty",
                f"{GPUS_CSV}:2:fp16_acc16_tflops: a computed value needs sm_count (SMs x clock x rate)",
            ],
        ),
        (
            {"boost_clock_mhz": ""},
            [
                f"{GPUS_CSV}:2:fp16_acc16_tflops: a computed value needs boost_clock_mhz "
                "(SMs x clock x rate)"
            ],
        ),
        (
            {"boost_clock_mhz": "nan", "sm_count": "NA"},
            [
                f"{GPUS_CSV}:2:sm_count: text 'NA' where a number belongs (leave the cell empty "
                "when the value is missing)",
                f"{GPUS_CSV}:2:boost_clock_mhz: NaN is not a value (leave the cell empty when missing)",
                f"{GPUS_CSV}:2:fp16_acc16_tflops: a computed value needs sm_count and "
                "boost_clock_mhz (SMs x clock x rate)",
            ],
        ),
        (
            {"bf16_tflops_basis": ""},
            [f"{GPUS_CSV}:2:bf16_tflops_basis: a TFLOPS value needs its basis"],
        ),
        (
            {"fp8_tflops_basis": "datasheet"},
            [f"{GPUS_CSV}:2:fp8_tflops: basis 'datasheet' is given but the value is empty"],
        ),
        ({"bf16_tflops": "x"}, [f"{GPUS_CSV}:2:bf16_tflops: expected a number, got 'x'"]),
    ],
)
def test_catalogue_figures_need_their_basis_and_inputs(
    tree: Path, changes: dict[str, str], expected: list[str]
) -> None:
    write_tree(tree, gpus=[{**GPU_ROW, **changes}])
    code, out = validate("m")
    assert code == 1
    assert sorted(out) == sorted(expected)


def test_duplicated_catalogue_column_is_a_line(tree: Path) -> None:
    header = [*GPUS.names, "sm_count"]
    (tree / "catalog" / "gpus.csv").write_text(
        csv_text(GPUS, [{**GPU_ROW, "sm_count": "abc"}], header)
    )
    code, out = validate("m")
    assert code == 1
    position = GPUS.names.index("sm_count") + 1
    assert f"{GPUS_CSV}:1:sm_count: duplicated column (also column {position})" in out


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\r\n"])
def test_line_breaks_inside_a_cell_stay_in_the_cell(tree: Path, char: str) -> None:
    """csv's own record handling: no character inside a quoted cell splits the record."""
    note = f"first{char}second"
    rows = [{**REPORTED_ROW, "note": note}, {**REPORTED_ROW, "value": "fast"}]
    (tree / "reported" / "claims.csv").write_text(csv_text(REPORTED, rows), newline="")
    code, out = validate("m")
    escaped = note.encode("unicode_escape").decode()
    assert "\\" in escaped
    # the record after a cell holding a line break starts on the next line of the file
    line = 3 + ("\n" in char)
    assert (code, out) == (
        1,
        [f"m/reported/claims.csv:{line}:value: expected a number, got 'fast'"],
    )
    (tree / "reported" / "claims.csv").write_text(csv_text(REPORTED, rows[:1]), newline="")
    assert validate("m")[0] == 0
    assert load_dataset(tree).reported.loc[0, "note"] == note


def test_a_problem_is_one_line_however_odd_the_value(tree: Path) -> None:
    write_runs(tree, [{**RUN_ROW, "status": "o\u2028k\nx", "total_s": "9" * 5 + "x" * 100}])
    code, out = validate("m")
    assert code == 1
    assert out == [
        f"{RUNS_CSV}:2:status: 'o\\u2028k\\nx' is not one of ok|oom|error",
        f"{RUNS_CSV}:2:total_s: expected a number, got '99999{'x' * 55}…' (105 characters)",
    ]


def test_a_cell_longer_than_csvs_default_limit_is_read(tree: Path) -> None:
    note = "n" * 300_000  # csv refuses cells over 128 KiB unless told otherwise
    write_tree(tree, reported=[{**REPORTED_ROW, "note": note}])
    assert validate("m")[0] == 0
    assert load_dataset(tree).reported.loc[0, "note"] == note


def test_whole_numbers_beyond_float_precision_are_refused(tree: Path) -> None:
    write_runs(tree, [{**RUN_ROW, "seed": "99999999999999999999999"}])
    assert validate("m") == (
        1,
        [f"{RUNS_CSV}:2:seed: too large for a whole number, got 1e+23"],
    )


def test_header_cell_without_a_name(tree: Path) -> None:
    write_runs(tree, [RUN_ROW], [*RUNS.names, ""])
    code, out = validate("m")
    assert code == 1
    assert out == [
        f"{RUNS_CSV}:1:-: column {len(RUNS.names) + 1} has no name (a stray comma in the header?)"
    ]


@pytest.mark.parametrize(
    ("host", "where", "value"),
    [
        ('"ram_gib": NaN', "host.ram_gib", "nan"),
        ('"ram_gib": -Infinity', "host.ram_gib", "-inf"),
        ('"cpu_count": -4', "host.cpu_count", "-4"),
    ],
)
def test_bench_json_numbers_are_finite_and_not_negative(
    tree: Path, host: str, where: str, value: str
) -> None:
    text = json.dumps(bench_json(host={"cpu": "x"})).replace('"cpu": "x"', host)
    (tree / "benches" / BENCH / "bench.json").write_text(text)
    code, out = validate("m")
    assert code == 1
    assert out == [f"m/benches/{BENCH}/bench.json:-:{where}: {value} is not a finite number >= 0"]


def test_bench_json_with_a_bom_is_read(tree: Path) -> None:
    path = tree / "benches" / BENCH / "bench.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate("m")[0] == 0


def test_required_cell_of_white_space_is_blank(tree: Path) -> None:
    write_tree(tree, gpus=[{**GPU_ROW, "vendor": " \u2028"}])
    assert validate("m") == (1, [f"{GPUS_CSV}:2:vendor: required value is only white space"])
