"""The parent's pieces without a worker: discovery, CLI checks, resume bookkeeping, summary, files."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from measure_helpers import REPO
from test_measure_nvml import fake_nvml

from guide_builder.measure import bench, discovery, summary
from guide_builder.measure.command import measure_command
from guide_builder.measure.config import MeasureConfig
from guide_builder.measure.nvml import Nvml
from guide_builder.measure.output import RowAppender, read_rows
from guide_builder.schema import PROBES_TABLE


def test_discovery_names_gpus_by_nvml_index_uuid_and_catalogue_name(monkeypatch):
    monkeypatch.chdir(REPO)  # the catalogue is read from measurements/catalog
    (target,) = discovery.discover(MeasureConfig(device="cuda", gpus="0"), Nvml(fake_nvml(set())))
    assert (target.kind, target.index, target.uuid) == ("cuda", 0, "GPU-1234")
    assert target.name_nvml == "NVIDIA GeForce RTX 4090" and target.name == "RTX 4090"
    assert target.info["power_limit_w"] == 450.0 and target.info["name"] == "RTX 4090"


def test_no_gpu_and_missing_gpu_are_clear_errors():
    class Missing:
        def nvmlInit(self):
            raise OSError("libnvidia-ml.so.1: cannot open shared object file")

    with pytest.raises(discovery.NoDevice, match="--device cpu --weights tiny"):
        discovery.discover(MeasureConfig(device="cuda"), Nvml(Missing()))
    with pytest.raises(discovery.NoDevice, match="NVML sees GPUs 0..0"):
        discovery.discover(MeasureConfig(device="cuda", gpus="0,2"), Nvml(fake_nvml(set())))


def test_parse_gpus():
    assert discovery.parse_gpus("all") is None
    assert discovery.parse_gpus("0, 2") == [0, 2]
    for bad in ("", "x", "-1"):
        with pytest.raises(ValueError):
            discovery.parse_gpus(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpus", "first"], "use 'all' or NVML indices"),
        (["--memory-caps", "16,-3"], "must be positive"),
        (["--memory-caps", "lots"], "neither a number"),
        (["--device", "cpu", "--memory-caps", "16"], "need --device cuda"),
        (["--device", "cpu", "--weights", "synthetic"], "tiny weights only"),
        (["--device", "cpu", "--workloads", "nope"], "unknown workload 'nope'"),
        (["--device", "cpu", "--variants", "model_offload"], "needs cuda"),
        (["--resume"], "needs the --bench-id"),
        (["--min-iterations", "0"], "0"),
    ],
)
def test_bad_values_are_bad_parameters(args, message, tmp_path):
    res = CliRunner().invoke(measure_command, [*args, "--out", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert message in res.output


def test_every_option_has_help():
    assert all(p.help for p in measure_command.params if p.name != "help")


def test_parent_and_cli_never_import_torch():
    code = (
        "import sys; import guide_builder.cli; from guide_builder.measure import runner, command;"
        "from guide_builder.measure.config import MeasureConfig;"
        "runner.resolve_defaults(MeasureConfig(device='cpu'));"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


def test_resume_bookkeeping_counts_rows_per_configuration_and_phase():
    rows = [
        {
            "device": "cpu",
            "gpu_uuid": "",
            "workload": "w",
            "variant": "plain",
            "memory_cap_gib": "",
            "phase": "timed",
            "total_s": "0.5",
        },
        {
            "device": "cpu",
            "gpu_uuid": "",
            "workload": "w",
            "variant": "plain",
            "memory_cap_gib": "",
            "phase": "timed",
            "total_s": "0.25",
        },
        {
            "device": "cuda",
            "gpu_uuid": "GPU-1",
            "workload": "w",
            "variant": "plain",
            "memory_cap_gib": "16",
            "phase": "first",
            "total_s": "",
        },
    ]
    done = bench._done_counts(rows)
    assert done["cpu|w|plain|"]["timed"] == [2, 0.75]
    assert done["GPU-1|w|plain|16"]["first"] == [1, 0.0]


def test_appender_cuts_a_half_written_last_row(tmp_path):
    path = tmp_path / "probes.csv"
    out = RowAppender(path, PROBES_TABLE)
    out.append(
        {
            "bench_id": "b",
            "device": "cpu",
            "probe": "bf16_matmul",
            "value": 1.5,
            "unit": "tflops",
            "status": "ok",
        }
    )
    out.close()
    with path.open("a") as fh:
        fh.write("b,,,,cpu,memory_band")  # a writer killed mid-row
    assert len(read_rows(path)) == 1
    out = RowAppender(path, PROBES_TABLE)
    out.append(
        {
            "bench_id": "b",
            "device": "cpu",
            "probe": "idle_power",
            "unit": "w",
            "status": "unsupported",
        }
    )
    out.close()
    got = read_rows(path)
    assert [r["probe"] for r in got] == ["bf16_matmul", "idle_power"]
    assert got[1]["value"] == "" and got[0]["value"] == "1.5"
    with pytest.raises(KeyError, match="unknown columns"):
        RowAppender(path, PROBES_TABLE).append({"bench_id": "b", "typo": 1})


def test_spread_and_warning():
    s = summary.spread([1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0])
    assert s.n == 8 and s.median == 1.5 and s.iqr == 1.0 and s.p90 == pytest.approx(2.0)
    row = {
        "device": "cpu",
        "gpu_index": "",
        "gpu_name": "",
        "workload": "w",
        "variant": "plain",
        "memory_cap_gib": "",
        "phase": "timed",
        "status": "ok",
        "error": "",
        "peak_allocated_gib": "",
        "image_sha256": "a" * 64,
    }
    rows = [dict(row, total_s=str(t)) for t in (1.0, 1.2, 1.5, 2.0)]
    text = summary.render(rows)
    assert "WARNING cpu w plain: IQR is" in text and "1.350" in text


def _hung_but_sampling(job, conn):
    """A worker whose main thread is stuck while its telemetry thread still streams (as on a GPU)."""
    import time

    conn.send(("env", {}))
    conn.send(("begin", {"key": "k", "phase": "first"}))
    for _ in range(400):  # 20 s at most: the test fails instead of hanging when unnoticed
        conn.send(("telemetry", {"gpu_index": 0}))
        time.sleep(0.05)


def test_telemetry_is_not_progress_a_hang_is_still_caught(monkeypatch):
    import multiprocessing
    import time
    import types

    from guide_builder.measure import runner

    monkeypatch.setattr(runner.worker, "main", _hung_but_sampling)
    r = runner.Runner(MeasureConfig(worker_timeout_s=1.0))
    r.ctx = multiprocessing.get_context("fork")  # the child keeps the patched entry point
    fake_bench = types.SimpleNamespace(telemetry=[], meta={}, save=lambda: None)
    progress = types.SimpleNamespace(set_postfix_str=lambda *a, **k: None, update=lambda n: None)
    start = time.monotonic()
    outcome = r._run_worker(fake_bench, {}, progress)
    assert outcome is not None and "hung" in outcome[1] and outcome[0] == "k"
    assert time.monotonic() - start < 10 and fake_bench.telemetry


def _saved_bench(tmp_path, **config):
    import json

    cfg = MeasureConfig(device="cpu", weights="tiny", workloads=["zimage-turbo-1024"])
    cfg.variants, cfg.warmup = ["plain"], 1
    for k, v in config.items():
        setattr(cfg, k, v)
    meta = {
        "bench_id": "b",
        "created_at": "2026-12-01T00:00:00+00:00",
        "device": "cpu",
        "weights": "tiny",
        "config": cfg.to_dict(),
    }
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "bench.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder / "bench.json"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], "not valid JSON"),
        (lambda text: text.replace('"config"', '"cfg"'), "no 'config' object"),
        (
            lambda text: text.replace('"device": "cpu", "weights"', '"device": "tpu", "weights"'),
            ":-:device:",
        ),
        (lambda text: b"\xff\xfe".decode("latin-1") + text, "not valid JSON"),
    ],
)
def test_resume_on_a_damaged_bench_json_names_the_file_and_why(tmp_path, damage, message):
    path = _saved_bench(tmp_path)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    res = CliRunner().invoke(
        measure_command, ["--resume", "--bench-id", "b", "--out", str(tmp_path)]
    )
    assert res.exit_code == 1, res.output
    assert str(path) in res.output and message in res.output and "cannot resume" in res.output
    assert "Traceback" not in res.output


def test_resume_refuses_options_that_differ_from_the_saved_config(tmp_path):
    path = _saved_bench(tmp_path)
    res = CliRunner().invoke(
        measure_command,
        [
            "--resume",
            "--bench-id",
            "b",
            "--out",
            str(tmp_path),
            "--warmup",
            "3",
            "--variants",
            "plain,fp8",
        ],
    )
    assert res.exit_code == 2, res.output
    assert str(path) in res.output
    assert "--warmup 3 (saved: 1)" in res.output
    assert "--variants ['plain', 'fp8'] (saved: ['plain'])" in res.output


def test_resume_accepts_options_that_repeat_the_saved_config(tmp_path, monkeypatch):
    from guide_builder.measure import runner

    _saved_bench(tmp_path)
    seen = {}
    monkeypatch.setattr(runner, "run", lambda cfg, echo: seen.setdefault("cfg", cfg) and 0)
    res = CliRunner().invoke(
        measure_command,
        ["--resume", "--bench-id", "b", "--out", str(tmp_path), "--warmup", "1", "--device", "cpu"],
    )
    assert res.exit_code == 0, res.output
    assert seen["cfg"].resume and seen["cfg"].warmup == 1 and seen["cfg"].variants == ["plain"]
