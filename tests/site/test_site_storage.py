"""The storage page and the computed cooling and motherboard sections, in the session's build."""

from __future__ import annotations

import pytest

PREFIX = {"zh": "", "en": "en/"}


def article(site, lang: str, path: str) -> str:
    html = (site.root / PREFIX[lang] / path / "index.html").read_text(encoding="utf-8")
    start = html.index('<article class="md-content__inner')
    return html[start : html.index("</article>", start)]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("SATA SSD", "NVMe PCIe 5.0", "Bytes read", "page cache", "Single or dual channel")),
        ("zh", ("SATA 固态硬盘", "NVMe PCIe 5.0", "读取字节", "页缓存", "单通道还是双通道")),
    ],
)
def test_storage_page_has_floors_per_class_and_variant(fixture_site, lang, words):
    text = article(fixture_site, lang, "storage")
    for word in words:
        assert word in text, word
    # plain as published reads 33.3 GB (config sizes); at 0.56 GB/s SATA: 59.5 s + 0.8 s copy.
    assert "33.3 GB" in text and "60.3" in text
    for variant in ("plain", "fp8", "gguf_q8_0", "gguf_q4_k_m"):
        assert variant in text, variant
    assert "No data yet" not in text and "暂无数据" not in text


def test_measured_loads_sit_beside_the_floor_at_the_bench_disk(fixture_site):
    text = article(fixture_site, "en", "storage")
    assert "Measured loads" in text and "38.2 s" in text
    # 33.3 GB at the bench's 3.4 GB/s disk = 9.8 s, plus 0.8 s to copy: 10.6 s.
    assert "10.6 s" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cooling_and_motherboard_answer_without_a_bench(fixture_site, lang):
    cooling = article(fixture_site, lang, "cooling")
    assert "CFM" in cooling and "3.16" in cooling and "× 120 mm" in cooling
    board = article(fixture_site, lang, "motherboard")
    assert "sequential_offload" in board and "PCIe 4.0 x4" in board
    for text in (cooling, board):
        assert "No data yet" not in text and "暂无数据" not in text
    for page in ("tiers", "power", "roi"):
        assert "storage/" in article(fixture_site, lang, page), page


def test_article_storage_claims_on_the_fact_check_page(fixture_site):
    text = article(fixture_site, "en", "fact-check")
    assert "single RAM module triggers swap" in text and "one 64 GB module" in text
    assert "from a SATA SSD at 0.56 GB/s" in text  # the 83 s load against its 60.3 s floor
    zh = article(fixture_site, "zh", "fact-check")
    assert "单条内存触发交换" in zh and "SATA 固态硬盘" in zh
