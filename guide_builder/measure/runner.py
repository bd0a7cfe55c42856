"""The parent: runs one spawned worker per GPU, turns its messages into the bench's files.

The parent never imports torch (so it never initialises CUDA). It writes rows as they arrive
(appended and flushed), turns a worker that crashes, hangs or vanishes into an error row and
starts a fresh worker for the rest, stops cleanly on Ctrl-C (SIGINT) or SIGTERM, and on
`--resume` skips finished configurations, phases and probes.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guide_builder.measure import summary, worker
from guide_builder.measure import variants as variant_registry
from guide_builder.measure import workloads as workload_registry
from guide_builder.measure.bench import Bench
from guide_builder.measure.config import MeasureConfig
from guide_builder.measure.discovery import CATALOG, Target, default_bench_id, discover
from guide_builder.measure.identity import configuration_columns, device_columns
from guide_builder.measure.nvml import Nvml
from guide_builder.measure.output import read_rows
from guide_builder.schema import PROBES

STARTUP_S = 300.0  # longest a worker may take to import torch and report in


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
        for t in targets:
            if t.kind == "cuda" and not t.name:
                self.echo(
                    f"warning: {t.name_nvml!r} is not in {CATALOG}: add it (name or alias) "
                    "before committing this bench, or `guide-builder validate` rejects it"
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
                **device_columns(bench.meta["bench_id"], target.job_view()),
                "probe": probe,
                "unit": UNITS[probe],
                "status": "error",
                "detail": reason,
            }
        )

    def _fail_item(self, bench: Bench, target: Target, item: dict[str, Any], reason: str) -> None:
        """The worker died: blame the configuration it was on (or the next one) with an error row."""
        bench.write_run(
            {
                **configuration_columns(bench.meta["bench_id"], target.job_view(), self.cfg, item),
                "run_index": bench.next_index,
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
                # checked before every read, not only when the pipe is quiet: telemetry keeps it busy
                # imports and CUDA start-up get a generous allowance before the first message
                limit = self.cfg.worker_timeout_s
                if not heard:
                    limit = max(limit, STARTUP_S)
                if time.monotonic() - last > limit:
                    hung = True
                    break
                if not receiver.poll(0.2):
                    continue
                try:
                    kind, payload = receiver.recv()
                except (EOFError, OSError):
                    break  # the worker is gone
                heard = True
                if kind != "telemetry":
                    # the sampler thread streams telemetry (10 Hz, on a GPU only) even while the
                    # main thread hangs: it is a sign of life, not of progress, or no hang is caught
                    last = time.monotonic()
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
        elif kind == "image":
            bench.save_image(payload["path"], payload["png"])
        elif kind == "quality":
            bench.quality.append(payload)
        elif kind == "env":
            for k, v in payload.items():
                if k in (
                    "torch_version",
                    "cuda_version",
                    "diffusers_version",
                    "transformers_version",
                    "host_rss_method",
                    "memory_cap_overhead_gib",
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
        cfg.variants = variant_registry.names(cfg.device, defaults_only=True)
    for name in cfg.workloads:
        workload_registry.get(name)
    for name in cfg.variants:
        v = variant_registry.get(name)
        if cfg.device not in v.devices:
            raise ValueError(f"variant {name!r} needs {' or '.join(v.devices)}, not {cfg.device}")
    if cfg.quality_prompts:
        if cfg.weights == "synthetic":
            raise ValueError("--quality-prompts needs --weights real: random weights draw noise")
        if "plain" not in cfg.variants:
            raise ValueError("--quality-prompts compares every variant with plain: add plain")
        # the reference first, so every other variant finds its images
        cfg.variants = ["plain", *(v for v in cfg.variants if v != "plain")]
    return cfg


def run(cfg: MeasureConfig, echo=print) -> int:
    """Run a bench; returns the exit code (0 when it completed, whatever rows failed)."""
    return Runner(resolve_defaults(cfg), echo).run()
