"""The package's static files (scripts, stylesheet, vendored plotly.js) and where they go in a site."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

STATIC_DIR = Path(str(resources.files("guide_builder.site") / "static"))
ASSETS = "assets/guide"  # where this package's files go in a built site

PLOTLY_JS = f"{ASSETS}/vendor/plotly-basic.min.js"  # loaded only by pages with charts


_SCRIPT_NAMES = ("charts.js", "tablesort.js", "roi.js", "compare.js", "filters.js")


def static_files() -> dict[str, Path]:
    """Site path -> file for the scripts, the stylesheet and the vendored plotly.js bundle."""
    files = {PLOTLY_JS: STATIC_DIR / "vendor" / "plotly-basic.min.js"}
    files[f"{ASSETS}/vendor/plotly.js-LICENSE.txt"] = (
        STATIC_DIR / "vendor" / "plotly.js-LICENSE.txt"
    )
    for name in (*_SCRIPT_NAMES, "guide.css"):
        files[f"{ASSETS}/{name}"] = STATIC_DIR / name
    return files


# Scripts on every page, in load order. plotly.js is not among them: the plugin adds it
# (deferred) to pages with charts, and charts.js loads it on demand after instant navigation.
SCRIPTS = tuple(f"{ASSETS}/{name}" for name in _SCRIPT_NAMES)
STYLESHEETS = (f"{ASSETS}/guide.css",)
