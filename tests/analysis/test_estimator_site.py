"""Estimates' intervals and reported runs as readers see them: tables, charts, CSV, pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from analysis_data import claim, reported_run
from test_model import cards, corpus

from guide_builder.analysis import analyse
from guide_builder.site.renderer import Renderer


@pytest.fixture
def rendered(tree):
    runs = corpus(noise=True) + [
        reported_run("Ada1", 0.5, "seo page", grade="C", note="says 0.5 s", note_zh="称 0.5 秒")
    ]
    ds = tree(
        gpus=cards(), reported_runs=runs, reported=[claim("Ada1", "seconds_per_image", 4.0, "s")]
    )
    analysis = analyse(ds)
    return analysis, Renderer().render(ds, analysis)


def test_results_csv_and_table_carry_the_interval(rendered):
    analysis, out = rendered
    rows = list(csv.DictReader(io.StringIO(out.shared["downloads/results.csv"])))
    ada = next(r for r in rows if r["gpu"] == "AdaNew")
    low, mid, high = (float(ada[k]) for k in ("low_s", "median_s", "high_s"))
    assert low < mid < high
    assert ada["source"].startswith("a model fitted to 18 reported runs of 7 cards: bf16 floor")
    table = out.languages["en"].pages["results.md"]
    assert f"{mid:.2f} s ({low:.2f}–{high:.2f})" in table


def test_seconds_chart_draws_the_interval_as_error_bars(rendered):
    analysis, out = rendered
    files = out.languages["en"].files
    chart = json.loads(next(v for k, v in files.items() if k.endswith("/seconds-1.json")))
    (trace,) = [t for t in chart["data"] if t["name"] == "estimated"]
    i = trace["x"].index("AdaNew")
    est = next(r for r in analysis.results if r.gpu == "AdaNew")
    assert trace["error_y"]["array"][i] == pytest.approx(est.high_s - est.seconds.value, abs=1e-3)
    assert trace["error_y"]["arrayminus"][i] == pytest.approx(
        est.seconds.value - est.low_s, abs=1e-3
    )


def test_methodology_shows_model_parameters_and_cross_validation_in_both_languages(rendered):
    analysis, out = rendered
    cv = analysis.estimator.summary()
    worst = f"{cv.worst_abs * 100:,.0f}"
    en = out.languages["en"].pages["methodology.md"]
    zh = out.languages["zh"].pages["methodology.md"]
    assert "## How estimates are fitted" in en and "## 估算如何拟合" in zh
    assert f"the worst {worst} % \\({cv.worst_card}\\)" in en
    assert f"最差 {worst}%（{cv.worst_card}）" in zh
    # fitted classes, named in each page's language
    assert "consumer Ada" in en and "datacenter Hopper" in en
    assert "消费级 Ada" in zh and "数据中心 Hopper" in zh and "consumer Ada" not in zh
    for page in (en, zh):
        assert "[src 0](https://example.org/src-0)" in page  # the rows it used
    curve = analysis.estimator.model.curve
    plain_en, plain_zh = en.replace("\\", ""), zh.replace("\\", "")  # markdown escapes
    assert f"efficiency = 1 / ({curve.alpha:.2f} + {curve.beta:.2f} × peak" in plain_en
    assert f"效率 = 1 ÷（{curve.alpha:.2f} + {curve.beta:.2f} × 峰值" in plain_zh


def test_gpu_page_lists_every_reported_run_in_the_page_language(rendered):
    _, out = rendered
    en = out.languages["en"].pages["gpus/ada1.md"].split("## Reported runs")[1].split("\n## ")[0]
    zh = out.languages["zh"].pages["gpus/ada1.md"].split("## 公开实测")[1].split("\n## ")[0]
    assert en.count("https://example.org/src-") == 4 and "[seo page]" in en
    assert "says 0\\.5 s" in en and "称 0\\.5 秒" in zh
    assert "| C | diffusers, bf16 · " in en  # grade, then the setup


def test_fact_check_page_links_the_contradicting_runs(rendered):
    analysis, out = rendered
    (fc,) = [f for f in analysis.fact_checks if f.kind == "claim"]
    assert fc.flag.grade == "contradicted"
    page = out.languages["en"].pages["fact-check.md"]
    assert "contradicted by first\\-hand runs" in page
    assert '· <a href="https://example.org/src-0"' in page  # the runs, in the claim's details
    # the C-grade run is checked like a claim: 0.5 s is below Ada1's floor
    (run,) = [f for f in analysis.fact_checks if f.kind == "run"]
    assert run.flag.grade == "impossible"
