"""End to end on CPU with real subprocesses: the CLI, its spawned workers, and the files they leave."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter

import pytest
from measure_helpers import FAST, FAULTS, REPO, bench_json, cli_args, measure, problems, rows

pytest.importorskip("torch")
pytest.importorskip("diffusers")


def by_variant(rs):
    out = {}
    for r in rs:
        out.setdefault(r["variant"], []).append(r)
    return out


def test_cpu_tiny_run_writes_a_valid_bench(tmp_path):
    res = measure(tmp_path, *FAST, "--workloads", "zimage-turbo-1024", "--soak-minutes", "0.01")
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "b"
    assert problems(folder) == []
    meta = bench_json(folder)
    assert meta["status"] == "complete" and meta["host"]["hostname"] is None
    assert meta["config"]["weights"] == "tiny" and meta["diffusers_version"]
    rs = rows(folder)
    assert [r["run_index"] for r in rs] == [str(i) for i in range(len(rs))]
    for variant, vrows in by_variant(rs).items():
        phases = Counter(r["phase"] for r in vrows)
        assert phases.pop("soak") >= 1, variant  # 0.6 s of continuous generation
        assert phases == {"first": 1, "warmup": 1, "timed": 2, "memory": 1}, variant
    for r in rs:
        assert (
            r["status"] == "ok" and r["transformer_forwards"] == "8" and r["caption_tokens"] == "64"
        )
        assert r["weights"] == "tiny" and len(r["image_sha256"]) == 64
        assert 0.1 < float(r["peak_host_rss_gib"]) < 64  # torch alone takes a few hundred MiB
        assert float(r["total_s"]) >= float(r["denoise_s"]) > 0
    assert len({r["image_sha256"] for r in rs}) == 1  # same seed, same pixels
    assert {r["probe"] for r in rows(folder, "probes.csv")} >= {"memory_bandwidth", "bf16_matmul"}
    assert "median s" in res.stdout


def test_no_gpu_is_a_clear_error(tmp_path):
    res = subprocess.run(
        cli_args("measure", "--out", str(tmp_path)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode != 0
    assert "--device cpu --weights tiny" in res.stderr
    assert not any(tmp_path.iterdir())


def test_failures_are_rows_and_the_run_goes_on(tmp_path):
    """OOM, a segfault, a hang and os._exit each become one row; the next configuration still runs."""
    res = measure(
        tmp_path,
        *FAST,
        "--no-probes",
        "--plugin",
        str(FAULTS),
        "--workloads",
        "zimage-turbo-1024",
        "--variants",
        "_oom,_segfault,_hang,_exit,plain",
        "--worker-timeout",
        "3",
        timeout=180,
    )
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "b"
    assert problems(folder) == []
    got = by_variant(rows(folder))
    (oom,) = got["_oom"]
    assert oom["status"] == "oom" and "OutOfMemoryError" in oom["error"] and oom["phase"] == "first"
    (seg,) = got["_segfault"]
    assert seg["status"] == "error" and "SIGSEGV" in seg["error"]
    (hang,) = got["_hang"]
    assert hang["status"] == "error" and "hung" in hang["error"]
    (ex,) = got["_exit"]
    assert ex["status"] == "error" and "exit code 3" in ex["error"]
    assert [r["status"] for r in got["plain"]] == ["ok"] * 5
    assert bench_json(folder)["status"] == "complete"


def test_stability_detects_leak_nondeterminism_nan_and_wrong_forward_counts(tmp_path):
    from guide_builder.measure import summary

    res = measure(
        tmp_path,
        *FAST,
        "--no-probes",
        "--plugin",
        str(FAULTS),
        "--stability",
        "4",
        "--workloads",
        "zimage-turbo-1024,_wrong-forwards",
        "--variants",
        "plain,_leak,_nondeterministic,_nan",
        timeout=180,
    )
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "b"
    assert problems(folder) == []
    rs = rows(folder)
    report = {k[1:3]: v for k, v in summary.summarise(rs).items()}
    plain = report[("zimage-turbo-1024", "plain")]["stability"]
    assert plain.n == 4 and plain.errors == 0 and plain.deterministic is True and not plain.leak
    leak = report[("zimage-turbo-1024", "_leak")]["stability"]
    assert leak.leak and leak.growth_gib > 0.1
    noisy = report[("zimage-turbo-1024", "_nondeterministic")]["stability"]
    assert noisy.deterministic is False
    nan = report[("zimage-turbo-1024", "_nan")]["stability"]
    # NaN images would all hash alike: they are errors, and vouch for nothing
    assert nan.errors == 4 and nan.non_finite == 4 and nan.deterministic is None
    wrong = [r for r in rs if r["workload"] == "_wrong-forwards" and r["variant"] == "plain"]
    assert wrong and all(
        r["status"] == "error" and "forwards 8 != expected 9" in r["error"] for r in wrong
    )
    assert "leak" in res.stdout and "NON-DETERMINISTIC" in res.stdout and "non-finite" in res.stdout


def test_sigint_leaves_valid_files_and_resume_finishes_only_the_rest(tmp_path):
    psutil = pytest.importorskip("psutil")
    args = [
        *FAST,
        "--no-probes",
        "--plugin",
        str(FAULTS),
        "--workloads",
        "zimage-turbo-1024",
        "--variants",
        "_slow,plain",
        "--min-seconds",
        "1.5",
        "--stability",
        "2",
    ]
    proc = subprocess.Popen(
        cli_args("measure", "--out", str(tmp_path), "--bench-id", "b", *args),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    folder = tmp_path / "b"
    deadline = time.monotonic() + 90
    while len(rows(folder)) < 4 and time.monotonic() < deadline:  # mid-way through `_slow`
        time.sleep(0.1)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # the worker (and multiprocessing's resource tracker) are gone, not orphaned
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive
    assert bench_json(folder)["status"] == "interrupted"
    assert problems(folder) == []
    before = rows(folder)
    assert len(before) >= 4

    res = measure(tmp_path, "--resume", timeout=120)
    assert res.returncode == 0, res.stderr
    assert problems(folder) == []
    after = rows(folder)
    assert after[: len(before)] == before  # rows written before Ctrl-C survive intact
    assert [r["run_index"] for r in after] == [str(i) for i in range(len(after))]
    for variant, vrows in by_variant(after).items():
        phases = Counter(r["phase"] for r in vrows)
        # nothing done twice: one first call, one warm-up, one memory pass, exactly 2 stability images
        assert phases["first"] == 1 and phases["warmup"] == 1, variant
        assert phases["memory"] == 1 and phases["stability"] == 2, variant
        timed = [float(r["total_s"]) for r in vrows if r["phase"] == "timed"]
        assert len(timed) >= 2 and sum(timed) >= 1.5
    assert bench_json(folder)["status"] == "complete"
    assert len(bench_json(folder)["resumes"]) == 1


def test_existing_bench_needs_resume(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "runs.csv").write_text("bench_id\n")
    res = measure(tmp_path, *FAST)
    assert res.returncode != 0 and "--resume" in res.stderr


def test_a_failed_configuration_frees_its_pipeline_before_empty_cache(monkeypatch):
    """The exception's traceback holds the failed frames: the pipeline must be gone when the
    cache is emptied, or on a GPU its memory stays reserved into the next configuration."""
    import types
    import weakref

    import torch

    import guide_builder.measure.zimage  # noqa: F401 - registers the workloads
    from guide_builder.measure import variants
    from guide_builder.measure.config import MeasureConfig
    from guide_builder.measure.device import CpuDevice
    from guide_builder.measure.discovery import Target
    from guide_builder.measure.nvml import Nvml
    from guide_builder.measure.telemetry import Sampler
    from guide_builder.measure.timing import Timer
    from guide_builder.measure.worker import Worker

    pipes = []

    def prepare(pipe, family, workload, device):
        pipes.append(weakref.ref(pipe))

        def boom(module, args):
            raise RuntimeError("boom in a forward")

        pipe.transformer.register_forward_pre_hook(boom)
        return {}

    monkeypatch.setitem(variants.VARIANTS, "_boom", variants.Variant("_boom", "raises", prepare))
    cfg = MeasureConfig(device="cpu", weights="tiny", workloads=["zimage-turbo-1024"])
    sent = []
    w = Worker(
        {
            "config": cfg.to_dict(),
            "target": Target("cpu").job_view(),
            "bench_id": "b",
            "next_run_index": 0,
        },
        sent.append,
    )
    alive_at_empty_cache = []
    w.torch, w.device, w.handle = torch, CpuDevice(), None
    w.device.empty_cache = lambda: alive_at_empty_cache.append(pipes[0]() is not None)
    w.timer = Timer(w.device)
    w.nvml = Nvml(types.SimpleNamespace())  # no NVML
    w.sampler = Sampler(w.nvml, None, "b", sent.append)
    w.run_configuration(
        {"key": "k", "workload": "zimage-turbo-1024", "variant": "_boom", "cap": None, "done": {}}
    )
    (row,) = [p for kind, p in sent if kind == "run"]
    assert row["status"] == "error" and "boom" in row["error"]
    assert alive_at_empty_cache == [False]
