"""The per-language formatter and the reader-facing page pieces (no browser)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from types import SimpleNamespace

from guide_builder.analysis.results import Figure
from guide_builder.site.format import Formatter
from guide_builder.site.pieces import claim_anchor, first_sentence


@dataclass
class Price:
    cny: float
    kind: str
    date: str
    stale: bool = False


def test_prices_carry_kind_and_date_in_each_language():
    assert Formatter("zh").price(Price(8299, "launch", "2025-01-07")) == "¥8,299 · 首发价 2025-01"
    assert (
        Formatter("en").price(Price(8299, "launch", "2025-01-07"))
        == "¥8,299 · launch price 2025-01"
    )
    stale = Formatter("en").price(Price(12999, "street", "2024-03", stale=True))
    assert stale.startswith("¥12,999 · street price 2024-03") and "out of date" in stale
    assert "过时" in Formatter("zh").price(Price(12999, "street", "2024-03", stale=True))
    assert Formatter("zh").price(None) == "—"


def test_a_figure_price_uses_its_detail_text():
    fig = Figure(6299.0, "cny", "reported", "Sina", "launch price, 2025-02-19")
    assert Formatter("en").price(fig) == "¥6,299 · launch price, 2025-02-19"


def test_intervals_numbers_and_dates():
    en, zh = Formatter("en"), Formatter("zh")
    assert en.interval(4.6, 3.9, 5.5) == "4.6 s (3.9–5.5)"
    assert zh.interval(4.6, 3.9, 5.5) == "4.6 秒 (3.9–5.5)"
    assert en.interval(4.6, None, 5.5) == "4.6 s"
    assert en.interval(None, 1, 2) == "—"
    assert en.number(1234.56, 1) == "1,234.6"
    assert en.number(float("nan")) == "—"
    assert en.date("2025-01-07") == "2025-01"
    assert en.date("2025-01-07", "day") == "2025-01-07"
    assert en.date("2025") == "2025"
    assert en.evidence_word("estimated") == "estimated"
    assert zh.evidence_word("measured") == "实测"


def test_data_text_in_the_page_language_with_an_english_fallback():
    row = {"note": "Pulled from sale in 2023.", "note_zh": "2023 年下架。"}
    assert Formatter("zh").local(row).text == "2023 年下架。"
    assert Formatter("en").local(row).text == "Pulled from sale in 2023."
    only_en = Formatter("zh").local({"note": "English only", "note_zh": ""})
    assert (only_en.text, only_en.lang) == ("English only", "en")
    assert Formatter("zh").local(SimpleNamespace(notes="x", notes_zh=None), "notes").lang == "en"
    assert Formatter("zh").local({"note": None}).text == ""


def test_claim_anchors_are_stable_and_distinct():
    fc = SimpleNamespace(
        gpu="RTX 4090",
        claim="seconds_per_image",
        value=0.87,
        unit="s",
        precision="bf16",
        source="article",
        date="2026-02-24",
    )
    other = SimpleNamespace(**{**vars(fc), "value": 1.03})
    assert claim_anchor(fc) == claim_anchor(SimpleNamespace(**vars(fc)))
    assert claim_anchor(fc) != claim_anchor(other)
    assert re.fullmatch(r"claim-rtx-4090-seconds-per-image-[0-9a-f]{6}", claim_anchor(fc))


def test_first_sentence():
    assert first_sentence("Too fast. The floor is 2.7 s.") == "Too fast."
    assert first_sentence("比下限还快。下限是 2.7 秒。") == "比下限还快。"
    assert first_sentence("Needs 2.7 s at most") == "Needs 2.7 s at most"


def test_charts_use_only_trace_types_of_the_vendored_bundle(fixture_site):
    bundle = (fixture_site.root / "assets/guide/vendor/plotly-basic.min.js").read_text(
        encoding="utf-8"
    )
    assert "plotly.js (basic - minified)" in bundle[:200]
    for path in (fixture_site.root / "assets/guide/charts").glob("*.json"):
        for trace in json.loads(path.read_text(encoding="utf-8"))["data"]:
            assert trace["type"] in ("scatter", "bar"), (path.name, trace["type"])


def test_only_pages_with_charts_load_plotly(fixture_site):
    from site_helpers import html_pages

    with_chart = without = 0
    for rel, html in html_pages(fixture_site.root).items():
        loads = re.findall(r'<script[^>]*src="([^"]*plotly[^"]*)"', html)
        if 'class="gb-chart' in html:
            with_chart += 1
            assert len(loads) == 1 and "defer" in html.split(loads[0])[0][-80:], rel
            target = (fixture_site.root / rel).parent / loads[0]
            assert target.resolve().is_file(), (rel, loads[0])
        else:
            without += 1
            assert loads == [], rel
    assert with_chart >= 4 and without >= 10


def test_price_scatter_labels_its_front_and_colours_by_evidence(fixture_site):
    from guide_builder.site.charts import EVIDENCE_COLOURS

    spec = json.loads(
        (fixture_site.root / "en/assets/guide/charts/price-1.json").read_text(encoding="utf-8")
    )
    points = [t for t in spec["data"] if "markers" in t.get("mode", "")]
    assert points
    for trace in points:
        assert trace["marker"]["color"] in EVIDENCE_COLOURS.values()
        assert len(trace["hovertext"]) == len(trace["x"]) and all(trace["hovertext"])
    labels = [x for t in points for x in t["text"] if x]
    assert labels, "no point on the Pareto front is labelled"
    assert "evidence" in spec["layout"]["legend"]["title"]["text"].lower()


def test_fact_check_page_is_a_table_with_a_summary_and_anchors(fixture_site, fixture_analysis):
    _, analysis = fixture_analysis
    html = (fixture_site.root / "en/fact-check/index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr id="(claim-[^"]+)" data-verdict="([a-z_]+)"', html)
    assert len(rows) == len(analysis.fact_checks)
    assert len({a for a, _ in rows}) == len(rows)
    summary = html.split('class="gb-summary"')[1].split("</p>")[0]
    for grade in {v for _, v in rows}:
        n = sum(1 for _, v in rows if v == grade)
        assert re.search(rf"gb-grade-{grade}\">[^<]* {n}<", summary), grade
    assert html.count('class="gb-detail"') == len(rows)
    # GPU pages link to their claims' rows
    gpu = (fixture_site.root / "en/gpus/rtx-4090/index.html").read_text(encoding="utf-8")
    linked = re.findall(r'href="[^"]*fact-check/#(claim-[^"]+)"', gpu)
    assert linked and set(linked) <= {a for a, _ in rows}


def test_no_chart_without_data_on_the_methodology_page(tmp_path):
    """Without measured runs the efficiency chart is a sentence, not empty axes."""
    import shutil

    from site_helpers import FIXTURE, build

    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    shutil.rmtree(data / "benches")
    (data / "benches").mkdir()
    site = build(tmp_path, data).root
    for lang in ("", "en/"):
        html = (site / lang / "methodology/index.html").read_text(encoding="utf-8")
        assert "gb-nochart" in html and "guide-builder measure" in html
        assert 'id="efficiency-floor"' not in html and "efficiency-floor.json" not in html
    assert not (site / "assets/guide/charts/efficiency-floor.json").exists()


def test_home_chart_is_static_svg_that_names_its_points(fixture_site, fixture_analysis):
    from guide_builder.site.svgchart import nice_ticks

    assert nice_ticks(0, 37) == [0, 10, 20, 30, 40]
    assert nice_ticks(2000, 15000)[0] <= 2000 and nice_ticks(2000, 15000)[-1] >= 15000
    for lang in ("", "en/"):
        html = (fixture_site.root / lang / "index.html").read_text(encoding="utf-8")
        assert "plotly" not in html
        svg = html.split('<svg class="gb-svg-chart"')[1].split("</svg>")[0]
        titles = re.findall(r"<circle[^>]*gb-svg-point[^>]*><title>([^<]+)</title>", svg)
        assert len(titles) >= 3 and all(t.split("\n")[0].startswith("RTX") for t in titles)
        assert re.search(r'class="gb-svg-label"[^>]*>RTX', svg)  # the Pareto front is labelled


def test_gpu_pages_link_to_a_comparison_with_their_price_neighbours(fixture_site):
    html = (fixture_site.root / "en/gpus/rtx-4090/index.html").read_text(encoding="utf-8")
    link = re.search(r'<p class="gb-compare-link"><a href="([^"]+)"', html).group(1)
    path, _, query = link.partition("?gpus=")
    assert (fixture_site.root / "en/gpus/rtx-4090" / path / "index.html").resolve().is_file()
    slugs = query.split(",")
    assert "rtx-4090" in slugs and 2 <= len(slugs) <= 3


def test_seconds_show_the_estimators_interval_when_present():
    from guide_builder.site.pieces import Pieces

    row = SimpleNamespace(seconds=SimpleNamespace(value=4.6), low_s=3.9, high_s=5.5)
    pieces = Pieces(Formatter("en"), None, None, {})  # type: ignore[arg-type]
    assert pieces.seconds(row) == "4.60 s (3.90–5.50)"
    assert pieces.seconds(SimpleNamespace(seconds=SimpleNamespace(value=4.6))) == "4.60 s"
