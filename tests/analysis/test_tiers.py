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
    assert "D: cannot run" in excluded and "E: not picked (no new price; no used price)" in excluded and "L: laptop" in excluded
    assert all(t.gpu not in ("D", "E", "L") for t in a.tiers)


def test_tie_on_seconds_goes_to_perf_per_cny(tree):
    a = dataset(tree, future_g=1.98)  # 1 % faster than F: tied within 2 %
    fp = tier(a, "future_proof")
    assert (fp.gpu, fp.runner_up) == ("F", "G")  # F gives more images per hour per ¥1000


def test_never_picks_a_card_that_cannot_run(tree):
    a = dataset(tree)
    cannot = {f.gpu for f in a.fits if f.verdict == "cannot_run"}
    assert cannot == {"D"}
    assert not cannot & {t.gpu for t in a.tiers}
