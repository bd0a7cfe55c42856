"""PSU rounding and ROI arithmetic by hand."""

from __future__ import annotations

import json

import pytest
from analysis_data import gpu, run, timed

from guide_builder.analysis import AnalysisConfig, analyse, roi_for
from guide_builder.analysis.power import psu_raw_w, round_psu

SIZES = AnalysisConfig().psu_sizes_w


@pytest.mark.parametrize(
    ("gpu_w", "raw", "size"),
    [
        (300, (360 + 225) / 0.8, 750),  # 731.25
        (450, (540 + 225) / 0.8, 1000),  # 956.25
        (700, (840 + 225) / 0.8, 1600),  # 1331.25
        (1200, (1440 + 225) / 0.8, 2100),  # above 1600: next 100 W
        (215 / 1.2, 550, 550),  # exactly a size
    ],
)
def test_psu(gpu_w, raw, size):
    cfg = AnalysisConfig()
    assert psu_raw_w(gpu_w, cfg) == pytest.approx(raw)
    assert round_psu(psu_raw_w(gpu_w, cfg), SIZES) == size


def test_psu_prefers_measured_peak_and_notes_connector(tree):
    ds = tree(
        gpus=[gpu("A", board_power_w=450, power_connector="16-pin 12V-2x6"), gpu("B")],
        runs=timed("a", "A", [4.0] * 3, power_max_w=520.0),
    )
    psu = {p.gpu: p for p in analyse(ds).psu}
    assert psu["A"].gpu_peak_w.value == 520 and psu["A"].gpu_peak_w.evidence == "measured"
    assert psu["A"].recommended_w == 1200  # (624 + 225) / 0.8 = 1061
    assert "12V-2x6" in psu["A"].connector
    assert psu["B"].gpu_peak_w.evidence == "estimated" and psu["B"].recommended_w == 750
    assert "ATX" in psu["A"].transient_source


def test_payback_by_hand(tree):
    # Baseline: cheapest card that fits, A (¥4000, 4 s, 1000 J). Future-proof pick: F (¥20000, 2 s, 800 J).
    ds = tree(
        gpus=[gpu("A", price=4000), gpu("F", price=20000)],
        runs=timed("a", "A", [4.0] * 3, energy_j=1000.0)
        + timed("f", "F", [2.0] * 3, energy_j=800.0),
    )
    a = analyse(ds)
    row = next(r for r in a.roi if r.gpu == "F")
    images = 35 * 250
    hours = 2 * images / 3600  # 4.861
    elec_f, elec_a = 800 * images / 3.6e6 * 0.6, 1000 * images / 3.6e6 * 0.6
    net = hours * 200 - (elec_f - elec_a)
    assert row.baseline_gpu == "A" and row.seconds_saved_per_image == pytest.approx(2)
    assert row.hours_saved_per_year == pytest.approx(hours)
    assert row.cny_saved_per_year == pytest.approx(hours * 200)
    assert row.electricity_cny_per_year == pytest.approx(elec_f)
    assert row.extra_cost_cny == 16000
    assert row.payback_months == pytest.approx(16000 / (net / 12))  # about 197 months
    assert row.evidence == "measured"
    base = next(r for r in a.roi if r.gpu == "A")
    assert base.payback_months is None  # the baseline saves nothing against itself
    # The calculator's model reproduces the row through roi_for.
    model = json.loads(json.dumps(a.roi_model))
    card = next(c for c in model["cards"] if c["gpu"] == "F")
    b = model["baseline"]
    out = roi_for(
        {
            **model["parameters"],
            "seconds_per_image": card["seconds_per_image"],
            "baseline_seconds_per_image": b["seconds_per_image"],
            "price_cny": card["price_cny"],
            "baseline_price_cny": b["price_cny"],
            "energy_j_per_image": card["energy_j_per_image"],
            "baseline_energy_j_per_image": b["energy_j_per_image"],
        }
    )
    assert out["payback_months"] == pytest.approx(row.payback_months)
    assert set(model["inputs"]) >= {"seconds_per_image", "hourly_rate_cny"}


def test_roi_for_edge_cases():
    common = {
        "images_per_day": 10,
        "working_days_per_year": 100,
        "hourly_rate_cny": 36,
        "electricity_cny_per_kwh": 1.0,
        "energy_j_per_image": None,
        "baseline_energy_j_per_image": None,
    }
    # 3.6 s saved x 1000 images = 1 hour = ¥36 a year; ¥360 more -> 120 months.
    out = roi_for(
        {
            **common,
            "seconds_per_image": 1.4,
            "baseline_seconds_per_image": 5.0,
            "price_cny": 1360,
            "baseline_price_cny": 1000,
        }
    )
    assert out["hours_saved_per_year"] == pytest.approx(1.0)
    assert out["payback_months"] == pytest.approx(120)
    cheaper = roi_for(
        {
            **common,
            "seconds_per_image": 1.4,
            "baseline_seconds_per_image": 5.0,
            "price_cny": 900,
            "baseline_price_cny": 1000,
        }
    )
    assert cheaper["payback_months"] == 0.0
    slower = roi_for(
        {
            **common,
            "seconds_per_image": 6.0,
            "baseline_seconds_per_image": 5.0,
            "price_cny": 900,
            "baseline_price_cny": 1000,
        }
    )
    assert slower["payback_months"] is None


def test_roi_with_config_changes(tree):
    ds = tree(
        gpus=[gpu("A", price=4000), gpu("F", price=20000)],
        runs=timed("a", "A", [4.0] * 3) + [run("f", 0, "F", 2.0)],
    )
    cfg = AnalysisConfig(hourly_rate_cny=400, images_per_day=70)
    row = next(r for r in analyse(ds, cfg).roi if r.gpu == "F")
    assert row.cny_saved_per_year == pytest.approx(2 * 70 * 250 / 3600 * 400)
    assert row.electricity_cny_per_year is None or row.electricity_cny_per_year > 0


PARTS = [
    {"part": "psu", "size": 750, "unit": "w", "product": "P750", "price_cny": 450},
    {"part": "psu", "size": 1000, "unit": "w", "product": "P1000", "price_cny": 700},
    {"part": "psu", "size": 1000, "unit": "w", "product": "P1000b", "price_cny": 650},
    {"part": "ssd", "size": 500, "unit": "gb", "product": "S500", "price_cny": 250},
    {"part": "ssd", "size": 1000, "unit": "gb", "product": "S1T", "price_cny": 480},
    {"part": "ssd", "size": 2000, "unit": "gb", "product": "S2T", "price_cny": 900},
    {"part": "cooling", "size": 3, "unit": "fans", "product": "F3", "price_cny": 99},
    {"part": "ram", "size": 16, "unit": "gb", "product": "R16", "price_cny": 300},
    {"part": "ram", "size": 32, "unit": "gb", "product": "R32", "price_cny": 600},
    {"part": "ram", "size": 64, "unit": "gb", "product": "R64", "price_cny": 1500},
]
RAM_PRICE = {16: 300, 32: 600, 64: 1500}


def test_build_total_is_card_plus_the_parts_it_needs(tree):
    # A: 300 W board -> 750 W PSU; F: 450 W board -> 1000 W PSU and case fans (>= 350 W)
    ds = tree(
        gpus=[gpu("A", price=4000), gpu("F", price=20000, board_power_w=450)],
        runs=timed("a", "A", [4.0] * 3) + timed("f", "F", [2.0] * 3),
        parts=PARTS,
    )
    a = analyse(ds)
    entry = next(t for t in a.tiers if t.gpu == "A")
    # the SSD: the cheapest at least the storage page's drive size (512 GB here)
    assert a.storage.recommended_ssd_gb == 512
    assert entry.build.psu.size == 750 and entry.build.ssd.product == "S1T"
    # RAM: the cheapest kit of at least what the storage page recommends for the variant
    ram = entry.build.ram
    assert ram.size == min(s for s in RAM_PRICE if s >= entry.build.ram_gb)
    assert entry.build.ram_gb >= 16 and ram.cny == RAM_PRICE[int(ram.size)]
    assert entry.build.cooling is None
    assert entry.build.total_cny == 4000 + 450 + 480 + ram.cny
    fp = next(t for t in a.tiers if t.gpu == "F")
    assert fp.psu_w == 1000 and fp.build.psu.product == "P1000b"  # the cheaper 1000 W
    assert fp.build.cooling.cny == 99
    assert fp.build.total_cny == 20000 + 650 + 480 + 99 + fp.build.ram.cny
    # payback counts the whole build, RAM included
    row = next(r for r in a.roi if r.gpu == "F")
    assert row.price_cny == fp.build.total_cny and row.card_cny == 20000
    assert row.extra_cost_cny == pytest.approx(fp.build.total_cny - entry.build.total_cny)
    # a bigger SSD when the config asks for one; a part without a price row is named
    b = analyse(ds, AnalysisConfig(ssd_size_gb=1500, cooling_board_power_w=200))
    assert next(t for t in b.tiers if t.gpu == "A").build.ssd.product == "S2T"
    assert next(t for t in b.tiers if t.gpu == "A").build.cooling is not None
    bare = analyse(tree("bare", gpus=[gpu("A", price=4000)], runs=timed("a", "A", [4.0] * 3)))
    assert next(t for t in bare.tiers if t.gpu == "A").build.missing == ("psu", "ssd", "ram")


def test_calculator_subtracts_owned_parts():
    from guide_builder.analysis.roi import build_total

    card = {"card_cny": 5000, "psu_cny": 600, "ssd_cny": 500, "cooling_cny": 99, "ram_cny": 800}
    assert build_total(card) == 6999
    assert build_total(card, ("psu",)) == 6399
    assert build_total(card, ("psu", "ssd")) == 5899
    assert build_total(card, ("psu", "ssd", "ram")) == 5099  # cooling is never owned
    assert build_total({**card, "psu_cny": None, "cooling_cny": None, "ram_cny": None}) == 5500


def _part(product: str, size: float, cny: float, stale: bool = False):
    from guide_builder.analysis.builds import PartPrice

    return PartPrice("cooling", size, "fans", product, cny, "street", "2026-08", "s", "u", stale)


def test_a_build_buys_enough_fans_the_cheapest_way():
    from guide_builder.analysis.builds import cheapest_count

    rows = [_part("single", 1, 23), _part("three-pack", 3, 79)]
    one = cheapest_count(rows, 1)
    assert (one.product, one.cny, one.packs) == ("single", 23, 1)
    four = cheapest_count(rows, 4)  # four singles (92) beat two packs (158); no mixing
    assert (four.product, four.cny, four.size) == ("single", 92, 4)
    rows = [_part("single", 1, 30), _part("three-pack", 3, 79)]
    three = cheapest_count(rows, 3)
    assert (three.product, three.cny, three.size, three.packs) == ("three-pack", 79, 3, 1)


def test_a_fresh_part_price_beats_a_cheaper_stale_one():
    from guide_builder.analysis.builds import cheapest_at_least

    old = _part("old listing", 1000, 700, stale=True)
    new = _part("new listing", 1000, 869)
    assert cheapest_at_least([old, new], 1000).product == "new listing"
    assert cheapest_at_least([old], 1000).product == "old listing"  # stale beats nothing
