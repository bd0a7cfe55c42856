"""Tier picks by the stated rules: bands, ranking keys, ties, missing data."""

from __future__ import annotations

from analysis_data import gpu, run, timed

from guide_builder.analysis import AnalysisConfig, analyse


def tier(analysis, name):
    return next(t for t in analysis.tiers if t.tier == name)


def dataset(tree, future_g=1.9):
    gpus = [
        gpu("A", price=4000),  # 4 s: 3600/4/4 = 225 images/h per ¥1000
        gpu("B", price=3200),  # 5 s: 3600/5/3.2 = 225: a tie on perf per CNY, A faster
        gpu("D", price=1000, vram=4),  # very fast and cheap but cannot run
        gpu("E", price=None),  # no price at all
        gpu("L", price=5000, form_factor="laptop"),
        gpu("F", price=20000),  # 2.0 s
        gpu("G", price=30000),  # future_g s
    ]
    runs = (
        timed("a", "A", [4.0] * 3)
        + timed("b", "B", [5.0] * 3)
        + [run("d", 0, "D", None, status="oom", error="CUDA out of memory")]
        + timed("e", "E", [1.0] * 3)
        + timed("l", "L", [1.0] * 3)
        + timed("f", "F", [2.0] * 3)
        + timed("g", "G", [future_g] * 3)
    )
    cfg = AnalysisConfig(
        fit_variants={
            "plain": [["transformer", "text_encoder", "vae"]],
            "model_offload": [["transformer"]],
        }
    )
    return analyse(tree(gpus=gpus, runs=runs), cfg)


def test_bands_ties_and_exclusions(tree):
    a = dataset(tree)
    entry = tier(a, "entry")
    assert (entry.gpu, entry.runner_up) == ("A", "B")  # tie on perf/CNY broken by seconds
    assert any("tied with B" in r for r in entry.reasons)
    assert entry.budget_max_cny == 7000 and entry.price_cny.value == 4000
    assert tier(a, "balanced").gpu is None  # nothing priced 7,000-13,000
    fp = tier(a, "future_proof")
    assert (fp.gpu, fp.runner_up) == ("G", "F")  # 1.9 s vs 2.0 s: 5 % apart, fastest wins
    assert fp.psu_w == 750  # board 300 W: (300 x 1.2 + 150 + 75) / 0.8 = 731 -> 750
    excluded = " | ".join(map(str, a.tier_exclusions))
    assert (
        "D: cannot run" in excluded
        and "E: not picked (no new price; no used price)" in excluded
        and "L: laptop" in excluded
    )
    assert all(t.gpu not in ("D", "E", "L") for t in a.tiers)


def test_tie_on_seconds_goes_to_perf_per_cny(tree):
    a = dataset(tree, future_g=1.98)  # 1 % faster than F: tied within 2 %
    fp = tier(a, "future_proof")
    assert (fp.gpu, fp.runner_up) == ("F", "G")  # F gives more images per hour per ¥1000


def test_among_tied_cards_an_officially_sold_one_wins(tree):
    from analysis_data import price_row

    gpus = [
        gpu("GREY", price=None, availability="not_sold_officially"),
        gpu("CN", price=None, availability="china_model"),
    ]
    prices = [
        price_row("GREY", "grey", 30000, "2026-11-01"),
        price_row("CN", "street", 30000, "2026-11-01"),
    ]
    runs = timed("g", "GREY", [1.98] * 3) + timed("c", "CN", [2.0] * 3)  # 1 % apart: tied
    a = analyse(tree(gpus=gpus, runs=runs, prices=prices), AnalysisConfig(price_today="2026-12-02"))
    fp = pick(a, "future_proof", "new")
    assert (fp.gpu, fp.runner_up) == ("CN", "GREY")  # same speed and price: no import risk


def test_never_picks_a_card_that_cannot_run(tree):
    a = dataset(tree)
    cannot = {f.gpu for f in a.fits if f.verdict == "cannot_run"}
    assert cannot == {"D"}
    assert not cannot & {t.gpu for t in a.tiers}


def pick(analysis, name, segment):
    return next(t for t in analysis.tiers if t.tier == name and t.segment == segment)


def availability_tree(tree):
    """Five cards of equal speed in the entry band, differing in availability and prices."""
    from analysis_data import price_row

    gpus = [
        gpu("OFF", price=None, availability="official"),
        gpu("GREY", price=None, availability="not_sold_officially"),
        gpu("BAN", price=None, availability="not_sold_officially"),
        gpu("OLD", price=None, availability="discontinued"),
        gpu("CONV", price=None, availability="official"),
    ]
    prices = [
        price_row("OFF", "launch", 6000, "2025-02-19"),  # stale launch: still sold officially
        price_row("GREY", "grey", 3000, "2026-11-01"),
        price_row("BAN", "launch", 2000, "2022-09"),  # launch price of a banned card
        price_row("OLD", "launch", 1500, "2020-09"),
        price_row("OLD", "used", 2500, "2026-10-01"),
        price_row("CONV", "converted", 1000, "2026-03-13", price_usd=145, fx_date="2026-03-13"),
    ]
    runs = []
    for name in ("OFF", "GREY", "BAN", "OLD", "CONV"):
        runs += timed(name.lower(), name, [4.0] * 3)
    cfg = AnalysisConfig(price_today="2026-12-02")
    fx = [{"date": "2026-03-13", "cny_per_usd": 6.9}]
    return analyse(tree(gpus=gpus, runs=runs, prices=prices, fx=fx), cfg)


def test_availability_decides_what_a_new_pick_may_use(tree):
    a = availability_tree(tree)
    new = pick(a, "entry", "new")
    # cheapest per image among the eligible: GREY at a dated grey price, with a warning
    assert (new.gpu, new.price.kind, new.price.cny) == ("GREY", "grey", 3000)
    assert any("grey import" in w for w in new.warnings)
    assert new.runner_up == "OFF"  # sold officially: its (stale) launch price is allowed
    excluded = " | ".join(map(str, a.tier_exclusions))
    assert "BAN: not picked (not sold officially in mainland China and no dated grey" in excluded
    assert "CONV: not picked (only a converted USD price" in excluded
    assert "OLD" not in excluded  # it has a used price
    picked_new = {c for t in a.tiers if t.segment == "new" for c in (t.gpu, t.runner_up)}
    assert not picked_new & {"BAN", "CONV", "OLD"}  # discontinued: no recent street price
    assert all(t.price is None or t.price.kind != "converted" for t in a.tiers)


def test_used_pick_uses_used_prices_with_its_risks(tree):
    a = availability_tree(tree)
    used = pick(a, "entry", "used")
    assert (used.gpu, used.price.kind, used.price.cny, used.availability) == (
        "OLD",
        "used",
        2500,
        "discontinued",
    )
    assert any("used card" in w for w in used.warnings)
    off = pick(a, "entry", "new")
    assert off.segment == "new" and pick(a, "balanced", "used").gpu is None


def test_stale_pick_says_so(tree):
    from analysis_data import price_row

    a = availability_tree(tree)
    assert not pick(a, "entry", "new").price.stale  # the grey price is 31 days old
    # alone, OFF is picked at its stale launch price, and the pick says it is old

    gpus = [gpu("OFF", price=None, availability="official")]
    prices = [price_row("OFF", "launch", 6000, "2025-02-19")]
    b = analyse(
        tree("s", gpus=gpus, runs=timed("off", "OFF", [4.0] * 3), prices=prices),
        AnalysisConfig(price_today="2026-12-02"),
    )
    p = pick(b, "entry", "new")
    assert p.price.stale and any("older than 180 days" in w for w in p.warnings)
