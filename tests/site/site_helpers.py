"""Helpers to build a real site with `mkdocs build --strict` (never -q: quiet mode hides warnings)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "site_data"


@dataclass
class BuiltSite:
    root: Path  # the built site
    config: Path  # the mkdocs.yml used
    log: str  # everything mkdocs printed


def site_config(tmp: Path, data: Path, site_url: str = "", **plugin: object) -> Path:
    """The repository's mkdocs.yml with the data dir (and any plugin option) replaced."""
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(text.replace('!ENV [SITE_URL, ""]', '""'))
    config["site_url"] = site_url
    config["docs_dir"] = str(tmp / "docs")
    config["watch"] = [str(data)]
    (tmp / "docs").mkdir(parents=True, exist_ok=True)
    for entry in config["plugins"]:
        if isinstance(entry, dict) and "guide-builder" in entry:
            entry["guide-builder"]["data_dir"] = str(data)
            entry["guide-builder"].update(plugin)
    path = tmp / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def build(
    tmp: Path, data: Path = FIXTURE, site_url: str = "", check: bool = True, **plugin: object
) -> BuiltSite:
    """Run a real strict build in a subprocess and return the site and its log."""
    config = site_config(tmp, data, site_url, **plugin)
    site = tmp / "site"
    shutil.rmtree(site, ignore_errors=True)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    if check:
        assert proc.returncode == 0, log
        assert "WARNING" not in log and "ERROR" not in log, log
    return BuiltSite(site, config, log)


def html_pages(site: Path) -> dict[str, str]:
    """{site-relative path: HTML} of every page (404 and theme files excluded)."""
    pages = {}
    for path in sorted(site.rglob("index.html")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith(("assets/", "en/assets/", "search/", "en/search/")):
            continue
        pages[rel] = path.read_text(encoding="utf-8")
    return pages
