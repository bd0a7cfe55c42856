"""Build small measurement trees for tests, one CSV cell at a time."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from guide_builder.schema import (
    GPUS,
    PROBES_TABLE,
    REPORTED,
    REPORTED_RUNS,
    RUNS,
    TELEMETRY,
    WORKLOADS,
    Table,
)

# Catalogue tables taken from the site fixture (prices: the RTX 4090's only).
FIXTURE_CATALOG = Path(__file__).parent / "fixtures" / "site_data" / "catalog"
CATALOG_COPIES = (
    "prices.csv",
    "fx_rates.csv",
    "parts.csv",
    "variant_memory.csv",
    "storage_classes.csv",
    "pcie_links.csv",
    "hardware_refs.csv",
)

UUID = "GPU-11111111-2222-3333-4444-555555555555"
BENCH = "bench-a"

GPU_ROW = {
    "name": "RTX 4090",
    "aliases": "NVIDIA GeForce RTX 4090;4090",
    "vendor": "NVIDIA",
    "architecture": "Ada",
    "chip": "AD102",
    "sm_count": "128",
    "boost_clock_mhz": "2520",
    "vram_gib": "24",
    "memory_type": "GDDR6X",
    "bandwidth_gb_s": "1008",
    "bf16_tflops": "165.2",
    "bf16_tflops_basis": "whitepaper",
    "fp16_acc16_tflops": "330.3",
    "fp16_acc16_tflops_basis": "computed",
    "board_power_w": "450",
    "availability": "not_sold_officially",
    "form_factor": "desktop",
    "segment": "consumer",
    "spec_source_url": "https://example.org/ada.pdf",
}

RUN_ROW = {
    "bench_id": BENCH,
    "run_index": "0",
    "gpu_index": "0",
    "gpu_uuid": UUID,
    "gpu_name_nvml": "NVIDIA GeForce RTX 4090",
    "gpu_name": "RTX 4090",
    "device": "cuda",
    "workload": "zimage-turbo-1024",
    "variant": "plain",
    "weights": "synthetic",
    "dtype": "bf16",
    "width": "1024",
    "height": "1024",
    "steps": "8",
    "transformer_forwards": "8",
    "caption_tokens": "64",
    "seed": "42",
    "phase": "timed",
    "status": "ok",
    "total_s": "3.5",
    "peak_allocated_gib": "20.1",
}

WORKLOAD_ROW = {
    "workload": "zimage-turbo-1024",
    "model": "Tongyi-MAI/Z-Image-Turbo",
    "width": "1024",
    "height": "1024",
    "steps": "8",
    "transformer_forwards": "8",
    "caption_tokens": "64",
    "transformer_tflop_per_forward": "55.6059",
    "text_encoder_tflop": "3.8751",
    "vae_decode_tflop": "10.4722",
    "transformer_params": "6154908736",
    "diffusers_version": "0.42.1",
    "torch_version": "2.13.0+cpu",
}

REPORTED_RUN_ROW = {
    "source": "A benchmark file",
    "source_url": "https://example.org/bench",
    "date": "2026-02-02",
    "gpu": "RTX 4090",
    "gpu_count": "1",
    "resolution": "1024x1024",
    "dit_forwards": "8",
    "forwards_basis": "num_inference_steps=9",
    "precision": "bf16",
    "toolchain": "diffusers",
    "compile": "no",
    "offload": "none",
    "seconds_per_image": "4.9",
    "time_covers": "pipeline",
    "grade": "A",
    "quote": "4.9 s",
    "note": "whole pipeline",
    "note_zh": "整条流程",
}

REPORTED_ROW = {
    "source": "An article",
    "date": "2026-02-24",
    "gpu": "RTX 4090",
    "claim": "seconds_per_image",
    "value": "0.87",
    "unit": "s",
    "precision": "bf16",
    "resolution": "1024x1024",
}


def csv_text(table: Table, rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    """CSV text with the table's columns (or an explicit header); unset cells are empty."""
    header = header or table.names
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue()


def bench_json(**overrides) -> dict:
    meta = {
        "schema_version": 1,
        "bench_id": BENCH,
        "created_at": "2026-11-28T10:00:00Z",
        "device": "cuda",
        "weights": "synthetic",
        "gpus": [
            {"index": 0, "uuid": UUID, "name_nvml": "NVIDIA GeForce RTX 4090", "name": "RTX 4090"}
        ],
    }
    meta.update(overrides)
    return meta


def write_tree(
    root: Path,
    gpus: list[dict] | None = None,
    runs: list[dict] | None = None,
    reported: list[dict] | None = None,
    meta: dict | None = None,
    reported_runs: list[dict] | None = None,
) -> Path:
    """A valid measurements tree unless the caller passes bad rows (reported runs only
    when given: `REPORTED_RUN_ROW` is a valid one)."""
    (root / "catalog").mkdir(parents=True, exist_ok=True)
    (root / "catalog" / "gpus.csv").write_text(
        csv_text(GPUS, gpus if gpus is not None else [GPU_ROW])
    )
    (root / "catalog" / "workloads.csv").write_text(csv_text(WORKLOADS, [WORKLOAD_ROW]))
    for name in CATALOG_COPIES:
        header, *rows = csv.reader(io.StringIO((FIXTURE_CATALOG / name).read_text(), newline=""))
        if name == "prices.csv":  # this tree's catalogue has one card
            rows = [r for r in rows if r[0] == GPU_ROW["name"]]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *rows])
        (root / "catalog" / name).write_text(out.getvalue())
    bench = root / "benches" / BENCH
    bench.mkdir(parents=True, exist_ok=True)
    (bench / "bench.json").write_text(json.dumps(meta or bench_json()))
    (bench / "runs.csv").write_text(csv_text(RUNS, runs if runs is not None else [RUN_ROW]))
    probe = {
        "bench_id": BENCH,
        "gpu_index": "0",
        "gpu_uuid": UUID,
        "gpu_name": "RTX 4090",
        "device": "cuda",
        "probe": "bf16_matmul",
        "value": "160.5",
        "unit": "tflops",
        "status": "ok",
    }
    (bench / "probes.csv").write_text(csv_text(PROBES_TABLE, [probe]))
    sample = {
        "bench_id": BENCH,
        "gpu_index": "0",
        "t_s": "0.1",
        "power_w": "400",
        "gpu_temp_c": "61",
    }
    (bench / "telemetry.csv").write_text(csv_text(TELEMETRY, [sample]))
    (root / "reported").mkdir(exist_ok=True)
    (root / "reported" / "claims.csv").write_text(
        csv_text(REPORTED, reported if reported is not None else [REPORTED_ROW])
    )
    if reported_runs is not None:
        (root / "reported" / "runs").mkdir(exist_ok=True)
        (root / "reported" / "runs" / "runs.csv").write_text(csv_text(REPORTED_RUNS, reported_runs))
    return root
