"""From options to rendered pages: load, analyse, render. Shared by the plugin and `render`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from mkdocs.exceptions import PluginError
from pydantic import ValidationError

from guide_builder.analysis import analyse
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.dataset import DataError, load_dataset
from guide_builder.site.i18n import DEFAULT_LANGUAGES
from guide_builder.site.renderer import Rendered, Renderer


@dataclass
class SiteOptions:
    """What a render needs; the plugin fills it from mkdocs.yml, `render` from the command line."""

    data: Path = Path("measurements")
    catalog: Path | None = None
    templates_dir: Path | None = None
    analysis: dict[str, Any] = field(default_factory=dict)
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    directory_urls: bool = True


def analysis_config(values: dict[str, Any]) -> AnalysisConfig:
    """The plugin's `analysis:` mapping as an AnalysisConfig, or a PluginError naming the bad keys."""
    try:
        return AnalysisConfig(**(values or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"analysis.{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}"
            for e in exc.errors()
        )
        raise PluginError(f"guide-builder: invalid 'analysis' options: {problems}") from None


def render_site(
    options: SiteOptions, log: logging.Logger | logging.LoggerAdapter | None = None
) -> Rendered:
    """Load the measurements, run the analysis and render every language."""
    log = log or logging.getLogger(__name__)
    config = analysis_config(options.analysis)
    start = time.monotonic()
    try:
        dataset = load_dataset(options.data, catalog=options.catalog)
    except DataError as exc:
        raise PluginError(f"guide-builder: {exc}") from None
    for warning in dataset.warnings:
        log.info(warning)
    loaded = time.monotonic()
    analysis = analyse(dataset, config)
    analysed = time.monotonic()
    renderer = Renderer(options.languages, options.templates_dir, options.directory_urls)
    rendered = renderer.render(dataset, analysis)
    done = time.monotonic()
    pages = sum(len(o.pages) for o in rendered.languages.values())
    log.info(
        "rendered %d pages from %d runs in %.2f s (load %.2f s, analyse %.2f s, render %.2f s)",
        pages,
        len(dataset.runs),
        done - start,
        loaded - start,
        analysed - loaded,
        done - analysed,
    )
    return rendered


def options_from_mkdocs_yml(path: Path, **overrides: Any) -> SiteOptions:
    """The plugin's options read from mkdocs.yml (for `guide-builder render --config`)."""
    text = path.read_text(encoding="utf-8")
    # mkdocs.yml may use !!python/name tags (Material's emoji); only plain mappings matter here.
    loader = type("_Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("", lambda _l, _s, _n: None)
    data = yaml.load(text, Loader=loader) or {}
    options: dict[str, Any] = {}
    for plugin in data.get("plugins") or []:
        if isinstance(plugin, dict) and "guide-builder" in plugin:
            options = plugin["guide-builder"] or {}
    here = path.resolve().parent
    site = SiteOptions(
        data=here / options.get("data_dir", "measurements"),
        catalog=here / options["catalog"] if options.get("catalog") else None,
        templates_dir=here / options["templates_dir"] if options.get("templates_dir") else None,
        analysis=options.get("analysis") or {},
        languages=tuple(options.get("languages") or DEFAULT_LANGUAGES),
        directory_urls=bool(data.get("use_directory_urls", True)),
    )
    for key, value in overrides.items():
        if value is not None:
            setattr(site, key, value)
    return site
