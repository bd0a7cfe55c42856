"""Fact-check grades on hand-made claims (card A: Ada, 100 SMs, 2500 MHz upper clock).

Floors for 400 TFLOP: bf16 400/128 = 3.125 s; fp16_acc16 and fp8 1.5625 s;
int4 0.39 s.
"""

from __future__ import annotations

import pytest
from analysis_data import claim, gpu, timed

from guide_builder.analysis import analyse

BF16 = 400 / 128
FP8 = 400 / 256


def grade_of(ds, index=0):
    return analyse(ds).fact_checks[index].flag


def test_stated_bf16_below_floor_is_impossible_and_names_needed_precision(tree):
    ds = tree(
        gpus=[gpu("Card A")], reported=[claim("Card A", "seconds_per_image", 1.0, "s", "bf16")]
    )
    check = analyse(ds).fact_checks[0]
    assert check.flag.grade == "impossible"
    assert check.flag.needed_precision == "int4"  # only 4-bit beats 1.0 s (0.39 s floor)
    assert check.flag.needed_tflops == pytest.approx(400.0)
    assert check.floor_s == pytest.approx(BF16)
    assert "bf16" in check.flag.reason and "3.1" in check.flag.reason


def test_unstated_precision_checks_fastest_16_8_bit_not_int4(tree):
    # 1.0 s < fp8 floor 1.5625 s: impossible without 4-bit, which was not stated.
    ds = tree(gpus=[gpu("Card A")], reported=[claim("Card A", "seconds_per_image", 1.0, "s")])
    flag = grade_of(ds)
    assert flag.grade == "impossible" and flag.needed_precision == "int4"


def test_stated_int4_is_checked_against_int4(tree):
    ds = tree(
        gpus=[gpu("Card A")], reported=[claim("Card A", "seconds_per_image", 1.0, "s", "int4")]
    )
    assert grade_of(ds).grade == "unverified"  # possible, and no measured Ada run


def test_unstated_between_floors_is_not_impossible_and_unverified_without_runs(tree):
    # 2.3 s: below the bf16 floor (3.125 s) but above fp8's (1.56 s).
    ds = tree(gpus=[gpu("Card A")], reported=[claim("Card A", "seconds_per_image", 2.3, "s")])
    flag = grade_of(ds)
    assert flag.grade == "unverified"
    assert flag.needed_precision == "fp16_acc16"
    assert "no measured run on Ada" in flag.reason


def test_implausible_against_measured_same_architecture(tree):
    # Card B (Ada, same floors) measured at 6.25 s: efficiency 3.125/6.25 = 0.50.
    # The claim of 2.3 s needs fp16_acc16 at 1.5625/2.3 = 0.68 of peak: implausible.
    # A claim of 4.0 s in bf16 needs 0.78: implausible; 8.0 s needs 0.39: plausible.
    ds = tree(
        gpus=[gpu("Card A"), gpu("Card B")],
        runs=timed("b1", "Card B", [6.25] * 3),
        reported=[
            claim("Card A", "seconds_per_image", 2.3, "s"),
            claim("Card A", "seconds_per_image", 4.0, "s", "bf16"),
            claim("Card A", "seconds_per_image", 8.0, "s", "bf16"),
        ],
    )
    checks = analyse(ds).fact_checks
    assert [c.flag.grade for c in checks] == ["implausible", "implausible", "plausible"]
    assert "50%" in checks[0].flag.reason


def test_measured_run_on_other_architecture_does_not_grade(tree):
    ds = tree(
        gpus=[gpu("Card A"), gpu("Amp", "Ampere")],
        runs=timed("b1", "Amp", [7.1] * 3),
        reported=[claim("Card A", "seconds_per_image", 2.3, "s")],
    )
    assert grade_of(ds).grade == "unverified"


def test_spec_claims(tree):
    ds = tree(
        gpus=[gpu("Card A", bandwidth_gb_s=672), gpu("Amp", "Ampere"), gpu("Tur", "Turing")],
        reported=[
            claim("Card A", "bandwidth", 1152, "gb_s"),
            claim("Card A", "bandwidth", 672, "gb_s"),
            claim("Amp", "no_bf16_support", None, None),
            claim("Tur", "no_bf16_support", None, None),
            claim("Card A", "vram", 16, "gb"),
        ],
    )
    grades = [c.flag.grade for c in analyse(ds).fact_checks]
    assert grades == [
        "contradicts_spec",
        "consistent",
        "contradicts_spec",
        "consistent",
        "contradicts_spec",
    ]


def test_fp8_claim_on_ampere_contradicts_spec(tree):
    ds = tree(
        gpus=[gpu("Amp", "Ampere")], reported=[claim("Amp", "seconds_per_image", 5.0, "s", "fp8")]
    )
    assert grade_of(ds).grade == "contradicts_spec"


def test_oom_claim_against_fit(tree):
    ds = tree(
        gpus=[gpu("Small", vram=12), gpu("Big", vram=48)],
        reported=[claim("Small", "oom", None, None), claim("Big", "oom", None, None)],
    )
    grades = [c.flag.grade for c in analyse(ds).fact_checks]
    assert grades == ["consistent", "unverified"]  # Big fits by component sizes only (estimated)


def test_claim_at_an_uncounted_resolution_is_unverified(tree):
    ds = tree(
        gpus=[gpu("Card A")],
        reported=[claim("Card A", "seconds_per_image", 0.1, "s", resolution="2048x2048")],
    )
    flag = grade_of(ds)
    assert flag.grade == "unverified" and "2048x2048" in flag.reason
