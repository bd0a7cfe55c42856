"""Bytes on the wire and time to the first chart, per page kind, on an emulated Fast 3G link.

Builds the guide (or takes a built site), serves it on 127.0.0.1 with gzip as
any static host does, and opens each kind of page in headless Chromium (the
system's `chromium`; never a downloaded browser) with a fresh cache under
Chrome DevTools' "Fast 3G" profile: 1.6 Mbps down, 750 kbps up, 150 ms latency.

    python benchmarks/page_weight.py                 # builds measurements/ into a temp dir
    python benchmarks/page_weight.py --site site/    # an existing build (site_url must be "")

Budget (DESIGN.md): home page first visit <= 450 KB on the wire, first chart
<= 4 s; chart-free pages request no plotly.js.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAST_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6e6 / 8,  # bytes per second
    "uploadThroughput": 750e3 / 8,
}
PAGES = {  # kind -> path
    "home": "",
    "results": "results/",
    "gpu": None,  # the first GPU page found
    "compare": "compare/?gpus=",
    "fact-check": "fact-check/",
    "power (chart-free)": "power/",
    "home (en)": "en/",
}
COMPRESSIBLE = (".html", ".js", ".css", ".json", ".csv", ".svg", ".txt", ".xml")
BUDGET_HOME_KB = 450
BUDGET_CHART_S = 4.0


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzipped when the client accepts it (as nginx's gzip_static would)."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)


def build_site(out: Path) -> Path:
    site = out / "site"
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return site


def measure(site: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    handler = lambda *a, **k: GzipHandler(*a, directory=str(site), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    gpu_pages = sorted(p for p in (site / "gpus").glob("*/index.html"))
    pages = dict(PAGES)
    pages["gpu"] = gpu_pages[0].parent.relative_to(site).as_posix() + "/" if gpu_pages else None
    if pages["compare"] and gpu_pages:
        pages["compare"] += ",".join(p.parent.name for p in gpu_pages[:2])
    rows = []
    chromium = shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for kind, path in pages.items():
            if path is None:
                continue
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", FAST_3G)
            wire = {"bytes": 0}
            urls: list[str] = []
            by_id: dict[str, str] = {}
            sizes: dict[str, int] = {}

            def finished(e, w=wire, s=sizes, ids=by_id):
                w["bytes"] += e["encodedDataLength"]
                s[ids.get(e["requestId"], "?")] = e["encodedDataLength"]

            def sent(e, u=urls, ids=by_id):
                u.append(e["request"]["url"])
                ids[e["requestId"]] = e["request"]["url"]

            cdp.on("Network.loadingFinished", finished)
            cdp.on("Network.requestWillBeSent", sent)
            start = time.monotonic()
            page.goto(base + path, wait_until="domcontentloaded", timeout=120_000)
            # a plotly chart is drawn when its SVG exists; the home page's static SVG on arrival
            has_chart = page.locator(
                ".gb-chart[data-src], .gb-compare-chart, .gb-svg-chart"
            ).count()
            first_chart = None
            if has_chart:
                page.wait_for_selector(".gb-chart .main-svg, .gb-svg-chart", timeout=120_000)
                first_chart = time.monotonic() - start
            page.wait_for_load_state("load", timeout=120_000)
            page.wait_for_timeout(1500)  # late requests (search index) count towards the visit
            rows.append(
                {
                    "kind": kind,
                    "path": path,
                    "kb": wire["bytes"] / 1024,
                    "first_chart_s": first_chart,
                    "plotly": any("plotly" in u for u in urls),
                    "requests": len(urls),
                    "sizes": {u[len(base) :]: b for u, b in sizes.items()},
                }
            )
            context.close()
        browser.close()
    server.shutdown()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build measurements/)")
    parser.add_argument("--verbose", action="store_true", help="list every request's bytes")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site or build_site(Path(tmp))
        rows = measure(site)
    print(f"{'page kind':<20} {'KB on wire':>10} {'first chart':>12} {'plotly':>7} {'requests':>9}")
    ok = True
    for r in rows:
        chart = f"{r['first_chart_s']:.2f} s" if r["first_chart_s"] is not None else "—"
        print(
            f"{r['kind']:<20} {r['kb']:>10.0f} {chart:>12} {'yes' if r['plotly'] else 'no':>7} {r['requests']:>9}"
        )
        if args.verbose:
            for url, size in sorted(r["sizes"].items(), key=lambda kv: -kv[1]):
                print(f"    {size / 1024:8.1f} KB  {url}")
        if r["kind"] == "home":
            ok &= r["kb"] <= BUDGET_HOME_KB
        if r["first_chart_s"] is not None:
            ok &= r["first_chart_s"] <= BUDGET_CHART_S
        if r["first_chart_s"] is None and "chart-free" in r["kind"]:
            ok &= not r["plotly"]
    print(
        f"budget: home <= {BUDGET_HOME_KB} KB, first chart <= {BUDGET_CHART_S} s, "
        f"chart-free pages without plotly: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
