"""Return on investment of a faster card against a baseline card.

The reference formulas (the site's calculator implements `roi_for` in
JavaScript from `roi_model`, and tests hold both to this function):

    images_per_year          = images_per_day x working_days_per_year
    seconds_saved_per_image  = baseline_seconds_per_image - seconds_per_image
    hours_saved_per_year     = seconds_saved_per_image x images_per_year / 3600
    cny_saved_per_year       = hours_saved_per_year x hourly_rate_cny
    electricity_cny_per_year = energy_j_per_image x images_per_year / 3.6e6 x electricity_cny_per_kwh
    net_cny_saved_per_year   = cny_saved_per_year - (electricity - baseline electricity)
                               (the electricity terms only when both energies are known)
    extra_cost_cny           = price_cny - baseline_price_cny
    payback_months           = extra_cost_cny / (net_cny_saved_per_year / 12)
                               0 when the card costs no more; None when nothing is saved

price_cny is the whole build (guide_builder.analysis.builds), per `build_total`:

    price_cny                = card_cny + psu_cny + ssd_cny + cooling_cny + ram_cny
                               (less the PSU, SSD and/or RAM the reader already owns)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guide_builder.analysis.results import RoiRow, TierPick
from guide_builder.analysis.rows import is_measured

if TYPE_CHECKING:
    from guide_builder.analysis.config import AnalysisConfig
    from guide_builder.analysis.tiers import Candidate
    from guide_builder.dataset import Dataset

INPUTS = (
    "seconds_per_image",
    "baseline_seconds_per_image",
    "price_cny",
    "baseline_price_cny",
    "energy_j_per_image",
    "baseline_energy_j_per_image",
    "images_per_day",
    "working_days_per_year",
    "hourly_rate_cny",
    "electricity_cny_per_kwh",
)
J_PER_KWH = 3.6e6
OWNABLE = ("psu", "ssd", "ram")  # parts a reader may already have


def build_total(card: dict[str, Any], owned: tuple[str, ...] = ()) -> float:
    """A card's build total (CNY) without the parts in `owned` (psu, ssd, ram)."""
    total = card["card_cny"] + (card.get("cooling_cny") or 0)
    for part in OWNABLE:
        if part not in owned:
            total += card.get(f"{part}_cny") or 0
    return total


def _electricity(
    energy_j: float | None, images_per_year: float, cny_per_kwh: float
) -> float | None:
    return None if energy_j is None else energy_j * images_per_year / J_PER_KWH * cny_per_kwh


def roi_for(inputs: dict[str, Any]) -> dict[str, float | None]:
    """The ROI figures for one card against a baseline; `inputs` has the keys in INPUTS
    (the two energies may be None)."""
    per_year = inputs["images_per_day"] * inputs["working_days_per_year"]
    saved_s = inputs["baseline_seconds_per_image"] - inputs["seconds_per_image"]
    hours = saved_s * per_year / 3600
    cny = hours * inputs["hourly_rate_cny"]
    elec = _electricity(
        inputs.get("energy_j_per_image"), per_year, inputs["electricity_cny_per_kwh"]
    )
    base_elec = _electricity(
        inputs.get("baseline_energy_j_per_image"), per_year, inputs["electricity_cny_per_kwh"]
    )
    net = cny - (elec - base_elec) if elec is not None and base_elec is not None else cny
    extra = inputs["price_cny"] - inputs["baseline_price_cny"]
    if net <= 0:
        payback = None
    elif extra <= 0:
        payback = 0.0
    else:
        payback = extra / (net / 12)
    return {
        "images_per_year": per_year,
        "seconds_saved_per_image": saved_s,
        "hours_saved_per_year": hours,
        "cny_saved_per_year": cny,
        "electricity_cny_per_year": elec,
        "baseline_electricity_cny_per_year": base_elec,
        "net_cny_saved_per_year": net,
        "extra_cost_cny": extra,
        "payback_months": payback,
    }


def _energy(c: Candidate, dataset: Dataset) -> tuple[float | None, bool]:
    """Energy per image and whether it is measured (else board power x seconds)."""
    if c.result.energy_j and c.result.energy_j.value is not None:
        return c.result.energy_j.value, True
    row = dataset.gpu_row(c.gpu)
    board = None if row is None else row["board_power_w"]
    if board is None or board != board:  # NaN
        return None, False
    return float(board) * c.seconds, False


def baseline(candidates: list[Candidate], config: AnalysisConfig) -> Candidate | None:
    """The configured baseline card (new before used), or the candidate whose whole build
    is cheapest among those that fit the workload."""
    if config.roi_baseline != "cheapest_fit":
        named = [c for c in candidates if c.gpu == config.roi_baseline]
        return min(named, key=lambda c: c.segment != "new", default=None)
    return min(candidates, key=lambda c: (c.total_cny, c.seconds, c.gpu), default=None)


def roi(
    tiers: list[TierPick], candidates: list[Candidate], dataset: Dataset, config: AnalysisConfig
) -> tuple[list[RoiRow], dict[str, Any]]:
    """RoiRows for the tier picks, and the calculator's model as plain JSON-able data:
    ``formula`` (this module's docstring), ``inputs`` (roi_for's keys), ``parameters``
    (the configured defaults a reader may change), ``baseline`` and ``cards`` (the tier
    picks) and ``choices`` (every card a tier could pick), each card with its seconds per
    image, its card price and parts (card_cny, psu_cny, ssd_cny, cooling_cny; price_cny is
    their total) and energy per image (J, measured or board power x seconds)."""
    params = {
        "images_per_day": config.images_per_day,
        "working_days_per_year": config.working_days_per_year,
        "hourly_rate_cny": config.hourly_rate_cny,
        "electricity_cny_per_kwh": config.electricity_cny_per_kwh,
    }
    base = baseline(candidates, config)
    model: dict[str, Any] = {
        "choices": [_card(c, *_energy(c, dataset), "") for c in candidates],
        "formula": __doc__,
        "inputs": list(INPUTS),
        "parameters": params,
        "baseline": None,
        "cards": [],
    }
    if base is None:
        return [], model
    base_energy, base_measured = _energy(base, dataset)
    model["baseline"] = _card(base, base_energy, base_measured, "baseline")
    by_name = {(c.gpu, c.segment): c for c in candidates}
    rows = []
    for t in tiers:
        c = by_name.get((t.gpu, t.segment)) if t.gpu else None
        if c is None:
            continue
        energy, measured = _energy(c, dataset)
        model["cards"].append(_card(c, energy, measured, t.tier))
        out = roi_for(
            {
                **params,
                "seconds_per_image": c.seconds,
                "baseline_seconds_per_image": base.seconds,
                "price_cny": c.total_cny,
                "baseline_price_cny": base.total_cny,
                "energy_j_per_image": energy,
                "baseline_energy_j_per_image": base_energy,
            }
        )
        measured_all = all(is_measured(x.result.seconds.evidence) for x in (c, base))
        rows.append(
            RoiRow(
                tier=t.tier,
                gpu=c.gpu,
                baseline_gpu=base.gpu,
                seconds_per_image=c.seconds,
                baseline_seconds_per_image=base.seconds,
                seconds_saved_per_image=out["seconds_saved_per_image"],
                hours_saved_per_year=out["hours_saved_per_year"],
                cny_saved_per_year=out["cny_saved_per_year"],
                electricity_cny_per_year=out["electricity_cny_per_year"],
                price_cny=c.total_cny,
                extra_cost_cny=out["extra_cost_cny"],
                payback_months=out["payback_months"],
                evidence=c.result.seconds.evidence if measured_all else "estimated",
                baseline_electricity_cny_per_year=out["baseline_electricity_cny_per_year"],
                net_cny_saved_per_year=out["net_cny_saved_per_year"],
                segment=t.segment,
                card_cny=c.price.value,
                parts_cny=c.build.parts_cny if c.build else 0.0,
            )
        )
    return rows, model


def _card(c: Candidate, energy: float | None, measured: bool, tier: str) -> dict[str, Any]:
    build = c.build
    offer = c.offer
    return {
        "tier": tier,
        "segment": c.segment,
        "gpu": c.gpu,
        "seconds_per_image": c.seconds,
        "card_cny": c.price.value,
        "psu_cny": build.psu.cny if build and build.psu else None,
        "psu_w": build.psu_w if build else None,
        "ssd_cny": build.ssd.cny if build and build.ssd else None,
        "cooling_cny": build.cooling.cny if build and build.cooling else None,
        "ram_cny": build.ram.cny if build and build.ram else None,
        "ram_gb": build.ram_gb if build else None,
        "price_cny": c.total_cny,
        "price_kind": offer.kind if offer else "",
        "price_date": offer.date if offer else "",
        "price_stale": bool(offer and offer.stale),
        "availability": c.availability,
        "energy_j_per_image": energy,
        "evidence": c.result.seconds.evidence,
        "energy_evidence": "measured" if measured else "estimated",
    }
