"""The built site in headless Chromium (Debian's package; never a downloaded browser).

The site is built with site_url set to the local server's own origin: Material
intercepts links for instant navigation only on that origin, so anything else
would silently test full page loads.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from site_helpers import FIXTURE, build, html_pages

pytestmark = pytest.mark.browser

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ALL_CHARTS_SETTLED = """() => [...document.querySelectorAll('.gb-chart:not([hidden])')]
    .every(e => e.dataset.state === 'drawn' || e.dataset.state === 'error')"""


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # CI must run this test, never skip it
        pytest.skip(message)
    return path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    chromium = _chromium()
    root = tmp_path_factory.mktemp("browser")
    handler = functools.partial(_Quiet, directory=str(root / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_port}/"
    site = build(root, FIXTURE, site_url=base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield site, base, browser
        browser.close()
    server.shutdown()


@pytest.fixture
def page(served):
    site, base, browser = served
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.problems = []  # console errors, page errors and requests outside the site

    def on_console(msg):
        if msg.type == "error":
            page.problems.append(f"console: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))

    def on_request(request):
        if not request.url.startswith((base, "data:", "blob:")):
            page.problems.append(f"external request: {request.url}")

    page.on("request", on_request)
    yield page
    context.close()


@pytest.fixture
def browser_context_for(served):
    """A page factory at a given viewport width (phone: 390 px)."""
    _, _, browser = served
    contexts = []

    def make(width: int):
        context = browser.new_context(viewport={"width": width, "height": 844})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def out_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("GUIDE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _charts_rendered(page) -> None:
    page.wait_for_function(ALL_CHARTS_SETTLED, timeout=20000)
    total = page.locator(".gb-chart:not([hidden])").count()
    drawn = page.locator(".gb-chart .main-svg").evaluate_all(
        "els => new Set(els.map(e => e.closest('.gb-chart'))).size"
    )
    assert drawn == total, f"{drawn} of {total} charts rendered on {page.url}"


def test_every_page_loads_cleanly_with_every_chart_rendered(served, page):
    site, base, _ = served
    pages = sorted(html_pages(site.root))
    assert len(pages) >= 30
    charts = 0
    for rel in pages:
        url = base + rel[: -len("index.html")]
        page.goto(url, wait_until="load")
        _charts_rendered(page)
        charts += page.locator(".gb-chart:not([hidden])").count()
        assert page.problems == [], (url, page.problems)
    assert charts >= 20


def test_instant_navigation_renders_the_next_pages_charts(served, page):
    _, base, _ = served
    page.goto(base, wait_until="load")
    _charts_rendered(page)
    page.evaluate("window.__sameDocument = 42")
    # Material rewrites links to absolute URLs on site_url's origin (that is what it intercepts)
    page.locator(f'article a[href="{base}results/"]').first.click()
    page.wait_for_url(base + "results/")
    assert page.evaluate("window.__sameDocument") == 42, "a full page load, not instant navigation"
    page.wait_for_selector(".gb-chart[data-src]")  # the URL changes before the content does
    _charts_rendered(page)
    assert page.locator(".gb-chart .main-svg").count() >= 4
    # and once more, from the sortable table onto a GPU page with charts in content tabs
    page.locator(f'article a[href="{base}gpus/rtx-4090/"]').first.click()
    page.wait_for_url(base + "gpus/rtx-4090/")
    assert page.evaluate("window.__sameDocument") == 42
    page.wait_for_selector(".tabbed-set .gb-chart[data-src]")
    _charts_rendered(page)
    assert page.problems == []


def test_charts_in_a_tab_resize_when_it_opens(served, page):
    _, base, _ = served
    page.goto(base + "gpus/rtx-4090/", wait_until="load")
    _charts_rendered(page)
    page.locator(".tabbed-labels label").nth(1).click()
    page.wait_for_timeout(300)
    widths = page.evaluate(
        """() => { const c = document.querySelectorAll('.tabbed-block')[1].querySelector('.gb-chart');
                   return [c.clientWidth, c.querySelector('.main-svg').getBoundingClientRect().width]; }"""
    )
    assert widths[0] > 300 and abs(widths[0] - widths[1]) < 30, widths


def test_palette_toggle_changes_the_chart_background(served, page):
    _, base, _ = served
    page.goto(base + "results/", wait_until="load")
    _charts_rendered(page)
    read = "() => document.querySelector('.gb-chart.js-plotly-plot')._fullLayout.paper_bgcolor"
    before = page.evaluate(read)
    scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(
        f"() => document.body.getAttribute('data-md-color-scheme') !== '{scheme}'"
    )
    page.wait_for_function(f"() => ({read})() !== {before!r}", timeout=5000)
    after = page.evaluate(read)
    assert after != before
    assert page.problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_roi_calculator_matches_the_python_formulas(served, page, fixture_analysis, lang):
    from guide_builder.analysis import roi_for
    from guide_builder.site.format import Formatter

    _, base, _ = served
    _, analysis = fixture_analysis
    model = analysis.roi_model
    assert model["cards"] and model["baseline"]
    page.goto(base + ("" if lang == "zh" else "en/") + "roi/", wait_until="load")
    page.wait_for_selector(".gb-roi td[data-value]")

    def shown():
        return page.locator(".gb-roi tr[data-card]").evaluate_all(
            """rows => rows.map(r => Object.fromEntries([...r.querySelectorAll('[data-field]')]
                 .map(c => [c.dataset.field, [c.dataset.value, c.textContent]])))"""
        )

    # the defaults reproduce the static table, i.e. analysis.roi
    for row, cells in zip(analysis.roi, shown(), strict=True):
        assert float(cells["hours_saved_per_year"][0]) == pytest.approx(row.hours_saved_per_year)
        assert float(cells["cny_saved_per_year"][0]) == pytest.approx(row.cny_saved_per_year)

    inputs = {"images_per_day": 80, "hourly_rate_cny": 150, "electricity_cny_per_kwh": 1.2}
    for name, value in inputs.items():
        page.fill(f".gb-roi input[name={name}]", str(value))
    params = {**model["parameters"], **inputs}
    base_card = model["baseline"]
    cat = Formatter(lang)
    for card, cells in zip(model["cards"], shown(), strict=True):
        expected = roi_for(
            {
                **params,
                "seconds_per_image": card["seconds_per_image"],
                "baseline_seconds_per_image": base_card["seconds_per_image"],
                "price_cny": card["price_cny"],
                "baseline_price_cny": base_card["price_cny"],
                "energy_j_per_image": card["energy_j_per_image"],
                "baseline_energy_j_per_image": base_card["energy_j_per_image"],
            }
        )
        for field, (raw, text) in cells.items():
            # the build total the payback is computed from (nothing marked as owned here)
            value = card["price_cny"] if field == "price_cny" else expected[field]
            if value is None:
                assert raw == ""
                continue
            assert float(raw) == pytest.approx(value, rel=1e-9, abs=1e-9), field
            if field == "hours_saved_per_year":
                assert text == cat.quantity(value, "h", 1)
            elif field == "payback_months":
                assert text == cat.quantity(value, "months", 1)
            else:
                assert text == cat.cny(value)
    # parts the reader owns come off every build total, as roi.build_total takes them off
    from guide_builder.analysis.roi import OWNABLE, build_total

    for part in OWNABLE:
        page.check(f".gb-roi input[name=own_{part}]")
    for card, cells in zip(model["cards"], shown(), strict=True):
        owned_total = build_total(card, OWNABLE)
        assert float(cells["price_cny"][0]) == pytest.approx(owned_total), card["gpu"]
        assert owned_total < card["price_cny"] or not any(card[f"{p}_cny"] for p in OWNABLE)
    assert page.problems == []


def test_searching_dianyuan_lists_the_power_page(served, page):
    _, base, _ = served
    page.goto(base, wait_until="load")
    search = page.locator("input.md-search__input")
    search.click()
    search.fill("电源")  # as an IME commits text: no key events...
    search.press("End")  # ...so send one, as Material searches on keyup
    page.wait_for_selector(".md-search-result__item", timeout=20000)
    hrefs = page.locator(".md-search-result__item a").evaluate_all("as => as.map(a => a.href)")
    assert hrefs and hrefs[0].startswith(base + "power/"), hrefs


def test_sorting_the_results_table(served, page):
    _, base, _ = served
    page.goto(base + "en/results/", wait_until="load")
    header = page.locator("table.gb-sortable th").nth(3)  # median
    header.click()
    values = page.locator("table.gb-sortable tbody tr td:nth-child(4)").evaluate_all(
        "tds => tds.map(td => parseFloat(td.dataset.sort))"
    )
    assert values == sorted(values)
    header.click()
    values = page.locator("table.gb-sortable tbody tr td:nth-child(4)").evaluate_all(
        "tds => tds.map(td => parseFloat(td.dataset.sort))"
    )
    assert values == sorted(values, reverse=True)


def test_screenshots_of_home_and_results(served, page, out_dir):
    _, base, _ = served
    for name, path in (
        ("home", ""),
        ("results", "results/"),
        ("home-en", "en/"),
        ("results-en", "en/results/"),
    ):
        page.goto(base + path, wait_until="load")
        _charts_rendered(page)
        page.screenshot(path=str(out_dir / f"{name}.png"), full_page=True)
        assert (out_dir / f"{name}.png").stat().st_size > 10_000


# --- the reader's experience: compare, filters, widths, light pages --------------------

WIDEST = """() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"""


def _requests(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


@pytest.mark.parametrize("lang", ["", "en/"])
def test_compare_page_from_a_url_lists_the_chosen_cards(served, page, lang):
    _, base, _ = served
    page.goto(base + lang + "compare/?gpus=rtx-4090,rtx-3090", wait_until="load")
    page.wait_for_selector(".gb-compare-table th a")
    names = page.locator(".gb-compare-table thead th a").all_text_contents()
    assert names == ["RTX 4090", "RTX 3090"]
    assert page.locator("select[data-slot='0']").input_value() == "rtx-4090"
    rows = page.locator(".gb-compare-table tbody th").all_text_contents()
    assert any(("Suggested PSU" if lang else "建议电源") in r for r in rows), rows
    _charts_rendered(page)
    assert page.locator(".gb-compare-chart.js-plotly-plot").count() == 1
    # a third card from the picker goes into the URL and survives a reload
    page.select_option("select[data-slot='2']", "rtx-3060-12gb")
    assert "gpus=rtx-4090,rtx-3090,rtx-3060-12gb" in page.url
    page.reload(wait_until="load")
    page.wait_for_function(
        "() => document.querySelectorAll('.gb-compare-table thead th a').length === 3"
    )
    assert page.problems == []


def test_compare_without_cards_draws_no_chart(served, page):
    _, base, _ = served
    page.goto(base + "en/compare/", wait_until="load")
    page.wait_for_function(
        "() => document.querySelector('.gb-compare-chart').dataset.state === 'empty'"
    )
    assert page.locator(".gb-compare-chart").is_hidden()
    assert page.locator(".gb-compare-empty").is_visible()
    assert page.locator(".main-svg").count() == 0


def test_a_results_filter_narrows_rows_and_survives_reload(served, page):
    _, base, _ = served
    page.goto(base + "en/results/", wait_until="load")
    rows = page.locator(".gb-results tbody tr")
    total = rows.count()
    page.select_option(".gb-filters select[data-param=vram]", "24")
    visible = page.locator(".gb-results tbody tr:not([hidden])")
    narrowed = visible.count()
    assert 0 < narrowed < total
    vram = visible.evaluate_all("rs => rs.map(r => Number(r.dataset.vram))")
    assert all(v >= 24 for v in vram), vram
    assert "vram=24" in page.url
    page.reload(wait_until="load")
    page.wait_for_function(
        f"() => document.querySelectorAll('.gb-results tbody tr:not([hidden])').length === {narrowed}"
    )
    assert page.locator(".gb-filters select[data-param=vram]").input_value() == "24"
    assert page.problems == []


def test_fact_check_filter_and_sort_keep_details_with_their_claim(served, page):
    _, base, _ = served
    page.goto(base + "en/fact-check/", wait_until="load")
    total = page.locator("#gb-fact-checks tbody tr:not(.gb-detail)").count()
    page.select_option(".gb-filters select[data-param=verdict]", "impossible")
    shown = page.locator("#gb-fact-checks tbody tr:not(.gb-detail):not([hidden])")
    assert 0 < shown.count() < total
    assert set(shown.evaluate_all("rs => rs.map(r => r.dataset.verdict)")) == {"impossible"}
    page.locator("#gb-fact-checks th").nth(1).click()  # sort by card
    pairs = page.locator("#gb-fact-checks tbody tr").evaluate_all(
        "rs => rs.map(r => r.classList.contains('gb-detail'))"
    )
    assert pairs == [False, True] * (len(pairs) // 2)


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_scrolls_sideways(served, browser_context_for, width):
    site, base, _ = served
    page = browser_context_for(width)
    wide = []
    for rel in sorted(html_pages(site.root)):
        page.goto(base + rel[: -len("index.html")], wait_until="load")
        page.wait_for_timeout(50)
        widest = page.evaluate(WIDEST)
        if widest > width + 1:
            wide.append((rel, widest))
    assert wide == [], wide


def test_chart_free_pages_request_no_plotly(served, page):
    _, base, _ = served
    urls = _requests(page)
    for path in ("power/", "en/fact-check/", "en/gpus/", "pitfalls/"):
        page.goto(base + path, wait_until="load")
        assert page.locator(".gb-chart").count() == 0, path
    page.wait_for_timeout(300)
    assert not [u for u in urls if "plotly" in u]


def test_charts_render_after_instant_navigation_from_a_chart_free_page(served, page):
    _, base, _ = served
    urls = _requests(page)
    page.goto(base + "en/power/", wait_until="load")
    page.evaluate("window.__sameDocument = 7")
    assert page.evaluate("typeof window.Plotly") == "undefined"
    page.locator(f'nav a[href="{base}en/results/"]').first.click()
    page.wait_for_url(base + "en/results/")
    assert page.evaluate("window.__sameDocument") == 7, "a full page load, not instant navigation"
    page.wait_for_selector(".gb-chart[data-src]")  # the URL changes before the content does
    _charts_rendered(page)
    assert page.locator(".gb-chart .main-svg").count() >= 1
    assert len([u for u in urls if "plotly" in u]) == 1
    # and the palette toggle still re-colours them
    read = "() => document.querySelector('.gb-chart.js-plotly-plot')._fullLayout.paper_bgcolor"
    before = page.evaluate(read)
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(f"() => ({read})() !== {before!r}", timeout=5000)
    assert page.problems == []


def test_home_chart_follows_the_palette_toggle_without_plotly(served, page):
    _, base, _ = served
    urls = _requests(page)
    page.goto(base, wait_until="load")
    read = "() => getComputedStyle(document.querySelector('.gb-svg-chart text')).fill"
    before = page.evaluate(read)
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(f"() => ({read})() !== {before!r}", timeout=5000)
    assert page.locator(".gb-svg-chart .gb-svg-point").count() >= 3
    assert not [u for u in urls if "plotly" in u]
    assert page.problems == []
