"""Motherboard / PCIe advice from probes: link seen, host-to-device bandwidth, load time."""

from __future__ import annotations

import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import PcieAdvice
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, join, msg

GIB = 2**30


def _values(probes: pd.DataFrame) -> dict[str, float]:
    """Each probe's first ok value (in row order)."""
    hit = probes.loc[(probes["status"] == "ok") & probes["value"].notna()]
    out: dict[str, float] = {}
    for probe, value in zip(hit["probe"], hit["value"], strict=True):
        out.setdefault(probe, float(value))
    return out


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
        values = _values(rows)
        a = PcieAdvice(
            gpu=gpu,
            bench_id=str(bench),
            link_gen=_int(values.get("pcie_link_gen")),
            link_width=_int(values.get("pcie_link_width")),
            max_gen=_int(values.get("pcie_link_max_gen")) or (meta.pcie_max_gen if meta else None),
            max_width=_int(values.get("pcie_link_max_width"))
            or (meta.pcie_max_width if meta else None),
            h2d_gb_s=values.get("h2d_bandwidth"),
            load_cold_s=values.get("model_load_cold"),
            load_warm_s=values.get("model_load_warm"),
            disk_read_gb_s=values.get("disk_read"),
            advice=msg("pcie.no_probes"),
        )
        out.append(_with_advice(a, weights_gb))
    return _compare(out)


def _bench_gpu(dataset: Dataset, bench: str, gpu: str):
    meta = dataset.benches.get(bench)
    return next((g for g in meta.gpus if g.name == gpu), None) if meta else None


def _with_advice(a: PcieAdvice, weights_gb: float) -> PcieAdvice:
    parts: list[Message] = []
    if a.link_gen and a.link_width:
        parts.append(msg("pcie.link", gen=a.link_gen, width=a.link_width))
        if (a.max_gen and a.link_gen < a.max_gen) or (a.max_width and a.link_width < a.max_width):
            parts.append(msg("pcie.below_max", max_gen=a.max_gen, max_width=a.max_width))
    if a.h2d_gb_s:
        transfer = weights_gb / a.h2d_gb_s
        parts.append(msg("pcie.h2d", h2d=a.h2d_gb_s, weights_gb=weights_gb, transfer=transfer))
        if a.load_warm_s:
            share = transfer / a.load_warm_s
            parts.append(msg("pcie.share", share=share, warm=a.load_warm_s))
    if a.load_cold_s and a.load_warm_s and a.load_cold_s > 2 * a.load_warm_s:
        parts.append(
            msg("pcie.cold_disk", cold=a.load_cold_s, warm=a.load_warm_s, disk=a.disk_read_gb_s)
            if a.disk_read_gb_s
            else msg("pcie.cold", cold=a.load_cold_s, warm=a.load_warm_s)
        )
    advice = join(*parts) if parts else msg("pcie.no_probes")
    return PcieAdvice(**{**a.__dict__, "advice": advice})


def _compare(items: list[PcieAdvice]) -> list[PcieAdvice]:
    """Where the same card was measured on several links, say what the slower link cost."""
    out = []
    for a in items:
        peers = [b for b in items if b.gpu == a.gpu and b is not a and b.h2d_gb_s and a.h2d_gb_s]
        best = max(peers, key=lambda b: b.h2d_gb_s, default=None)
        if best and best.h2d_gb_s > 1.2 * a.h2d_gb_s and best.load_warm_s and a.load_warm_s:
            note = msg(
                "pcie.compare",
                bench=best.bench_id,
                gen=best.link_gen,
                width=best.link_width,
                h2d=best.h2d_gb_s,
                best_warm=best.load_warm_s,
                warm=a.load_warm_s,
            )
            parts = a.advice.values["items"] if a.advice.key == "joined" else (a.advice,)
            a = PcieAdvice(**{**a.__dict__, "advice": join(*parts, note)})
        out.append(a)
    return out
