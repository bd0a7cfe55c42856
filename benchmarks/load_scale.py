"""How long load + validate takes on a large measurements tree.

Generates 100,000 run rows over 200 GPUs (one bench per GPU) in a temporary
folder, never committed, then times `guide_builder.dataset.check` on it.
Target: under 10 s on a 2-core machine.

    python benchmarks/load_scale.py [--runs 100000] [--gpus 200]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from guide_builder.dataset import check
from guide_builder.schema import GPUS, PROBES_TABLE, RUNS, TELEMETRY, Table


def write_csv(path: Path, table: Table, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(table.names)
        for row in rows:
            writer.writerow([row.get(name, "") for name in table.names])


def generate(root: Path, runs: int, gpus: int) -> None:
    """A valid tree: catalogue, one bench per GPU, runs spread evenly."""
    (root / "catalog").mkdir(parents=True)
    catalogue = [
        {
            "name": f"Bench GPU {g:03d}",
            "aliases": f"NVIDIA Bench GPU {g:03d}",
            "vendor": "NVIDIA",
            "architecture": "Ada",
            "sm_count": str(40 + g % 100),
            "boost_clock_mhz": "2500",
            "vram_gib": str(12 + 4 * (g % 5)),
            "availability": "new",
            "form_factor": "desktop",
            "spec_source_url": "https://example.org/spec",
        }
        for g in range(gpus)
    ]
    write_csv(root / "catalog" / "gpus.csv", GPUS, catalogue)
    per_gpu = runs // gpus
    for g in range(gpus):
        bench_id = f"bench-{g:03d}"
        uuid = f"GPU-{g:08d}-0000-0000-0000-000000000000"
        bench = root / "benches" / bench_id
        bench.mkdir(parents=True)
        meta = {
            "bench_id": bench_id,
            "created_at": "2026-11-28T10:00:00Z",
            "device": "cuda",
            "weights": "synthetic",
            "gpus": [{"index": 0, "uuid": uuid, "name_nvml": f"NVIDIA Bench GPU {g:03d}"}],
        }
        (bench / "bench.json").write_text(json.dumps(meta))
        common = {"bench_id": bench_id, "gpu_index": "0", "gpu_uuid": uuid, "device": "cuda"}
        rows = [
            {
                **common,
                "run_index": str(i),
                "gpu_name_nvml": f"NVIDIA Bench GPU {g:03d}",
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
                "started_at": "2026-11-28T10:00:00Z",
                "total_s": f"{3 + (i % 17) / 100:.3f}",
                "text_encode_s": "0.05",
                "denoise_s": "2.9",
                "decode_s": "0.1",
                "peak_allocated_gib": "20.1",
                "peak_reserved_gib": "21.0",
                "power_mean_w": "400",
                "power_max_w": "480",
                "energy_j": "1300",
                "gpu_temp_max_c": "70",
                "sm_clock_mean_mhz": "2600",
                "clock_event_reasons": "0",
                "image_sha256": "0" * 64,
            }
            for i in range(per_gpu)
        ]
        write_csv(bench / "runs.csv", RUNS, rows)
        probe = {
            **common,
            "gpu_name": f"Bench GPU {g:03d}",
            "probe": "bf16_matmul",
            "value": "150",
            "unit": "tflops",
            "status": "ok",
        }
        write_csv(bench / "probes.csv", PROBES_TABLE, [probe])
        samples = [
            {"bench_id": bench_id, "gpu_index": "0", "t_s": f"{t / 10:.1f}", "power_w": "400"}
            for t in range(50)
        ]
        write_csv(bench / "telemetry.csv", TELEMETRY, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--gpus", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "measurements"
        started = time.perf_counter()
        generate(root, args.runs, args.gpus)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        dataset, problems = check(root)
        elapsed = time.perf_counter() - started
    print(f"generated {args.runs} run rows over {args.gpus} GPUs in {generated:.1f} s")
    print(f"load + validate: {elapsed:.2f} s ({len(dataset.runs)} runs, {len(problems)} problems)")
    print("target: under 10 s on a 2-core machine:", "met" if elapsed < 10 else "NOT met")


if __name__ == "__main__":
    main()
