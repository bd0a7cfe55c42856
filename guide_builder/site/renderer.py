"""The Renderer: one Jinja2 environment turning a Dataset and its Analysis into pages.

Output per language: ``{relative .md path: Markdown}``, chart JSON files and a
nav; plus language-independent files (CSV downloads; scripts and plotly.js: ``assets``).
Templates live in ``guide_builder/site/templates``; a user folder given as
``templates_dir`` is searched first, so a single template can be overridden.

Every ``{{ expression }}`` in a template is escaped as literal Markdown text by
the environment's ``finalize`` unless a filter already returned ``Markup``:
safe by default, because most strings come from CSVs. The analysis's prose is
language-neutral (:class:`~guide_builder.messages.Message`): ``finalize`` and the
escaping filters render it in the page's language first, then escape the text,
CSV-derived parameters (GPU names, sources) included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from guide_builder.analysis.results import Analysis
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, render
from guide_builder.site.assets import static_files
from guide_builder.site.charts import ChartFiles
from guide_builder.site.downloads import downloads
from guide_builder.site.escape import html_attr, html_text, json_attr, markdown_text, title_meta
from guide_builder.site.format import Formatter
from guide_builder.site.i18n import DEFAULT_LANGUAGES, Catalogue
from guide_builder.site.links import PageLinks, page_url
from guide_builder.site.pieces import Pieces
from guide_builder.site.views import SiteView, build_view

PACKAGE_TEMPLATES = Path(str(resources.files("guide_builder.site") / "templates"))

# Pages in nav order by template name; source path and nav title key follow from it.
_PAGE_NAMES = (
    "home", "tiers", "results", "compare", "gpus", "pitfalls", "power", "cooling",
    "motherboard", "storage", "roi", "fact_check", "methodology",
)  # fmt: skip
_SOURCES = {"home": "index.md", "gpus": "gpus/index.md", "fact_check": "fact-check.md"}
# (source path, template, nav title key); GPU pages are added per GPU.
PAGES: tuple[tuple[str, str, str], ...] = tuple(
    (_SOURCES.get(name, f"{name}.md"), f"{name}.md.j2", f"nav.{name}") for name in _PAGE_NAMES
)


@dataclass
class LanguageOutput:
    """One language's pages, chart JSON files and nav."""

    lang: str
    pages: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # site path -> text (chart JSON)
    nav: list[dict[str, Any]] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)  # pages reachable by links, not in the nav


@dataclass
class Rendered:
    """Everything one render produced."""

    languages: dict[str, LanguageOutput]
    shared: dict[str, str]  # site path -> text (CSV downloads), at the site's root
    default_language: str

    def site_prefix(self, lang: str) -> str:
        """Where a language's build lives in the site: "" for the default, "en/" otherwise."""
        return "" if lang == self.default_language else f"{lang}/"


class Renderer:
    """Owns the Jinja2 environment; `render` is a pure function of (dataset, analysis)."""

    def __init__(
        self,
        languages: tuple[str, ...] = DEFAULT_LANGUAGES,
        templates_dir: Path | str | None = None,
        directory_urls: bool = True,
    ):
        self.languages = tuple(languages)
        self.directory_urls = directory_urls
        loaders: list[jinja2.BaseLoader] = []
        if templates_dir:
            loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
        loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,  # output is Markdown: finalize escapes for Markdown instead
            finalize=_finalize,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(
            attr=_localised(html_attr),  # inside a raw-HTML attribute
            html=_localised(html_text),  # inside a raw-HTML element
            json_attr=json_attr,  # JSON inside a data- attribute
            md=_localised(markdown_text),
            title_meta=_localised(title_meta),  # YAML front matter title
        )

    # ------------------------------------------------------------------
    def render(self, dataset: Dataset, analysis: Analysis) -> Rendered:
        """Pages and files for every language."""
        view = build_view(dataset, analysis)
        shared = {
            f"downloads/{name}": text
            for name, text in downloads(dataset, view.all_results, analysis).items()
        }
        default = self.languages[0]
        out = Rendered({}, shared, default)
        for lang in self.languages:
            out.languages[lang] = self._language(view, lang, out)
        return out

    def _language(self, view: SiteView, lang: str, rendered: Rendered) -> LanguageOutput:
        fmt = Formatter(lang)
        output = LanguageOutput(lang)
        root = "" if lang == rendered.default_language else "../"
        pages = [(src, template, fmt.t(key), {}) for src, template, key in PAGES]
        pages += [(gpu.src, "gpu.md.j2", None, {"gpu": gpu}) for gpu in view.gpus.values()]
        gpu_pages = view.gpu_pages()
        for src, template, title, extra in pages:
            links = PageLinks(src, self.directory_urls, root, gpu_pages)
            output.pages[src] = self._page(view, fmt, output, links, template, rendered, extra)
            if title is None:
                output.hidden.add(src)
            else:
                output.nav.append({title: src})
        return output

    def _page(
        self,
        view: SiteView,
        fmt: Formatter,
        output: LanguageOutput,
        links: PageLinks,
        template: str,
        rendered: Rendered,
        extra: dict[str, Any],
    ) -> str:
        src = links.src
        other = [
            (
                lang,
                Catalogue(lang).t("language_name"),
                links.url(
                    _other_root(fmt.lang, lang, rendered) + page_url(src, self.directory_urls)
                ),
            )
            for lang in self.languages
            if lang != fmt.lang
        ]
        context = {
            "t": fmt.t,
            "f": fmt,  # numbers, prices, evidence words, dates in the page's language
            "p": Pieces(fmt, links, view, output.files),
            "charts": ChartFiles(links, output.files),
            "links": links,
            "view": view,
            "analysis": view.analysis,
            "config": view.analysis.config,
            "lang": fmt.lang,
            "other_languages": other,
            "src": src,
            "ref": view.reference_workload,
            **extra,
        }
        return self.env.get_template(template).render(context)

    def write(self, rendered: Rendered, out: Path) -> list[Path]:
        """Write pages and files in the site's layout (default language at the root)."""
        written: list[Path] = []

        def put(path: Path, content: str | bytes) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            written.append(path)

        for lang, output in rendered.languages.items():
            base = out / rendered.site_prefix(lang)
            for src, text in {**output.pages, **output.files}.items():
                put(base / src, text)
        for path, text in rendered.shared.items():
            put(out / path, text)
        for path, source in static_files().items():
            put(out / path, source.read_bytes())
        return written


def _in_language(context: jinja2.runtime.Context, value: Any) -> Any:
    """A Message as text in the page's language (English where a template has no `lang`)."""
    if isinstance(value, Message):
        return render(value, context.get("lang") or "en")
    return value


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> Markup:
    """Every expression: a Message rendered in the page's language, then escaped."""
    return markdown_text(_in_language(context, value))


def _localised(escape: Callable[[Any], Markup]) -> Callable[..., Markup]:
    """An escaping filter that renders a Message in the page's language before escaping."""

    @jinja2.pass_context
    def filter_(context: jinja2.runtime.Context, value: Any) -> Markup:
        return escape(_in_language(context, value))

    filter_.__name__ = escape.__name__
    filter_.__doc__ = escape.__doc__
    return filter_


def _other_root(current: str, other: str, rendered: Rendered) -> str:
    """Site path prefix of `other`'s build as seen from `current`'s build root."""
    up = "" if current == rendered.default_language else "../"
    return up + rendered.site_prefix(other)
