"""Which devices a bench runs on: NVML discovery, `--gpus`, catalogue names, bench ids."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guide_builder.measure.config import MeasureConfig
from guide_builder.measure.nvml import Nvml

CATALOG = Path("measurements/catalog/gpus.csv")
NO_GPU_HINT = (
    "No NVIDIA GPU found ({why}). To try the harness without a GPU run:\n"
    "  guide-builder measure --device cpu --weights tiny"
)


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
