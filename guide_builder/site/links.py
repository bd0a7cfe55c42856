"""Page-relative links: Markdown links between pages, and URLs inside raw HTML.

MkDocs rewrites Markdown links (``[x](gpus/a.md)``) but not URLs inside raw
HTML (chart ``data-src``, sortable tables, downloads), so those are computed
here from the page's source path and the site's ``use_directory_urls``.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from guide_builder.site.escape import markdown_text, safe_url, url_for_markup


def slugify(name: str, taken: set[str]) -> str:
    """A file-name-safe, unique slug for a GPU name (ASCII letters, digits and dashes)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60] or "gpu"
    slug, i = base, 2
    while slug in taken:
        slug, i = f"{base}-{i}", i + 1
    taken.add(slug)
    return slug


def page_url(src: str, directory_urls: bool) -> str:
    """The site-relative URL MkDocs gives a Markdown source path."""
    if not directory_urls:
        return src[: -len(".md")] + ".html"
    if src == "index.md":
        return ""
    if src.endswith("/index.md"):
        return src[: -len("index.md")]
    return src[: -len(".md")] + "/"


@dataclass(frozen=True)
class PageLinks:
    """Links as seen from one page (``src``) of one language's build."""

    src: str
    directory_urls: bool = True
    root: str = ""  # "" in the default language's build, "../" in <lang>/ builds
    gpu_pages: Mapping[str, str] = field(default_factory=dict, compare=False)  # name -> src

    def md(self, target_src: str) -> str:
        """A Markdown link target to another page of the same build (MkDocs checks it)."""
        rel = posixpath.relpath(target_src, posixpath.dirname(self.src) or ".")
        return rel

    def url(self, site_path: str) -> str:
        """A URL for raw HTML: site_path is relative to this build's root."""
        here = page_url(self.src, self.directory_urls)
        base = here if here.endswith("/") or here == "" else posixpath.dirname(here)
        rel = posixpath.relpath(site_path or ".", base.rstrip("/") or ".")
        if site_path.endswith("/") or site_path == "":
            rel = rel.rstrip("/") + "/"
        return rel

    def page(self, target_src: str) -> str:
        """A raw-HTML URL of another page of the same build."""
        return self.url(page_url(target_src, self.directory_urls))

    def shared(self, site_path: str) -> str:
        """A raw-HTML URL of a file at the whole site's root (plotly, downloads)."""
        return self.url(self.root + site_path)

    def to(self, target_src: str) -> Markup:
        """A Markdown link target to another generated page (slugs: nothing to escape)."""
        return Markup(self.md(target_src))

    def gpu_link(self, name: str) -> Markup:
        """A Markdown link to a GPU's page (plain text when it has none)."""
        src = self.gpu_pages.get(name)
        if src is None:
            return markdown_text(name)
        return Markup(f"[{markdown_text(name)}]({self.md(src)})")

    def gpu_href(self, name: str) -> str | None:
        """A raw-HTML URL of a GPU's page (None when it has none)."""
        src = self.gpu_pages.get(name)
        return self.page(src) if src else None

    def ext_link(self, text: Any, url: Any) -> Markup:
        """A Markdown link only for http(s) URLs; anything else stays plain text."""
        safe = safe_url(url)
        if safe is None:
            return markdown_text(text)
        return Markup(f"[{markdown_text(text)}]({url_for_markup(safe)})")

    def source(self, title: Any, url: Any = "") -> Markup:
        """A source's title, linked when its URL is http(s)."""
        return self.ext_link(title or url, url) if safe_url(url) else markdown_text(title)
