"""The one exception for failures a user can fix (bad input, bad options).

Anything raising `GuideError` is reported as its message alone: the command
line prints it and exits 1, the MkDocs plugin turns it into MkDocs'
`PluginError`. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class GuideError(Exception):
    """A user-facing failure; its message says what is wrong and where."""


def shown(value: object, limit: int = 60) -> str:
    """A value quoted for an error line: on one line, and short.

    Line breaks (U+2028 and U+0085 included) and other control characters are
    written as escapes so a problem stays one line; a long value is cut with
    its length said.
    """
    text = one_line(str(value))
    if len(text) <= limit:
        return f"'{text}'"
    return f"'{text[:limit]}…' ({len(text)} characters)"


def one_line(text: str) -> str:
    """Text with every non-printable character (line breaks included) escaped."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
