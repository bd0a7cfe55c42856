"""The measure configuration: one dataclass, saved whole into bench.json's `config`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class MeasureConfig:
    """Everything that decides what `guide-builder measure` runs and how."""

    device: str = "cuda"  # cuda | cpu
    gpus: str = "all"  # all | comma-separated NVML indices
    weights: str = "synthetic"  # real | synthetic | tiny
    model_path: str | None = None
    allow_download: bool = False
    workloads: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    memory_caps_gib: list[float | None] = field(default_factory=lambda: [None])
    warmup: int = 2  # warm-up calls after the first call (which is its own phase)
    min_iterations: int = 5
    min_seconds: float = 5.0
    stability: int = 0
    soak_minutes: float = 0.0
    probes: bool = True
    telemetry: bool = True
    telemetry_hz: float = 10.0
    worker_timeout_s: float = 1800.0
    seed: int | None = None  # None: each workload's own seed
    attention_backend: str | None = None  # None: diffusers' default (PyTorch SDPA)
    out: str = "measurements/benches"
    bench_id: str | None = None
    note: str = ""
    record_hostname: bool = False
    resume: bool = False
    plugins: list[str] = field(default_factory=list)
    quality_prompts: bool = False  # render quality.PROMPTS per variant, compare with plain

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MeasureConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def configurations(self) -> list[tuple[str, str, float | None]]:
        """(workload, variant, memory cap) in run order: every uncapped one before any capped.

        A capped configuration is the likeliest to fail (and a CUDA error costs the worker), and
        a time limit that cuts the run short should cut memory emulation, not the timings.
        """
        caps = sorted(self.memory_caps_gib, key=lambda c: (c is not None, c or 0.0))
        return [(w, v, cap) for cap in caps for w in self.workloads for v in self.variants]
