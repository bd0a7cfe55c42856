"""Plain result types the analysis returns and the site renders.

Every figure keeps its evidence level and where it came from, so a page can
say "why" next to the number. Prose the analysis writes (reasons, advice,
estimate models) is a language-neutral :class:`~guide_builder.messages.Message`:
``str()`` gives English, the site renders it in the page's language. Text
copied from CSVs (bench ids, claim sources, price details) stays a plain str.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from guide_builder.messages import Message

# measured_synthetic: our harness on the full-size architecture with random
# weights (time, memory and power are real; image content is not).
Evidence = Literal["measured", "measured_synthetic", "reported", "estimated"]


@dataclass(frozen=True)
class Figure:
    """One number with its unit, evidence level and provenance."""

    value: float | None
    unit: str  # "s", "gib", "w", "j", "c", "tflops", "gb_s", "cny", "pct", ...
    evidence: Evidence
    source: str | Message  # bench id(s) or a claim's source (str), or the estimate model
    detail: str | Message = ""  # e.g. "median of 12, IQR 0.03 s"
    source_url: str = ""
    # An estimate's interval (from leave-one-source-out residuals); None elsewhere.
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Floor:
    """The fastest a GPU can possibly run a workload in one precision."""

    gpu: str
    workload: str
    precision: str  # bf16 | fp16_acc16 | fp8 | int4
    peak_tflops_upper: float  # SMs x per-SM rate x maximum clock
    clock_mhz: float
    clock_basis: Message  # "NVML max SM clock on bench X" or "spec boost + 10 %"
    tflop: float  # workload FLOPs (transformer forwards, plus encoder/decoder when known)
    floor_s: float


@dataclass(frozen=True)
class VariantFit:
    """One variant's memory verdict on one card (every variant, not only the pick)."""

    variant: str
    fits: bool | None  # None: not evaluated (no sizes for its storage, no runs)
    needed_gib: float | None
    weight_bytes: int | None  # largest co-resident group's weights (the accounting's bytes)
    evidence: Evidence
    reason: Message
    quality: Message  # the quality evidence in words ("quality not measured" where none)
    quality_evidence: Literal["measured", "reported", "same_weights", "none"] = "none"


@dataclass(frozen=True)
class Fit:
    """Whether a workload fits a GPU's memory, and how."""

    gpu: str
    workload: str
    verdict: Literal["fits", "fits_with_variant", "cannot_run"]
    variant: str  # "plain" when it fits as is; the cheapest variant that fits otherwise
    needed_gib: float | None
    capacity_gib: float
    evidence: Evidence
    reason: Message
    options: tuple[VariantFit, ...] = ()  # every variant tried, fastest first


@dataclass(frozen=True)
class Flag:
    """A fact-check verdict on one figure or claim."""

    grade: Literal[
        "impossible",
        "implausible",
        "contradicts_spec",
        "contradicted",  # by first-hand (grade A) reported runs of the same card and setup
        "unverified",
        "plausible",
        "consistent",
    ]
    reason: Message  # in words, with the numbers
    needed_precision: str = ""  # the slowest precision fast enough for the claim, "" when none
    needed_tflops: float | None = None


@dataclass(frozen=True)
class GpuResult:
    """One GPU x workload row of the results table (measured or estimated)."""

    gpu: str
    workload: str
    variant: str
    seconds: Figure  # median seconds per image
    p90_s: float | None
    iqr_s: float | None
    n: int
    wide_spread: bool  # IQR/median above the configured threshold
    peak_vram_gib: Figure | None
    energy_j: Figure | None
    power_max_w: Figure | None
    efficiency: float | None  # floor_s / median s (bf16 floor of the workload)
    price_cny: Figure | None
    images_per_hour_per_kcny: float | None  # performance per CNY
    bench_ids: tuple[str, ...] = ()
    memory_cap_gib: float | None = None  # set when measured under a cap (time not representative)
    flags: tuple[Flag, ...] = ()
    precision: str = "bf16"  # the run's dtype (or the floor's precision for an estimate)

    @property
    def low_s(self) -> float | None:
        """Lower end of an estimate's interval (None for measured rows)."""
        return self.seconds.low

    @property
    def high_s(self) -> float | None:
        return self.seconds.high


@dataclass(frozen=True)
class FactCheck:
    """A reported (or measured) claim checked against floors and the catalogue."""

    source: str
    source_url: str
    date: str
    gpu: str
    claim: str
    value: float | None
    unit: str
    precision: str
    note: str
    flag: Flag
    floor_s: float | None = None
    note_zh: str = ""
    # (source, url) of the grade A reported runs a claim was compared with
    runs: tuple[tuple[str, str], ...] = ()
    kind: Literal["claim", "run"] = "claim"  # a reported claim, or a reported run checked alike


@dataclass(frozen=True)
class TierPick:
    """One budget tier's recommendation with its reasons and runner-up."""

    tier: str  # entry | balanced | future_proof
    budget_min_cny: float | None
    budget_max_cny: float | None
    gpu: str | None  # None when no card in the band fits the workload
    runner_up: str | None
    seconds: Figure | None
    price_cny: Figure | None
    reasons: tuple[Message, ...]
    psu_w: int | None = None
    segment: str = "new"  # new | used: which market the pick's price is from
    price: Any = None  # the price rule's PriceFigure (guide_builder.analysis.pricing)
    build: Any = None  # BuildCost (guide_builder.analysis.builds): card + PSU + SSD + cooling
    availability: str = ""  # the card's availability in mainland China
    warnings: tuple[Message, ...] = ()  # grey import, used or modified card risks, stale price


@dataclass(frozen=True)
class Pitfall:
    """A trap derived from the data, with its evidence."""

    kind: str  # oom | needs_offload | below_floor | throttling | bandwidth | laptop | slow_disk | no_bf16 | cuda_12_8 | power_capped
    gpu: str
    title: Message
    evidence_text: Message | str
    evidence: Evidence
    source: str | Message  # bench ids or a claim's source (str); a named reference


@dataclass(frozen=True)
class PsuAdvice:
    """PSU sizing for one GPU."""

    gpu: str
    gpu_peak_w: Figure  # measured instantaneous peak, or board power (estimated)
    transient_factor: float
    transient_source: Message | str
    cpu_w: float
    platform_w: float
    target_load: float
    raw_w: float
    recommended_w: int
    connector: str | Message  # the catalogue's connector, with advice for 16-pin ones


@dataclass(frozen=True)
class CoolingAdvice:
    """What telemetry showed about heat and clocks for one GPU."""

    gpu: str
    bench_id: str
    max_gpu_temp_c: float | None
    max_mem_temp_c: float | None
    time_to_throttle_s: float | None  # None when no throttling was seen
    clock_drop_pct: float | None
    throttle_reasons: tuple[str, ...]
    advice: Message


@dataclass(frozen=True)
class PcieAdvice:
    """PCIe link, host-to-device bandwidth and model load time for one GPU."""

    gpu: str
    bench_id: str
    link_gen: int | None
    link_width: int | None
    max_gen: int | None
    max_width: int | None
    h2d_gb_s: float | None
    load_cold_s: float | None
    load_warm_s: float | None
    disk_read_gb_s: float | None
    advice: Message


@dataclass(frozen=True)
class RoiRow:
    """Return on investment of one tier's pick against the baseline card."""

    tier: str
    gpu: str
    baseline_gpu: str
    seconds_per_image: float
    baseline_seconds_per_image: float
    seconds_saved_per_image: float
    hours_saved_per_year: float
    cny_saved_per_year: float
    electricity_cny_per_year: float | None
    price_cny: float  # the whole build: card + PSU + SSD + cooling
    extra_cost_cny: float  # build total minus the baseline's build total
    payback_months: float | None  # None when nothing is saved
    evidence: Evidence
    baseline_electricity_cny_per_year: float | None = None
    net_cny_saved_per_year: float | None = None  # time saved minus extra electricity
    segment: str = "new"
    card_cny: float | None = None  # the card alone; price_cny is the whole build
    parts_cny: float | None = None  # PSU + SSD + cooling


@dataclass
class Analysis:
    """Everything the site renders, derived from one Dataset and one config."""

    config: Any  # AnalysisConfig
    floors: list[Floor] = field(default_factory=list)
    results: list[GpuResult] = field(default_factory=list)  # measured and estimated rows
    fits: list[Fit] = field(default_factory=list)
    fact_checks: list[FactCheck] = field(default_factory=list)
    tiers: list[TierPick] = field(default_factory=list)
    pitfalls: list[Pitfall] = field(default_factory=list)
    psu: list[PsuAdvice] = field(default_factory=list)
    cooling: list[CoolingAdvice] = field(default_factory=list)
    pcie: list[PcieAdvice] = field(default_factory=list)
    roi: list[RoiRow] = field(default_factory=list)
    # The ROI formulas' inputs as plain data (JSON-able) for the site's calculator.
    roi_model: dict[str, Any] = field(default_factory=dict)
    # Catalogued cards no tier may pick, each with the reason ("RTX X: no CNY price ...").
    tier_exclusions: list[Message] = field(default_factory=list)
    # Per card: {"rule": PriceFigure | None, "new": ..., "used": ..., "history": [...]}
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Computed without a bench (storage.py, cooling.py, pcie.py).
    storage: Any = None
    cooling_estimates: list[Any] = field(default_factory=list)
    pcie_estimates: list[Any] = field(default_factory=list)
    hardware_refs: list[dict[str, Any]] = field(default_factory=list)  # sources shown on pages
    # The estimator's fit (analysis/model.py `Fitted`): parameters, rows used, cross-validation.
    estimator: Any = None
    # (gpu, workload, variant) -> estimated GpuResult for every variant that fits a card
    variant_estimates: dict[tuple[str, str, str], Any] = field(default_factory=dict)
