"""From options to rendered pages: load, analyse, render. Shared by the plugin and `render`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from guide_builder.analysis import analyse
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.dataset import load_dataset
from guide_builder.errors import GuideError
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
    """The plugin's `analysis:` mapping as an AnalysisConfig, or a GuideError naming the bad keys."""
    try:
        return AnalysisConfig(**(values or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"analysis.{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}"
            for e in exc.errors()
        )
        raise GuideError(f"invalid 'analysis' options: {problems}") from None


def render_site(
    options: SiteOptions, log: logging.Logger | logging.LoggerAdapter | None = None
) -> Rendered:
    """Load the measurements, run the analysis and render every language.

    Bad input or options raise `GuideError` (a `DataError` lists every problem).
    """
    log = log or logging.getLogger(__name__)
    if not options.languages:
        raise GuideError("'languages' needs at least one language")
    config = analysis_config(options.analysis)
    start = time.monotonic()
    dataset = load_dataset(options.data, catalog=options.catalog)
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
    """The plugin's options in mkdocs.yml (for `guide-builder render --config`).

    The file is read by MkDocs' own loader (``INHERIT``, ``!ENV``, ``!relative``)
    and the options are validated by the plugin's config class, so a bad option
    gets the same message as in ``mkdocs build``, as a `GuideError`.
    """
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.exceptions import ConfigurationError
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    from guide_builder.site.plugin import GuideBuilderConfig

    try:
        with path.open("rb") as fd:
            data = yaml_load(fd, get_yaml_loader(config=MkDocsConfig(str(path))))
    except (OSError, ConfigurationError) as exc:
        lines = (line.strip() for line in str(exc).splitlines())
        raise GuideError(f"{path}: {'; '.join(filter(None, lines))}") from None
    if not isinstance(data, dict):
        raise GuideError(f"{path}: not a mapping of MkDocs settings")
    plugins = data.get("plugins") or []
    entries = plugins.items() if isinstance(plugins, dict) else _plugin_entries(plugins)
    values: dict[str, Any] | None = None
    for name, entry_options in entries:
        if name == "guide-builder":
            values = entry_options or {}
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise GuideError(f"{path}: the guide-builder plugin's options must be a mapping")
    options = GuideBuilderConfig(config_file_path=str(path))
    options.load_dict(values)
    errors, warnings = options.validate()
    if data.get("strict"):  # as `mkdocs build` does: an unknown option is then an error
        errors += warnings
    if errors:
        raise GuideError(
            f"{path}: "
            + "; ".join(f"guide-builder option '{key}': {error}" for key, error in errors)
        )
    here = path.resolve().parent
    site = SiteOptions(
        data=here / options.data_dir,
        catalog=here / options.catalog if options.catalog else None,
        templates_dir=here / options.templates_dir if options.templates_dir else None,
        analysis=dict(options.analysis),
        languages=tuple(options.languages),
        directory_urls=data.get("use_directory_urls", True) is not False,
    )
    for key, value in overrides.items():
        if value is not None:
            setattr(site, key, value)
    return site


def _plugin_entries(plugins: list[Any]) -> list[tuple[str, Any]]:
    """(name, options) of each entry of a `plugins:` list (a name, or a one-key mapping)."""
    entries: list[tuple[str, Any]] = []
    for item in plugins:
        if isinstance(item, str):
            entries.append((item, {}))
        elif isinstance(item, dict):
            entries.extend(item.items())
    return entries
