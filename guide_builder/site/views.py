"""What each page shows, gathered from the Dataset and the Analysis (no formatting here).

Language-independent: the Renderer formats these per language. `tiny` runs and
CPU benches never get here (the guide is about GPUs with real-size workloads).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from guide_builder.analysis.floors import tflop_per_image
from guide_builder.analysis.results import (
    Analysis,
    CoolingAdvice,
    FactCheck,
    Fit,
    Floor,
    GpuResult,
    PcieAdvice,
    Pitfall,
    PsuAdvice,
)
from guide_builder.analysis.rows import is_measured, is_na, reaches_guide
from guide_builder.dataset import Dataset
from guide_builder.site import charts
from guide_builder.site.links import slugify


def clean(value: Any) -> Any:
    """None for NaN / <NA>, the value otherwise (templates test `is none`)."""
    return None if is_na(value) else value


@dataclass
class GpuView:
    """Everything one GPU page shows."""

    name: str
    slug: str
    spec: dict[str, Any]
    results: list[GpuResult] = field(default_factory=list)
    fits: list[Fit] = field(default_factory=list)
    floors: list[Floor] = field(default_factory=list)
    fact_checks: list[FactCheck] = field(default_factory=list)
    pitfalls: list[Pitfall] = field(default_factory=list)
    psu: PsuAdvice | None = None
    cooling: list[CoolingAdvice] = field(default_factory=list)
    pcie: list[PcieAdvice] = field(default_factory=list)
    telemetry: dict[str, dict[str, tuple[list, list]]] = field(
        default_factory=dict
    )  # bench -> column -> (t, v)
    reported_runs: list[dict[str, Any]] = field(default_factory=list)  # reported/runs rows

    @property
    def src(self) -> str:
        return f"gpus/{self.slug}.md"


@dataclass
class SiteView:
    """The whole guide's content, ready for templates."""

    analysis: Analysis
    reference_workload: str
    gpus: dict[str, GpuView]
    results_by_workload: dict[str, list[GpuResult]]  # one row per GPU: its best variant
    all_results: list[GpuResult]  # every variant (GPU pages, downloads)
    more_variants: dict[tuple[str, str], int]  # (gpu, workload) -> variants not in the table
    workloads: list[dict[str, Any]]
    benches: list[dict[str, Any]]
    excluded_benches: list[str]
    other_runs: list[dict[str, Any]] = field(default_factory=list)  # reported runs, no GPU page

    def gpu_pages(self) -> dict[str, str]:
        """GPU name -> its page's source path."""
        return {name: gpu.src for name, gpu in self.gpus.items()}

    def more_variants_of(self, r: GpuResult) -> int:
        return self.more_variants.get((r.gpu, r.workload), 0)

    def capacities(self) -> dict[str, float]:
        """GPU name -> VRAM (GiB), for cards whose catalogue row states it."""
        return {g.name: g.spec["vram_gib"] for g in self.gpus.values() if g.spec.get("vram_gib")}

    def floors_for(self, workload: str) -> list[Floor]:
        floors = (f for f in self.analysis.floors if f.workload == workload)
        return sorted(floors, key=lambda f: (f.gpu, f.precision))

    @staticmethod
    def by_seconds(rows: list[GpuResult]) -> list[GpuResult]:
        """Fastest first; rows without a time last."""
        return sorted(rows, key=lambda r: (r.seconds.value is None, r.seconds.value or 0, r.gpu))

    @staticmethod
    def result_flags(gpu: GpuView) -> list:
        return [fl for r in gpu.results for fl in r.flags]

    @staticmethod
    def group_pitfalls(pitfalls: list[Pitfall]) -> list[tuple[str, list[Pitfall]]]:
        groups: dict[str, list[Pitfall]] = {}
        for p in pitfalls:
            groups.setdefault(p.kind, []).append(p)
        return sorted(groups.items())


def _excluded_benches(dataset: Dataset) -> set[str]:
    """Benches that never reach the guide: tiny weights or CPU-only."""
    out = {
        b for b, meta in dataset.benches.items() if meta.weights == "tiny" or meta.device == "cpu"
    }
    runs = dataset.runs
    if not runs.empty:
        counts = reaches_guide(runs)
        out |= set(runs.loc[~counts, "bench_id"]) - set(runs.loc[counts, "bench_id"])
    return out


def _telemetry_by_gpu(dataset: Dataset, excluded: set[str]) -> dict[str, dict[str, pd.DataFrame]]:
    """Telemetry samples per canonical GPU name and bench."""
    tele = dataset.telemetry
    if tele.empty:
        return {}
    names: dict[tuple[str, int], str] = {}
    for bench, meta in dataset.benches.items():
        for gpu in meta.gpus:
            if gpu.name:
                names[(bench, gpu.index)] = gpu.name
    if not dataset.runs.empty:
        pairs = dataset.runs.loc[
            dataset.runs["gpu_name"] != "", ["bench_id", "gpu_index", "gpu_name"]
        ]
        for bench, index, name in pairs.drop_duplicates().itertuples(index=False):
            if index is not pd.NA:
                names[(bench, int(index))] = name
    out: dict[str, dict[str, pd.DataFrame]] = defaultdict(dict)
    for (bench, index), frame in tele.groupby(["bench_id", "gpu_index"], sort=True):
        name = names.get((bench, int(index)))
        if name and bench not in excluded:
            out[name][f"{bench} #{int(index)}"] = frame
    return out


def _keep(result: GpuResult, excluded: set[str]) -> bool:
    # A measured row whose every bench is excluded (tiny/cpu) must not appear.
    if is_measured(result.seconds.evidence) and result.bench_ids:
        return any(b not in excluded for b in result.bench_ids)
    return True


def _preference(r: GpuResult) -> tuple:
    estimated = r.seconds.evidence == "estimated"
    return (
        estimated,
        r.memory_cap_gib is not None,
        r.seconds.value is None,
        r.seconds.value or 0.0,
        r.variant,
    )


def build_view(dataset: Dataset, analysis: Analysis) -> SiteView:
    """Group the analysis by GPU and workload for the pages."""
    excluded = _excluded_benches(dataset)
    config = analysis.config
    reference = getattr(config, "reference_workload", "zimage-turbo-1024")
    results = [r for r in analysis.results if _keep(r, excluded)]

    names: list[str] = list(dataset.gpus["name"]) if not dataset.gpus.empty else []
    for r in results:
        if r.gpu not in names:
            names.append(r.gpu)
    taken: set[str] = {"index"}
    gpus: dict[str, GpuView] = {}
    specs = (
        {row["name"]: row for row in dataset.gpus.to_dict("records")}
        if not dataset.gpus.empty
        else {}
    )
    for name in names:
        spec = {k: clean(v) for k, v in specs.get(name, {}).items()}
        gpus[name] = GpuView(name=name, slug=slugify(name, taken), spec=spec)

    def view(name: str) -> GpuView | None:
        return gpus.get(name)

    for r in results:
        gpus[r.gpu].results.append(r)
    for collection, attr in (
        (analysis.fits, "fits"),
        (analysis.floors, "floors"),
        (analysis.fact_checks, "fact_checks"),
        (analysis.pitfalls, "pitfalls"),
        (analysis.cooling, "cooling"),
        (analysis.pcie, "pcie"),
    ):
        for item in collection:
            v = view(item.gpu)
            if v is not None:
                getattr(v, attr).append(item)
    for advice in analysis.psu:
        v = view(advice.gpu)
        if v is not None:
            v.psu = advice
    other_runs = []
    for run in getattr(dataset, "reported_runs", pd.DataFrame()).to_dict("records"):
        row = {k: clean(v) for k, v in run.items()}
        if run.get("gpu_name") in gpus:
            gpus[run["gpu_name"]].reported_runs.append(row)
        else:
            other_runs.append(row)
    for name, frames in _telemetry_by_gpu(dataset, excluded).items():
        if name in gpus:
            gpus[name].telemetry = {bench: charts.curves(frame) for bench, frame in frames.items()}

    # The results table and charts show one row per GPU and workload (its best variant:
    # measured before estimated, then fastest) so a page stays small with hundreds of cards;
    # every variant is on the GPU's page and in the downloads.
    best: dict[tuple[str, str], GpuResult] = {}
    more: dict[tuple[str, str], int] = defaultdict(int)
    for r in sorted(results, key=_preference):
        key = (r.gpu, r.workload)
        if key in best:
            more[key] += 1
        else:
            best[key] = r
    by_workload: dict[str, list[GpuResult]] = defaultdict(list)
    for r in best.values():
        by_workload[r.workload].append(r)
    ordered = dict(sorted(by_workload.items(), key=lambda kv: (kv[0] != reference, kv[0])))

    workloads = (
        [
            {k: clean(v) for k, v in row.items()} | {"tflop_per_image": tflop_per_image(row)}
            for row in dataset.workloads.to_dict("records")
        ]
        if not dataset.workloads.empty
        else []
    )
    benches = [
        meta.model_dump(exclude={"config", "host"})
        | {"host": meta.host.model_dump(exclude={"hostname"})}
        for bench, meta in sorted(dataset.benches.items())
        if bench not in excluded
    ]
    return SiteView(
        analysis=analysis,
        reference_workload=reference,
        gpus=gpus,
        results_by_workload=ordered,
        all_results=results,
        more_variants=dict(more),
        workloads=workloads,
        benches=benches,
        excluded_benches=sorted(excluded),
        other_runs=other_runs,
    )
