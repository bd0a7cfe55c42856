"""Hostile strings from CSVs go through every page kind and download, harmlessly."""

from __future__ import annotations

import csv
import html.parser
import io
import json
import shutil
from pathlib import Path

import pytest
from site_helpers import FIXTURE, build, html_pages

PAYLOADS = {
    "RTX 4090": "<script>alert(1)</script>",
    "RTX 4070 Ti Super": "[x](javascript:alert(1))",
    "RTX 3090": "</script><!--",
    "RTX 3060 12GB": "a|b",
}
FORMULA = '=HYPERLINK("http://x")'
ALL = [*PAYLOADS.values(), FORMULA]


def _rewrite_csv(path: Path, change) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
        header = list(rows[0].keys()) if rows else []
    for row in rows:
        change(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def hostile_tree(root: Path) -> Path:
    """The fixture data with GPU names, variants, notes and sources replaced by payloads."""
    data = root / "data"
    shutil.copytree(FIXTURE, data)

    def rename(row: dict, *columns: str) -> None:
        for column in columns:
            if row.get(column) in PAYLOADS:
                row[column] = PAYLOADS[row[column]]

    def gpus(row: dict) -> None:
        rename(row, "name")
        row["aliases"] = ""
        row["notes"] = FORMULA + " <img src=x onerror=alert(1)> [y](javascript:alert(2))"

    _rewrite_csv(data / "catalog/gpus.csv", gpus)
    _rewrite_csv(
        data / "catalog/prices.csv",
        lambda row: (rename(row, "card"), row.update(source="</script><!-- | source")),
    )
    for runs in data.glob("benches/*/runs.csv"):

        def run_row(row: dict) -> None:
            rename(row, "gpu_name")
            row["gpu_name_nvml"] = PAYLOADS.get(
                row["gpu_name_nvml"].replace("NVIDIA GeForce ", ""), row["gpu_name_nvml"]
            )
            if row["variant"] == "plain":
                row["variant"] = "plain|<b>x</b>"
            if row["error"]:
                row["error"] = FORMULA
            if row["gpu_name"] == PAYLOADS["RTX 3090"]:
                row["workload"] = "<script>alert(7)</script>|w"  # a heading and a TOC entry

        _rewrite_csv(runs, run_row)
    for probes in data.glob("benches/*/probes.csv"):
        _rewrite_csv(probes, lambda row: (rename(row, "gpu_name"), row.update(detail=FORMULA)))
    for bench in data.glob("benches/*/bench.json"):
        meta = json.loads(bench.read_text(encoding="utf-8"))
        meta["note"] = "<script>alert(3)</script> " + FORMULA
        meta["attention_backend"] = "[z](javascript:alert(4))"
        for gpu in meta["gpus"]:
            gpu["name"] = PAYLOADS.get(gpu["name"], gpu["name"])
            gpu["name_nvml"] = gpu["name"]
        bench.write_text(json.dumps(meta), encoding="utf-8")

    def claim(row: dict) -> None:
        rename(row, "gpu")
        row["source"] = "<script>alert(5)</script> | [s](javascript:alert(6))"
        row["note"] = FORMULA

    _rewrite_csv(data / "reported/claims.csv", claim)
    return data


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    return build(root, hostile_tree(root))


class _Scan(html.parser.HTMLParser):
    """Collects what could execute: script elements, event handlers, unsafe links, table shapes."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self.links: list[str] = []
        self.tables: list[list[int]] = []
        self._row = 0

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}={value}")
            if name in ("href", "src", "action", "formaction") and value:
                self.links.append(value)
        if tag == "script":
            self.scripts.append(dict(attrs).get("src") or "inline")
        if tag == "table":
            self.tables.append([])
        if tag == "tr" and self.tables:
            self.tables[-1].append(0)
        if tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1] += int(dict(attrs).get("colspan") or 1)  # a details row spans all


def _content(page: str) -> str:
    start = page.index('<article class="md-content__inner')
    return page[start : page.index("</article>", start)]


def test_build_succeeds_and_every_page_kind_has_the_payloads(hostile_site):
    pages = html_pages(hostile_site.root)
    kinds = {
        "",
        "tiers/",
        "results/",
        "gpus/",
        "pitfalls/",
        "power/",
        "cooling/",
        "motherboard/",
        "roi/",
        "fact-check/",
        "methodology/",
    }
    for prefix in ("", "en/"):
        for kind in kinds:
            assert f"{prefix}{kind}index.html" in pages
    gpu_pages = [p for p in pages if p.startswith("gpus/") and p != "gpus/index.html"]
    assert len(gpu_pages) == 4
    results = _content(pages["results/index.html"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in results


@pytest.mark.parametrize("prefix", ["", "en/"])
def test_no_executable_markup_and_no_broken_tables(hostile_site, prefix):
    for rel, page in html_pages(hostile_site.root).items():
        if not rel.startswith(prefix) or (prefix == "" and rel.startswith("en/")):
            continue
        content = _content(page)
        scan = _Scan()
        scan.feed(content)
        assert scan.scripts == [], rel
        assert scan.handlers == [], rel
        for link in scan.links:
            scheme = link.split(":", 1)[0].lower() if ":" in link.split("/", 1)[0] else ""
            assert scheme in ("", "http", "https"), (rel, link)
        for table in scan.tables:
            assert len(set(table)) <= 1, (rel, table)  # every row as wide as the header
        for payload in ("<script>alert", "</script><!--", "<img src=x", "<b>x</b>"):
            assert payload not in content, (rel, payload)
        assert "javascript:alert" not in "".join(scan.links), rel
        # the whole page, outside the article too (title, nav, meta)
        assert "<script>alert" not in page, rel


def test_chart_json_carries_escaped_labels(hostile_site):
    for path in (hostile_site.root / "assets/guide/charts").glob("*.json"):
        text = path.read_text(encoding="utf-8")
        json.loads(text)
        assert "<script>" not in text and "</script>" not in text, path


def test_downloads_neutralise_formulas_and_keep_numbers(hostile_site):
    downloads = hostile_site.root / "downloads"
    names = {p.name for p in downloads.glob("*.csv")}
    assert names == {
        "results.csv",
        "runs.csv",
        "probes.csv",
        "reported.csv",
        "reported_runs.csv",
        "gpus.csv",
        "prices.csv",
        "tiers.csv",
    }
    seen_formula = 0
    for path in downloads.glob("*.csv"):
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
        for row in rows:
            for column, cell in row.items():
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, column, cell)
                if cell.startswith("-"):
                    float(cell)  # only numbers may start with '-'
                if cell == "'" + FORMULA:
                    seen_formula += 1
    assert seen_formula >= 3
    runs = list(csv.DictReader((downloads / "runs.csv").open(encoding="utf-8", newline="")))
    timed = [r for r in runs if r["phase"] == "timed"]
    assert timed and all(float(r["total_s"]) > 0 for r in timed)  # numbers stay numbers
    assert all(r["weights"] != "tiny" for r in runs)
