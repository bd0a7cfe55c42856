"""Hand-made measurement trees for the analysis tests, loaded through the real loader.

(A uniquely named module: `conftest` is taken by other test folders.)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from guide_builder.dataset import Dataset, load_dataset
from guide_builder.schema import (
    FX_RATES,
    GPUS,
    PARTS,
    PRICES,
    PROBES_TABLE,
    REPORTED,
    REPORTED_RUNS,
    RUNS,
    TELEMETRY,
    WORKLOADS,
    Table,
)

WL = "zimage-turbo-1024"
# 8 forwards x 50 TFLOP, nothing else counted: 400 TFLOP per image (easy to check by hand).
TFLOP = 400.0


def csv_text(table: Table, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.names)
    for row in rows:
        writer.writerow(["" if row.get(n) is None else str(row.get(n)) for n in table.names])
    return out.getvalue()


def gpu(
    name: str,
    arch: str = "Ada",
    sms: int = 100,
    boost: float = 2000,
    vram: float = 24,
    price: float | None = 10000,
    **kw,
) -> dict:
    row = {
        "name": name,
        "aliases": "",
        "vendor": "NVIDIA",
        "architecture": arch,
        "sm_count": sms,
        "boost_clock_mhz": boost,
        "vram_gib": vram,
        "bandwidth_gb_s": 1000,
        "board_power_w": 300,
        "availability": "official",
        "form_factor": "desktop",
        "segment": "consumer",
        "spec_source_url": "https://example.org/spec",
        # written to catalog/prices.csv by build() (a street price of 2026-11-01)
        "price_cny": price,
    }
    row.update(kw)
    if "segment" not in kw and row["form_factor"] == "datacenter":
        row["segment"] = "datacenter"  # as the catalogue files data-centre cards
    return row


def price_row(card: str, kind: str, cny: float, date: str, **kw) -> dict:
    row = {
        "card": card,
        "kind": kind,
        "price_cny": cny,
        "date": date,
        "source": "test shop",
        "url": "https://example.org/price",
        "quote": f"{cny} 元",
    }
    row.update(kw)
    return row


def workload(name: str = WL, per_forward: float = 50.0, forwards: int = 8, **kw) -> dict:
    row = {
        "workload": name,
        "model": "Tongyi-MAI/Z-Image-Turbo",
        "width": 1024,
        "height": 1024,
        "steps": 8,
        "transformer_forwards": forwards,
        "caption_tokens": 64,
        "transformer_tflop_per_forward": per_forward,
        "diffusers_version": "0.42.1",
        "torch_version": "2.13.0",
    }
    row.update(kw)
    return row


def run(bench: str, index: int, gpu_name: str, total_s: float | None = 5.0, **kw) -> dict:
    row = {
        "bench_id": bench,
        "run_index": index,
        "gpu_index": 0,
        "gpu_uuid": f"GPU-{bench}",
        "gpu_name_nvml": gpu_name,
        "gpu_name": gpu_name,
        "device": "cuda",
        "workload": WL,
        "variant": "plain",
        "weights": "real",
        "dtype": "bf16",
        "width": 1024,
        "height": 1024,
        "steps": 8,
        "transformer_forwards": 8,
        "seed": 42,
        "phase": "timed",
        "status": "ok",
        "total_s": total_s,
    }
    row.update(kw)
    return row


def timed(bench: str, gpu_name: str, times: list[float], start: int = 0, **kw) -> list[dict]:
    return [run(bench, start + i, gpu_name, t, **kw) for i, t in enumerate(times)]


def probe(bench: str, gpu_name: str, name: str, value: float, unit: str, **kw) -> dict:
    row = {
        "bench_id": bench,
        "gpu_index": 0,
        "gpu_uuid": f"GPU-{bench}",
        "gpu_name": gpu_name,
        "device": "cuda",
        "probe": name,
        "value": value,
        "unit": unit,
        "status": "ok",
    }
    row.update(kw)
    return row


def claim(
    gpu_name: str,
    kind: str,
    value: float | None,
    unit: str | None,
    precision: str | None = None,
    **kw,
) -> dict:
    row = {
        "source": "test article",
        "date": "2026-02-24",
        "gpu": gpu_name,
        "claim": kind,
        "value": value,
        "unit": unit,
        "precision": precision,
        "resolution": "1024x1024",
    }
    row.update(kw)
    return row


def reported_run(
    gpu_name: str, seconds_per_image: float | None, source: str = "issue 1", **kw
) -> dict:
    """A reference-setup reported run (diffusers, bf16, 8 forwards, whole pipeline)."""
    row = {
        "source": source,
        "source_url": f"https://example.org/{source.replace(' ', '-')}",
        "date": "2026-01-10",
        "gpu": gpu_name,
        "gpu_count": 1,
        "resolution": "1024x1024",
        "dit_forwards": 8,
        "forwards_basis": "num_inference_steps=9 in diffusers",
        "precision": "bf16",
        "toolchain": "diffusers",
        "compile": "no",
        "offload": "none",
        "seconds_per_image": seconds_per_image,
        "time_covers": "pipeline",
        "grade": "A",
        "quote": f"{seconds_per_image} s",
    }
    row.update(kw)
    return row


def build(
    root: Path,
    gpus: list[dict],
    runs: list[dict] = (),
    probes: list[dict] = (),
    telemetry: list[dict] = (),
    reported: list[dict] = (),
    workloads: list[dict] | None = None,
    prices: list[dict] | None = None,
    fx: list[dict] = (),
    parts: list[dict] = (),
    reported_runs: list[dict] = (),
) -> Dataset:
    """Write a measurements tree (one bench per bench_id, one GPU each) and load it.

    Each GPU's `price_cny` becomes a street price of 2026-11-01 in prices.csv; `prices`
    adds rows of its own (card, kind, price_cny, date)."""
    (root / "catalog").mkdir(parents=True)
    (root / "catalog" / "gpus.csv").write_text(csv_text(GPUS, gpus))
    price_rows = [
        price_row(g["name"], "street", g["price_cny"], "2026-11-01")
        for g in gpus
        if g.get("price_cny")
    ] + list(prices or ())
    (root / "catalog" / "prices.csv").write_text(csv_text(PRICES, price_rows))
    source = {"source": "test", "url": "https://example.org/x", "quote": "test"}
    rates = [{**source, **r, "quote": str(r["cny_per_usd"])} for r in fx]
    (root / "catalog" / "fx_rates.csv").write_text(csv_text(FX_RATES, rates))
    parts_rows = [{"kind": "street", "date": "2026-11-01", **source, **r} for r in parts]
    (root / "catalog" / "parts.csv").write_text(csv_text(PARTS, parts_rows))
    (root / "catalog" / "workloads.csv").write_text(
        csv_text(WORKLOADS, [workload()] if workloads is None else workloads)
    )
    benches: dict[str, dict[str, list]] = {}
    for kind, rows in (("runs", runs), ("probes", probes), ("telemetry", telemetry)):
        for r in rows:
            benches.setdefault(r["bench_id"], {"runs": [], "probes": [], "telemetry": []})[
                kind
            ].append(r)
    for bench, parts in benches.items():
        folder = root / "benches" / bench
        folder.mkdir(parents=True)
        named = [r for r in parts["runs"] + parts["probes"] if r.get("gpu_name")]
        name = named[0]["gpu_name"]
        weights = parts["runs"][0]["weights"] if parts["runs"] else "real"
        meta = {
            "schema_version": 1,
            "bench_id": bench,
            "created_at": "2026-11-28T10:00:00Z",
            "device": "cuda",
            "weights": weights,
            "gpus": [{"index": 0, "uuid": f"GPU-{bench}", "name_nvml": name, "name": name}],
        }
        (folder / "bench.json").write_text(json.dumps(meta))
        (folder / "runs.csv").write_text(csv_text(RUNS, parts["runs"]))
        (folder / "probes.csv").write_text(csv_text(PROBES_TABLE, parts["probes"]))
        (folder / "telemetry.csv").write_text(csv_text(TELEMETRY, parts["telemetry"]))
    if reported:
        (root / "reported").mkdir()
        (root / "reported" / "claims.csv").write_text(csv_text(REPORTED, reported))
    if reported_runs:
        (root / "reported" / "runs").mkdir(parents=True)
        (root / "reported" / "runs" / "runs.csv").write_text(csv_text(REPORTED_RUNS, reported_runs))
    return load_dataset(root)


def peak(arch_rate: int, sms: int, mhz: float) -> float:
    """TFLOPS by hand: SMs x FLOP/clock/SM x clock."""
    return sms * arch_rate * mhz * 1e6 / 1e12
