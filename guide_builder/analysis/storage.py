"""Storage and system memory: bytes each variant reads, load-time floors, RAM and disk.

Bytes come from ``catalog/variant_memory.csv`` (exact accounting from the real
architecture) when the dataset has it; until then from the config's bf16
component sizes and the bytes per weight of each storage type. A load-time
floor is the bytes read at a drive class's sequential rate plus the copy of the
weights to the GPU at the card's link: a real load also parses and casts, so
it is slower. Measured ``model_load_cold``/``model_load_warm``/``disk_read``
probes replace the floor on benches that have them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from guide_builder.accounting import (
    COMPONENTS,
    GIB,
    PLACEMENT,
    STORAGES,
    VARIANT_SCHEME,
    placement,
    variant_scheme,
)
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.rows import num, text
from guide_builder.dataset import Dataset

GB = 1e9
COMPUTE_STORAGE = "bf16"
# Without catalog/variant_memory.csv, bytes are params x bytes per weight, with Q4_K for the
# whole of Q4_K_M (its real per-tensor mix is in the table).
_FALLBACK_STORAGE = {"gguf_q4_k_m": "gguf_q4_k"}
BASE_VARIANTS = tuple(PLACEMENT)
VARIANTS = (
    *BASE_VARIANTS,
    *VARIANT_SCHEME,
    *(f"{v}+text_encoder_unload" for v in VARIANT_SCHEME),
)
# Layouts: the Hugging Face repo as published (transformer in fp32, the rest as shipped)
# and ComfyUI's split model folders (each component one file in the storage it runs in).
LAYOUTS = ("hf_published", "comfyui")
PUBLISHED_STORAGE = {"transformer": "fp32", "text_encoder": "bf16", "vae": "fp32"}
# Assumptions, not measurements (shown on the page as such).
OS_AND_APPS_GIB = 8.0
SYSTEM_DRIVE_GB = 200.0
RAM_SIZES_GIB = (16, 32, 48, 64, 96, 128, 192)
SSD_SIZES_GB = (512, 1000, 2000, 4000, 8000)
SSD_FILL_FALLBACK = 0.75


def split_variant(variant: str) -> tuple[str, bool]:
    """("fp8", True) for "fp8+text_encoder_unload"; the base name and whether the encoder leaves."""
    base, _, extra = variant.partition("+")
    return base, extra == "text_encoder_unload" or base == "text_encoder_unload"


def component_bytes(
    dataset: Dataset, config: AnalysisConfig, component: str, storage: str
) -> float:
    """Weight bytes of a component in a storage type: catalog/variant_memory.csv, else params x bytes/weight."""
    table = getattr(dataset, "variant_memory", None)
    if isinstance(table, pd.DataFrame) and not table.empty:
        hit = table.loc[(table["component"] == component) & (table["storage"] == storage)]
        if not hit.empty and num(hit["weight_bytes"].iloc[0]):
            return float(hit["weight_bytes"].iloc[0])
    params = config.component_sizes()[component] * GIB / STORAGES["bf16"].bytes_per_weight
    if component != "transformer" and storage.startswith(("gguf", "fp8")):
        storage = COMPUTE_STORAGE  # only the transformer is quantised
    return params * STORAGES[_FALLBACK_STORAGE.get(storage, storage)].bytes_per_weight


def accounting_basis(dataset: Dataset) -> str:
    """'table' when bytes come from variant_memory.csv, else 'config'."""
    table = getattr(dataset, "variant_memory", None)
    return "table" if isinstance(table, pd.DataFrame) and not table.empty else "config"


def file_storage(variant: str, layout: str) -> dict[str, str]:
    """The storage type of each component's file a variant reads in a layout."""
    quant = VARIANT_SCHEME.get(split_variant(variant)[0])
    if layout == "hf_published":
        out = dict(PUBLISHED_STORAGE)
    else:
        out = dict.fromkeys(COMPONENTS, COMPUTE_STORAGE)
    if quant:
        out["transformer"] = quant
    return out


def gpu_storage(variant: str) -> dict[str, str]:
    """The storage each component has once loaded (what crosses PCIe and sits in RAM)."""
    return {
        "transformer": variant_scheme(variant),
        "text_encoder": COMPUTE_STORAGE,
        "vae": COMPUTE_STORAGE,
    }


def bytes_read(dataset: Dataset, config: AnalysisConfig, variant: str, layout: str) -> float:
    return sum(
        component_bytes(dataset, config, c, s) for c, s in file_storage(variant, layout).items()
    )


def bytes_loaded(dataset: Dataset, config: AnalysisConfig, variant: str) -> float:
    """Bytes of the weights once loaded (in compute or quantised storage)."""
    return sum(component_bytes(dataset, config, c, s) for c, s in gpu_storage(variant).items())


def host_resident(variant: str) -> tuple[str, ...]:
    """Components whose weights stay in host RAM while images are made (accounting.placement)."""
    return tuple(c for c, where in placement(variant).items() if where != "device")


def host_weights_bytes(dataset: Dataset, config: AnalysisConfig, variant: str) -> float:
    """Weights the variant keeps in system RAM while generating."""
    storage = gpu_storage(variant)
    return sum(component_bytes(dataset, config, c, storage[c]) for c in host_resident(variant))


def load_transient_bytes(
    dataset: Dataset, config: AnalysisConfig, variant: str, layout: str
) -> float:
    """Upper bound of the host memory a load needs at once: the largest component read
    whole in its file's storage plus its cast copy (when the storages differ)."""
    files, loaded = file_storage(variant, layout), gpu_storage(variant)
    worst = 0.0
    for c in COMPONENTS:
        need = component_bytes(dataset, config, c, files[c])
        if files[c] != loaded[c]:
            need += component_bytes(dataset, config, c, loaded[c])
        worst = max(worst, need)
    return worst


@dataclass(frozen=True)
class LoadFloor:
    """A first-load floor: one variant's files, one layout, one drive class."""

    variant: str
    layout: str
    storage_class: str
    read_gb_s: float
    bytes_read: float
    read_s: float
    h2d_gb_s: float
    h2d_s: float
    floor_s: float


@dataclass(frozen=True)
class RamNeed:
    """System RAM a variant needs: held weights, load peak, measured RSS, advice."""

    variant: str
    layout: str
    host_weights_gib: float
    load_peak_gib: float
    measured_peak_gib: float | None
    measured_benches: tuple[str, ...]
    recommended_gib: int


@dataclass(frozen=True)
class DiskNeed:
    """Disk space of a variant's files in one layout (GB)."""

    variant: str
    layout: str
    gb: float


@dataclass(frozen=True)
class MeasuredLoad:
    """A bench's load probes, with the floor at its measured disk rate."""

    gpu: str
    bench_id: str
    cold_s: float | None
    warm_s: float | None
    disk_read_gb_s: float | None
    floor_at_disk_s: float | None = None  # the published files at the measured disk rate


@dataclass(frozen=True)
class CardRam:
    """The RAM advice for a card, by the variant it needs to fit."""

    gpu: str
    vram_gib: float
    variant: str
    recommended_gib: int  # loading the files as published
    recommended_comfyui_gib: int  # loading ComfyUI's per-component files


@dataclass
class StorageAdvice:
    """Everything the storage page shows."""

    basis: str  # "table" (variant_memory.csv) or "config"
    h2d_gb_s: float
    h2d_basis: str
    floors: list[LoadFloor] = field(default_factory=list)
    ram: list[RamNeed] = field(default_factory=list)
    disk: list[DiskNeed] = field(default_factory=list)
    measured: list[MeasuredLoad] = field(default_factory=list)
    cards: list[CardRam] = field(default_factory=list)
    classes: list[dict] = field(default_factory=list)
    ssd_fill: float = SSD_FILL_FALLBACK
    recommended_ssd_gb: int = 0
    os_and_apps_gib: float = OS_AND_APPS_GIB
    system_drive_gb: float = SYSTEM_DRIVE_GB


def load_floor(
    bytes_read_: float, read_gb_s: float, bytes_to_gpu: float, h2d_gb_s: float
) -> tuple[float, float, float]:
    """(read seconds, copy seconds, their sum): reading then copying, as a pipeline load does."""
    read_s = bytes_read_ / (read_gb_s * GB)
    h2d_s = bytes_to_gpu / (h2d_gb_s * GB)
    return read_s, h2d_s, read_s + h2d_s


def next_size(need: float, sizes: tuple[int, ...]) -> int:
    return next((s for s in sizes if s >= need), sizes[-1])


def recommended_ram_gib(host_gib: float, peak_gib: float, os_gib: float = OS_AND_APPS_GIB) -> int:
    """The smallest common RAM size holding the OS and apps plus the larger of what the
    variant keeps in RAM and what a load needs at once."""
    return next_size(os_gib + max(host_gib, peak_gib), RAM_SIZES_GIB)


def recommended_ram_for(
    dataset: Dataset, config: AnalysisConfig, variant: str, layout: str = "hf_published"
) -> int:
    """RAM (GiB, a common module total) for a variant: what a build total should use."""
    host = host_weights_bytes(dataset, config, variant) / GIB
    peak = load_transient_bytes(dataset, config, variant, layout) / GIB
    seen = measured_rss(dataset).get(variant)
    return recommended_ram_gib(host, max(peak, seen[0] if seen else 0.0))


def ssd_fill(dataset: Dataset) -> float:
    refs = dataset.reference("hardware_refs")
    hit = refs.loc[refs["kind"] == "ssd_fill"] if not refs.empty else refs
    return float(hit["value"].iloc[0]) / 100 if not hit.empty else SSD_FILL_FALLBACK


def recommended_ssd_gb(
    dataset: Dataset,
    config: AnalysisConfig,
    variants: tuple[str, ...] = ("plain",),
    layouts: tuple[str, ...] = ("hf_published",),
    extra_gb: float = SYSTEM_DRIVE_GB,
) -> int:
    """Drive size (GB) for the model files of ``variants`` in ``layouts`` plus ``extra_gb``
    (system and apps), kept under the sourced fill level; rounded up to a common size."""
    files = 0.0
    for layout in layouts:
        comps: dict[tuple[str, str], float] = {}
        for v in variants:
            for c, s in file_storage(v, layout).items():
                comps[(c, s)] = component_bytes(dataset, config, c, s)
        files += sum(comps.values())
    need = (files / GB + extra_gb) / ssd_fill(dataset)
    return next_size(need, SSD_SIZES_GB)


def build_ssd_gb(dataset: Dataset, config: AnalysisConfig) -> float:
    """The drive a build counts: config.ssd_size_gb when set, else the size this page
    recommends for every variant's files in both layouts."""
    return config.ssd_size_gb or recommended_ssd_gb(dataset, config, VARIANTS, LAYOUTS)


def h2d_rate(dataset: Dataset) -> tuple[float, str]:
    """A typical pinned host-to-device rate (PCIe 4.0 x16), from the catalogue's measured row."""
    links = dataset.reference("pcie_links")
    hit = links.loc[
        (links["kind"] == "measured_pinned") & (links["gen"] == 4) & (links["lanes"] == 16)
    ]
    if hit.empty:
        return 20.0, "assumed"
    row = hit.iloc[0]
    return float(row["gb_s"]), f"{text(row['gpu'])}, {text(row['source'])}"


def measured_loads(
    dataset: Dataset, config: AnalysisConfig | None = None, h2d_gb_s: float | None = None
) -> list[MeasuredLoad]:
    """Load probes per bench and GPU; with a config, the floor at the measured disk rate."""
    probes = dataset.probes
    if probes.empty:
        return []
    ok = probes.loc[(probes["status"] == "ok") & probes["value"].notna()]
    out = []
    for (bench, gpu), rows in ok.groupby(["bench_id", "gpu_name"], sort=True):
        values = dict(zip(rows["probe"], rows["value"], strict=True))
        if not ({"model_load_cold", "model_load_warm", "disk_read"} & set(values)):
            continue
        disk = num(values.get("disk_read"))
        floor = None
        if disk and config is not None and h2d_gb_s:
            read = bytes_read(dataset, config, "plain", "hf_published")
            floor = load_floor(read, disk, bytes_loaded(dataset, config, "plain"), h2d_gb_s)[2]
        out.append(
            MeasuredLoad(
                gpu=str(gpu) or "cpu",
                bench_id=str(bench),
                cold_s=num(values.get("model_load_cold")),
                warm_s=num(values.get("model_load_warm")),
                disk_read_gb_s=disk,
                floor_at_disk_s=floor,
            )
        )
    return out


def measured_rss(dataset: Dataset) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Highest peak host RSS per variant (GiB) and its benches, where runs record it."""
    runs = dataset.runs
    if runs.empty or "peak_host_rss_gib" not in runs:
        return {}
    rows = runs.loc[runs["peak_host_rss_gib"].notna() & (runs["weights"] != "tiny")]
    out = {}
    for variant, group in rows.groupby("variant"):
        out[str(variant)] = (
            float(group["peak_host_rss_gib"].max()),
            tuple(sorted(set(map(str, group["bench_id"])))),
        )
    return out


def card_variant(fits: list, gpu: str, workload: str) -> str | None:
    fit = next((f for f in fits if f.gpu == gpu and f.workload == workload), None)
    if fit is None or fit.verdict == "cannot_run":
        return None
    return fit.variant


def storage_advice(
    dataset: Dataset, config: AnalysisConfig, fits: list | None = None
) -> StorageAdvice:
    h2d, h2d_basis = h2d_rate(dataset)
    advice = StorageAdvice(
        basis=accounting_basis(dataset),
        h2d_gb_s=h2d,
        h2d_basis=h2d_basis,
        ssd_fill=ssd_fill(dataset),
    )
    classes = dataset.reference("storage_classes")
    advice.classes = [
        {k: row[k] for k in ("storage_class", "read_gb_s", "example", "source", "url", "quote")}
        for _, row in classes.iterrows()
    ]
    rss = measured_rss(dataset)
    for variant in VARIANTS:
        loaded = bytes_loaded(dataset, config, variant)
        for layout in LAYOUTS:
            read = bytes_read(dataset, config, variant, layout)
            advice.disk.append(DiskNeed(variant, layout, read / GB))
            for cls in advice.classes:
                rate = float(cls["read_gb_s"])
                read_s, h2d_s, floor = load_floor(read, rate, loaded, h2d)
                advice.floors.append(
                    LoadFloor(
                        variant,
                        layout,
                        str(cls["storage_class"]),
                        rate,
                        read,
                        read_s,
                        h2d,
                        h2d_s,
                        floor,
                    )
                )
            host = host_weights_bytes(dataset, config, variant) / GIB
            peak = load_transient_bytes(dataset, config, variant, layout) / GIB
            seen = rss.get(variant)
            advice.ram.append(
                RamNeed(
                    variant,
                    layout,
                    host,
                    peak,
                    seen[0] if seen else None,
                    seen[1] if seen else (),
                    recommended_ram_gib(host, max(peak, seen[0] if seen else 0.0)),
                )
            )
    advice.measured = measured_loads(dataset, config, h2d)
    advice.recommended_ssd_gb = recommended_ssd_gb(dataset, config, VARIANTS, LAYOUTS)
    ram_of = {(r.variant, r.layout): r.recommended_gib for r in advice.ram}
    for name, vram in zip(dataset.gpus["name"], dataset.gpus["vram_gib"], strict=True):
        variant = card_variant(fits or [], name, config.reference_workload)
        if variant is None or variant not in BASE_VARIANTS:
            continue
        advice.cards.append(
            CardRam(
                name,
                float(vram),
                variant,
                ram_of[(variant, "hf_published")],
                ram_of[(variant, "comfyui")],
            )
        )
    return advice
