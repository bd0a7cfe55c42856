"""Escaping for every place a CSV-derived string can land.

Python-Markdown passes raw HTML through and turns ``[x](javascript:...)`` into
a live link, and Jinja2's autoescape knows HTML, not Markdown: so each landing
place (Markdown text, a table cell, an HTML attribute, JSON, a link, a CSV
download) has its own function here, and the Renderer applies
:func:`markdown_text` to every template expression unless a filter says
otherwise (see ``renderer.py``).
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup

# Characters Python-Markdown (and the extensions we enable) give a meaning to.
# Backslash escapes work for these; "<", ">" and "&" become entities instead.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
_SAFE_SCHEMES = ("http", "https")
# Leading characters a spreadsheet reads as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def markdown_text(value: Any) -> Markup:
    """Inline Markdown that renders as the literal text (no HTML, links, tables or emphasis)."""
    if isinstance(value, Markup):
        return value
    text = "" if value is None else str(value)
    # Newlines would end a table row or start a new block: collapse them.
    text = " ".join(text.split())
    # Quotes stay: no attribute is ever built from Markdown text, and "&#x27;" would
    # expose a '#' to the Markdown escaping below.
    text = html.escape(text, quote=False)
    return Markup(_MD_SPECIAL.sub(r"\\\1", text))


def html_attr(value: Any) -> Markup:
    """A value safe inside a double-quoted HTML attribute (and inside raw HTML blocks)."""
    text = "" if value is None else str(value)
    return Markup(html.escape(text, quote=True))


def html_text(value: Any) -> Markup:
    """Text inside a raw HTML element (where Markdown is not processed)."""
    return html_attr(value)


def safe_url(value: Any) -> str | None:
    """The URL if it is an absolute http(s) URL, else None (javascript:, data:, relative...)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    # Browsers ignore control characters and whitespace inside schemes ("java\tscript:").
    if not url or any(ord(c) < 0x20 or c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES or not parts.netloc:
        return None
    return url


def url_for_markup(url: str) -> str:
    """Percent-encode characters that could end a Markdown link or an HTML attribute."""
    return quote(url, safe=":/?#@!$&*+,;=%~-._")


def json_for_html(value: Any) -> str:
    """JSON that cannot close a <script> element or an attribute, even if pasted into one."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def json_attr(value: Any) -> Markup:
    """JSON inside a double-quoted data- attribute."""
    return html_attr(json_for_html(value))


def json_text(value: Any) -> str:
    """Compact JSON for a generated file (NaN and inf become null)."""
    return json.dumps(clean_json(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def clean_json(value: Any) -> Any:
    """Replace NaN/inf by None recursively so the JSON is valid (JSON has no NaN)."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def neutralise_cell(value: Any) -> Any:
    """A CSV text cell a spreadsheet will not evaluate; non-strings are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def plot_text(value: Any) -> str:
    """Text for a Plotly label: Plotly renders a subset of HTML (<a>, <b>, <br>) in labels."""
    return html.escape("" if value is None else str(value), quote=False)


def title_meta(value: Any) -> Markup:
    """A page title for YAML front matter. Material prints ``page.meta.title`` unescaped into
    <title> and the header, and would unescape an h1-derived title with ``striptags``; so the
    title is given HTML-escaped, as a JSON (= YAML double-quoted) string."""
    return Markup(json.dumps(html.escape(" ".join(str(value).split()), quote=True)))
