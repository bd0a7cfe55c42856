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
"""

from __future__ import annotations

from typing import Any

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


def _electricity(energy_j: float | None, images_per_year: float, cny_per_kwh: float) -> float | None:
    return None if energy_j is None else energy_j * images_per_year / J_PER_KWH * cny_per_kwh


def roi_for(inputs: dict[str, Any]) -> dict[str, float | None]:
    """The ROI figures for one card against a baseline; `inputs` has the keys in INPUTS
    (the two energies may be None)."""
    per_year = inputs["images_per_day"] * inputs["working_days_per_year"]
    saved_s = inputs["baseline_seconds_per_image"] - inputs["seconds_per_image"]
    hours = saved_s * per_year / 3600
    cny = hours * inputs["hourly_rate_cny"]
    elec = _electricity(inputs.get("energy_j_per_image"), per_year, inputs["electricity_cny_per_kwh"])
    base_elec = _electricity(inputs.get("baseline_energy_j_per_image"), per_year, inputs["electricity_cny_per_kwh"])
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
