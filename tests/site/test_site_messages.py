"""The analysis's reasons and advice appear in the page's language, escaped after rendering."""

from __future__ import annotations

import html
import re
import string

from test_site_build import article, page

from guide_builder.messages import catalogue, render


def text_of(page_html: str) -> str:
    """The article as plain text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page_html)).split())


def english_phrases() -> set[str]:
    """Word runs (three words or more) from the English message catalogue."""
    out = set()
    for template in catalogue("en").values():
        for literal, *_ in string.Formatter().parse(template):
            for part in re.split(r"[();:,]", literal):
                if len(part.split()) >= 3:
                    out.add(" ".join(part.split()))
    return out


def test_chinese_fact_check_shows_chinese_reasons_and_no_english_sentence(
    fixture_site, fixture_analysis
):
    _, analysis = fixture_analysis
    zh = text_of(article(page(fixture_site, "zh", "fact-check")))
    en = text_of(article(page(fixture_site, "en", "fact-check")))
    impossible = [c for c in analysis.fact_checks if c.flag.grade == "impossible"]
    assert impossible
    for check in analysis.fact_checks:
        zh_reason = " ".join(render(check.flag.reason, "zh").split())
        en_reason = " ".join(str(check.flag.reason).split())
        assert zh_reason in zh, zh_reason
        assert en_reason in en and en_reason not in zh, en_reason
    assert "比 bf16 理论下限" in zh and "还快" in zh
    leaked = sorted(p for p in english_phrases() if p in zh)
    assert not leaked, leaked


def test_chinese_pages_carry_no_english_analysis_prose(fixture_site):
    phrases = english_phrases()
    for kind in ("tiers", "pitfalls", "cooling", "motherboard", "power", "gpu", "results"):
        zh = text_of(article(page(fixture_site, "zh", kind)))
        leaked = sorted(p for p in phrases if p in zh)
        assert not leaked, (kind, leaked)
    cooling = text_of(article(page(fixture_site, "zh", "cooling")))
    assert "秒后开始降频" in cooling
    tiers = text_of(article(page(fixture_site, "zh", "tiers")))
    assert "每千元每小时出图" in tiers


def test_every_escaping_path_renders_the_page_language_then_escapes():
    from guide_builder.messages import msg
    from guide_builder.site.renderer import Renderer

    env = Renderer().env
    m = msg("check.not_catalogued", gpu="<script>x</script> [a](javascript:b)")
    out = env.from_string("{{ m }}|{{ m|attr }}|{{ m|html }}|{{ m|md }}").render(lang="zh", m=m)
    md, attr, html_, md2 = out.split("|")
    assert "不在显卡目录中" in md and "不在显卡目录中" in attr and "不在显卡目录中" in html_
    assert md == md2 and "<script" not in out and "](javascript" not in md
    assert "&lt;script&gt;" in attr and "&lt;script&gt;" in html_
    en = env.from_string("{{ m }}").render(lang="en", m=m)
    assert "is not in the catalogue" in en and "<script" not in en
