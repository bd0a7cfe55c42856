"""The parent: finds GPUs, runs one spawned worker per GPU, owns every file of the bench.

The parent never imports torch (so it never initialises CUDA). It writes rows as they arrive
(appended and flushed), turns a worker that crashes, hangs or vanishes into an error row and
starts a fresh worker for the rest, stops cleanly on Ctrl-C (SIGINT) or SIGTERM, and on
`--resume` skips finished configurations, phases and probes.
"""

from __future__ import annotations

import csv
import multiprocessing
import re
import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from guide_builder.measure import summary, worker
from guide_builder.measure import variants as variant_registry
from guide_builder.measure import workloads as workload_registry
from guide_builder.measure.config import MeasureConfig
from guide_builder.measure.host import host_info
from guide_builder.measure.nvml import Nvml
from guide_builder.measure.output import RowAppender, read_rows, write_json_atomic
from guide_builder.schema import PROBES, PROBES_TABLE, RUNS, SCHEMA_VERSION, TELEMETRY, BenchMeta

CATALOG = Path("measurements/catalog/gpus.csv")
NO_GPU_HINT = (
    "No NVIDIA GPU found ({why}). To try the harness without a GPU run:\n"
    "  guide-builder measure --device cpu --weights tiny"
)


STARTUP_S = 300.0  # longest a worker may take to import torch and report in


class NoDevice(Exception):
    """Nothing to measure on: the run cannot start."""


@dataclass
class Target:
    """One device a worker runs on."""

    kind: str  # cuda | cpu
    index: int | None = None
    uuid: str = ""
    name_nvml: str = ""
    name: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.uuid or self.kind

    def job_view(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "index": self.index,
            "uuid": self.uuid,
            "name_nvml": self.name_nvml,
            "name": self.name,
        }


def parse_gpus(spec: str) -> list[int] | None:
    """`all` -> None, `0,2` -> [0, 2]; ValueError otherwise."""
    if spec.strip().lower() == "all":
        return None
    out = [int(p) for p in spec.split(",") if p.strip()]
    if not out or any(i < 0 for i in out):
        raise ValueError(spec)
    return out


def canonical_name(nvml_name: str, catalog: Path = CATALOG) -> str:
    """The catalogue name for what NVML reports; empty when the catalogue does not know it."""
    if not catalog.exists():
        return ""
    from guide_builder.catalog import NameResolver, split_aliases

    with catalog.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    resolver = NameResolver((r["name"], split_aliases(r.get("aliases") or "")) for r in rows)
    return resolver.resolve(nvml_name) or ""


def discover(cfg: MeasureConfig, nvml: Nvml | None = None) -> list[Target]:
    """The devices to run on; NoDevice when there is none."""
    if cfg.device == "cpu":
        return [Target("cpu")]
    nvml = nvml or Nvml()
    count = nvml.count()
    if count == 0:
        raise NoDevice(NO_GPU_HINT.format(why=nvml.error or "NVML reports no devices"))
    wanted = parse_gpus(cfg.gpus)
    indices = list(range(count)) if wanted is None else wanted
    missing = [i for i in indices if i >= count]
    if missing:
        raise NoDevice(f"--gpus names {missing}, but NVML sees GPUs 0..{count - 1}")
    targets = []
    for i in indices:
        info = nvml.gpu_info(i)
        info["name"] = canonical_name(info["name_nvml"])
        targets.append(Target("cuda", i, info["uuid"], info["name_nvml"], info["name"], info))
    return targets


def default_bench_id(targets: list[Target]) -> str:
    name = targets[0].name or targets[0].name_nvml or targets[0].kind
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{slug}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def _ver(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


class Bench:
    """The bench folder: bench.json plus the three CSVs, and what is already done in them."""

    def __init__(self, folder: Path, cfg: MeasureConfig, targets: list[Target], nvml: Nvml | None):
        self.folder = folder
        self.cfg = cfg
        self.meta_path = folder / "bench.json"
        old = _load_json(self.meta_path) if cfg.resume else None
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.meta: dict[str, Any] = old or {
            "schema_version": SCHEMA_VERSION,
            "bench_id": folder.name,
            "created_at": now,
            "device": cfg.device,
            "weights": cfg.weights,
            "guide_builder_version": _ver("guide-builder") or "",
            "diffusers_version": _ver("diffusers"),
            "transformers_version": _ver("transformers"),
            "torch_version": _ver("torch"),
            "attention_backend": cfg.attention_backend or "sdpa",
            "host": host_info(Path(cfg.model_path or folder), cfg.record_hostname),
            "gpus": [t.info for t in targets if t.kind == "cuda"],
            "note": cfg.note,
            "config": cfg.to_dict(),
            "completed": [],
            "resumes": [],
        }
        if nvml is not None and nvml.available:
            self.meta["driver_version"] = nvml.driver_version()
            self.meta.setdefault("cuda_driver_version", nvml.cuda_driver_version())
        if old:
            self.meta["resumes"].append(now)
        self.meta["status"] = "running"
        self.meta["finished_at"] = None
        self.completed: set[str] = set(self.meta["completed"])
        existing = read_rows(folder / "runs.csv")
        self.next_index = max((int(r["run_index"]) for r in existing), default=-1) + 1
        self.done_counts = _done_counts(existing)
        self.probes_done = _probes_done(read_rows(folder / "probes.csv"))
        self.rows_written: list[dict[str, Any]] = []
        folder.mkdir(parents=True, exist_ok=True)
        self.save()
        self.runs = RowAppender(folder / "runs.csv", RUNS)
        self.probes = RowAppender(folder / "probes.csv", PROBES_TABLE)
        self.telemetry = RowAppender(folder / "telemetry.csv", TELEMETRY, fsync=False)

    def save(self) -> None:
        self.meta["completed"] = sorted(self.completed)
        BenchMeta.model_validate(self.meta)  # never write a bench.json the contract rejects
        write_json_atomic(self.meta_path, self.meta)

    def write_run(self, row: dict[str, Any]) -> None:
        self.runs.append(row)
        self.next_index = max(self.next_index, int(row["run_index"]) + 1)

    def close(self, status: str) -> None:
        for w in (self.runs, self.probes, self.telemetry):
            w.close()
        self.meta["status"] = status
        self.meta["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.save()


def _load_json(path: Path) -> dict[str, Any] | None:
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _row_key(r: dict[str, str]) -> str:
    cap = float(r["memory_cap_gib"]) if r.get("memory_cap_gib") else None
    return worker.config_key(r.get("gpu_uuid") or r["device"], r["workload"], r["variant"], cap)


def _done_counts(rows: list[dict[str, str]]) -> dict[str, dict[str, list[float]]]:
    """Per configuration key and phase: [rows written, their seconds]."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    for r in rows:
        c = out[_row_key(r)][r["phase"]]
        c[0] += 1
        c[1] += float(r["total_s"]) if r.get("total_s") else 0.0
    return out


def _probes_done(rows: list[dict[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        out[r.get("gpu_uuid") or r["device"]].add(r["probe"])
    return out


class StopRequested(Exception):
    """SIGINT or SIGTERM arrived: stop after reaping the worker."""


class Runner:
    """Runs a bench: the workers, the signals, the progress bar and the summary."""

    def __init__(self, cfg: MeasureConfig, echo=print):
        self.cfg = cfg
        self.echo = echo
        self.stop = threading.Event()
        self.ctx = multiprocessing.get_context("spawn")

    def _on_signal(self, signum, frame) -> None:
        # only set a flag: a row being written is never cut by an exception
        self.stop.set()

    def run(self) -> int:
        cfg = self.cfg
        nvml = Nvml() if cfg.device == "cuda" else None
        targets = discover(cfg, nvml)
        bench_id = cfg.bench_id or default_bench_id(targets)
        folder = Path(cfg.out) / bench_id
        if not cfg.resume and (folder / "runs.csv").exists():
            raise FileExistsError(
                f"{folder} already holds a bench: pass --resume, or another --bench-id"
            )
        bench = Bench(folder, cfg, targets, nvml)
        self.bench = bench
        old_int = signal.signal(signal.SIGINT, self._on_signal)
        old_term = signal.signal(signal.SIGTERM, self._on_signal)
        status = "interrupted"  # unless every target finishes (an unexpected error included)
        total = len(targets) * len(cfg.configurations())
        progress = _progress(total, len(bench.completed))
        try:
            # one GPU at a time: parallel workers would share host CPU, PCIe and the PSU, and
            # each card's figures must not depend on what its neighbours were doing
            for target in targets:
                self._run_target(bench, target, progress)
            status = "complete"
        except StopRequested:
            pass
        finally:
            progress.close()
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)
            bench.close(status)
        rows = read_rows(bench.folder / "runs.csv")
        self.echo(summary.render(rows))
        self.echo(f"{status}: {bench.folder} ({len(rows)} rows)")
        if status == "interrupted":
            self.echo(
                f"resume with: guide-builder measure --resume --bench-id {bench_id} --out {cfg.out}"
            )
            return 130
        return 0

    def _items(self, bench: Bench, target: Target) -> list[dict[str, Any]]:
        items = []
        for w, v, cap in self.cfg.configurations():
            key = worker.config_key(target.id, w, v, cap)
            if key in bench.completed:
                continue
            done = {p: list(c) for p, c in bench.done_counts.get(key, {}).items()}
            items.append({"key": key, "workload": w, "variant": v, "cap": cap, "done": done})
        return items

    def _run_target(self, bench: Bench, target: Target, progress) -> None:
        remaining = self._items(bench, target)
        want_probes = self.cfg.probes and len(bench.probes_done.get(target.id, set())) < len(PROBES)
        while remaining or want_probes:
            if self.stop.is_set():
                raise StopRequested
            job = {
                "config": self.cfg.to_dict(),
                "bench_id": bench.meta["bench_id"],
                "target": target.job_view(),
                "items": remaining,
                "next_run_index": bench.next_index,
                "probes": want_probes,
                "skip_probes": sorted(bench.probes_done.get(target.id, set())),
            }
            outcome = self._run_worker(bench, job, progress)
            want_probes = False  # probes run first in every worker: done, or failed once
            remaining = [i for i in remaining if i["key"] not in bench.completed]
            if outcome is None:
                continue
            key, reason = outcome
            if key and key.startswith("probe:"):
                self._fail_probe(bench, target, key.removeprefix("probe:"), reason)
            elif remaining:
                item = next((i for i in remaining if i["key"] == key), remaining[0])
                self._fail_item(bench, target, item, reason)
                remaining.remove(item)
                progress.update(1)

    def _fail_probe(self, bench: Bench, target: Target, probe: str, reason: str) -> None:
        from guide_builder.measure.probes import UNITS

        bench.probes.append(
            {
                "bench_id": bench.meta["bench_id"],
                "gpu_index": target.index,
                "gpu_uuid": target.uuid or None,
                "gpu_name": target.name or None,
                "device": target.kind,
                "probe": probe,
                "unit": UNITS[probe],
                "status": "error",
                "detail": reason,
            }
        )

    def _fail_item(self, bench: Bench, target: Target, item: dict[str, Any], reason: str) -> None:
        """The worker died: blame the configuration it was on (or the next one) with an error row."""
        w = workload_registry.get(item["workload"])
        width, height = w.size(self.cfg.weights)
        bench.write_run(
            {
                "bench_id": bench.meta["bench_id"],
                "run_index": bench.next_index,
                "gpu_index": target.index,
                "gpu_uuid": target.uuid or None,
                "gpu_name_nvml": target.name_nvml or None,
                "gpu_name": target.name or None,
                "device": target.kind,
                "workload": w.name,
                "variant": item["variant"],
                "memory_cap_gib": item["cap"],
                "weights": self.cfg.weights,
                "dtype": w.dtype,
                "attention_backend": self.cfg.attention_backend or "sdpa",
                "width": width,
                "height": height,
                "steps": w.steps,
                "seed": self.cfg.seed if self.cfg.seed is not None else w.seed,
                "phase": self._phase.get(item["key"], "first"),
                "status": "error",
                "error": reason,
                "started_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            }
        )
        bench.completed.add(item["key"])
        bench.save()

    def _run_worker(
        self, bench: Bench, job: dict[str, Any], progress
    ) -> tuple[str | None, str] | None:
        """Run one worker to its end; None when it finished, else (config key, why it failed)."""
        # a one-way pipe, not a Queue: sends are synchronous (nothing sent before a crash is lost
        # in a feeder thread) and a killed writer holds no lock a later worker would need
        receiver, sender = self.ctx.Pipe(duplex=False)
        proc = self.ctx.Process(
            target=worker.main, args=(job, sender), name="guide-builder-worker", daemon=True
        )
        proc.start()
        sender.close()  # the worker holds the only write end: its death reads as EOF here
        self._phase: dict[str, str] = {}
        self._current: str | None = None
        finished = hung = heard = False
        last = time.monotonic()
        try:
            while not finished:
                if self.stop.is_set():
                    raise StopRequested
                if not receiver.poll(0.2):
                    # imports and CUDA start-up get a generous allowance before the first message
                    limit = self.cfg.worker_timeout_s
                    if not heard:
                        limit = max(limit, STARTUP_S)
                    if time.monotonic() - last > limit:
                        hung = True
                        break
                    continue
                try:
                    kind, payload = receiver.recv()
                except (EOFError, OSError):
                    break  # the worker is gone
                heard, last = True, time.monotonic()
                self._handle(bench, kind, payload, progress)
                finished = kind in ("done", "restart")
        finally:
            _reap(proc, grace=10.0 if finished else 0.0)
            self._drain(bench, receiver, progress)
        if finished:
            return None
        if hung:
            why = f"worker hung: no progress for {self.cfg.worker_timeout_s:g} s (--worker-timeout); killed"
        else:
            why = f"worker exited without a result ({_exit_text(proc.exitcode)})"
        return self._current, why

    def _drain(self, bench: Bench, receiver, progress) -> None:
        """Write the complete messages still in the pipe after the worker stopped."""
        try:
            while receiver.poll(0):
                kind, payload = receiver.recv()
                self._handle(bench, kind, payload, progress)
        except Exception:  # EOF, or a message cut mid-write by a kill: nothing more to read
            pass
        receiver.close()

    def _handle(self, bench: Bench, kind: str, payload: Any, progress) -> None:
        if kind == "begin":
            self._current = current = payload["key"]
            if current:
                self._phase[current] = payload["phase"]
                progress.set_postfix_str(
                    current.split("|", 1)[-1] + " " + payload["phase"], refresh=False
                )
        elif kind == "run":
            bench.write_run(payload)
        elif kind == "probe":
            bench.probes.append(payload)
        elif kind == "telemetry":
            bench.telemetry.append(payload)
        elif kind == "env":
            for k, v in payload.items():
                if k in (
                    "torch_version",
                    "cuda_version",
                    "diffusers_version",
                    "transformers_version",
                ):
                    bench.meta[k] = v
                else:
                    bench.meta.setdefault("libraries", {})[k] = v
            bench.save()
        elif kind == "end_config":
            bench.completed.add(payload)
            bench.save()
            progress.update(1)
            self._current = None


def _reap(proc, grace: float = 0.0) -> None:
    """End the worker and wait for it: no orphan outlives the parent."""
    proc.join(grace)
    if proc.is_alive():
        proc.terminate()
        proc.join(5)
    if proc.is_alive():
        proc.kill()
    proc.join(5)


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _NoProgress:
    def update(self, n=1):
        pass

    def set_postfix_str(self, s, refresh=True):
        pass

    def close(self):
        pass


def _progress(total: int, done: int):
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoProgress()
    # disable=None: shown on a terminal, silent in logs and tests
    return tqdm(total=total, initial=min(done, total), unit="config", desc="measure", disable=None)


def resolve_defaults(cfg: MeasureConfig) -> MeasureConfig:
    """Fill the workloads and variants left empty, and check every name exists."""
    workload_registry.load_plugins(cfg.plugins)
    if not cfg.workloads:
        cfg.workloads = workload_registry.names()
    if not cfg.variants:
        cfg.variants = (
            ["plain", "text_encoder_unload"]
            if cfg.device == "cpu"
            else variant_registry.names("cuda")
        )
    for name in cfg.workloads:
        workload_registry.get(name)
    for name in cfg.variants:
        v = variant_registry.get(name)
        if cfg.device not in v.devices:
            raise ValueError(f"variant {name!r} needs {' or '.join(v.devices)}, not {cfg.device}")
    return cfg


def run(cfg: MeasureConfig, echo=print) -> int:
    """Run a bench; returns the exit code (0 when it completed, whatever rows failed)."""
    return Runner(resolve_defaults(cfg), echo).run()
