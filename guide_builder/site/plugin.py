"""The MkDocs plugin: a thin adapter from MkDocs events to `render_site` and the Renderer.

One language per MkDocs build. The default language (the first of
``languages``) is the build the user starts; after it, ``on_post_build``
starts one more build per other language into ``site_dir/<lang>/`` with
``theme.language`` set to it, reusing the pages already rendered. Why not
mkdocs-static-i18n (it cannot handle generated pages) or per-language
prefixed pages in one build (``<html lang>``, the theme's strings and the
search language would stay Chinese on English pages): see the methodology
page, "Two languages".

Under ``mkdocs serve`` every change rebuilds the site; another language's
build is reused (copied back into the cleaned site folder) when none of its
inputs changed: its rendered pages, docs/, mkdocs.yml and the theme overrides.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel

from guide_builder.errors import GuideError
from guide_builder.site.assets import PLOTLY_JS, SCRIPTS, STYLESHEETS, static_files
from guide_builder.site.build import SiteOptions, render_site
from guide_builder.site.i18n import Catalogue
from guide_builder.site.renderer import Rendered

log = get_plugin_logger(__name__)

# Set while this plugin runs a second build for another language: (language, pages already rendered).
_NESTED: contextvars.ContextVar[tuple[str, Rendered] | None] = contextvars.ContextVar(
    "guide_builder_nested", default=None
)


class GuideBuilderConfig(base.Config):
    """Options of the `guide-builder` plugin in mkdocs.yml."""

    enabled = c.Type(bool, default=True)
    """Generate the guide's pages; false leaves the site to docs/ alone (e.g. `!ENV`)."""

    data_dir = c.Type(str, default="measurements")
    """Measurements root (benches/, catalog/, reported/), relative to mkdocs.yml."""

    catalog = c.Optional(c.Type(str))
    """Catalogue folder when it is not `<data>/catalog` (relative to mkdocs.yml)."""

    templates_dir = c.Optional(c.Type(str))
    """Folder of templates searched before the package's own: override one page's template."""

    analysis = c.Type(dict, default={})
    """The analysis's assumptions (budget bands, ROI, PSU...), validated by AnalysisConfig."""

    languages = c.ListOfItems(c.Choice(("zh", "en")), default=["zh", "en"])
    """Languages to build; the first is the default, built at the site's root."""

    other_languages = c.Type(bool, default=True)
    """Build the other languages into site_dir/<lang>/ after the default one."""


class GuideBuilderPlugin(BasePlugin[GuideBuilderConfig]):
    """Generates the guide's pages from measurements at build time."""

    def __init__(self) -> None:
        self.lang = ""
        self.rendered: Rendered | None = None
        self.command = "build"
        # under `mkdocs serve`: language -> (fingerprint of its inputs, its last build)
        self.other_builds: dict[str, tuple[str, Path]] = {}
        self.cache_dir: Path | None = None

    # Defining on_startup keeps this instance across `mkdocs serve` rebuilds (MkDocs
    # caches such plugins), which is what lets another language's build be reused.
    # The nested build of another language gets this same instance: it must leave
    # the outer build's state alone.
    def on_startup(self, *, command: str, dirty: bool) -> None:
        if _NESTED.get() is None:
            self.command = command

    def on_shutdown(self) -> None:
        if _NESTED.get() is None and self.cache_dir is not None:
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            self.cache_dir, self.other_builds = None, {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            return config
        nested = _NESTED.get()
        languages = tuple(self.config.languages)
        if not languages:
            raise PluginError("guide-builder: 'languages' needs at least one language")
        if nested is not None:
            self.lang, self.rendered = nested
        else:
            self.lang = languages[0]
            try:
                self.rendered = render_site(self._options(config), log=log)
            except GuideError as exc:
                raise PluginError(f"guide-builder: {exc}") from None
        config.theme["language"] = self.lang
        if nested is not None:
            # mkdocs.yml names the site in the default language; the others take their catalogue's.
            config.site_name = Catalogue(self.lang).t("site_name")
        output = self.rendered.languages[self.lang]
        if not config.nav:
            config.nav = output.nav
        # Shared files (plotly.js, scripts, downloads) live once, at the default build's root.
        up = "" if self.lang == self.rendered.default_language else "../"
        config.extra_javascript.extend(up + s for s in SCRIPTS)
        config.extra_css.extend(up + s for s in STYLESHEETS)
        if not config.extra.get("alternate") and len(languages) > 1:
            config.extra["alternate"] = [
                {
                    "name": _language_name(lang),
                    "link": up + self.rendered.site_prefix(lang) or "./",
                    "lang": lang,
                }
                for lang in languages
            ]
        return config

    def _options(self, config: MkDocsConfig) -> SiteOptions:
        here = Path(config.config_file_path or ".").resolve().parent
        return SiteOptions(
            data=here / self.config.data_dir,
            catalog=here / self.config.catalog if self.config.catalog else None,
            templates_dir=here / self.config.templates_dir if self.config.templates_dir else None,
            analysis=dict(self.config.analysis),
            languages=tuple(self.config.languages),
            directory_urls=config.use_directory_urls,
        )

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        assert self.rendered is not None
        output = self.rendered.languages[self.lang]
        generated: dict[str, str | bytes | Path] = {**output.pages, **output.files}
        if self.lang == self.rendered.default_language:
            generated.update(self.rendered.shared)
            generated.update(static_files())
        for src_uri, content in generated.items():
            if files.get_file_from_path(src_uri) is not None:
                # A hand-written page in docs/ wins: it is how a user replaces one generated page.
                log.info("docs/%s replaces the generated page of the same name", src_uri)
                continue
            # GPU pages are listed on gpus/index.md, not in the nav: with 200 cards the nav
            # would repeat on, and bloat, every page.
            inclusion = (
                InclusionLevel.NOT_IN_NAV if src_uri in output.hidden else InclusionLevel.UNDEFINED
            )
            if isinstance(content, Path):
                file = File.generated(
                    config, src_uri, abs_src_path=str(content), inclusion=inclusion
                )
            else:
                file = File.generated(config, src_uri, content=content, inclusion=inclusion)
            files.append(file)
        return files

    def on_post_page(self, output: str, *, page: Any, config: MkDocsConfig) -> str:
        """Pages with a chart load plotly.js (deferred) in <head>; the others never do."""
        if 'class="gb-chart' not in output:
            return output
        assert self.rendered is not None
        up = "" if self.lang == self.rendered.default_language else "../"
        src = "../" * (page.url or "").count("/") + up + PLOTLY_JS
        tag = f'<script defer src="{src}" data-gb-plotly></script>'
        return output.replace("</head>", tag + "</head>", 1)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled or _NESTED.get() is not None:
            return
        assert self.rendered is not None
        if not self.config.other_languages:
            return
        rendered, lang = self.rendered, self.lang
        try:
            for other in rendered.languages:
                if other != rendered.default_language:
                    self._build_other(config, other, rendered)
        finally:
            self.lang, self.rendered = lang, rendered  # the nested build shares this instance

    def _build_other(self, config: MkDocsConfig, lang: str, rendered: Rendered) -> None:
        target = Path(config.site_dir) / lang
        if self.command != "serve":
            _build_language(config, lang, rendered, target)
            return
        fingerprint = _fingerprint(config, rendered, lang)
        known = self.other_builds.get(lang)
        if known is None or known[0] != fingerprint or not known[1].is_dir():
            if self.cache_dir is None:
                self.cache_dir = Path(tempfile.mkdtemp(prefix="guide-builder-serve-"))
            cached = self.cache_dir / lang
            shutil.rmtree(cached, ignore_errors=True)
            self.other_builds.pop(lang, None)
            _build_language(config, lang, rendered, cached)
            self.other_builds[lang] = (fingerprint, cached)
        else:
            log.info("the '%s' pages' inputs are unchanged: reusing their last build", lang)
        shutil.copytree(self.other_builds[lang][1], target, dirs_exist_ok=True)


def _language_name(lang: str) -> str:
    return Catalogue(lang).t("language_name")


def _fingerprint(config: MkDocsConfig, rendered: Rendered, lang: str) -> str:
    """A hash of everything another language's build reads besides MkDocs itself."""
    output = rendered.languages[lang]
    digest = hashlib.sha256()
    content = [output.pages, output.files, output.nav, sorted(output.hidden)]
    digest.update(json.dumps(content, sort_keys=True, default=str).encode())
    digest.update(str((config.site_url, config.use_directory_urls, config.strict)).encode())
    if config.config_file_path and os.path.isfile(config.config_file_path):
        digest.update(Path(config.config_file_path).read_bytes())
    folders = [config.docs_dir, config.theme.custom_dir]
    for folder in filter(None, folders):
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _build_language(config: MkDocsConfig, lang: str, rendered: Rendered, site_dir: Path) -> None:
    """A full second MkDocs build of the same mkdocs.yml for one more language."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    if not config.config_file_path:
        raise PluginError("guide-builder: building other languages needs mkdocs.yml on disk")
    overrides: dict[str, Any] = {
        "site_dir": str(site_dir),
        "docs_dir": config.docs_dir,
        "strict": config.strict,
        "use_directory_urls": config.use_directory_urls,
    }
    if config.site_url:
        overrides["site_url"] = config.site_url.rstrip("/") + f"/{lang}/"
    log.info("building the '%s' pages into %s", lang, overrides["site_dir"])
    token = _NESTED.set((lang, rendered))
    try:
        sub = load_config(config_file=config.config_file_path, **overrides)
        sub.plugins.on_startup(command="build", dirty=False)
        try:
            build(sub)
        finally:
            sub.plugins.on_shutdown()
    finally:
        _NESTED.reset(token)
