"""The Renderer: one Jinja2 environment turning a Dataset and its Analysis into pages.

Output per language: ``{relative .md path: Markdown}``, chart JSON files and a
nav; plus language-independent files (CSV downloads, scripts, plotly.js).
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

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from guide_builder.analysis.power import transient_source
from guide_builder.analysis.results import Analysis, Figure
from guide_builder.dataset import Dataset
from guide_builder.messages import Message, render
from guide_builder.site import charts, variants
from guide_builder.site.downloads import downloads
from guide_builder.site.escape import (
    clean_json,
    html_attr,
    html_text,
    json_attr,
    markdown_text,
    safe_url,
    title_meta,
    url_for_markup,
)
from guide_builder.site.format import Formatter
from guide_builder.site.i18n import DEFAULT_LANGUAGES, Catalogue
from guide_builder.site.links import PageLinks, page_url
from guide_builder.site.pieces import Pieces
from guide_builder.site.views import GpuView, SiteView, build_view

PACKAGE_TEMPLATES = Path(str(resources.files("guide_builder.site") / "templates"))
STATIC_DIR = Path(str(resources.files("guide_builder.site") / "static"))
ASSETS = "assets/guide"  # where this package's files go in a built site

# (source path, template, nav title key); GPU pages are added per GPU.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("index.md", "home.md.j2", "nav.home"),
    ("tiers.md", "tiers.md.j2", "nav.tiers"),
    ("results.md", "results.md.j2", "nav.results"),
    ("compare.md", "compare.md.j2", "nav.compare"),
    ("gpus/index.md", "gpus.md.j2", "nav.gpus"),
    ("pitfalls.md", "pitfalls.md.j2", "nav.pitfalls"),
    ("power.md", "power.md.j2", "nav.power"),
    ("cooling.md", "cooling.md.j2", "nav.cooling"),
    ("motherboard.md", "motherboard.md.j2", "nav.motherboard"),
    ("storage.md", "storage.md.j2", "nav.storage"),
    ("roi.md", "roi.md.j2", "nav.roi"),
    ("fact-check.md", "fact_check.md.j2", "nav.fact_check"),
    ("methodology.md", "methodology.md.j2", "nav.methodology"),
)


PLOTLY_JS = f"{ASSETS}/vendor/plotly-basic.min.js"  # loaded only by pages with charts


def static_files() -> dict[str, Path]:
    """Site path -> file for the scripts, the stylesheet and the vendored plotly.js bundle."""
    files = {PLOTLY_JS: STATIC_DIR / "vendor" / "plotly-basic.min.js"}
    files[f"{ASSETS}/vendor/plotly.js-LICENSE.txt"] = (
        STATIC_DIR / "vendor" / "plotly.js-LICENSE.txt"
    )
    for name in ("charts.js", "tablesort.js", "roi.js", "compare.js", "filters.js", "guide.css"):
        files[f"{ASSETS}/{name}"] = STATIC_DIR / name
    return files


# Scripts on every page, in load order. plotly.js is not among them: the plugin adds it
# (deferred) to pages with charts, and charts.js loads it on demand after instant navigation.
SCRIPTS = (
    f"{ASSETS}/charts.js",
    f"{ASSETS}/tablesort.js",
    f"{ASSETS}/roi.js",
    f"{ASSETS}/compare.js",
    f"{ASSETS}/filters.js",
)
STYLESHEETS = (f"{ASSETS}/guide.css",)


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
        cat = Catalogue(lang)
        output = LanguageOutput(lang)
        root = "" if lang == rendered.default_language else "../"
        for src, template, title_key in PAGES:
            output.pages[src] = self._page(view, cat, output, src, template, root, rendered)
            output.nav.append({cat.t(title_key): src})
        for gpu in view.gpus.values():
            output.pages[gpu.src] = self._page(
                view, cat, output, gpu.src, "gpu.md.j2", root, rendered, gpu=gpu
            )
            output.hidden.add(gpu.src)
        return output

    def _page(
        self,
        view: SiteView,
        cat: Catalogue,
        output: LanguageOutput,
        src: str,
        template: str,
        root: str,
        rendered: Rendered,
        **extra: Any,
    ) -> str:
        links = PageLinks(src, self.directory_urls, root)
        helpers = _Helpers(cat, links, output, src, view)
        other = [
            (
                lang,
                Catalogue(lang).t("language_name"),
                links.url(
                    _other_root(cat.lang, lang, rendered) + page_url(src, self.directory_urls)
                ),
            )
            for lang in self.languages
            if lang != cat.lang
        ]
        context = {
            "t": cat.t,
            "f": cat,
            "h": helpers,
            "p": Pieces(Formatter(cat.lang), links, view, output.files),
            "links": links,
            "view": view,
            "analysis": view.analysis,
            "config": view.analysis.config,
            "lang": cat.lang,
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


class _Helpers:
    """Per-page helpers for templates: links, charts, evidence words, tables."""

    def __init__(
        self, cat: Catalogue, links: PageLinks, output: LanguageOutput, src: str, view: SiteView
    ):
        self.cat = cat
        self.links = links
        self.output = output
        self.src = src
        self.view = view

    # links -------------------------------------------------------------
    def gpu_link(self, name: str) -> Markup:
        """A Markdown link to a GPU's page (plain text when it has none)."""
        gpu = self.view.gpus.get(name)
        if gpu is None:
            return markdown_text(name)
        return Markup(f"[{markdown_text(name)}]({self.links.md(gpu.src)})")

    def gpu_href(self, name: str) -> str | None:
        gpu = self.view.gpus.get(name)
        return self.links.page(gpu.src) if gpu else None

    def page(self, src: str) -> Markup:
        """A Markdown link target to another generated page (slugs: nothing to escape)."""
        return Markup(self.links.md(src))

    def ext_link(self, text: Any, url: Any) -> Markup:
        """A Markdown link only for http(s) URLs; anything else stays plain text."""
        safe = safe_url(url)
        if safe is None:
            return markdown_text(text)
        return Markup(f"[{markdown_text(text)}]({url_for_markup(safe)})")

    def source(self, title: Any, url: Any = "") -> Markup:
        return self.ext_link(title or url, url) if safe_url(url) else markdown_text(title)

    # figures -----------------------------------------------------------
    def evidence(self, fig: Figure | None) -> str:
        return self.cat.evidence(fig)

    def fig(self, fig: Figure | None, digits: int = 1) -> Markup:
        """Value with unit and its evidence level in words, as Markdown."""
        if fig is None or fig.value is None:
            return Markup("—")
        return Markup(
            f"{markdown_text(self.cat.figure(fig, digits))} "
            f'<small class="gb-evidence">{markdown_text(self.cat.evidence(fig))}</small>'
        )

    def fig_short(self, fig: Figure | None, digits: int = 1) -> Markup:
        """Value with its evidence level in one word; the full provenance in a tooltip.

        For the short answer (the home page), where the estimate model in words
        would drown the table; the tiers and results pages carry it in full.
        """
        if fig is None or fig.value is None:
            return Markup("—")
        level = self.cat.t("evidence." + fig.evidence)
        return Markup(
            f"{markdown_text(self.cat.figure(fig, digits))} "
            f'<small class="gb-evidence" title="{html_attr(self.cat.evidence(fig))}">'
            f"{markdown_text(level)}</small>"
        )

    def transient_source(self, config: Any) -> str:
        """The PSU transient factor's source, in this page's language."""
        return self.cat.text(transient_source(config))

    def short_price(self, fig: Figure | None, gpu: str) -> str:
        """¥ price / US MSRP, for wide tables."""
        text = self.cat.cny(fig.value if fig else None)
        usd = self.view.gpus[gpu].spec.get("msrp_usd") if gpu in self.view.gpus else None
        return f"{text} / ${usd:,.0f}" if fig and usd is not None else text

    def roi_data(self, model: dict[str, Any]) -> dict[str, Any]:
        """What the calculator needs from roi_model (its formula text is shown on the page)."""
        return {k: model.get(k) for k in ("parameters", "baseline", "cards")}

    def more_variants(self, r: Any) -> int:
        return self.view.more_variants.get((r.gpu, r.workload), 0)

    def price(self, fig: Figure | None, gpu: str | None = None) -> str:
        usd = None
        if gpu and gpu in self.view.gpus:
            usd = self.view.gpus[gpu].spec.get("msrp_usd")
        return self.cat.cny(fig.value if fig else None, usd)

    def grade(self, grade: str) -> Markup:
        return Markup(
            f'<span class="gb-grade gb-grade-{html_attr(grade)}">{markdown_text(self.cat.t("grade." + grade))}</span>'
        )

    # charts ------------------------------------------------------------
    def chart(self, name: str, spec: dict[str, Any], height: int = 420) -> Markup:
        """Write the chart's JSON file and return its (empty, data-only) container."""
        path = f"{ASSETS}/charts/{name}.json"
        self.output.files[path] = json.dumps(
            clean_json(spec), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
        return Markup(
            f'<div class="gb-chart" data-src="{html_attr(self.links.url(path))}" '
            f'style="min-height:{int(height)}px" data-search-exclude></div>'
        )

    def chart_spec(self, kind: str, *args: Any) -> dict[str, Any]:
        fn: Callable[..., dict[str, Any]] = getattr(charts, kind)
        return fn(*args)

    def shared(self, path: str) -> str:
        return self.links.shared(path)

    # table cells ---------------------------------------------------------
    def num(self, value: Any) -> str:
        """A raw number for data-sort ("" when missing)."""
        if value is None:
            return ""
        try:
            f = float(value)
        except (TypeError, ValueError):
            return ""
        return "" if f != f else f"{f:.6g}"

    def by_seconds(self, rows: list) -> list:
        return sorted(rows, key=lambda r: (r.seconds.value is None, r.seconds.value or 0, r.gpu))

    def spread(self, r: Any) -> str:
        """IQR and p90 in this language's words."""
        if r.iqr_s is None and r.p90_s is None:
            return "—"
        return self.cat.t(
            "fmt.spread", iqr=self.cat.number(r.iqr_s, 2), p90=self.cat.number(r.p90_s, 2)
        )

    def figure_with_evidence(self, fig: Figure | None, row: Figure, digits: int = 1) -> str:
        """A figure; its evidence words only when they differ from the row's."""
        if fig is None or fig.value is None:
            return "—"
        text = self.cat.figure(fig, digits)
        if fig.evidence != row.evidence:
            text += f" ({self.cat.evidence(fig)})"
        return text

    def pct(self, value: float | None) -> str:
        return "—" if value is None else self.cat.quantity(value * 100, "pct", 0)

    def capacities(self) -> dict[str, float]:
        return {
            g.name: g.spec.get("vram_gib")
            for g in self.view.gpus.values()
            if g.spec.get("vram_gib")
        }

    def budget(self, tp: Any) -> str:
        lo, hi = tp.budget_min_cny, tp.budget_max_cny
        if lo is None and hi is not None:
            return "≤ " + self.cat.cny(hi)
        if hi is None and lo is not None:
            return "> " + self.cat.cny(lo)
        if lo is None and hi is None:
            return "—"
        return f"{self.cat.cny(lo)}–{self.cat.cny(hi)}"

    def basis(self, basis: Any) -> str:
        return (
            f"({self.cat.t('basis.' + basis)})"
            if basis and self.cat.has("basis." + str(basis))
            else ""
        )

    def pcie_spec(self, spec: dict[str, Any]) -> str:
        gen, lanes = spec.get("pcie_gen"), spec.get("pcie_lanes")
        return self.link(gen, lanes)

    def link(self, gen: Any, width: Any) -> str:
        if gen is None and width is None:
            return "—"
        return f"PCIe {gen if gen is not None else '?'}.0 ×{width if width is not None else '?'}"

    def availability(self, spec: dict[str, Any]) -> str:
        parts = [spec.get("availability"), spec.get("form_factor")]
        return (
            ", ".join(
                self.cat.t("avail." + p) if self.cat.has("avail." + str(p)) else str(p)
                for p in parts
                if p
            )
            or "—"
        )

    def result_flags(self, gpu: GpuView) -> list:
        return [fl for r in gpu.results for fl in r.flags]

    def claim_value(self, fc: Any) -> str:
        if fc.value is None:
            return ""
        unit = fc.unit or ""
        if unit == "cny":
            return self.cat.cny(fc.value)
        return self.cat.quantity(fc.value, unit, 2) if unit else self.cat.number(fc.value, 2)

    def measured_count(self, gpu: GpuView) -> str:
        measured = [
            r for r in gpu.results if r.seconds.evidence in ("measured", "measured_synthetic")
        ]
        return (
            self.cat.t("gpus.measured_rows", n=len(measured))
            if measured
            else self.cat.t("gpus.estimated_only")
        )

    def group_pitfalls(self, pitfalls: list) -> list:
        groups: dict[str, list] = {}
        for p in pitfalls:
            groups.setdefault(p.kind, []).append(p)
        return sorted(groups.items())

    def pitfall_kind(self, kind: str) -> str:
        key = "pitfall_kind." + kind
        return self.cat.t(key) if self.cat.has(key) else kind

    def evidence_of(self, level: str, source: str) -> str:
        return self.cat.evidence(Figure(None, "", level, source))  # type: ignore[arg-type]

    def payback(self, months: float | None) -> str:
        if months is None:
            return self.cat.t("roi.never")
        return self.cat.quantity(months, "months", 1)

    def tflop_per_image(self, w: dict[str, Any]) -> float | None:
        try:
            total = float(w["transformer_tflop_per_forward"]) * float(w["transformer_forwards"])
        except (TypeError, ValueError, KeyError):
            return None
        for extra in ("text_encoder_tflop", "vae_decode_tflop"):
            if w.get(extra) is not None:
                total += float(w[extra])
        return total

    def floors_for(self, workload: str) -> list:
        return sorted(
            (f for f in self.view.analysis.floors if f.workload == workload),
            key=lambda f: (f.gpu, f.precision),
        )

    def bench_gpus(self, bench: dict[str, Any]) -> str:
        names = [g.get("name") or g.get("name_nvml") or "?" for g in bench.get("gpus", [])]
        return ", ".join(names) or "—"

    # variants and small cards (site/variants.py) -----------------------
    def variant_rows(self, gpu: GpuView) -> tuple:
        return variants.variant_rows(
            gpu, self.view.reference_workload, self.view.analysis.variant_estimates
        )

    def size_advice(self) -> list:
        return variants.size_advice(self.view)

    def small_card_pick(self) -> tuple:
        return variants.small_card_pick(self.view)
