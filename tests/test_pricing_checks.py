"""Validation of the price files: every failure names file, row and column."""

from __future__ import annotations

from datatree import GPU_ROW, csv_text, write_tree

from guide_builder.dataset import check
from guide_builder.schema import FX_RATES, GPUS, PRICES

PRICE = {
    "card": "RTX 4090",
    "kind": "grey",
    "price_cny": "21999",
    "date": "2026-11-10",
    "source": "a shop",
    "url": "https://example.org/p",
    "quote": "21999 元",
}
RATE = {
    "date": "2026-03-13",
    "cny_per_usd": "6.9007",
    "source": "PBOC",
    "url": "https://example.org/fx",
    "quote": "6.9007",
}


def problems(tmp_path, prices, rates=(), gpus=None):
    root = write_tree(tmp_path / "m", gpus=gpus)
    (root / "catalog" / "prices.csv").write_text(csv_text(PRICES, list(prices)))
    (root / "catalog" / "fx_rates.csv").write_text(csv_text(FX_RATES, list(rates)))
    return [str(p) for p in check(root)[1]]


def test_a_valid_price_passes(tmp_path):
    assert problems(tmp_path, [PRICE]) == []


def test_missing_date_kind_or_url_names_file_row_and_column(tmp_path):
    rows = [PRICE, {**PRICE, "date": ""}, {**PRICE, "kind": ""}, {**PRICE, "url": ""}]
    found = problems(tmp_path, rows)
    path = str(tmp_path / "m" / "catalog" / "prices.csv")
    assert f"{path}:3:date: required value is empty" in found
    assert f"{path}:4:kind: required value is empty" in found
    assert f"{path}:5:url: required value is empty" in found
    assert len(found) == 3
    bad_kind = problems(tmp_path / "k", [{**PRICE, "kind": "rumour"}])
    assert any(
        ":2:kind: 'rumour' is not one of launch|street|used|grey|converted" in p for p in bad_kind
    )


def test_a_converted_price_needs_its_rate_row(tmp_path):
    conv = {
        **PRICE,
        "kind": "converted",
        "price_cny": "11034",
        "price_usd": "1599",
        "date": "2026-03-13",
    }
    assert any(
        ":2:fx_date: a converted price needs fx_date" in p
        for p in problems(tmp_path, [conv], [RATE])
    )
    found = problems(tmp_path / "b", [{**conv, "fx_date": "2026-01-06"}], [RATE])
    assert any(":2:fx_date: no fx_rates.csv row for 2026-01-06" in p for p in found)
    assert problems(tmp_path / "c", [{**conv, "fx_date": "2026-03-13"}], [RATE]) == []
    wrong = problems(
        tmp_path / "d", [{**conv, "fx_date": "2026-03-13", "price_cny": "12000"}], [RATE]
    )
    assert any(":2:price_cny: 12000 is not 1599 USD x 6.9007 = 11034" in p for p in wrong)
    no_usd = problems(tmp_path / "e", [{**conv, "price_usd": "", "fx_date": "2026-03-13"}], [RATE])
    assert any(":2:price_usd: a converted price needs the USD price" in p for p in no_usd)


def test_a_price_for_an_unknown_card_says_how_to_add_it(tmp_path):
    found = problems(tmp_path, [{**PRICE, "card": "RTX 4090 48GB"}])
    assert len(found) == 1
    assert ":2:card: unknown card 'RTX 4090 48GB': did you mean 'RTX 4090'?" in found[0]
    assert "add the card's row there first" in found[0] and "gpus.csv" in found[0]


def test_a_card_without_availability_is_an_error(tmp_path):
    found = problems(tmp_path, [PRICE], gpus=[{**GPU_ROW, "availability": ""}])
    assert any("gpus.csv:2:availability: required value is empty" in p for p in found)
    old = problems(tmp_path / "o", [PRICE], gpus=[{**GPU_ROW, "availability": "eol"}])
    assert any(
        "gpus.csv:2:availability: 'eol' is not one of official|china_model" in p for p in old
    )
    assert set(GPUS.names) >= {"segment", "notes_zh"} and "price_cny" not in GPUS.names
