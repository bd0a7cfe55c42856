"""Motherboard / PCIe advice from probes: link seen, host-to-device bandwidth, load time."""

from __future__ import annotations

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import PcieAdvice
from guide_builder.dataset import Dataset

GIB = 2**30


def _value(probes: pd.DataFrame, probe: str) -> float | None:
    hit = probes.loc[
        (probes["probe"] == probe) & (probes["status"] == "ok") & probes["value"].notna()
    ]
    return None if hit.empty else float(hit["value"].iloc[0])


def _int(x: float | None) -> int | None:
    return None if x is None else int(x)


def pcie(dataset: Dataset, config: AnalysisConfig) -> list[PcieAdvice]:
    probes = dataset.probes
    if probes.empty:
        return []
    probes = probes.loc[(probes["device"] == "cuda") & (probes["gpu_name"] != "")]
    weights_gb = sum(config.component_sizes().values()) * GIB / 1e9
    out: list[PcieAdvice] = []
    for (bench, gpu, _), rows in probes.groupby(["bench_id", "gpu_name", "gpu_index"], sort=True):
        meta = _bench_gpu(dataset, str(bench), gpu)
        a = PcieAdvice(
            gpu=gpu,
            bench_id=str(bench),
            link_gen=_int(_value(rows, "pcie_link_gen")),
            link_width=_int(_value(rows, "pcie_link_width")),
            max_gen=_int(_value(rows, "pcie_link_max_gen"))
            or (meta.pcie_max_gen if meta else None),
            max_width=_int(_value(rows, "pcie_link_max_width"))
            or (meta.pcie_max_width if meta else None),
            h2d_gb_s=_value(rows, "h2d_bandwidth"),
            load_cold_s=_value(rows, "model_load_cold"),
            load_warm_s=_value(rows, "model_load_warm"),
            disk_read_gb_s=_value(rows, "disk_read"),
            advice="",
        )
        out.append(_with_advice(a, weights_gb))
    return _compare(out)


def _bench_gpu(dataset: Dataset, bench: str, gpu: str):
    meta = dataset.benches.get(bench)
    return next((g for g in meta.gpus if g.name == gpu), None) if meta else None


def _with_advice(a: PcieAdvice, weights_gb: float) -> PcieAdvice:
    parts: list[str] = []
    if a.link_gen and a.link_width:
        parts.append(f"link seen at PCIe gen {a.link_gen} x{a.link_width}")
        if (a.max_gen and a.link_gen < a.max_gen) or (a.max_width and a.link_width < a.max_width):
            parts.append(
                f"below the maximum gen {a.max_gen} x{a.max_width}: put the card in the x16 slot "
                "wired to the CPU (not the chipset), or check for a riser or shared lanes"
            )
    if a.h2d_gb_s:
        transfer = weights_gb / a.h2d_gb_s
        parts.append(
            f"host-to-device {a.h2d_gb_s:.1f} GB/s moves the {weights_gb:.1f} GB of bf16 weights in {transfer:.1f} s"
        )
        if a.load_warm_s:
            share = transfer / a.load_warm_s
            parts.append(f"{share:.0%} of the {a.load_warm_s:.1f} s warm load")
    if a.load_cold_s and a.load_warm_s and a.load_cold_s > 2 * a.load_warm_s:
        parts.append(
            f"cold load {a.load_cold_s:.1f} s vs warm {a.load_warm_s:.1f} s: the disk, not the slot, "
            f"sets first-load time"
            + (f" ({a.disk_read_gb_s:.1f} GB/s read)" if a.disk_read_gb_s else "")
        )
    return PcieAdvice(**{**a.__dict__, "advice": "; ".join(parts) or "no PCIe probes recorded"})


def _compare(items: list[PcieAdvice]) -> list[PcieAdvice]:
    """Where the same card was measured on several links, say what the slower link cost."""
    out = []
    for a in items:
        peers = [b for b in items if b.gpu == a.gpu and b is not a and b.h2d_gb_s and a.h2d_gb_s]
        best = max(peers, key=lambda b: b.h2d_gb_s, default=None)
        if best and best.h2d_gb_s > 1.2 * a.h2d_gb_s and best.load_warm_s and a.load_warm_s:
            note = (
                f"; on bench {best.bench_id} (gen {best.link_gen} x{best.link_width}, "
                f"{best.h2d_gb_s:.1f} GB/s) the warm load took {best.load_warm_s:.1f} s instead of "
                f"{a.load_warm_s:.1f} s: a full x16 CPU slot makes that difference"
            )
            a = PcieAdvice(**{**a.__dict__, "advice": a.advice + note})
        out.append(a)
    return out
