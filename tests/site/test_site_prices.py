"""Prices on the built site: every price with its kind and date, new and used picks, tiers.csv."""

from __future__ import annotations

import csv
import io
import re

import pytest

# A price as the pages write it: "¥5,999 · 市场价 2026-10-15" / "¥5,999 · street price 2026-10-15"
KINDS = {
    "zh": ("首发价", "市场价", "二手价", "水货价", "按汇率换算", "整机合计"),
    "en": (
        "launch price",
        "street price",
        "used price",
        "grey-import price",
        "converted",
        "Build total",
    ),
}
DATE = r"\d{4}-\d{2}(?:-\d{2})?"
# the price kinds as the analysis's reasons say them
REASON_KINDS = {"zh": "首发价|市场价|二手价|水货价", "en": r"\((?:launch|street|used|grey import),"}


def page(site, lang, name):
    root = site.root if lang == "zh" else site.root / "en"
    return (
        (root / name / "index.html").read_text(encoding="utf-8")
        if name
        else (root / "index.html").read_text(encoding="utf-8")
    )


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&gt;", ">").replace("&amp;", "&")


def price_cells(html: str) -> list[str]:
    """Table cells and list items holding a ¥ price (budget bounds and ROI sums excepted)."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)
    cells += re.findall(r"<li>(.*?)</li>", html, flags=re.S)
    out = []
    for cell in map(text_of, cells):
        if "¥" not in cell or cell.lstrip().startswith(("≤", ">")) or "–¥" in cell:
            continue
        out.append(cell)
    return out


# page -> how many tagged prices it shows at least (3 picks: price and build total each)
PAGES = {"": 6, "tiers": 6, "roi": 6, "gpus/rtx-4090": 3, "gpus/rtx-3090": 3}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_price_shows_its_kind_and_date(fixture_site, lang, name):
    html = page(fixture_site, lang, name)
    text = text_of(html)
    kinds = "|".join(map(re.escape, KINDS[lang]))
    tagged = re.compile(rf"¥[\d,]+ · (?:{kinds}) {DATE}")
    assert len(tagged.findall(text)) >= PAGES[name], name
    assert ("增值税" if lang == "zh" else "VAT") in text  # Chinese prices include VAT
    for cell in price_cells(html):
        if name == "roi" and re.fullmatch(r"\s*-?¥[\d,]+\s*", cell):
            continue  # yearly savings and extra cost: sums, not prices
        if name == "tiers":  # reasons: "at ¥5,999 (street, 2026-10-15)"; bands have no kind
            if re.search(REASON_KINDS[lang], cell):
                assert re.search(DATE, cell), cell
            continue
        assert tagged.search(cell), (name, cell)
    stale = "已过期" if lang == "zh" else "stale"
    if name == "gpus/rtx-4090":
        assert stale in text  # the 2022 launch price is older than 180 days


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_home_and_tiers_show_new_and_used_picks_with_build_totals(fixture_site, lang):
    for name in ("", "tiers"):
        text = text_of(page(fixture_site, lang, name))
        assert (
            ("新卡" in text and "二手" in text)
            if lang == "zh"
            else ("New" in text and "Used" in text)
        )
        assert "RTX 3090" in text and "RTX 4070 Ti Super" in text
        assert ("整机合计" if lang == "zh" else "Build total") in text
    tiers = text_of(page(fixture_site, lang, "tiers"))
    grey = "水货" if lang == "zh" else "grey import"
    assert grey in tiers  # the not-sold-officially pick carries its warning
    # the card with only a converted price is never picked
    assert "RTX 3060 12GB" not in text_of(page(fixture_site, lang, "")).split("RTX 3090")[0]


def test_tiers_csv_has_new_and_used_picks_and_no_converted_price(fixture_site):
    path = fixture_site.root / "downloads" / "tiers.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "tier",
        "segment",
        "gpu",
        "price_cny",
        "price_kind",
        "price_date",
        "availability",
        "build_total_cny",
    ]
    picked = [r for r in rows if r["gpu"]]
    assert {r["segment"] for r in picked} == {"new", "used"}
    assert all(r["price_kind"] != "converted" and r["price_date"] for r in picked)
    assert all(float(r["build_total_cny"]) > float(r["price_cny"]) for r in picked)
    by = {(r["tier"], r["segment"]): r for r in rows}
    assert by[("entry", "used")]["gpu"] == "RTX 3090"
    assert by[("future_proof", "new")]["availability"] == "not_sold_officially"
    assert by[("future_proof", "new")]["price_kind"] == "grey"
    prices = (fixture_site.root / "downloads" / "prices.csv").read_text(encoding="utf-8")
    assert prices.startswith("card,kind,price_cny,date,source,url,quote")
