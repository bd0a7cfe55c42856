"""Motherboard / PCIe advice from probes: link seen, host-to-device bandwidth, load time."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from guide_builder.analysis import storage
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


# --- Computed advice (no bench needed) -------------------------------------------------
# Bytes over PCIe per image: each variant moves these components host -> GPU per image
# ("transformer_per_forward": once per transformer forward). Quantised variants that fit
# move nothing after loading; "+text_encoder_unload" adds the encoder per image.
@dataclass(frozen=True)
class Link:
    """A slot as the card sees it: generation, lanes, and where it hangs."""

    gen: int
    lanes: int
    where: str  # "cpu" or "chipset"


@dataclass(frozen=True)
class LinkRate:
    gb_s: float
    evidence: str  # "measured" (a published copy on this link) or "estimated"
    basis: str  # in words: which measurement, or theoretical x measured fraction


@dataclass(frozen=True)
class LinkTime:
    link: Link
    pinned: LinkRate
    pageable_gb_s: float
    image_s: float  # per image, pinned
    image_pageable_s: float
    load_s: float  # the weights to the GPU once, pinned


@dataclass(frozen=True)
class VariantPcie:
    gpu: str
    variant: str
    image_gb: float
    load_gb: float
    times: tuple[LinkTime, ...]


def bytes_per_image(dataset: Dataset, config: AnalysisConfig, variant: str, forwards: int) -> float:
    """Bytes the variant copies host -> GPU for one image: config.variant_transfers' copies
    of each component, in the storage it has once loaded (exact bytes where the table has
    them)."""
    moves = config.variant_transfers.get(variant, {})
    loaded = storage.gpu_storage(variant)
    total = 0.0
    for what, times in moves.items():
        component = "transformer" if what == "transformer_per_forward" else what
        count = forwards if what == "transformer_per_forward" else times
        total += count * storage.component_bytes(dataset, config, component, loaded[component])
    return total


def theoretical(dataset: Dataset, gen: int, lanes: int) -> float | None:
    links = dataset.reference("pcie_links")
    hit = links.loc[(links["kind"] == "theoretical") & (links["gen"] == gen)]
    return float(hit["gb_s"].iloc[0]) * lanes if not hit.empty else None


def link_rate(dataset: Dataset, link: Link) -> LinkRate | None:
    """Pinned host-to-device rate on a link: a published measurement on that exact link,
    else the theoretical rate times the fraction measured copies reach at x16."""
    links = dataset.reference("pcie_links")
    pinned = links.loc[links["kind"] == "measured_pinned"]
    exact = pinned.loc[(pinned["gen"] == link.gen) & (pinned["lanes"] == link.lanes)]
    if not exact.empty:
        row = exact.iloc[0]
        return LinkRate(float(row["gb_s"]), "measured", f"{row['gpu']}: {row['source']}")
    peak = theoretical(dataset, link.gen, link.lanes)
    if peak is None:
        return None
    fractions = [
        (int(g), float(v) / theoretical(dataset, int(g), int(n)))
        for g, n, v in zip(pinned["gen"], pinned["lanes"], pinned["gb_s"], strict=True)
        if theoretical(dataset, int(g), int(n))
    ]
    if not fractions:
        return LinkRate(peak, "estimated", "theoretical")
    gen, fraction = min(fractions, key=lambda f: (abs(f[0] - link.gen), f[0]))
    return LinkRate(
        peak * fraction,
        "estimated",
        f"theoretical {peak:.1f} GB/s x {fraction:.2f} (measured share on PCIe {gen}.0 x16)",
    )


def pageable_share(dataset: Dataset) -> float:
    """Pageable / pinned on the same link and card, from the catalogue (1.0 without a pair)."""
    links = dataset.reference("pcie_links")
    pin = links.loc[links["kind"] == "measured_pinned"]
    page = links.loc[links["kind"] == "measured_pageable"]
    for _, p in page.iterrows():
        same = pin.loc[
            (pin["gen"] == p["gen"]) & (pin["lanes"] == p["lanes"]) & (pin["gpu"] == p["gpu"])
        ]
        if not same.empty:
            return float(p["gb_s"]) / float(same["gb_s"].iloc[0])
    return 1.0


def card_links(gen: int) -> tuple[Link, ...]:
    """The slots a card may end up in: its own generation at x16 and x8 (a second card or an
    M.2 drive taking lanes), a chipset x4 slot (PCIe 4.0 at best), and an older PCIe 3.0 x16 board."""
    out = [Link(gen, 16, "cpu"), Link(gen, 8, "cpu"), Link(min(gen, 4), 4, "chipset")]
    if gen > 3:
        out.append(Link(3, 16, "cpu"))
    return tuple(out)


def pcie_estimates(
    dataset: Dataset, config: AnalysisConfig, variants: tuple[str, ...] | None = None
) -> list[VariantPcie]:
    wl = dataset.workloads
    hit = wl.loc[wl["workload"] == config.reference_workload]
    forwards = int(hit["transformer_forwards"].iloc[0]) if not hit.empty else 8
    variants = variants or storage.VARIANTS
    share = pageable_share(dataset)
    out: list[VariantPcie] = []
    for _, card in dataset.gpus.iterrows():
        gen = card["pcie_gen"]
        if pd.isna(gen):
            continue
        rates = [(link, link_rate(dataset, link)) for link in card_links(int(gen))]
        rates = [(link, r) for link, r in rates if r is not None]
        if not rates:
            continue
        for variant in variants:
            image = bytes_per_image(dataset, config, variant, forwards)
            load = storage.bytes_loaded(dataset, config, variant)
            times = tuple(
                LinkTime(
                    link=link,
                    pinned=rate,
                    pageable_gb_s=rate.gb_s * share,
                    image_s=image / (rate.gb_s * 1e9),
                    image_pageable_s=image / (rate.gb_s * share * 1e9),
                    load_s=load / (rate.gb_s * 1e9),
                )
                for link, rate in rates
            )
            out.append(VariantPcie(str(card["name"]), variant, image / 1e9, load / 1e9, times))
    return out


def reference_sources(dataset: Dataset) -> list[dict]:
    """The hardware reference rows and the PCIe link rows, as {kind, item, source, url} for pages."""
    rows = [
        {"kind": r["kind"], "item": r["item"], "source": r["source"], "url": r["url"]}
        for r in dataset.reference("hardware_refs").to_dict("records")
    ]
    for r in dataset.reference("pcie_links").to_dict("records"):
        item = f"PCIe {r['gen']}.0 x{r['lanes']} {r['kind'].replace('_', ' ')} {r['gpu']}".strip()
        rows.append({"kind": "pcie_link", "item": item, "source": r["source"], "url": r["url"]})
    return rows
