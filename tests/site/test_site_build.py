"""A real strict `mkdocs build` of the fixture data: every page kind, both languages."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from site_helpers import FIXTURE, REPO, build, html_pages, site_config

PAGE_KINDS = {
    "home": "index.html",
    "tiers": "tiers/index.html",
    "results": "results/index.html",
    "gpus": "gpus/index.html",
    "gpu": "gpus/rtx-4090/index.html",
    "pitfalls": "pitfalls/index.html",
    "power": "power/index.html",
    "cooling": "cooling/index.html",
    "motherboard": "motherboard/index.html",
    "roi": "roi/index.html",
    "fact-check": "fact-check/index.html",
    "methodology": "methodology/index.html",
}
PREFIX = {"zh": "", "en": "en/"}


def plugin_on_config(tmp: Path, data: Path, **options: object):
    """The guide-builder plugin's on_config on a real MkDocs config, in this process."""
    from mkdocs.config import load_config

    config = load_config(config_file=str(site_config(tmp, data, **options)))
    plugin = config.plugins["guide-builder"]
    return plugin.on_config(config), plugin


def page(site, lang: str, kind: str) -> str:
    return (site.root / (PREFIX[lang] + PAGE_KINDS[kind])).read_text(encoding="utf-8")


def article(html: str) -> str:
    """The page's content (Material puts it in <article class="md-content__inner ...">)."""
    start = html.index('<article class="md-content__inner')
    return html[start : html.index("</article>", start)]


def test_strict_build_logs_no_warning(fixture_site):
    assert "WARNING" not in fixture_site.log
    assert "building the 'en' pages" in fixture_site.log


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", sorted(PAGE_KINDS))
def test_every_page_kind_exists_with_its_language(fixture_site, lang, kind):
    html = page(fixture_site, lang, kind)
    assert f'<html lang="{lang}"' in html
    assert "<h1" in article(html)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "zh",
            [
                "实测（合成权重",
                "实测（bench-ampere）",
                "估算自",
                "¥21,999 / $1,599",
                "中位数",
            ],
        ),
        (
            "en",
            [
                "measured (synthetic weights",
                "measured (bench-ampere)",
                "estimated from",
                "¥21,999 / $1,599",
                "Median",
            ],
        ),
    ],
)
def test_results_page_shows_evidence_spread_and_prices(fixture_site, lang, words):
    html = article(page(fixture_site, lang, "results"))
    for word in words:
        assert word in html, word
    assert 'class="gb-sortable"' in html
    assert re.search(r'<td data-sort="12">12</td>', html)  # n of the RTX 4090's timed runs
    for name in ("results.csv", "runs.csv", "probes.csv", "reported.csv", "gpus.csv"):
        assert f"downloads/{name}" in html
    assert html.count('class="gb-chart"') == 4


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_home_has_three_tiers_in_cny_and_the_headline_chart(fixture_site, lang):
    html = article(page(fixture_site, lang, "home"))
    assert html.count("<tr>") >= 4  # header + three tiers
    assert "≤ ¥7,000" in html and "¥7,000–¥13,000" in html and "&gt; ¥13,000" in html
    assert "RTX 4070 Ti Super" in html and "RTX 4090" in html
    tagged = {"zh": "¥21,999 · 水货价 2026-11-10", "en": "¥21,999 · grey-import price 2026-11-10"}
    assert tagged[lang] in html  # a CNY price with its kind and date
    # the headline chart is static SVG (no plotly.js on the home page): one point per card
    assert 'class="gb-svg-chart"' in html and html.count('class="gb-svg-point"') >= 3


def test_gpu_page_has_specs_curves_flags_and_fit(fixture_site):
    zh = article(page(fixture_site, "zh", "gpu"))
    en = article(page(fixture_site, "en", "gpu"))
    for series in ("temperature", "power", "clock"):
        assert f"gpu-rtx-4090-{series}.json" in zh
    assert "tabbed-set" in zh  # curves sit in content tabs (resized when a tab opens)
    assert "165.2 TFLOPS" in en and "24 GiB" in en
    assert "impossible" in en and "不可能" in zh  # the 0.87 s claim
    assert "fits" in en
    curve = json.loads(
        (fixture_site.root / "assets/guide/charts/gpu-rtx-4090-temperature.json").read_text()
    )
    assert 0 < len(curve["data"][0]["x"]) <= 300  # 900 samples downsampled


def test_power_cooling_board_roi_factcheck_methodology(fixture_site):
    power = article(page(fixture_site, "zh", "power"))
    assert "电源" in power and "ATX" in power and " W" in power
    cooling = article(page(fixture_site, "en", "cooling"))
    # the fixture's RTX 4090 throttles on temperature; its RTX 4070 Ti Super does not
    assert "throttled (SwThermal) after 60 s" in cooling
    assert cooling.count("throttled (") == 1
    assert "PCIe 4.0 ×8" in article(page(fixture_site, "en", "motherboard"))
    roi = article(page(fixture_site, "en", "roi"))
    assert 'class="gb-roi"' in roi and "data-roi=" in roi and 'name="images_per_day"' in roi
    fact = article(page(fixture_site, "en", "fact-check"))
    assert "impossible" in fact and "smeltcore.com recipe (fixture)" in fact
    assert 'href="https://smeltcore.com/recipes/example"' in fact
    method = article(page(fixture_site, "en", "methodology"))
    for word in ("55.6", "0.42.1", "2.13.0", "580.65", "sdpa", "jieba", "pull request"):
        assert word in method, word


def test_tiny_and_cpu_runs_never_appear(fixture_site):
    for path in fixture_site.root.rglob("*"):
        if path.suffix in (".html", ".json", ".csv") and path.name != "search_index.json":
            assert "bench-tiny-cpu" not in path.read_text(encoding="utf-8"), path
    index = (fixture_site.root / "search/search_index.json").read_text(encoding="utf-8")
    assert "bench-tiny-cpu" not in index


def test_one_self_hosted_plotly_and_no_external_requests(fixture_site):
    plotly = list(fixture_site.root.rglob("plotly*.js"))
    assert [p.relative_to(fixture_site.root).as_posix() for p in plotly] == [
        "assets/guide/vendor/plotly-basic.min.js"
    ]
    for rel, html in html_pages(fixture_site.root).items():
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, rel
        for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', html) + re.findall(
            r'<link[^>]*\bhref="([^"]+)"', html
        ):
            assert not src.startswith(("http:", "https:", "//")), (rel, src)
        scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
        # plotly only where a chart is (test_site_format checks which pages)
        assert sum("plotly" in s for s in scripts) == ('class="gb-chart' in html), rel
        # chart data never sits in an inline <script> (instant navigation re-runs those)
        assert "<script" not in article(html), rel


def test_charts_are_svg_with_stable_colours(fixture_site):
    from guide_builder.site.charts import EVIDENCE_COLOURS

    charts = sorted((fixture_site.root / "assets/guide/charts").glob("*.json"))
    assert charts
    colours: dict[str, set[str]] = {}
    for path in charts:
        figure = json.loads(path.read_text(encoding="utf-8"))
        for trace in figure["data"]:
            assert trace["type"] in ("bar", "scatter"), path
            marker = trace.get("marker", {}).get("color")
            if isinstance(marker, list) and set(marker) <= set(EVIDENCE_COLOURS.values()):
                continue  # coloured by evidence level, not by card
            if isinstance(marker, list) and len(marker) == len(trace.get("x", [])):
                for x, c in zip(trace["x"], marker, strict=True):
                    colours.setdefault(str(x).split(" (")[0], set()).add(c)
    assert colours["RTX 4090"] and all(len(c) == 1 for c in colours.values()), colours


def test_chart_data_stays_out_of_the_search_index(fixture_site):
    index = json.loads((fixture_site.root / "search/search_index.json").read_text(encoding="utf-8"))
    text = json.dumps(index, ensure_ascii=False)
    assert "headline.json" not in text and '"data"' not in text


def test_search_index_segments_chinese_for_the_power_page(fixture_site):
    index = json.loads((fixture_site.root / "search/search_index.json").read_text(encoding="utf-8"))
    assert "zh" in index["config"]["lang"]
    power = [d for d in index["docs"] if d["location"].startswith("power/")]
    assert power and any("电源" in d["title"] + d["text"] for d in power)


def test_language_switch_links_each_page_to_its_translation(fixture_site):
    zh = page(fixture_site, "zh", "results")
    en = page(fixture_site, "en", "results")
    assert 'href="../en/results/" hreflang="en"' in zh
    assert 'href="../../results/" hreflang="zh"' in en


def test_render_out_writes_the_same_page_set_as_the_build(fixture_site, tmp_path):
    from guide_builder.site.command import run

    out = tmp_path / "pages"
    run(out, data=FIXTURE)
    rendered = {p.relative_to(out).as_posix() for p in out.rglob("*.md")}
    expected = set()
    for rel in html_pages(fixture_site.root):
        url = rel[: -len("index.html")]
        lang_prefix = "en/" if url.startswith("en/") else ""
        path = url[len(lang_prefix) :]
        if path in ("", "gpus/"):
            expected.add(lang_prefix + path + "index.md")
        else:
            expected.add(lang_prefix + path.rstrip("/") + ".md")
    assert rendered == expected
    assert (out / "assets/guide/vendor/plotly-basic.min.js").is_file()
    assert (out / "en/assets/guide/charts/price-1.json").is_file()
    assert (out / "downloads/runs.csv").is_file()


def test_render_command_line(tmp_path):
    from click.testing import CliRunner

    from guide_builder.cli import cli

    result = CliRunner().invoke(cli, ["render", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--data", "--config", "--templates-dir"):
        assert option in result.output
    result = CliRunner().invoke(
        cli,
        [
            "render",
            "--out",
            str(tmp_path / "o"),
            "--config",
            str(REPO / "mkdocs.yml"),
            "--data",
            str(FIXTURE),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o/index.md").is_file() and (tmp_path / "o/en/index.md").is_file()


def test_bad_data_stops_the_plugin_with_file_and_row(tmp_path):
    """The plugin turns the loader's problems into one PluginError (no build needed)."""
    import shutil

    from mkdocs.exceptions import PluginError

    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    runs = data / "benches/bench-ada/runs.csv"
    lines = runs.read_text().splitlines()
    lines[1] = lines[1].replace(",timed,", ",sometimes,").replace(",first,", ",sometimes,")
    runs.write_text("\n".join(lines) + "\n")
    with pytest.raises(PluginError) as info:
        plugin_on_config(tmp_path, data)
    assert f"{runs}:2:phase: 'sometimes' is not one of" in str(info.value)


def test_invalid_analysis_option_names_the_key(tmp_path):
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError) as info:
        plugin_on_config(tmp_path, FIXTURE, analysis={"entry_max_cny": -5, "nonsense": 1})
    assert "analysis.entry_max_cny" in str(info.value) and "analysis.nonsense" in str(info.value)


def test_disabled_plugin_generates_nothing(tmp_path):
    from mkdocs.structure.files import Files

    empty = tmp_path / "empty"  # no measurements at all: loading it would fail
    empty.mkdir()
    config, plugin = plugin_on_config(tmp_path, empty, enabled=False)
    assert plugin.rendered is None and not config.nav
    files = plugin.on_files(Files([]), config=config)
    assert len(files) == 0


def test_templates_dir_overrides_one_template(tmp_path):
    from guide_builder.site.command import run

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "power.md.j2").write_text(
        "# {{ t('power.title') }}\n\nOverridden {{ '<b>' }}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    run(out, data=FIXTURE, templates_dir=templates)
    text = (out / "power.md").read_text(encoding="utf-8")
    assert "Overridden &lt;b&gt;" in text
    # the other pages keep the package's templates
    assert "\n# 分档推荐\n" in (out / "tiers.md").read_text(encoding="utf-8")
    assert "Overridden" not in (out / "en/tiers.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_shipped_data_builds(tmp_path):
    """The repository's own mkdocs.yml and measurements build strictly."""
    site = build(tmp_path, REPO / "measurements")
    assert (site.root / "index.html").is_file() and (site.root / "en/index.html").is_file()
    # the shipped prices give a buyer both kinds of pick, never at a converted USD price
    tiers = (site.root / "downloads" / "tiers.csv").read_text(encoding="utf-8")
    picked = [r for r in csv.DictReader(io.StringIO(tiers)) if r["gpu"]]
    assert {r["segment"] for r in picked} == {"new", "used"}
    assert all(r["price_kind"] not in ("", "converted") and r["price_date"] for r in picked)


def test_no_torch_import():
    import subprocess
    import sys

    code = (
        "import sys, guide_builder.site.plugin, guide_builder.site.command;"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(REPO))
