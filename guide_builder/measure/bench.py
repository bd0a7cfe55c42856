"""The bench folder: bench.json and the three CSVs, and what a resumed run finds done in them."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from guide_builder.measure import worker
from guide_builder.measure.config import MeasureConfig
from guide_builder.measure.discovery import Target
from guide_builder.measure.host import host_info
from guide_builder.measure.nvml import Nvml
from guide_builder.measure.output import (
    RowAppender,
    read_rows,
    write_bytes_atomic,
    write_json_atomic,
)
from guide_builder.schema import PROBES_TABLE, QUALITY, RUNS, SCHEMA_VERSION, TELEMETRY, BenchMeta


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
        # only a bench that renders the prompt set has a quality.csv
        self.quality = RowAppender(folder / "quality.csv", QUALITY) if cfg.quality_prompts else None

    def save(self) -> None:
        self.meta["completed"] = sorted(self.completed)
        BenchMeta.model_validate(self.meta)  # never write a bench.json the contract rejects
        write_json_atomic(self.meta_path, self.meta)

    def write_run(self, row: dict[str, Any]) -> None:
        self.runs.append(row)
        self.next_index = max(self.next_index, int(row["run_index"]) + 1)

    def save_image(self, relative: str, png: bytes) -> None:
        """An image of the quality prompt set, under images/ in the bench folder."""
        path = self.folder / relative
        if not path.resolve().is_relative_to(self.folder.resolve()):
            raise ValueError(f"image path outside the bench: {relative}")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, png)

    def close(self, status: str) -> None:
        for w in (self.runs, self.probes, self.telemetry, self.quality):
            if w is not None:
                w.close()
        self.meta["status"] = status
        self.meta["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.save()


def _load_json(path: Path) -> dict[str, Any] | None:
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
