"""A sampler thread (about 10 Hz) that streams telemetry rows and aggregates them per image."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from guide_builder.measure.nvml import Nvml


class RunStats:
    """Aggregates of the samples taken while one image was made."""

    def __init__(self) -> None:
        self.samples: list[dict[str, Any]] = []

    def add(self, sample: dict[str, Any]) -> None:
        self.samples.append(sample)

    def _values(self, key: str) -> list[float]:
        return [s[key] for s in self.samples if s.get(key) is not None]

    def summary(self) -> dict[str, Any]:
        def mean(k):
            v = self._values(k)
            return sum(v) / len(v) if v else None

        def top(k):
            v = self._values(k)
            return max(v) if v else None

        reasons = self._values("clock_event_reasons")
        or_reasons = None
        if reasons:
            or_reasons = 0
            for r in reasons:
                or_reasons |= int(r)
        return {
            "power_mean_w": mean("power_w"),
            "power_max_w": top("power_instant_w"),
            "gpu_temp_max_c": top("gpu_temp_c"),
            "mem_temp_max_c": top("mem_temp_c"),
            "sm_clock_mean_mhz": mean("sm_clock_mhz"),
            "clock_event_reasons": or_reasons,
            "nvml_memory_used_gib": top("mem_used_gib"),
        }


class Sampler:
    """Samples NVML for one GPU in a daemon thread; `emit` receives TELEMETRY rows."""

    def __init__(
        self,
        nvml: Nvml,
        gpu_index: int | None,
        bench_id: str,
        emit: Callable[[dict[str, Any]], None],
        hz: float = 10.0,
    ):
        self.nvml = nvml
        self.gpu_index = gpu_index
        self.handle = nvml.handle(gpu_index) if gpu_index is not None else None
        self.bench_id = bench_id
        self.emit = emit
        self.period = 1.0 / hz
        self._lock = threading.Lock()
        self._run: tuple[int, str] | None = None
        self._stats: RunStats | None = None
        self._energy0: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._loop, name="telemetry", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        next_t = time.monotonic()
        while not self._stop.is_set():
            self.sample_now()
            next_t += self.period
            self._stop.wait(max(0.0, next_t - time.monotonic()))

    def sample_now(self) -> None:
        """Take one sample (also called at an image's start and end, so short images get some)."""
        sample = self.nvml.sample(self.handle) if self.handle is not None else {}
        with self._lock:
            run = self._run
            if self._stats is not None:
                self._stats.add(sample)
        if self.gpu_index is None or not sample:
            return
        row = {
            "bench_id": self.bench_id,
            "gpu_index": self.gpu_index,
            "t_s": round(time.monotonic() - self._t0, 3),
            "run_index": run[0] if run else None,
            "phase": run[1] if run else None,
            **sample,
        }
        # the counter is absolute (since driver load): the CSV shows it relative to the sampler start
        if row["energy_j"] is not None:
            if self._energy0 is None:
                self._energy0 = row["energy_j"]
            row["energy_j"] = row["energy_j"] - self._energy0
        self.emit(row)

    def begin(self, run_index: int, phase: str) -> None:
        with self._lock:
            self._run = (run_index, phase)
            self._stats = RunStats()
        self.sample_now()

    def end(self) -> dict[str, Any]:
        self.sample_now()
        with self._lock:
            stats, self._stats, self._run = self._stats, None, None
        return stats.summary() if stats else RunStats().summary()
