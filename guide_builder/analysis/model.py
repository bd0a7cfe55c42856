"""The estimator's model: batch-1 efficiency from the card's balance, fitted to evidence.

seconds = TFLOP covered / (efficiency x bf16 peak), where the peak is the
floor's upper bound (SMs x per-SM rate x maximum clock, see `floors`) and

    efficiency = 1 / (alpha + beta x peak / bandwidth) x the card's class offset

The curve is a two-term roofline: time per TFLOP = alpha / peak + beta /
bandwidth, the compute a forward needs at the tensor peak plus work that scales
with memory bandwidth (norms, activations, attention I/O, anything that does not
get faster with a bigger tensor peak). That is why big data-centre cards reach a
much smaller share of their peak at batch 1: their peak grew far more than their
bandwidth. alpha >= 1 (nothing beats the peak) and beta >= 0 are fitted to every
observation by weighted least squares on the relative error of the time; beta is
an effective figure, not the bytes a forward strictly has to move.

What the curve misses is left to partial pooling of the log residuals over three
levels, segment (consumer, workstation, datacenter) -> class (segment and
architecture, e.g. consumer Ada) -> the card itself, each level's offset being
``(W x mean of its residuals + k x parent's offset) / (W + k)`` (W: the
observations' total weight, k: ``config.estimator_shrinkage``; the curve's own
offset is 0). A level with few observations stays near its parent; a card or
class with none *is* its parent.

Observations: measured bf16 results (weight ``estimator_measured_weight``)
and reported runs of the reference setup (grade A weight 1, B
``estimator_grade_b_weight``, C never): a catalogued NVIDIA card, one GPU,
bf16 weights, diffusers or ComfyUI, no torch.compile, no offload of the
transformer, a card that holds the bf16 transformer, a known time coverage.
Each source's runs of one card at one resolution are one observation (their
median), so a source with many rows does not outvote the others. Other setups
(compile, SGLang, TensorRT, fp8, GGUF, ...) get a speed factor each, fitted
only from their own rows against the reference model, and never enter it.

The interval comes from leave-one-source-out predictions: residual quantiles,
taken from predictions made with as little support as the estimate has (a
class with no rows borrows only from held-out predictions that also had to
borrow), widened when there are too few of them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.floors import max_clock, upper_peak
from guide_builder.analysis.rows import num, text
from guide_builder.dataset import Dataset
from guide_builder.reported_runs import resolution

REFERENCE_TOOLCHAINS = ("diffusers", "comfyui")
# Serving stacks that are at least as fast as the reference setup on the same card.
# (vLLM-Omni is not one: its RTX 5090 recipe runs at about 0.6x the reference's speed.)
FAST_TOOLCHAINS = ("sglang", "tensorrt", "lightx2v", "xdit")
# Support an estimate has, strongest first. "bound": no reference run in the class, but
# a faster setup's runs on it cap the efficiency (the reference cannot be faster).
SUPPORT = ("card", "class", "bound", "segment", "pooled", "default")
# Image tokens: the VAE downsamples 8x and the transformer patches 2x2 latents.
PIXELS_PER_TOKEN_SIDE = 16


@dataclass(frozen=True)
class Observation:
    """One source's timing of one card at one resolution, as a log efficiency."""

    source: str  # page title, or "bench <id>"
    url: str
    gpu: str
    segment: str
    architecture: str
    resolution: str
    kind: str  # "measured" | "reported"
    grade: str  # A | B (reported), "" (measured)
    weight: float
    log_eff: float  # log(TFLOP covered / (peak x seconds)), median over the rows
    seconds_per_forward: float  # the observed time per DiT forward
    tflop_per_forward: float
    peak_tflops: float
    rows: int  # CSV rows (or timed runs) behind it
    setup: str = "reference"  # the setup's name for non-reference rows
    balance: float | None = None  # peak TFLOPS / bandwidth GB/s (None: no bandwidth)

    @property
    def efficiency(self) -> float:
        return math.exp(self.log_eff)

    @property
    def group(self) -> str:
        return f"{self.segment} {self.architecture}"


@dataclass(frozen=True)
class Roofline:
    """efficiency = 1 / (alpha + beta x balance), balance = peak TFLOPS / bandwidth GB/s."""

    alpha: float
    beta: float
    n: int  # observations it was fitted to
    balance_mean: float  # weighted mean balance: stands in for a card without a bandwidth

    def log_eff(self, balance: float | None) -> float:
        b = self.balance_mean if balance is None else balance
        return -math.log(self.alpha + self.beta * b)


def fit_roofline(observations: list[Observation], default_eff: float) -> Roofline:
    """Weighted least squares of 1 = alpha x e + beta x e x balance (e: observed efficiency,
    so each residual is a relative error of the time), with alpha >= 1 and beta >= 0."""
    obs = [o for o in observations if o.balance is not None]
    if not obs:
        return Roofline(1 / default_eff, 0.0, 0, 0.0)
    w = np.array([o.weight for o in obs])
    e = np.array([o.efficiency for o in obs])
    b = np.array([o.balance for o in obs])
    mean_b = float((w * b).sum() / w.sum())
    alpha = beta = None
    if len(obs) >= 2 and np.ptp(b) > 0:
        sw = np.sqrt(w)
        (alpha, beta), *_ = np.linalg.lstsq(
            np.stack([e, e * b], axis=1) * sw[:, None], sw, rcond=None
        )
    if beta is None or beta < 0:
        # no slope to fit, or the data say none: a flat curve at the weighted geometric mean
        # (the plain pooled efficiency, in log space like the levels below it)
        log_mean = float((w * np.log(e)).sum() / w.sum())
        return Roofline(max(1.0, math.exp(-log_mean)), 0.0, len(obs), mean_b)
    if alpha < 1:  # faster than the peak at no memory cost is impossible: alpha = 1, refit beta
        alpha = 1.0
        beta = max(0.0, float((w * e * b * (1 - e)).sum() / (w * (e * b) ** 2).sum()))
    return Roofline(float(alpha), float(beta), len(obs), mean_b)


@dataclass(frozen=True)
class Level:
    """One level of the pooled residuals: its own observations and its shrunk offset
    (log efficiency above the curve; ``efficiency`` is the factor it applies)."""

    name: str
    n: int  # observations
    weight: float
    raw_log_eff: float | None  # weighted mean of its own observations
    log_eff: float  # after shrinkage toward the parent

    @property
    def efficiency(self) -> float:
        return math.exp(self.log_eff)

    @property
    def raw_efficiency(self) -> float | None:
        return None if self.raw_log_eff is None else math.exp(self.raw_log_eff)


@dataclass(frozen=True)
class Prediction:
    log_eff: float
    support: str  # one of SUPPORT
    level: Level | None


@dataclass
class EfficiencyModel:
    """The fitted curve and residual levels; `predict` walks from the card up to the curve."""

    shrinkage: float
    pooled: Level | None  # every reference observation's residual (the curve's own level)
    # `fit` always sets the curve; this flat one (efficiency 0.5) serves hand-built models
    curve: Roofline = field(default_factory=lambda: Roofline(2.0, 0.0, 0, 0.0))
    segments: dict[str, Level] = field(default_factory=dict)
    classes: dict[str, Level] = field(default_factory=dict)
    cards: dict[str, Level] = field(default_factory=dict)
    # class -> the highest offset above the curve a faster setup reached there (bf16, one GPU)
    bounds: dict[str, Level] = field(default_factory=dict)

    def predict(
        self, gpu: str, segment: str, architecture: str, balance: float | None = None
    ) -> Prediction:
        """Log efficiency of a card: the curve at its balance plus its deepest level's offset."""
        cls = f"{segment} {architecture}"
        curve = self.curve.log_eff(balance)
        for support, table, key in (("card", self.cards, gpu), ("class", self.classes, cls)):
            if key in table:
                return Prediction(curve + table[key].log_eff, support, table[key])
        if segment in self.segments:
            level = self.segments[segment]
            p = Prediction(curve + level.log_eff, "segment", level)
        elif self.pooled is not None:
            p = Prediction(curve, "pooled", self.pooled)
        else:
            p = Prediction(curve, "default", None)
        bound = self.bounds.get(cls)
        if bound is not None and curve + bound.log_eff < p.log_eff:
            return Prediction(curve + bound.log_eff, "bound", bound)
        return p


def _level(name: str, obs: list[Observation], parent: float, k: float) -> Level:
    w = sum(o.weight for o in obs)
    raw = sum(o.weight * o.log_eff for o in obs) / w
    return Level(name, len(obs), w, raw, (w * raw + k * parent) / (w + k))


def is_fast(setup: str) -> bool:
    """A bf16 setup that can only be faster than the reference: a serving stack or compile."""
    parts = setup.split(" + ")
    known = set(FAST_TOOLCHAINS) | {"torch.compile"}
    return setup != "reference" and all(p in known for p in parts)


def fit(observations: list[Observation], shrinkage: float, default_eff: float) -> EfficiencyModel:
    """The roofline curve, then partial pooling of its log residuals: segment -> class -> card."""
    model = EfficiencyModel(shrinkage, None, Roofline(1 / default_eff, 0.0, 0, 0.0))
    obs = [o for o in observations if o.setup == "reference"]
    if obs:
        model.curve = fit_roofline(obs, default_eff)
    # a faster setup's best run caps its class, as an offset from the curve, so that a card
    # of another balance in the class is capped where the curve puts it
    fast: dict[str, list[Observation]] = defaultdict(list)
    for o in observations:
        if is_fast(o.setup):
            fast[o.group].append(o)
    for cls, group in sorted(fast.items()):
        best = max(o.log_eff - model.curve.log_eff(o.balance) for o in group)
        model.bounds[cls] = Level(cls, len(group), sum(o.weight for o in group), best, best)
    if not obs:
        return model
    # the levels pool what the curve misses: each observation's log residual
    obs = [replace(o, log_eff=o.log_eff - model.curve.log_eff(o.balance)) for o in obs]
    w = sum(o.weight for o in obs)
    pooled_raw = sum(o.weight * o.log_eff for o in obs) / w
    model.pooled = Level("pooled", len(obs), w, pooled_raw, 0.0)
    by = defaultdict(list)
    for o in obs:
        by[("segment", o.segment)].append(o)
        by[("class", o.group)].append(o)
        by[("card", o.gpu)].append(o)
    for (kind, name), group in sorted(by.items()):
        if kind == "segment":
            model.segments[name] = _level(name, group, 0.0, shrinkage)
    for (kind, name), group in sorted(by.items()):
        if kind == "class":
            parent = model.segments[group[0].segment].log_eff
            model.classes[name] = _level(name, group, parent, shrinkage)
    for (kind, name), group in sorted(by.items()):
        if kind == "card":
            parent = model.classes[group[0].group].log_eff
            model.cards[name] = _level(name, group, parent, shrinkage)
    return model


# --- observations from the dataset ------------------------------------------------


def segment_of(gpu: pd.Series) -> str:
    """The card's market segment: the catalogue's `segment`, else from its form factor."""
    seg = text(gpu.get("segment"))
    if seg:
        return seg
    return "datacenter" if text(gpu.get("form_factor")) == "datacenter" else "consumer"


class Flops:
    """TFLOP per forward, text encoding and VAE decode at any resolution.

    Counted workloads (``workloads.csv``) are used as they are; another
    resolution is scaled from them: per forward a*T + b*T^2 over T tokens
    (image tokens plus caption), solved from two counted resolutions (linear
    in T from one), the VAE decode with the pixel count, the text encoder
    unchanged.
    """

    def __init__(self, workloads: pd.DataFrame):
        self.rows = [r for _, r in workloads.iterrows()]
        self.coef: tuple[float, float] | None = None
        pts = {}
        for r in self.rows:
            tokens = self.tokens(int(r["width"]), int(r["height"]), int(r["caption_tokens"]))
            pts[tokens] = float(r["transformer_tflop_per_forward"])
        if len(pts) >= 2:
            (t1, f1), (t2, f2) = sorted(pts.items())[-2:]
            a, b = np.linalg.solve([[t1, t1 * t1], [t2, t2 * t2]], [f1, f2])
            self.coef = (float(a), float(b))
        elif pts:
            ((t1, f1),) = pts.items()
            self.coef = (f1 / t1, 0.0)

    @staticmethod
    def tokens(width: int, height: int, caption: int) -> int:
        side = PIXELS_PER_TOKEN_SIDE
        return (width // side) * (height // side) + caption

    def at(self, width: int, height: int) -> tuple[float, float, float] | None:
        """(per forward, text encoder, VAE decode) TFLOP; None without any count."""
        for r in self.rows:
            if int(r["width"]) == width and int(r["height"]) == height:
                return (
                    float(r["transformer_tflop_per_forward"]),
                    num(r.get("text_encoder_tflop")) or 0.0,
                    num(r.get("vae_decode_tflop")) or 0.0,
                )
        if self.coef is None:
            return None
        ref = self.rows[0]
        a, b = self.coef
        t = self.tokens(width, height, int(ref["caption_tokens"]))
        scale = width * height / (int(ref["width"]) * int(ref["height"]))
        return (
            a * t + b * t * t,
            num(ref.get("text_encoder_tflop")) or 0.0,
            (num(ref.get("vae_decode_tflop")) or 0.0) * scale,
        )


def bf16_peak(dataset: Dataset, gpu: str, config: AnalysisConfig) -> float | None:
    """The floor's upper-bound bf16 peak of a catalogued card (TFLOPS; floors.upper_peak)."""
    row = dataset.gpu_row(gpu)
    if row is None:
        return None
    clock = max_clock(dataset, gpu, config)
    return upper_peak(row, "bf16", clock[0] if clock else None, config)[0]


def balance(peak_tflops: float | None, gpu: pd.Series) -> float | None:
    """Peak TFLOPS per GB/s of memory bandwidth: where the card sits on the roofline curve."""
    bw = num(gpu.get("bandwidth_gb_s"))
    return peak_tflops / bw if peak_tflops and bw else None


def setup_of(row: pd.Series) -> str:
    """'reference' for diffusers/ComfyUI, bf16, no compile, no transformer offload; else a name."""
    parts = []
    if row["toolchain"] not in REFERENCE_TOOLCHAINS:
        parts.append(row["toolchain"])
    if row["precision"] != "bf16":
        parts.append(row["precision"])
    if row["compile"] == "yes":
        parts.append("torch.compile")
    if row["offload"] in ("model", "group", "sequential"):
        parts.append(f"{row['offload']} offload")
    return " + ".join(parts) or "reference"


# Why a reported run is not evidence for the reference fit (site strings estimator.reason.*).
REASONS = (
    "grade_c",
    "not_catalogued",
    "multi_gpu",
    "no_flops",
    "no_peak",
    "coverage_unknown",
    "does_not_fit",
    "pipeline_offload",
)


@dataclass(frozen=True)
class UsableRun:
    """A reported run row with what the fit needs, or the reason it is left out."""

    index: int  # row index in dataset.reported_runs
    reason: str  # "" when usable; else why not: a code (REASONS), worded by the site
    setup: str = ""
    gpu: str = ""
    log_eff: float | None = None
    seconds_per_forward: float | None = None
    tflop_per_forward: float | None = None
    peak: float | None = None


def usable_run(
    dataset: Dataset,
    i: int,
    row: pd.Series,
    flops: Flops,
    peaks: dict[str, float | None],
    config: AnalysisConfig,
) -> UsableRun:
    """Whether one reported run can be evidence, and its log efficiency when it can."""
    gpu = text(row.get("gpu_name"))
    cat = dataset.gpu_row(gpu)
    if row["grade"] not in ("A", "B"):
        return UsableRun(i, "grade_c")
    if not gpu or cat is None or text(cat["vendor"]).upper() != "NVIDIA":
        return UsableRun(i, "not_catalogued")
    if int(row["gpu_count"]) != 1:
        return UsableRun(i, "multi_gpu")
    size = resolution(text(row["resolution"]))
    work = flops.at(*size) if size else None
    if work is None:
        return UsableRun(i, "no_flops")
    if gpu not in peaks:
        peaks[gpu] = bf16_peak(dataset, gpu, config)
    peak = peaks[gpu]
    if not peak:
        return UsableRun(i, "no_peak")
    per_forward, te, vae = work
    forwards = row["dit_forwards"]
    covers = row["time_covers"]
    spf, spi = num(row["seconds_per_forward"]), num(row["seconds_per_image"])
    if spf is not None:
        covered, seconds = per_forward, spf
    elif spi is None or pd.isna(forwards) or covers not in ("pipeline", "denoise", "forward"):
        return UsableRun(i, "coverage_unknown")
    elif covers == "pipeline":
        covered, seconds = per_forward * int(forwards) + te + vae, spi
    else:
        covered, seconds = per_forward * int(forwards), spi
    setup = setup_of(row)
    if setup == "reference" and float(cat["vram_gib"]) < (
        config.transformer_gib + config.vram_margin_gib
    ):
        return UsableRun(i, "does_not_fit")
    if setup == "reference" and covers == "pipeline" and row["offload"] != "none" and spf is None:
        return UsableRun(i, "pipeline_offload")
    log_eff = math.log(covered / (peak * seconds))
    spf_obs = per_forward / (peak * math.exp(log_eff))
    return UsableRun(i, "", setup, gpu, log_eff, spf_obs, per_forward, peak)


def observations(
    dataset: Dataset, measured: list, config: AnalysisConfig
) -> tuple[list[Observation], list[UsableRun]]:
    """Observations from measured results and reported runs, and every run's verdict."""
    flops = Flops(dataset.workloads)
    cats = {r["name"]: r for _, r in dataset.gpus.iterrows()}
    out: list[Observation] = []
    peaks: dict[str, float | None] = {}
    for r in measured:
        if r.precision != "bf16" or r.efficiency is None or r.memory_cap_gib is not None:
            continue
        if r.variant not in ("plain", "text_encoder_unload") or r.gpu not in cats:
            continue
        if not r.efficiency or r.efficiency > 1:
            continue  # below the floor: a harness or catalogue error, never evidence
        cat = cats[r.gpu]
        wl = dataset.workloads.loc[dataset.workloads["workload"] == r.workload]
        if wl.empty:
            continue
        per_forward = float(wl.iloc[0]["transformer_tflop_per_forward"])
        if r.gpu not in peaks:
            peaks[r.gpu] = bf16_peak(dataset, r.gpu, config)
        peak = peaks[r.gpu] or 0.0
        if not peak:
            continue
        log_eff = math.log(r.efficiency)
        out.append(
            Observation(
                source="bench " + ", ".join(r.bench_ids),
                url="",
                gpu=r.gpu,
                segment=segment_of(cat),
                architecture=str(cat["architecture"]),
                resolution=f"{int(wl.iloc[0]['width'])}x{int(wl.iloc[0]['height'])}",
                kind="measured",
                grade="",
                weight=config.estimator_measured_weight,
                log_eff=log_eff,
                seconds_per_forward=per_forward / (peak * r.efficiency),
                tflop_per_forward=per_forward,
                peak_tflops=peak,
                rows=r.n,
                balance=balance(peak, cat),
            )
        )
    verdicts = []
    groups: dict[tuple, list[tuple[UsableRun, pd.Series]]] = defaultdict(list)
    for i, row in dataset.reported_runs.iterrows():
        u = usable_run(dataset, int(i), row, flops, peaks, config)
        verdicts.append(u)
        if not u.reason:
            key = (text(row["source"]), u.gpu, text(row["resolution"]).lower(), u.setup)
            groups[key].append((u, row))
    for (source, gpu, res, setup), items in groups.items():
        cat = cats[gpu]
        grades = [text(row["grade"]) for _, row in items]
        grade = "A" if "A" in grades else "B"
        weight = 1.0 if grade == "A" else config.estimator_grade_b_weight
        log_eff = float(np.median([u.log_eff for u, _ in items]))
        u0 = items[0][0]
        out.append(
            Observation(
                source=source,
                url=text(items[0][1]["source_url"]),
                gpu=gpu,
                segment=segment_of(cat),
                architecture=str(cat["architecture"]),
                resolution=res,
                kind="reported",
                grade=grade,
                weight=weight,
                log_eff=log_eff,
                seconds_per_forward=u0.tflop_per_forward / (u0.peak * math.exp(log_eff)),
                tflop_per_forward=u0.tflop_per_forward,
                peak_tflops=u0.peak,
                rows=len(items),
                setup=setup,
                balance=balance(u0.peak, cat),
            )
        )
    return out, verdicts


# --- cross-validation and intervals -----------------------------------------------


@dataclass(frozen=True)
class HeldOut:
    """One observation predicted by a fit that never saw its source."""

    obs: Observation
    predicted_log_eff: float
    support: str

    @property
    def log_ratio(self) -> float:
        """log(observed seconds / predicted seconds)."""
        return self.predicted_log_eff - self.obs.log_eff

    @property
    def predicted_seconds_per_forward(self) -> float:
        return self.obs.seconds_per_forward * math.exp(-self.log_ratio)

    @property
    def error(self) -> float:
        """Signed error of the predicted time per forward (0.2 = 20 % too slow)."""
        return math.exp(-self.log_ratio) - 1


def leave_one_source_out(
    observations: list[Observation], shrinkage: float, default_eff: float, card_too: bool = False
) -> list[HeldOut]:
    """Predict each source's observations from a fit without that source.

    ``card_too``: also without every other observation of the same card, so the
    prediction comes from the card's class (or above): how wrong an estimate is
    for a card nobody has timed.
    """
    ref = [o for o in observations if o.setup == "reference"]
    out = []
    for source in sorted({o.source for o in ref}):
        mine = [o for o in ref if o.source == source]
        others = [x for x in observations if x.source != source]
        if card_too:
            for o in mine:
                rest = [x for x in others if x.gpu != o.gpu]
                p = fit(rest, shrinkage, default_eff).predict(
                    o.gpu, o.segment, o.architecture, o.balance
                )
                out.append(HeldOut(o, p.log_eff, p.support))
            continue
        model = fit(others, shrinkage, default_eff)
        for o in mine:
            p = model.predict(o.gpu, o.segment, o.architecture, o.balance)
            out.append(HeldOut(o, p.log_eff, p.support))
    return out


@dataclass(frozen=True)
class Interval:
    """Multipliers on a predicted time: low = seconds x exp(lo), high = seconds x exp(hi)."""

    lo: float
    hi: float
    n: int  # held-out residuals behind it
    widened: bool  # too few residuals at this support: all residuals, widened


def interval_for(support: str, held: list[HeldOut], config: AnalysisConfig) -> Interval:
    """Residual quantiles from held-out predictions with this support or weaker."""
    if support == "bound":
        # One-sided: the reference setup is no faster than the faster setups that set the
        # cap, and may be much slower (at least the no-evidence factor, as wide as the
        # segment's errors otherwise say).
        pooled = interval_for("segment", held, config)
        return Interval(
            0.0, max(pooled.hi, math.log(config.estimator_no_evidence_factor)), pooled.n, False
        )
    tail = (1 - config.estimator_interval) / 2
    weaker = SUPPORT[SUPPORT.index(support) :]
    pool = [h.log_ratio for h in held if h.support in weaker]
    if len(pool) >= config.estimator_min_residuals:
        lo, hi = np.quantile(pool, [tail, 1 - tail])
        return Interval(min(float(lo), 0.0), max(float(hi), 0.0), len(pool), False)
    every = [h.log_ratio for h in held]
    if len(every) >= 2:
        lo, hi = np.quantile(every, [tail, 1 - tail])
        lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    else:
        lo = hi = 0.0
    # Too little to say how wrong such an estimate is: at least the no-evidence width.
    floor = math.log(config.estimator_no_evidence_factor)
    w = config.estimator_sparse_widening
    return Interval(min(lo * w, -floor), max(hi * w, floor), len(pool), True)


@dataclass
class Fitted:
    """The fit with everything the pages and the estimates need."""

    model: EfficiencyModel
    observations: list[Observation]
    verdicts: list[UsableRun]
    held_out: list[HeldOut]  # leave one source out: the cross-validation table
    held_out_cards: list[HeldOut]  # ... and the card's other sources: unseen-card errors
    factors: dict[str, tuple[float, int, int]]  # setup -> (speed factor, observations, sources)
    intervals: dict[str, Interval]

    def reference(self) -> list[Observation]:
        return [o for o in self.observations if o.setup == "reference"]

    def metric_rows(self) -> list[HeldOut]:
        """The acceptance set: reported single-GPU bf16 A/B runs at 1024x1024."""
        return [
            h for h in self.held_out if h.obs.kind == "reported" and h.obs.resolution == "1024x1024"
        ]

    def covered(self, h: HeldOut) -> bool:
        iv = self.intervals[h.support]
        return iv.lo <= h.log_ratio <= iv.hi

    def summary(self) -> CrossValidation:
        rows = self.metric_rows()
        if not rows:
            return CrossValidation(0, 0, None, None, "", None)
        errors = [abs(h.error) for h in rows]
        worst = max(rows, key=lambda h: abs(h.error))
        return CrossValidation(
            n=len(rows),
            sources=len({h.obs.source for h in rows}),
            median_abs=float(np.median(errors)),
            worst_abs=abs(worst.error),
            worst_card=worst.obs.gpu,
            coverage=sum(self.covered(h) for h in self.held_out) / len(self.held_out),
        )


@dataclass(frozen=True)
class CrossValidation:
    """Leave-one-source-out error per DiT forward on the acceptance set, and coverage."""

    n: int  # held-out observations (source x card)
    sources: int
    median_abs: float | None  # 0.12 = 12 %
    worst_abs: float | None
    worst_card: str
    coverage: float | None  # share of all held-out predictions inside their interval


def speed_factors(
    observations: list[Observation], model: EfficiencyModel
) -> dict[str, tuple[float, int, int]]:
    """Per non-reference setup: median of observed / reference-model efficiency."""
    by: dict[str, list[Observation]] = defaultdict(list)
    for o in observations:
        # a run whose precision the source leaves open is no setup one could choose
        if o.setup != "reference" and "unknown" not in o.setup.split(" + "):
            by[o.setup].append(o)
    out = {}
    for setup, obs in sorted(by.items()):
        # only against reference runs of the same card or class: elsewhere the "factor"
        # would mostly measure the class difference
        pairs = [(o, model.predict(o.gpu, o.segment, o.architecture, o.balance)) for o in obs]
        ratios = [o.log_eff - p.log_eff for o, p in pairs if p.support in ("card", "class")]
        if ratios:
            n_src = len({o.source for o, p in pairs if p.support in ("card", "class")})
            out[setup] = (math.exp(float(np.median(ratios))), len(ratios), n_src)
    return out


def fit_dataset(dataset: Dataset, measured: list, config: AnalysisConfig) -> Fitted:
    obs, verdicts = observations(dataset, measured, config)
    k, default = config.estimator_shrinkage, config.default_efficiency
    model = fit(obs, k, default)
    held = leave_one_source_out(obs, k, default)
    unseen = leave_one_source_out(obs, k, default, card_too=True)
    intervals = {s: interval_for(s, held + unseen, config) for s in SUPPORT}
    return Fitted(model, obs, verdicts, held, unseen, speed_factors(obs, model), intervals)
