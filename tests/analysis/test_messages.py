"""The analysis's prose is language-neutral: every message key in both catalogues, alike."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from guide_builder.analysis import analyse
from guide_builder.analysis.results import Evidence, Fit
from guide_builder.dataset import load_dataset
from guide_builder.messages import LANGUAGES, Message, catalogue, join, msg, placeholders, render

PACKAGE = Path(__file__).resolve().parents[2] / "guide_builder"
REPO = PACKAGE.parent
# msg("key", ...), Message("key", ...) and word("group", ...) with a literal key.
LITERAL = re.compile(r"""\b(?:msg|Message)\(\s*["']([a-z0-9_.]+)["']""")


def used_keys() -> set[str]:
    keys = set()
    for path in PACKAGE.rglob("*.py"):
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return keys


def messages_in(value) -> list[Message]:
    """Every Message inside a result (nested parameters included)."""
    if isinstance(value, Message):
        return [value, *(m for _, v in value.params for m in messages_in(v))]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [m for f in dataclasses.fields(value) for m in messages_in(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [m for v in value for m in messages_in(v)]
    return []


def test_both_catalogues_have_the_same_keys_and_placeholders():
    en, zh = catalogue("en"), catalogue("zh")
    assert set(en) == set(zh), set(en) ^ set(zh)
    for key in en:
        assert placeholders(en[key]) == placeholders(zh[key]), key


def test_every_literal_key_used_exists_in_both_catalogues():
    keys = used_keys()
    assert len(keys) > 50  # the scan found the analysis's messages
    # A key ending in "." or "_" is a prefix completed at run time: its family follows.
    prefixes = {k for k in keys if k.endswith((".", "_"))}
    assert prefixes == {"level.", "verdict.", "spec.missing_"}
    families = {
        "level.": get_args(Evidence),
        "verdict.": get_args(get_type_hints(Fit)["verdict"]),
        "spec.missing_": ("bandwidth", "vram"),
    }
    for lang in LANGUAGES:
        missing = sorted(k for k in keys - prefixes if k not in catalogue(lang))
        missing += [p + v for p, vs in families.items() for v in vs if p + v not in catalogue(lang)]
        assert not missing, (lang, missing)


@pytest.mark.parametrize("data", ["measurements", "tests/fixtures/site_data"])
def test_every_message_the_analysis_writes_renders_in_both_languages(data):
    """Keys built at run time (evidence levels, verdicts, price kinds) and format specs too."""
    analysis = analyse(load_dataset(REPO / data))
    found = messages_in(dataclasses.replace(analysis, config=None))
    assert len(found) > 100
    for m in set(found):
        for lang in LANGUAGES:
            text = render(m, lang)
            assert text and "{" not in text, (m.key, lang, text)
        assert str(m) == render(m, "en")
        assert placeholders(catalogue("en")[m.key]) == set(m.values), m.key


def test_message_is_hashable_english_by_str_and_chinese_by_render():
    m = msg("fit.ran_cap", cap=16.0, bench="b1")
    assert m == Message("fit.ran_cap", {"bench": "b1", "cap": 16.0}) and hash(m) == hash(
        Message("fit.ran_cap", cap=16.0, bench="b1")
    )
    assert str(m) == "ran under a 16 GiB cap (bench b1)" and "16 GiB cap" in m
    assert render(m, "zh") == "在 16 GiB 显存上限下跑通（测试台 b1）"
    both = join(m, msg("fit.no_variant"))
    assert str(both) == "ran under a 16 GiB cap (bench b1); no variant known"
    assert render(both, "zh") == "在 16 GiB 显存上限下跑通（测试台 b1）；没有已知的运行方式"
    # Parameters from CSVs are kept verbatim: the site escapes the rendered text.
    assert "<b>x</b>" in render(msg("check.not_catalogued", gpu="<b>x</b>"), "zh")
