"""Chinese pages speak Chinese: no data-born English paragraph outside titles, code, names and units.

Data text readers see (catalogue notes, claim notes) is shown in the page's
language; where a row has no Chinese text yet, the English is shown marked
lang="en" (and `validate` warns about the row). Anything else in Latin script
on a Chinese page is a name, a unit, a source title or code.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from site_helpers import html_pages

# Six or more Latin-script words in a row: a sentence, not a name ("RTX 4090 D") or unit.
ENGLISH_RUN = re.compile(r"(?:[A-Za-z][A-Za-z'’\-]*[\s,.;:()]+){5,}[A-Za-z][A-Za-z'’\-]*")
# Error messages quoted from runs.csv are program output, shown verbatim (like code).
PROGRAM_OUTPUT = re.compile(r"\b(?:CUDA|cuDNN|RuntimeError|OutOfMemoryError|torch)\b[^。；<]*")
SKIPPED = {"code", "pre", "a", "script", "style", "svg", "title", "kbd", "summary"}


class _Text(HTMLParser):
    """Text of the article outside skipped elements and elements marked lang="en"."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: does it skip its text?
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        skip = (
            tag in SKIPPED
            or a.get("lang", "").startswith("en")
            or "gb-source" in (a.get("class") or "")
            or "headerlink" in (a.get("class") or "")
        )
        if tag in ("br", "img", "input", "hr", "meta", "link", "source", "wbr"):
            return
        self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag in ("br", "img", "input", "hr", "meta", "link", "source", "wbr"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.chunks.append(data)


def english_runs(article: str) -> list[str]:
    parser = _Text()
    parser.feed(article)
    text = PROGRAM_OUTPUT.sub(" ", " ".join(" ".join(parser.chunks).split()))
    return [m.group(0) for m in ENGLISH_RUN.finditer(text)]


def _article(html: str) -> str:
    start = html.index("<article")
    return html[start : html.index("</article>", start)]


def test_the_scanner_finds_an_english_paragraph():
    assert english_runs("<p>这张卡 Pulled from official channels after the export rules 很贵</p>")
    assert not english_runs(
        '<p>这张卡 <span lang="en">Pulled from official channels after the rules</span></p>'
    )
    assert not english_runs("<p>RTX 4090 D · 24 GiB · PCIe 4.0 ×16</p>")


def test_no_data_born_english_on_chinese_pages(fixture_site):
    found = {}
    for rel, html in html_pages(fixture_site.root).items():
        if rel.startswith("en/"):
            continue
        runs = english_runs(_article(html))
        if runs:
            found[rel] = runs
    assert found == {}, found


def test_english_fallback_is_marked_on_chinese_pages(tmp_path):
    """A row with English text only shows it on zh pages, marked lang="en"; en pages unmarked."""
    import csv
    import shutil

    from site_helpers import FIXTURE, build

    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    note = "Pulled from official channels after the export rules of 2023"
    for name, column in (("catalog/gpus.csv", "notes"), ("reported/claims.csv", "note")):
        path = data / name
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        rows[0][column] = note
        if f"{column}_zh" in rows[0]:
            rows[0][f"{column}_zh"] = ""  # English only: the case under test
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    site = build(tmp_path, data).root
    zh_pages = {rel: html for rel, html in html_pages(site).items() if not rel.startswith("en/")}
    shown = [rel for rel, html in zh_pages.items() if note in html]
    assert any(r.startswith("gpus/") for r in shown) and "fact-check/index.html" in shown, shown
    for rel in shown:
        assert f'<span lang="en">{note}</span>' in zh_pages[rel], rel
        assert not english_runs(_article(zh_pages[rel])), rel
    en = (site / "en/fact-check/index.html").read_text(encoding="utf-8")
    assert note in en and f'<span lang="en">{note}' not in en


def test_validate_warns_about_a_row_in_one_language_only(tmp_path):
    from guide_builder.bilingual import bilingual_warnings

    path = tmp_path / "prices.csv"
    path.write_text(
        "card,price_cny,note,note_zh\n"
        "RTX 4090,12999,launch price,首发价\n"
        "RTX 3090,11999,launch price,\n"
        "RTX 5080,8299,,仅中文\n"
        "RTX 5090,,,\n",
        encoding="utf-8",
    )
    warnings = bilingual_warnings([path, path])
    assert warnings == [
        f"{path}:3:4: 'note_zh' is empty while 'note' has text; pages in that language show the other one",
        f"{path}:4:3: 'note' is empty while 'note_zh' has text; pages in that language show the other one",
    ]
    (tmp_path / "old.csv").write_text("card,note\nRTX 4090,text\n", encoding="utf-8")
    assert bilingual_warnings([tmp_path / "old.csv"]) == []  # no sibling column: the schema's call
