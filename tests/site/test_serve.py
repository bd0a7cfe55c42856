"""`mkdocs serve` serves both languages, and rebuilds the second only when its inputs change."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from site_helpers import FIXTURE, site_config

pytestmark = pytest.mark.slow

STARTUP_S = 300  # two builds of the fixture site on a busy 2-core box
REBUILD_S = 120
REUSED = "the 'en' pages' inputs are unchanged: reusing their last build"
BUILT = "building the 'en' pages"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def wait_for(condition, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds} s; server log:\n{log.read_text(errors='replace')}")


def test_serve_serves_both_languages_and_reuses_the_second(tmp_path: Path) -> None:
    config = site_config(tmp_path, FIXTURE)
    extra = tmp_path / "watched"  # watched, but no input of the English build
    extra.mkdir()
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["watch"].append(str(extra))
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tmp_path / "serve.log"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=env,
        )
    try:

        def page(path: str, lang: str):
            status, html = fetch(base + path)
            return html if status == 200 and f'<html lang="{lang}"' in html else None

        wait_for(lambda: page("", "zh"), STARTUP_S, "no Chinese home page", log)
        home_en = wait_for(lambda: page("en/", "en"), 30, "no English home page", log)
        assert "RTX 4090" in home_en
        assert page("en/results/", "en") and page("results/", "zh")
        assert log.read_text().count(BUILT) == 1

        # a rebuild that changes nothing the English build reads reuses it
        (extra / "note.txt").write_text("touched", encoding="utf-8")
        wait_for(lambda: REUSED in log.read_text(), REBUILD_S, "no reuse of the 'en' build", log)
        wait_for(lambda: page("en/", "en"), 30, "English pages gone after the rebuild", log)
        assert log.read_text().count(BUILT) == 1

        # a new page in docs/ is an input of both languages: the English build reruns
        (tmp_path / "docs" / "about.md").write_text("# About\n", encoding="utf-8")
        wait_for(lambda: log.read_text().count(BUILT) == 2, REBUILD_S, "no 'en' rebuild", log)
        wait_for(lambda: page("en/about/", "en"), 60, "no English copy of the new page", log)
        assert "Traceback" not in log.read_text()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
