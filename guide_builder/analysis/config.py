"""The analysis's thresholds and assumptions: one typed config with documented defaults.

The MkDocs plugin validates a nested ``analysis:`` mapping in ``mkdocs.yml``
with this model, and ``guide-builder render --config mkdocs.yml`` reads the same.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

PSU_SIZES_W = (550, 650, 750, 850, 1000, 1200, 1600)


class AnalysisConfig(BaseModel):
    """Every assumption the guide's reasoning rests on, each with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference_workload: str = Field(
        "zimage-turbo-1024",
        description="Workload the tiers, fits, ROI and headline figures are about.",
    )
    # Budget bands (CNY). Defaults follow the source article's three tiers.
    entry_max_cny: float = Field(
        7000, gt=0, description="Entry tier: cards priced at or below this (CNY)."
    )
    balanced_max_cny: float = Field(
        13000,
        gt=0,
        description="Balanced tier: above entry_max_cny up to this (CNY); future-proof is above it.",
    )
    tier_rank: dict[str, str] = Field(
        default_factory=lambda: {
            "entry": "perf_per_cny",
            "balanced": "perf_per_cny",
            "future_proof": "seconds",
        },
        description="What each tier ranks by first: 'seconds' (seconds per image, lower wins) "
        "or 'perf_per_cny' (images per hour per 1,000 CNY, higher wins); the other breaks ties, "
        "then the lower price, then the name.",
    )
    tie_tolerance: float = Field(
        0.02,
        ge=0,
        description="Cards within this fraction of the best on the first ranking key are tied.",
    )
    tier_form_factors: tuple[str, ...] = Field(
        ("desktop",),
        description="Form factors a tier may recommend (laptops and data-centre cards are shown "
        "in the results but not picked).",
    )
    # Prices (guide_builder/analysis/pricing.py) and the whole build's cost.
    price_max_age_days: int = Field(
        180,
        ge=0,
        description="A street, used or grey price older than this many days is stale: the "
        "rule falls back to the launch price, and pages mark any older figure as stale.",
    )
    price_newer_market_beats_launch: bool = Field(
        True,
        description="When no price is fresh, a stale street/grey price dated after the launch "
        "price is used instead of it (it is newer evidence of what the card costs); false: "
        "the launch price always comes first.",
    )
    price_today: str = Field(
        "",
        pattern=r"^(\d{4}-\d{2}-\d{2})?$",
        description="The day prices are aged from (YYYY-MM-DD); empty: the build date.",
    )
    ssd_size_gb: float | None = Field(
        None,
        gt=0,
        description="SSD size (GB) a build counts. Empty: the size the storage page recommends "
        "for the model files of every variant, the system and the sourced fill level.",
    )
    cooling_board_power_w: float = Field(
        350,
        ge=0,
        description="Cards with a board power at or above this (W) get case cooling (fans) "
        "in the build cost.",
    )
    # ROI.
    hourly_rate_cny: float = Field(
        200,
        ge=0,
        description="What an hour of the creator's time is worth (CNY; the source article's figure).",
    )
    images_per_day: float = Field(35, ge=0, description="Images generated per working day.")
    working_days_per_year: float = Field(250, ge=0, description="Working days per year.")
    electricity_cny_per_kwh: float = Field(
        0.6, ge=0, description="Electricity price (CNY per kWh)."
    )
    roi_baseline: str = Field(
        "cheapest_fit",
        description="Baseline card for ROI: 'cheapest_fit' (the cheapest card that fits the "
        "reference workload) or a catalogue name.",
    )
    # PSU sizing.
    psu_transient_factor: float = Field(
        1.2,
        ge=1,
        description="Multiplier on the GPU's power for sub-millisecond excursions "
        "(see psu_transient_source for the derivation).",
    )
    psu_transient_source: str = Field(
        "",
        description="Where the transient factor comes from, shown on the power page. Empty: "
        "the built-in derivation from the Intel ATX 3.0/3.1 PSU design guide (in the page's "
        "language, with this config's factor and target load); set it when you change the factor.",
    )
    cpu_w: float = Field(150, ge=0, description="CPU power allowance (W) in the PSU formula.")
    platform_w: float = Field(
        75, ge=0, description="Motherboard, RAM, drives and fans allowance (W)."
    )
    psu_target_load: float = Field(
        0.8, gt=0, le=1, description="Fraction of the PSU's rating the system may draw."
    )
    psu_sizes_w: tuple[int, ...] = Field(
        PSU_SIZES_W, description="Common PSU sizes the raw figure is rounded up to (W)."
    )
    # Statistics and estimates.
    spread_warn_ratio: float = Field(
        0.05, ge=0, description="Warn when IQR / median exceeds this (0.05 = 5 %)."
    )
    clock_margin: float = Field(
        0.25,
        ge=0,
        description="Margin over the spec boost clock for the peak's upper bound when no NVML "
        "max SM clock is known (0.25 = spec boost + 25 %). Cards boost well above spec: NVML "
        "reports a max SM clock of 3105 MHz on Ada GeForce cards (RTX 4090: +23 % over its "
        "2520 MHz boost), a loaded RTX 4090 has been logged at 2820 MHz (+12 %; "
        "github.com/noonghunna/club-3090 issue #697) and an RTX 5090 bf16 matmul at ~240 "
        "TFLOPS (+15 % over its 209.5 spec; zzc0721/torch-performance-test-data issues #96, "
        "#124), so 10 % would not be an upper bound.",
    )
    default_efficiency: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Fraction of the bf16 floor's speed assumed for estimates when no card "
        "has been measured (floor / efficiency = estimated seconds).",
    )
    spec_tolerance: float = Field(
        0.05,
        ge=0,
        description="A claimed spec (bandwidth, VRAM) further than this fraction from the "
        "catalogue contradicts it.",
    )
    # Memory fits.
    vram_margin_gib: float = Field(
        1.5,
        ge=0,
        description="Activations, CUDA context and fragmentation added to component sizes (GiB).",
    )
    context_gib: float = Field(
        0.5,
        ge=0,
        description="CUDA context and other memory outside torch's allocator, added to a "
        "measured torch peak before comparing it with a card's capacity (GiB).",
    )
    fit_variants: dict[str, list[list[str]]] = Field(
        default_factory=lambda: {
            "plain": [["transformer", "text_encoder", "vae"]],
            "text_encoder_unload": [["text_encoder"], ["transformer", "vae"]],
            "fp8": [["transformer", "text_encoder", "vae"]],
            "gguf_q8_0": [["transformer", "text_encoder", "vae"]],
            "gguf_q4_k_m": [["transformer", "text_encoder", "vae"]],
            "model_offload": [["transformer"], ["text_encoder"], ["vae"]],
            "group_offload": [[]],
            "sequential_offload": [[]],
        },
        description="Variants tried for a fit, each as the groups of components "
        "(transformer, text_encoder, vae) on the GPU together; a variant's need is its largest "
        "group's weight bytes (catalog/variant_memory.csv, in the storage variant_storage "
        "names) plus vram_margin_gib. Offload variants keep no whole component resident ([[]]): "
        "only the margin.",
    )
    variant_storage: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {
            "fp8": {"transformer": "fp8_e4m3"},
            "gguf_q8_0": {"transformer": "gguf_q8_0"},
            "gguf_q4_k_m": {"transformer": "gguf_q4_k_m"},
        },
        description="Storage of each component under a variant (a variant_memory.csv storage "
        "name); components not named stay bf16.",
    )
    text_encoder_unload_combines: tuple[str, ...] = Field(
        ("fp8", "gguf_q8_0", "gguf_q4_k_m"),
        description="Variants that also come as '<variant>+text_encoder_unload': the text "
        "encoder runs alone on the GPU, then leaves it before the transformer loads.",
    )
    variant_speed_order: tuple[str, ...] = Field(
        (
            "plain",
            "text_encoder_unload",
            "fp8",
            "fp8+text_encoder_unload",
            "model_offload",
            "gguf_q8_0",
            "gguf_q8_0+text_encoder_unload",
            "gguf_q4_k_m",
            "gguf_q4_k_m+text_encoder_unload",
            "group_offload",
            "sequential_offload",
        ),
        description="Variants fastest first; a card's fit is the first that fits. Until "
        "per-variant time estimates exist this order is a stated judgement: unloading the text "
        "encoder moves ~8 GB per image; fp8 weights are cast to bf16 layer by layer (a small "
        "cost); model offload moves all weights each image (~1 s over PCIe 4.0 x16); GGUF "
        "blocks are dequantised in every forward (a larger cost, more for 4-bit); group and "
        "sequential offload move the transformer in every forward. Variants not listed come "
        "after, in fit_variants order.",
    )
    transformer_gib: float = Field(11.46, gt=0, description="DiT weights in bf16 (GiB).")
    text_encoder_gib: float = Field(7.5, ge=0, description="Text encoder (Qwen3-4B) in bf16 (GiB).")
    vae_gib: float = Field(0.3, ge=0, description="VAE weights in bf16 (GiB).")
    variant_transfers: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {
            "plain": {},
            "text_encoder_unload": {"text_encoder": 1},
            "model_offload": {"transformer": 1, "text_encoder": 1, "vae": 1},
            "sequential_offload": {"transformer_per_forward": 1, "text_encoder": 1, "vae": 1},
            "group_offload": {"transformer_per_forward": 1, "text_encoder": 1, "vae": 1},
            "fp8+text_encoder_unload": {"text_encoder": 1},
            "gguf_q8_0+text_encoder_unload": {"text_encoder": 1},
            "gguf_q4_k_m+text_encoder_unload": {"text_encoder": 1},
        },
        description="How often each component crosses PCIe per image under a variant "
        "(transformer_per_forward: once per transformer forward); an estimate adds that "
        "traffic at offload_gb_s.",
    )
    offload_gb_s: float = Field(
        20.0,
        gt=0,
        description="Host-to-device GB/s assumed for offload traffic when the card has no "
        "h2d_bandwidth probe (about what PCIe 4.0 x16 gives in practice).",
    )
    tier_variants: tuple[str, ...] = Field(
        ("plain", "text_encoder_unload", "model_offload"),
        description="Variants a tier pick may need; a card that runs the workload only with "
        "another (e.g. sequential_offload: far slower than its estimate) is not picked.",
    )
    # Small cards and spill.
    small_card_vram_gib: tuple[float, ...] = Field(
        (8, 12, 16),
        description="Card sizes the small-cards section and the spill pitfall speak about (GiB).",
    )
    small_card_max_cny: float = Field(
        3000, gt=0, description="Budget of the small-cards section's pick (CNY)."
    )
    spill_seconds: float = Field(
        60,
        gt=0,
        description="A reported bf16 run without offload on a card too small for the plain "
        "pipeline that took longer than this per image counts as spilling into system memory.",
    )
    # Throttling.
    throttle_clock_drop_pct: float = Field(
        10,
        ge=0,
        description="A clock drop (from the first to the worst part of a run) above this "
        "percentage counts as throttling even without reason bits.",
    )

    # Pitfalls.
    bandwidth_efficiency_ratio: float = Field(
        0.75,
        gt=0,
        le=1,
        description="A measured card is called bandwidth-starved only when its efficiency is "
        "below this fraction of the measured cards' median and its bandwidth per bf16 TFLOPS "
        "is below theirs too.",
    )
    slow_disk_gb_s: float = Field(
        1.0, gt=0, description="A disk read below this (GB/s) makes first model loads slow."
    )

    # The estimator (analysis/model.py).
    estimator_shrinkage: float = Field(
        2.0,
        ge=0,
        description="Partial pooling: a card, class or segment with observations of total "
        "weight W gets (W x its mean + k x its parent's) / (W + k) in log efficiency; this is k.",
    )
    estimator_measured_weight: float = Field(
        2.0, gt=0, description="Weight of a measured result in the fit (a grade A run weighs 1)."
    )
    estimator_grade_b_weight: float = Field(
        0.5, gt=0, le=1, description="Weight of a grade B reported run (grade C never counts)."
    )
    estimator_interval: float = Field(
        0.8,
        gt=0,
        lt=1,
        description="Coverage of an estimate's interval (0.8: 10th-90th percentile).",
    )
    estimator_min_residuals: int = Field(
        5,
        ge=2,
        description="Fewest held-out residuals at an estimate's support level for its interval; "
        "with fewer, all residuals are used, widened.",
    )
    estimator_sparse_widening: float = Field(
        2.0, ge=1, description="Widening (in log time) of an interval made from too few residuals."
    )
    estimator_no_evidence_factor: float = Field(
        2.0,
        gt=1,
        description="An interval made from too few residuals spans at least seconds / f to "
        "seconds x f.",
    )
    run_contradiction_tolerance: float = Field(
        0.25,
        ge=0,
        description="A claim contradicts grade A reported runs of the same card and setup when "
        "it is further than this fraction outside their range.",
    )

    def component_sizes(self) -> dict[str, float]:
        """bf16 weights of each pipeline component (GiB), by the names fit_variants uses."""
        return {
            "transformer": self.transformer_gib,
            "text_encoder": self.text_encoder_gib,
            "vae": self.vae_gib,
        }

    @model_validator(mode="after")
    def _bands_ordered(self) -> AnalysisConfig:
        if self.balanced_max_cny <= self.entry_max_cny:
            raise ValueError("balanced_max_cny must be above entry_max_cny")
        if not self.psu_sizes_w or list(self.psu_sizes_w) != sorted(self.psu_sizes_w):
            raise ValueError("psu_sizes_w must be a non-empty ascending list")
        unknown = set(self.tier_rank.values()) - {"seconds", "perf_per_cny"}
        if unknown:
            raise ValueError(f"tier_rank values must be 'seconds' or 'perf_per_cny', not {unknown}")
        return self
