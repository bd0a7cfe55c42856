"""Language-neutral prose: the analysis says *what* (a key and its numbers), the site says it.

A :class:`Message` is a catalogue key and its parameters. ``str(message)`` is the
English text, so logs, CSV downloads and tests read as before; the site renders
each message in the page's language with :func:`render`. The catalogues are
``guide_builder/messages/<lang>.yml``: key -> a Python format string over the
parameters, format specs included (``"{seconds:.2f} s"``).

A parameter may itself be a Message (rendered in the same language first) or a
tuple of them (rendered and joined with the language's list separator); other
values are formatted as they are, so text from CSVs (GPU names, sources) stays
verbatim here and is escaped by the site after rendering, like every CSV string.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("en", "zh")
# Between the items of a tuple parameter ("a; b").
SEPARATORS = {"en": "; ", "zh": "；"}


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


@dataclass(frozen=True, init=False)
class Message:
    """A catalogue key and its parameters (a sorted tuple of items, so it is hashable)."""

    key: str
    params: tuple[tuple[str, Any], ...]

    def __init__(
        self,
        key: str,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
        /,
        **more: Any,
    ):
        items = dict(params.items() if isinstance(params, Mapping) else params)
        items.update(more)
        object.__setattr__(self, "key", key)
        object.__setattr__(
            self, "params", tuple(sorted((k, _hashable(v)) for k, v in items.items()))
        )

    @property
    def values(self) -> dict[str, Any]:
        """The parameters as a dict."""
        return dict(self.params)

    def __str__(self) -> str:
        return render(self, "en")

    def __contains__(self, text: str) -> bool:
        """Substring test on the English text (``"x" in message``), as on a str."""
        return text in str(self)


def msg(key: str, **params: Any) -> Message:
    """Shorthand: ``msg("fit.components", needed=21.5)``."""
    return Message(key, params)


def join(*parts: Message | str) -> Message:
    """Parts shown one after another, separated as the language separates list items."""
    return Message("joined", items=tuple(parts))


def word(group: str, value: str) -> Message | str:
    """An enum value from a CSV (``street``, ``laptop``) as a Message where the catalogue
    has a word for it (English keeps the value as is), else the value unchanged."""
    key = f"{group}.{value}"
    return Message(key) if key in catalogue("en") else value


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat {key: format string} catalogue of a language."""
    return load_flat_yaml("guide_builder", f"messages/{lang}.yml")


def load_flat_yaml(package: str, name: str) -> dict[str, str]:
    """A nested YAML catalogue shipped in a package, as {"a.b.c": text}."""
    path = resources.files(package).joinpath(*name.split("/"))
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return _flatten(data)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def placeholders(template: str) -> set[str]:
    """The parameter names a format string uses."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def render(message: Any, lang: str = "en") -> str:
    """The text of a Message in ``lang``; any other value as ``str`` ("" for None)."""
    if message is None:
        return ""
    if isinstance(message, list | tuple):
        return SEPARATORS.get(lang, "; ").join(render(m, lang) for m in message)
    if not isinstance(message, Message):
        return str(message)
    strings = catalogue(lang) if lang in LANGUAGES else catalogue("en")
    try:
        template = strings[message.key]
    except KeyError:
        raise KeyError(f"no message '{message.key}' in the {lang} message catalogue") from None
    return fill(template, dict(message.params), lang)


def fill(template: str, values: Mapping[str, Any], lang: str) -> str:
    """A format string with its values; Messages among them said in ``lang`` first."""
    said = {k: render(v, lang) if isinstance(v, Message | tuple) else v for k, v in values.items()}
    return template.format(**said)
