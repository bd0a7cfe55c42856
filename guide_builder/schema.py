"""The data contract: every file the guide reads or writes, defined once.

Units live in column names: ``_s`` seconds, ``_gib`` 2**30 bytes, ``_w`` watts,
``_j`` joules, ``_c`` degrees Celsius, ``_mhz``, ``_gb_s`` 10**9 bytes per
second, ``_tflops`` 10**12 operations per second, ``_pct`` percent.

An empty cell is the only missing value; ``NA``, ``None`` and ``null`` are text.

Schema history (bump ``SCHEMA_VERSION`` on any change a reader must know about):

- 1: first version: bench.json, runs.csv, probes.csv, telemetry.csv,
  catalog/gpus.csv, catalog/workloads.csv, reported/*.csv. Prices moved from
  gpus.csv to catalog/prices.csv (with fx_rates.csv and parts.csv); gpus.csv
  gained segment and notes_zh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Kind = Literal["text", "int", "float", "enum", "date", "datetime", "url", "sha256"]


@dataclass(frozen=True)
class Column:
    """One CSV column: its type, whether it may be empty, and its bounds."""

    name: str
    kind: Kind
    doc: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    minimum: float | None = None  # inclusive lower bound
    positive: bool = False  # strictly greater than zero

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")


@dataclass(frozen=True)
class Table:
    """One CSV file kind: its columns and the columns that identify a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    doc: str = ""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


DEVICES = ("cuda", "cpu")
WEIGHTS = ("real", "synthetic", "tiny")
DTYPES = ("bf16", "fp16", "fp32", "fp8", "int4", "nvfp4")
# first: the very first call (cold caches); warmup: the rest of the fixed warm-up;
# timed: latency figures; memory: the dedicated peak-memory pass;
# stability: --stability N; soak: --soak-minutes N.
PHASES = ("first", "warmup", "timed", "memory", "stability", "soak")
STATUSES = ("ok", "oom", "error")
PROBE_STATUSES = ("ok", "unsupported", "error")
PROBES = (
    "memory_bandwidth",
    "bf16_matmul",
    "bf16_correctness",
    "pcie_link_gen",
    "pcie_link_width",
    "pcie_link_max_gen",
    "pcie_link_max_width",
    "h2d_bandwidth",  # from pinned host memory
    "h2d_bandwidth_pageable",  # from ordinary host memory, as offloading moves it
    "model_load_cold",
    "model_load_warm",
    "disk_read",
    "idle_power",
    "max_sm_clock",
    "power_limit",
)
PROBE_UNITS = ("gb_s", "tflops", "max_rel_error", "gen", "lanes", "s", "w", "mhz")
TFLOPS_BASES = ("whitepaper", "datasheet", "computed")
# launch: official China launch price (首发价/建议零售价); street: new retail on a date
# (JD, Tmall, a shop); used: second-hand (闲鱼 and the like); grey: a parallel import
# of a card not sold officially; converted: a USD price at a dated rate row.
PRICE_KINDS = ("launch", "street", "used", "grey", "converted")
# Availability in mainland China: official retail, a China-only model (4090 D, 5090 D),
# not sold officially (export rules), discontinued, only second-hand, or a modified card.
AVAILABILITY = (
    "official",
    "china_model",
    "not_sold_officially",
    "discontinued",
    "used_only",
    "modified",
)
SEGMENTS = ("consumer", "workstation", "datacenter")
FORM_FACTORS = ("desktop", "laptop", "datacenter")
PART_KINDS = ("psu", "ssd", "cooling", "ram")
PART_UNITS = ("w", "gb", "fans")
ARCHITECTURES = ("Turing", "Ampere", "Ada", "Hopper", "Blackwell")
# Claims about storage, memory, cooling and the motherboard (analysis/factcheck_parts.py).
PART_CLAIMS = (
    "load_seconds",
    "disk_read",
    "ram",
    "ram_swap",
    "disk_space",
    "noise_db",
    "noise_reduction_db",
    "memory_bandwidth_loss_pct",
    "memory_throttle",
    "fan_layout",
    "board_slot",
    "slot_attenuation",
)
CLAIMS = (
    "seconds_per_image",
    "bandwidth",
    "vram",
    "loaded_vram",
    "peak_vram",
    "no_bf16_support",
    "oom",
    "power",
    "temperature",
    "price_cny",
    *PART_CLAIMS,
    # image quality of a quantised variant against bf16 (dimensionless, lower is closer)
    "lpips",
)
CLAIM_UNITS = ("s", "gb_s", "gib", "gb", "w", "c", "cny", "db", "pct", "tb", "gen", "fans", "lpips")
PRECISIONS = ("bf16", "fp16", "fp16_acc16", "fp8", "int4", "nvfp4")

RUNS = Table(
    "runs",
    key=("bench_id", "run_index"),
    doc="One row per generated image (or per failed attempt).",
    columns=(
        Column("bench_id", "text", "Bench id (folder name under benches/).", required=True),
        Column(
            "run_index",
            "int",
            "Run number within the bench; with bench_id the row's identity.",
            required=True,
            minimum=0,
        ),
        Column("gpu_index", "int", "NVML index (PCI bus order); empty on cpu.", minimum=0),
        Column("gpu_uuid", "text", "GPU UUID from NVML; empty on cpu."),
        Column("gpu_name_nvml", "text", "The name NVML reports."),
        Column("gpu_name", "text", "Canonical catalogue name; empty on cpu."),
        Column("device", "enum", "Where the work ran.", required=True, allowed=DEVICES),
        Column(
            "workload", "text", "Workload registry name, e.g. zimage-turbo-1024.", required=True
        ),
        Column(
            "variant",
            "text",
            "Variant registry name: plain, text_encoder_unload, model_offload, ...",
            required=True,
        ),
        Column(
            "memory_cap_gib",
            "float",
            "Per-process memory cap emulating a smaller card; empty when none. Times under a cap are not representative.",
            positive=True,
        ),
        Column("weights", "enum", "Weights mode.", required=True, allowed=WEIGHTS),
        Column("dtype", "enum", "Compute dtype.", required=True, allowed=DTYPES),
        Column("attention_backend", "text", "Attention implementation used."),
        Column("width", "int", "Image width in pixels.", required=True, positive=True),
        Column("height", "int", "Image height in pixels.", required=True, positive=True),
        Column(
            "steps",
            "int",
            "num_inference_steps passed to the pipeline.",
            required=True,
            positive=True,
        ),
        Column("transformer_forwards", "int", "Transformer forwards counted by a hook.", minimum=0),
        Column("caption_tokens", "int", "Caption tokens of the prompt.", minimum=0),
        Column("seed", "int", "Generator seed.", required=True, minimum=0),
        Column(
            "phase",
            "enum",
            "first|warmup|timed|memory|stability|soak.",
            required=True,
            allowed=PHASES,
        ),
        Column("status", "enum", "ok|oom|error.", required=True, allowed=STATUSES),
        Column("error", "text", "Error text when status is not ok."),
        Column("started_at", "datetime", "UTC start time, ISO 8601."),
        Column(
            "total_s", "float", "Wall seconds for the whole image (synchronised).", positive=True
        ),
        Column("text_encode_s", "float", "Seconds in the text encoder.", minimum=0),
        Column("denoise_s", "float", "Seconds in the denoising loop.", minimum=0),
        Column("decode_s", "float", "Seconds in the VAE decode.", minimum=0),
        Column("peak_allocated_gib", "float", "torch peak allocated memory.", minimum=0),
        Column("peak_reserved_gib", "float", "torch peak reserved memory.", minimum=0),
        Column(
            "nvml_memory_used_gib",
            "float",
            "NVML device memory used at the peak (all processes).",
            minimum=0,
        ),
        Column("power_mean_w", "float", "Mean board power over the image.", minimum=0),
        Column("power_max_w", "float", "Highest instantaneous board power seen.", minimum=0),
        Column(
            "energy_j", "float", "Energy for the image from the NVML energy counter.", minimum=0
        ),
        Column("gpu_temp_max_c", "float", "Highest GPU temperature."),
        Column(
            "mem_temp_max_c", "float", "Highest memory temperature (empty where NVML has none)."
        ),
        Column("sm_clock_mean_mhz", "float", "Mean SM clock.", minimum=0),
        Column("clock_event_reasons", "int", "OR of NVML clock-event reason bits seen.", minimum=0),
        Column("image_sha256", "sha256", "sha256 of the decoded image's uint8 pixels."),
        Column(
            "peak_host_rss_gib",
            "float",
            "Peak resident host memory of the worker process during this configuration, up to this row (build, placement, images).",
            minimum=0,
        ),
    ),
)

PROBES_TABLE = Table(
    "probes",
    key=("bench_id", "gpu_index", "probe"),
    doc="One row per probe and GPU.",
    columns=(
        Column("bench_id", "text", "Bench id.", required=True),
        Column("gpu_index", "int", "NVML index; empty on cpu.", minimum=0),
        Column("gpu_uuid", "text", "GPU UUID."),
        Column("gpu_name", "text", "Canonical catalogue name; empty on cpu."),
        Column("device", "enum", "Where the probe ran.", required=True, allowed=DEVICES),
        Column("probe", "enum", "What was probed.", required=True, allowed=PROBES),
        Column("value", "float", "The figure; empty when unsupported or failed.", minimum=0),
        Column("unit", "enum", "Unit of value.", required=True, allowed=PROBE_UNITS),
        Column("status", "enum", "ok|unsupported|error.", required=True, allowed=PROBE_STATUSES),
        Column("detail", "text", "How it was measured, or the error."),
    ),
)

TELEMETRY = Table(
    "telemetry",
    doc="NVML samples at about 10 Hz behind the runs.",
    columns=(
        Column("bench_id", "text", "Bench id.", required=True),
        Column("gpu_index", "int", "NVML index.", required=True, minimum=0),
        Column(
            "t_s", "float", "Seconds since the worker's sampler started.", required=True, minimum=0
        ),
        Column("run_index", "int", "Run being generated; empty between runs.", minimum=0),
        Column("phase", "enum", "Phase of that run.", allowed=PHASES),
        Column("power_w", "float", "Board power (NVML 1 s average on Ampere+).", minimum=0),
        Column("power_instant_w", "float", "Instantaneous board power where supported.", minimum=0),
        Column("energy_j", "float", "Energy counter since the sampler started.", minimum=0),
        Column("gpu_temp_c", "float", "GPU temperature."),
        Column("mem_temp_c", "float", "Memory temperature; empty on GeForce."),
        Column("sm_clock_mhz", "float", "SM clock.", minimum=0),
        Column("mem_clock_mhz", "float", "Memory clock.", minimum=0),
        Column("gpu_util_pct", "float", "GPU utilisation.", minimum=0),
        Column("mem_used_gib", "float", "Device memory used.", minimum=0),
        Column("clock_event_reasons", "int", "NVML clock-event reason bits.", minimum=0),
    ),
)

GPUS = Table(
    "gpus",
    key=("name",),
    doc="The GPU catalogue: specs, availability in mainland China and sources (prices live in prices.csv).",
    columns=(
        Column("name", "text", "Canonical name, e.g. RTX 4090.", required=True),
        Column("aliases", "text", "Other names (NVML names included), separated by ';'."),
        Column("vendor", "text", "Vendor.", required=True),
        Column("architecture", "enum", "Architecture.", required=True, allowed=ARCHITECTURES),
        Column("chip", "text", "Chip, e.g. AD102."),
        Column("sm_count", "int", "Streaming multiprocessors.", required=True, positive=True),
        Column("boost_clock_mhz", "float", "Spec boost clock.", positive=True),
        Column(
            "vram_gib",
            "float",
            "Memory capacity (a '24 GB' card has 24 GiB).",
            required=True,
            positive=True,
        ),
        Column("memory_type", "text", "GDDR6X, HBM3e, ..."),
        Column("bandwidth_gb_s", "float", "Memory bandwidth.", positive=True),
        Column(
            "bf16_tflops", "float", "Dense bf16 tensor TFLOPS with fp32 accumulate.", positive=True
        ),
        Column("bf16_tflops_basis", "enum", "Where bf16_tflops comes from.", allowed=TFLOPS_BASES),
        Column(
            "fp16_acc16_tflops",
            "float",
            "Dense fp16 tensor TFLOPS with fp16 accumulate.",
            positive=True,
        ),
        Column("fp16_acc16_tflops_basis", "enum", "Basis.", allowed=TFLOPS_BASES),
        Column(
            "fp8_tflops",
            "float",
            "Dense fp8 tensor TFLOPS with fp32 accumulate; empty without fp8.",
            positive=True,
        ),
        Column("fp8_tflops_basis", "enum", "Basis.", allowed=TFLOPS_BASES),
        Column(
            "int4_tops",
            "float",
            "Dense 4-bit tensor TOPS (INT4, or FP4 on Blackwell).",
            positive=True,
        ),
        Column("int4_tops_basis", "enum", "Basis.", allowed=TFLOPS_BASES),
        Column("board_power_w", "float", "Total board power.", positive=True),
        Column("power_connector", "text", "Power connector, e.g. 16-pin 12V-2x6."),
        Column("pcie_gen", "int", "PCIe generation.", positive=True),
        Column("pcie_lanes", "int", "PCIe lanes.", positive=True),
        Column("launch_date", "date", "Launch date (YYYY-MM-DD or YYYY-MM)."),
        Column("msrp_usd", "float", "Launch MSRP in USD.", positive=True),
        Column(
            "availability",
            "enum",
            "Availability in mainland China: " + "|".join(AVAILABILITY) + ".",
            required=True,
            allowed=AVAILABILITY,
        ),
        Column(
            "form_factor", "enum", "desktop|laptop|datacenter.", required=True, allowed=FORM_FACTORS
        ),
        Column(
            "segment", "enum", "consumer|workstation|datacenter.", required=True, allowed=SEGMENTS
        ),
        Column("spec_source_url", "url", "Where the specs come from.", required=True),
        Column("notes", "text", "Anything a reader should know (English)."),
        Column("notes_zh", "text", "The same notes in Chinese."),
    ),
)

PRICES = Table(
    "prices",
    doc="Dated CNY prices, one row per card, kind and date (several per card are normal). "
    "Prices in China include 13 % VAT; US MSRPs do not.",
    columns=(
        Column("card", "text", "Catalogue name of the card (or an alias).", required=True),
        Column("kind", "enum", "|".join(PRICE_KINDS) + ".", required=True, allowed=PRICE_KINDS),
        Column(
            "price_cny", "float", "The price in CNY (VAT included).", required=True, positive=True
        ),
        Column("date", "date", "When the price held (published or listed).", required=True),
        Column("source", "text", "Title of the page the price is on.", required=True),
        Column(
            "url",
            "url",
            "The page (for converted rows: the page with the USD price).",
            required=True,
        ),
        Column(
            "quote", "text", "Short excerpt of the page that contains the number.", required=True
        ),
        Column("note", "text", "Context (English)."),
        Column("note_zh", "text", "Context (Chinese)."),
        Column("price_usd", "float", "Converted rows: the USD price converted.", positive=True),
        Column(
            "fx_date",
            "date",
            "Converted rows: the date of the fx_rates.csv row used (the rate row must exist).",
        ),
    ),
)

FX_RATES = Table(
    "fx_rates",
    key=("date",),
    doc="Exchange rates for converted prices: the PBOC central parity (人民币中间价) on a date.",
    columns=(
        Column("date", "date", "Day of the central parity.", required=True),
        Column("cny_per_usd", "float", "CNY per USD.", required=True, positive=True),
        Column("source", "text", "Title of the page.", required=True),
        Column("url", "url", "The page.", required=True),
        Column("quote", "text", "Excerpt containing the rate.", required=True),
    ),
)

PARTS = Table(
    "parts",
    doc="Dated CNY prices of the other parts a build needs: PSUs by wattage, NVMe SSDs by "
    "size, case cooling, system RAM kits by size.",
    columns=(
        Column("part", "enum", "|".join(PART_KINDS) + ".", required=True, allowed=PART_KINDS),
        Column(
            "size",
            "float",
            "PSU watts, SSD GB (10^9 B) or number of fans.",
            required=True,
            positive=True,
        ),
        Column("unit", "enum", "|".join(PART_UNITS) + ".", required=True, allowed=PART_UNITS),
        Column("product", "text", "The product as the source names it.", required=True),
        Column("kind", "enum", "|".join(PRICE_KINDS) + ".", required=True, allowed=PRICE_KINDS),
        Column(
            "price_cny", "float", "The price in CNY (VAT included).", required=True, positive=True
        ),
        Column("date", "date", "When the price held.", required=True),
        Column("source", "text", "Title of the page.", required=True),
        Column("url", "url", "The page.", required=True),
        Column("quote", "text", "Excerpt containing the number.", required=True),
        Column("note", "text", "Context (English)."),
        Column("note_zh", "text", "Context (Chinese)."),
    ),
)

WORKLOADS = Table(
    "workloads",
    key=("workload",),
    doc="FLOP counts written by `guide-builder count-flops` (the site reads them without torch).",
    columns=(
        Column("workload", "text", "Workload registry name.", required=True),
        Column("model", "text", "Model id.", required=True),
        Column("width", "int", "Image width.", required=True, positive=True),
        Column("height", "int", "Image height.", required=True, positive=True),
        Column("steps", "int", "num_inference_steps.", required=True, positive=True),
        Column(
            "transformer_forwards",
            "int",
            "Transformer forwards per image.",
            required=True,
            positive=True,
        ),
        Column(
            "caption_tokens",
            "int",
            "Caption tokens the count assumed.",
            required=True,
            positive=True,
        ),
        Column(
            "transformer_tflop_per_forward",
            "float",
            "TFLOP of one transformer forward.",
            required=True,
            positive=True,
        ),
        Column("text_encoder_tflop", "float", "TFLOP of the text encoder per image.", minimum=0),
        Column("vae_decode_tflop", "float", "TFLOP of the VAE decode per image.", minimum=0),
        Column("transformer_params", "int", "Transformer parameters.", positive=True),
        Column(
            "diffusers_version", "text", "diffusers version that produced the count.", required=True
        ),
        Column("torch_version", "text", "torch version that produced the count.", required=True),
    ),
)

QUALITY = Table(
    "quality",
    key=("bench_id", "gpu_uuid", "workload", "variant", "prompt_index"),
    doc="Image quality of each variant against the bf16 `plain` images of the same prompts (measure --quality-prompts).",
    columns=(
        Column("bench_id", "text", "Bench id.", required=True),
        Column("gpu_uuid", "text", "GPU UUID; empty on cpu."),
        Column("device", "enum", "Where the images were made.", required=True, allowed=DEVICES),
        Column(
            "weights",
            "enum",
            "Weights mode (real for figures that mean anything).",
            required=True,
            allowed=WEIGHTS,
        ),
        Column("workload", "text", "Workload registry name (size, steps, seed).", required=True),
        Column("variant", "text", "Variant whose image is compared.", required=True),
        Column(
            "prompt_index",
            "int",
            "Index into the fixed prompt set (guide_builder/measure/quality.py).",
            required=True,
            minimum=0,
        ),
        Column(
            "reference_variant",
            "text",
            "Variant of the reference image (plain: bf16).",
            required=True,
        ),
        Column(
            "psnr_db",
            "float",
            "PSNR over the uint8 pixels in dB; empty when the images are identical (infinite).",
            minimum=0,
        ),
        Column(
            "ssim",
            "float",
            "Mean SSIM (11x11 Gaussian window, RGB channels averaged).",
            required=True,
        ),
        Column(
            "identical",
            "enum",
            "Pixel-identical to the reference.",
            required=True,
            allowed=("true", "false"),
        ),
        Column("image", "text", "The image, relative to the bench folder.", required=True),
    ),
)

VARIANT_MEMORY = Table(
    "variant_memory",
    key=("component", "storage"),
    doc="Weight bytes per component and storage scheme, written by `guide-builder count-memory` from the real architecture (rules: `guide_builder/accounting.py`).",
    columns=(
        Column(
            "component",
            "enum",
            "transformer|text_encoder|vae.",
            required=True,
            allowed=("transformer", "text_encoder", "vae"),
        ),
        Column(
            "storage",
            "enum",
            "Storage scheme of the weights: fp32|bf16|fp8_e4m3|gguf_q8_0|gguf_q4_k_m.",
            required=True,
            allowed=("fp32", "bf16", "fp8_e4m3", "gguf_q8_0", "gguf_q4_k_m"),
        ),
        Column("params", "int", "Parameters of the component.", required=True, positive=True),
        Column("tensors", "int", "Parameter tensors.", required=True, positive=True),
        Column(
            "quantized_params",
            "int",
            "Parameters stored below 16 bit (fp8 or GGUF blocks); the rest stay bf16 (fp32 under fp32).",
            required=True,
            minimum=0,
        ),
        Column(
            "weight_bytes",
            "int",
            "Bytes of all parameters, GGUF block scales included.",
            required=True,
            positive=True,
        ),
        Column(
            "diffusers_version",
            "text",
            "diffusers version that built the components.",
            required=True,
        ),
    ),
)

REPORTED = Table(
    "reported",
    doc="Third-party claims, each with its source.",
    columns=(
        Column("source", "text", "Title of the source (article, post, issue).", required=True),
        Column(
            "source_url", "url", "URL; empty when there is none (then source names title and date)."
        ),
        Column("date", "date", "When the claim was published.", required=True),
        Column(
            "gpu", "text", "GPU the claim is about (any catalogue name or alias).", required=True
        ),
        Column("claim", "enum", "What is claimed.", required=True, allowed=CLAIMS),
        Column("value", "float", "The claimed figure; empty for yes/no claims.", minimum=0),
        Column("unit", "enum", "Unit of value.", allowed=CLAIM_UNITS),
        Column(
            "precision",
            "enum",
            "Precision the claim states; empty when unstated.",
            allowed=PRECISIONS,
        ),
        Column("resolution", "text", "WIDTHxHEIGHT, e.g. 1024x1024."),
        Column("steps", "int", "Steps stated.", positive=True),
        Column("workload", "text", "Matching workload registry name, when one matches."),
        Column("note", "text", "Context, quoted where useful."),
        Column("note_zh", "text", "The note in Chinese."),
    ),
)

_SOURCED = (
    Column("source", "text", "Title of the page the figure comes from.", required=True),
    Column("url", "url", "Where the figure comes from.", required=True),
    Column("quote", "text", "Short verbatim excerpt containing the figure.", required=True),
    Column("note", "text", "What the figure means here (English)."),
    Column("note_zh", "text", "The note in Chinese."),
)

STORAGE_CLASSES = Table(
    "storage_classes",
    key=("storage_class",),
    doc="Typical sequential read rate of each kind of drive, from a named drive's figures.",
    columns=(
        Column(
            "storage_class",
            "enum",
            "Kind of drive.",
            required=True,
            allowed=("hdd", "sata_ssd", "nvme_pcie3", "nvme_pcie4", "nvme_pcie5"),
        ),
        Column("read_gb_s", "float", "Sequential read rate.", required=True, positive=True),
        Column("example", "text", "The drive the figure belongs to.", required=True),
        *_SOURCED,
    ),
)

PCIE_LINKS = Table(
    "pcie_links",
    key=("gen", "lanes", "kind", "gpu"),
    doc="PCIe bandwidth per direction: theoretical per lane, and published host-to-device copies.",
    columns=(
        Column("gen", "int", "PCIe generation.", required=True, positive=True),
        Column("lanes", "int", "Lanes the figure is for.", required=True, positive=True),
        Column(
            "kind",
            "enum",
            "theoretical|measured_pinned|measured_pageable.",
            required=True,
            allowed=("theoretical", "measured_pinned", "measured_pageable"),
        ),
        Column("gb_s", "float", "Bandwidth per direction.", required=True, positive=True),
        Column("gpu", "text", "Card a measured figure was taken on."),
        *_SOURCED,
    ),
)

HARDWARE_REFS = Table(
    "hardware_refs",
    key=("kind", "item"),
    doc="Sourced reference figures for cooling and platform advice (fans, memory limits, lanes).",
    columns=(
        Column(
            "kind",
            "enum",
            "What the row is.",
            required=True,
            allowed=(
                "fan_airflow",
                "fan_airflow_basis",
                "airflow_rule",
                "memory_tjmax",
                "dram_refresh",
                "platform_lanes",
                "board_slot",
                "ssd_fill",
            ),
        ),
        Column("item", "text", "The part, memory type, rule or platform.", required=True),
        Column("value", "float", "The figure.", required=True, minimum=0),
        Column("unit", "text", "Unit of value.", required=True),
        *_SOURCED,
    ),
)

# Optional catalogue files: (file name, table, Dataset attribute).
REFERENCE_FILES = (
    ("storage_classes.csv", STORAGE_CLASSES, "storage_classes"),
    ("pcie_links.csv", PCIE_LINKS, "pcie_links"),
    ("hardware_refs.csv", HARDWARE_REFS, "hardware_refs"),
)

# Reported runs: someone else's timing of a workload, graded.
RUN_PRECISIONS = (
    "bf16", "fp16", "fp8", "int8", "gguf_q8_0", "gguf_q6_k", "gguf_q5_k_m", "gguf_q4_k_m",
    "gguf_q4_0", "gguf_q3_k_m", "gguf_other", "int4", "nvfp4", "unknown",
)  # fmt: skip
TOOLCHAINS = (
    "diffusers", "comfyui", "sglang", "vllm-omni", "stable-diffusion.cpp", "mflux",
    "tensorrt", "forge", "lightx2v", "xdit", "other",
)  # fmt: skip
COMPILE = ("yes", "no", "unknown")
OFFLOAD = ("none", "text_encoder", "model", "group", "sequential", "unknown")
TIME_COVERS = ("pipeline", "denoise", "forward", "unknown")
GRADES = ("A", "B", "C")

REPORTED_RUNS = Table(
    "reported_runs",
    doc="Reported runs: third-party timings of a workload, one row per timed setup, graded.",
    columns=(
        Column("source", "text", "Title of the page, issue, PR or post.", required=True),
        Column("source_url", "url", "Where the run is published.", required=True),
        Column("date", "date", "When it was published (YYYY-MM-DD or YYYY-MM).", required=True),
        Column(
            "gpu",
            "text",
            "The card as named (catalogue name or alias; non-NVIDIA hardware as stated).",
            required=True,
        ),
        Column("gpu_count", "int", "GPUs the run used.", required=True, positive=True),
        Column("resolution", "text", "WIDTHxHEIGHT, e.g. 1024x1024.", required=True),
        Column(
            "dit_forwards",
            "int",
            "Transformer forwards in the timed run (diffusers num_inference_steps=9 -> 8).",
            positive=True,
        ),
        Column("forwards_basis", "text", "How the forwards were counted, in words."),
        Column(
            "precision",
            "enum",
            "Precision of the transformer weights as run.",
            required=True,
            allowed=RUN_PRECISIONS,
        ),
        Column("toolchain", "enum", "What ran it.", required=True, allowed=TOOLCHAINS),
        Column("compile", "enum", "torch.compile used.", required=True, allowed=COMPILE),
        Column("offload", "enum", "Offload used.", required=True, allowed=OFFLOAD),
        Column("attention", "text", "Attention backend (sdpa, flash-attn-3, sage, ...)."),
        Column("settings", "text", "Other speed-relevant settings (cache tricks, LoRA, batch)."),
        Column("seconds_per_image", "float", "Seconds per image as stated.", positive=True),
        Column("seconds_per_forward", "float", "Seconds per forward as stated.", positive=True),
        Column(
            "time_covers",
            "enum",
            "What the time covers.",
            required=True,
            allowed=TIME_COVERS,
        ),
        Column("peak_vram_gib", "float", "Peak VRAM as stated (GiB).", positive=True),
        Column(
            "grade",
            "enum",
            "A, B or C (see measurements/README.md).",
            required=True,
            allowed=GRADES,
        ),
        Column("quote", "text", "Short verbatim excerpt containing the number.", required=True),
        Column("note", "text", "Context (English)."),
        Column("note_zh", "text", "Context (Chinese)."),
    ),
)

TABLES: dict[str, Table] = {
    "runs": RUNS,
    "probes": PROBES_TABLE,
    "telemetry": TELEMETRY,
    "gpus": GPUS,
    "prices": PRICES,
    "fx_rates": FX_RATES,
    "parts": PARTS,
    "workloads": WORKLOADS,
    "reported": REPORTED,
    "storage_classes": STORAGE_CLASSES,
    "pcie_links": PCIE_LINKS,
    "hardware_refs": HARDWARE_REFS,
    "variant_memory": VARIANT_MEMORY,
    "quality": QUALITY,
    "reported_runs": REPORTED_RUNS,
}

# Columns a CSV of each kind must at least have; others may be added in later
# schema versions, and an unknown column is an error (it is usually a typo).
BENCH_FILES = {"runs.csv": RUNS, "probes.csv": PROBES_TABLE, "telemetry.csv": TELEMETRY}

# Files larger than this are refused before parsing (settable per call).
DEFAULT_MAX_FILE_MIB = 512


class HostInfo(BaseModel):
    """The bench machine, as a reader needs it to judge the figures (no hostname)."""

    model_config = ConfigDict(extra="allow")
    cpu: str = ""
    cpu_count: int | None = None
    ram_gib: float | None = None
    os: str = ""
    python: str = ""
    storage: str = ""
    hostname: str | None = None  # only with --record-hostname


class BenchGpu(BaseModel):
    """One GPU of the bench as NVML saw it."""

    model_config = ConfigDict(extra="allow")
    index: int
    uuid: str
    name_nvml: str
    name: str = ""  # canonical catalogue name, empty when unknown
    vram_gib: float | None = None
    power_limit_w: float | None = None  # enforced (what the card ran under)
    power_limit_default_w: float | None = None  # the board's default; above power_limit_w = capped
    # compute processes on the GPU when the bench started (none of them ours): pid, used_gib
    compute_processes: list[dict[str, Any]] | None = None
    max_sm_clock_mhz: float | None = None
    pcie_max_gen: int | None = None
    pcie_max_width: int | None = None
    board: str = ""


class BenchMeta(BaseModel):
    """bench.json: provenance of every row in the bench's CSVs."""

    model_config = ConfigDict(extra="allow")
    schema_version: int = SCHEMA_VERSION
    bench_id: str = Field(min_length=1)
    created_at: str
    finished_at: str | None = None
    status: Literal["running", "complete", "interrupted"] = "complete"
    device: Literal["cuda", "cpu"]
    weights: Literal["real", "synthetic", "tiny"]
    guide_builder_version: str = ""
    driver_version: str | None = None
    cuda_version: str | None = None
    torch_version: str | None = None
    diffusers_version: str | None = None
    transformers_version: str | None = None
    attention_backend: str | None = None
    host: HostInfo = Field(default_factory=HostInfo)
    gpus: list[BenchGpu] = Field(default_factory=list)
    note: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
