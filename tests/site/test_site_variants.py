"""The small-cards section on the tiers page and the variants table on GPU pages."""

from __future__ import annotations

import csv
import shutil

from site_helpers import FIXTURE
from test_site_build import article

from guide_builder.analysis import analyse
from guide_builder.dataset import load_dataset
from guide_builder.site.renderer import Renderer


def gpu_article(site, lang: str, slug: str) -> str:
    prefix = "" if lang == "zh" else "en/"
    return article((site.root / f"{prefix}gpus/{slug}/index.html").read_text(encoding="utf-8"))


def test_built_3060_page_lists_variants_that_fit_with_time_and_quality(fixture_site):
    en = gpu_article(fixture_site, "en", "rtx-3060-12gb")
    zh = gpu_article(fixture_site, "zh", "rtx-3060-12gb")
    section = en[en.index("Ways to run") :]
    # A variant other than sequential offload fits 12 GiB, with an estimated time and its
    # quality evidence; the table lists every variant that fits, the pick first.
    assert "fp8+text_encoder_unload" in section and "(<strong>pick</strong>)" in section
    assert "quality not measured" in section and "estimated" in section
    first_row = section[section.index("fp8+text_encoder_unload") :].split("</tr>")[0]
    assert "no estimate" not in first_row and "estimated" in first_row  # a time
    assert "sequential_offload" in section and "9.0 GiB" in section
    assert "在这张卡上跑" in zh and "画质未测" in zh


def test_built_tiers_page_has_the_small_cards_section(fixture_site):
    for lang, words in (("en", ("Small cards", "Best card at or under")), ("zh", ("小显存",))):
        prefix = "" if lang == "zh" else "en/"
        html = article((fixture_site.root / f"{prefix}tiers/index.html").read_text("utf-8"))
        for w in words:
            assert w in html, w
    en = article((fixture_site.root / "en/tiers/index.html").read_text("utf-8"))
    small = en[en.index("Small cards") :]
    assert "fp8+text_encoder_unload" in small  # the fastest way on 12 GB
    assert "RTX 3060 12GB" in small  # the fixture's only card at or under ¥3,000
    assert 'href="../pitfalls/"' in small or "pitfalls/" in small


def fixture_with(tmp_path, *cards: tuple[str, float]):
    """The fixture data plus cards of the given memory (copies of its RTX 3060 row)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    path = data / "catalog" / "gpus.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    base = next(r for r in rows if r["name"] == "RTX 3060 12GB")
    for name, vram in cards:
        rows.append({**base, "name": name, "aliases": "", "vram_gib": str(vram)})
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    dataset = load_dataset(data)
    return Renderer().render(dataset, analyse(dataset))


def test_8gb_page_shows_what_fits_and_a_tiny_card_says_nothing_fits(tmp_path):
    out = fixture_with(tmp_path, ("Test 8GB", 8), ("Test 1GB", 1))
    page8 = out.languages["en"].pages["gpus/test-8gb.md"]
    section = page8[page8.index("Ways to run") :]
    # 8 GiB: the bf16 text encoder alone (7.5 GiB + margin) does not fit, so only the
    # group-wise offloads do; the pick gets the estimate.
    assert "group\\_offload (**pick**)" in section
    assert "| fp8" not in section.split("## ")[0]  # no fp8 row
    page1 = out.languages["en"].pages["gpus/test-1gb.md"]
    assert "Nothing fits" in page1
    assert "没有方案放得下" in out.languages["zh"].pages["gpus/test-1gb.md"]
