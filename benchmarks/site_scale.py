"""How the site build scales: 100,000 runs over 200 GPUs against the shipped data.

    .venv/bin/python benchmarks/site_scale.py [--rows 100000] [--gpus 200] [--keep]

Generates a catalogue of N GPUs and benches with the given number of runs.csv
rows (plus telemetry) in a temporary folder (never committed), builds the site
with `mkdocs build --strict` for it and for the shipped measurements/, and
prints build seconds, seconds per page, and the largest page's size including
the chart JSON it loads (plotly.js excluded: it is one cached file per site).
Targets on a 2-core machine: at most 60 s in all, about the same seconds per
page at both sizes, no page above 300 KB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from guide_builder.schema import GPUS, PRICES, PROBES_TABLE, RUNS, TELEMETRY, WORKLOADS  # noqa: E402

ARCHES = {"Ampere": 512, "Ada": 512, "Blackwell": 512}
GPUS_PER_BENCH = 10
TELEMETRY_PER_GPU = 500


def _write(path: Path, names: list[str], rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(["" if row.get(n) is None else row[n] for n in names])


def generate(root: Path, rows: int, gpus: int, seed: int = 1) -> Path:
    """A valid measurements tree: catalogue, workloads and synthetic-weights benches."""
    rnd = random.Random(seed)
    catalogue = []
    for i in range(gpus):
        arch = rnd.choice(list(ARCHES))
        sms = rnd.randrange(24, 180)
        clock = rnd.randrange(1600, 2700)
        bf16 = round(sms * clock * 1e6 * ARCHES[arch] / 1e12, 1)
        price = rnd.randrange(2000, 30000)
        catalogue.append(
            {
                "name": f"Test GPU {i:04d}",
                "vendor": "NVIDIA",
                "architecture": arch,
                "sm_count": sms,
                "boost_clock_mhz": clock,
                "vram_gib": rnd.choice([8, 12, 16, 20, 24, 32, 48]),
                "bandwidth_gb_s": rnd.randrange(250, 1800),
                "bf16_tflops": bf16,
                "bf16_tflops_basis": "whitepaper",
                "board_power_w": rnd.randrange(120, 600),
                "pcie_gen": 4,
                "pcie_lanes": 16,
                "msrp_usd": round(price / 7.1),
                "availability": "official",
                "form_factor": "desktop",
                "segment": "consumer",
                "spec_source_url": f"https://example.org/gpu/{i}",
            }
        )
    _write(root / "catalog/gpus.csv", GPUS.names, catalogue)
    _write(
        root / "catalog/prices.csv",
        PRICES.names,
        [
            {
                "card": g["name"],
                "kind": "street",
                "price_cny": round(g["msrp_usd"] * 7.1),
                "date": "2026-11-01",
                "source": "generated for the scale benchmark",
                "url": "https://example.org/price",
                "quote": "generated",
            }
            for g in catalogue
        ],
    )
    _write(
        root / "catalog/workloads.csv",
        WORKLOADS.names,
        [
            {
                "workload": "zimage-turbo-1024",
                "model": "Tongyi-MAI/Z-Image-Turbo",
                "width": 1024,
                "height": 1024,
                "steps": 8,
                "transformer_forwards": 8,
                "caption_tokens": 64,
                "transformer_tflop_per_forward": 55.6,
                "diffusers_version": "0.42.1",
                "torch_version": "2.13.0",
            }
        ],
    )
    per_gpu = rows // gpus
    for b in range(0, gpus, GPUS_PER_BENCH):
        bench_id = f"scale-{b // GPUS_PER_BENCH:03d}"
        members = catalogue[b : b + GPUS_PER_BENCH]
        uuids = [f"GPU-{b + k:08d}-0000-0000-0000-000000000000" for k in range(len(members))]
        meta = {
            "schema_version": 1,
            "bench_id": bench_id,
            "created_at": "2026-11-20T10:00:00Z",
            "device": "cuda",
            "weights": "synthetic",
            "torch_version": "2.13.0",
            "diffusers_version": "0.42.1",
            "gpus": [
                {"index": k, "uuid": u, "name_nvml": g["name"], "name": g["name"]}
                for k, (u, g) in enumerate(zip(uuids, members, strict=True))
            ],
        }
        bench = root / "benches" / bench_id
        bench.mkdir(parents=True)
        (bench / "bench.json").write_text(json.dumps(meta), encoding="utf-8")
        runs, tele, probes = [], [], []
        index = 0
        for k, (uuid, g) in enumerate(zip(uuids, members, strict=True)):
            base = 445 / (g["bf16_tflops"] * rnd.uniform(0.4, 0.8))
            for n in range(per_gpu):
                phase = "memory" if n == 0 else "warmup" if n < 3 else "timed"
                s = base * rnd.uniform(0.98, 1.05)
                runs.append(
                    {
                        "bench_id": bench_id,
                        "run_index": index,
                        "gpu_index": k,
                        "gpu_uuid": uuid,
                        "gpu_name_nvml": g["name"],
                        "gpu_name": g["name"],
                        "device": "cuda",
                        "workload": "zimage-turbo-1024",
                        "variant": "plain" if n % 2 == 0 else "text_encoder_unload",
                        "weights": "synthetic",
                        "dtype": "bf16",
                        "width": 1024,
                        "height": 1024,
                        "steps": 8,
                        "transformer_forwards": 8,
                        "caption_tokens": 64,
                        "seed": 42,
                        "phase": phase,
                        "status": "ok",
                        "total_s": round(s, 4),
                        "peak_allocated_gib": 19.5,
                        "peak_reserved_gib": 20.1,
                        "power_mean_w": g["board_power_w"] * 0.9,
                        "power_max_w": g["board_power_w"] * 1.2,
                        "energy_j": round(g["board_power_w"] * 0.9 * s, 1),
                        "gpu_temp_max_c": 75,
                    }
                )
                index += 1
            for n in range(TELEMETRY_PER_GPU):
                tele.append(
                    {
                        "bench_id": bench_id,
                        "gpu_index": k,
                        "t_s": n / 10,
                        "power_w": g["board_power_w"] * 0.9,
                        "gpu_temp_c": 40 + n * 0.08,
                        "sm_clock_mhz": g["boost_clock_mhz"],
                    }
                )
            probes.append(
                {
                    "bench_id": bench_id,
                    "gpu_index": k,
                    "gpu_uuid": uuid,
                    "gpu_name": g["name"],
                    "device": "cuda",
                    "probe": "bf16_matmul",
                    "value": round(g["bf16_tflops"] * 0.9, 1),
                    "unit": "tflops",
                    "status": "ok",
                }
            )
        _write(bench / "runs.csv", RUNS.names, runs)
        _write(bench / "telemetry.csv", TELEMETRY.names, tele)
        _write(bench / "probes.csv", PROBES_TABLE.names, probes)
    return root


def build(data: Path, work: Path) -> tuple[float, Path, str]:
    """A strict `mkdocs build` of the repository's mkdocs.yml over `data`; (seconds, site, log)."""
    config = yaml.safe_load(
        (REPO / "mkdocs.yml").read_text(encoding="utf-8").replace('!ENV [SITE_URL, ""]', '""')
    )
    config.update(docs_dir=str(work / "docs"), watch=[str(data)])
    (work / "docs").mkdir(parents=True, exist_ok=True)
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "guide-builder" in plugin:
            plugin["guide-builder"]["data_dir"] = str(data)
    path = work / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    site = work / "site"
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(path), "-d", str(site)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stdout}{proc.stderr}")
    return seconds, site, proc.stdout + proc.stderr


def page_sizes(site: Path) -> dict[str, int]:
    """Bytes per page: its HTML plus the chart JSON files it loads."""
    sizes = {}
    for html in site.rglob("*.html"):
        rel = html.relative_to(site).as_posix()
        if rel.endswith("404.html"):
            continue
        text = html.read_text(encoding="utf-8")
        total = len(text.encode("utf-8"))
        for src in re.findall(r'data-src="([^"]+)"', text):
            chart = (html.parent / src).resolve()
            if chart.is_file():
                total += chart.stat().st_size
        sizes[rel] = total
    return sizes


def _timings(log: str) -> dict[str, float]:
    """The plugin's own timing line: total, load, analyse and render seconds."""
    found = re.search(
        r"in ([\d.]+) s \(load ([\d.]+) s, analyse ([\d.]+) s, render ([\d.]+) s\)", log
    )
    if not found:
        return dict.fromkeys(("total", "load", "analyse", "render"), 0.0)
    return dict(
        zip(("total", "load", "analyse", "render"), map(float, found.groups()), strict=True)
    )


def report(label: str, seconds: float, site: Path) -> tuple[float, int]:
    sizes = page_sizes(site)
    largest = max(sizes, key=sizes.get)
    per_page = seconds / len(sizes)
    print(
        f"{label:>9}: {seconds:6.1f} s build, {len(sizes):4d} pages, {per_page * 1000:6.1f} ms/page, "
        f"largest page {largest} {sizes[largest] / 1024:.0f} KB (with its chart data)"
    )
    return per_page, sizes[largest]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="runs.csv rows in all")
    parser.add_argument("--gpus", type=int, default=200, help="GPUs in the generated catalogue")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="guide-scale-"))
    try:
        start = time.monotonic()
        data = generate(tmp / "data", args.rows, args.gpus)
        print(
            f"generated {args.rows:,} runs for {args.gpus} GPUs in {time.monotonic() - start:.1f} s ({tmp})"
        )
        small_s, small_site, small_log = build(REPO / "measurements", tmp / "shipped")
        large_s, large_site, large_log = build(data, tmp / "large")
        small_pp, _ = report("shipped", small_s, small_site)
        large_pp, largest = report("generated", large_s, large_site)
        small_t, large_t = _timings(small_log), _timings(large_log)
        for label, t, seconds in (("shipped", small_t, small_s), ("generated", large_t, large_s)):
            print(
                f"{label:>9}: load {t['load']:.1f} s, analyse {t['analyse']:.1f} s, "
                f"render {t['render']:.1f} s, MkDocs (both languages) {seconds - t['total']:.1f} s"
            )
        pages_small, pages_large = len(page_sizes(small_site)), len(page_sizes(large_site))
        site_small = (small_s - small_t["analyse"]) / pages_small
        site_large = (large_s - large_t["analyse"]) / pages_large
        print(
            f"without the analysis: {site_small * 1000:.1f} ms/page shipped, "
            f"{site_large * 1000:.1f} ms/page generated (ratio {site_large / site_small:.2f})"
        )
        print(
            f"targets: total {large_s:.1f} s <= 60 s: {'ok' if large_s <= 60 else 'MISSED'}; "
            f"per-page ratio {large_pp / small_pp:.2f} (about 1 = linear); "
            f"largest page {largest / 1024:.0f} KB <= 300 KB: {'ok' if largest <= 300 * 1024 else 'MISSED'}"
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
