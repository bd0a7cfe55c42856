"""The core without MkDocs: escaping, links, charts, formats, the Renderer."""

from __future__ import annotations

import json

import markdown
import pytest

from guide_builder.analysis.results import Figure, GpuResult
from guide_builder.site import charts
from guide_builder.site.escape import (
    json_for_html,
    markdown_text,
    neutralise_cell,
    plot_text,
    safe_url,
    title_meta,
)
from guide_builder.site.format import Formatter
from guide_builder.site.i18n import Catalogue, load_strings
from guide_builder.site.links import PageLinks, slugify

HOSTILE = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "</script><!--",
    "a|b",
    '=HYPERLINK("http://x")',
]
EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition", "toc"]


@pytest.mark.parametrize(
    "text", [*HOSTILE, "*a* _b_ `c`", "# h", "!!! note", "{: .x}", "1. item", "&amp;"]
)
def test_markdown_text_renders_as_the_literal_text(text):
    html = markdown.markdown(
        f"| h | i |\n|---|---|\n| {markdown_text(text)} | z |\n", extensions=EXTENSIONS
    )
    assert (
        html.count("<td>") == 2
        and "<script" not in html
        and "<a " not in html
        and "<em>" not in html
    )
    import html as h

    cell = html.split("<td>")[1].split("</td>")[0]
    assert h.unescape(cell) == text


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a?b=1", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("java\tscript:alert(1)", False),
        (" data:text/html,x", False),
        ("vbscript:x", False),
        ("//evil.example", False),
        ("relative/path", False),
        ("https://", False),
    ],
)
def test_only_absolute_http_urls_become_links(url, ok):
    assert (safe_url(url) is not None) is ok


def test_json_for_html_cannot_close_a_script():
    text = json_for_html({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_csv_cells_neutralised_numbers_kept():
    assert neutralise_cell("=1+1") == "'=1+1"
    for prefix in "=+-@\t\r":
        assert neutralise_cell(prefix + "x").startswith("'")
    assert neutralise_cell(-5.0) == -5.0 and neutralise_cell("RTX 4090") == "RTX 4090"


def test_plot_labels_and_titles_escaped():
    assert plot_text("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert title_meta('</title><script>"') == '"&lt;/title&gt;&lt;script&gt;&quot;"'


def test_slugs_are_safe_and_unique():
    taken: set[str] = set()
    slugs = [slugify(name, taken) for name in [*HOSTILE, "RTX 4090", "RTX-4090", "显卡"]]
    assert len(set(slugs)) == len(slugs)
    assert all(s.replace("-", "").isalnum() for s in slugs)


def test_page_relative_links():
    links = PageLinks("gpus/rtx-4090.md", directory_urls=True, root="../")
    assert links.md("results.md") == "../results.md"
    assert links.url("assets/guide/charts/x.json") == "../../assets/guide/charts/x.json"
    assert links.shared("downloads/runs.csv") == "../../../downloads/runs.csv"
    assert PageLinks("index.md").page("results.md") == "results/"
    assert PageLinks("results.md", directory_urls=False).page("index.md") == "index.html"


def test_catalogues_have_the_same_keys_and_format_per_language():
    assert set(load_strings("zh")) == set(load_strings("en"))
    zh, en = Formatter("zh"), Formatter("en")
    assert zh.quantity(3.456, "s", 2) == "3.46 秒" and en.quantity(3.456, "s", 2) == "3.46 s"
    assert zh.cny(12999, 1599) == "¥12,999（美国首发价 $1,599）"
    assert en.cny(12999, 1599) == "¥12,999 (US launch price $1,599)"
    synthetic = Figure(3.6, "s", "measured_synthetic", "bench-a")
    assert en.evidence(synthetic) == "measured (synthetic weights, bench-a)"
    assert en.evidence(Figure(0.87, "s", "reported", "An article")) == "reported by An article"
    assert (
        en.evidence(Figure(2.7, "s", "estimated", "the bf16 floor"))
        == "estimated from the bf16 floor"
    )
    with pytest.raises(KeyError):
        en.t("no.such.key")


def _result(gpu, seconds, price):
    return GpuResult(gpu, "w", "plain", Figure(seconds, "s", "measured", "b"), seconds * 1.1, 0.1, 10, False,
                     Figure(20.0, "gib", "measured", "b"), None, None, 0.5, Figure(price, "cny", "reported", "p"), 1.0)  # fmt: skip


def test_pareto_front_and_stable_colours():
    assert charts.pareto_front([(1, 10), (2, 5), (3, 6), (4, 1)]) == [0, 1, 3]
    assert (
        charts.gpu_colour("RTX 4090")
        == charts.gpu_colour("RTX 4090")
        != charts.gpu_colour("RTX 3090")
    )
    rows = [_result("A", 3.0, 10000), _result("B", 5.0, 4000), _result("C", 6.0, 12000)]
    fig = charts.seconds_vs_price(rows, Catalogue("en").t, Formatter("en").evidence)
    labels = {x for tr in fig["data"] if "text" in tr for x in tr["text"] if x}
    assert labels == {"B", "A"}  # C is dearer and slower than A: named on hover only
    hover = [x for tr in fig["data"] if "hovertext" in tr for x in tr["hovertext"]]
    assert len(hover) == 3 and any(h.startswith("C<br>") for h in hover)
    assert all(tr["type"] in ("bar", "scatter") for tr in fig["data"])


def test_downsample_keeps_the_shape_in_few_points():
    import numpy as np

    t = np.arange(10_000) / 10
    x, y = charts.downsample(t, t * 2)
    assert len(x) == charts.MAX_POINTS and abs(y[-1] - 2 * x[-1]) < 1e-6 and x[0] < 2


def test_renderer_pages_without_mkdocs(fixture_analysis):
    from guide_builder.site.renderer import PAGES, Renderer

    dataset, analysis = fixture_analysis
    out = Renderer().render(dataset, analysis)
    assert set(out.languages) == {"zh", "en"}
    for lang in out.languages.values():
        for src, _template, _title in PAGES:
            assert lang.pages[src].startswith("---\ntitle: ")
        assert {"gpus/rtx-4090.md", "gpus/rtx-3060-12gb.md"} <= set(lang.pages)
        assert all(json.loads(text) for text in lang.files.values())
    assert "bench-tiny-cpu" not in json.dumps(
        [o.pages for o in out.languages.values()], ensure_ascii=False
    )
