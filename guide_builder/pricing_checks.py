"""Load and check the price files of the catalogue: prices.csv, fx_rates.csv, parts.csv.

Cell types, required cells and allowed kinds are checked by the schema tables
(`guide_builder/schema.py`); this module adds what one row cannot say alone:
a converted price needs its rate row (and must equal USD x rate), and a price
belongs to a card the catalogue knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd

from guide_builder.catalog import NameResolver
from guide_builder.columns import typed_frame
from guide_builder.schema import FX_RATES, PARTS, PRICES, Table

# A converted price may differ from USD x rate by this much (rounding to whole yuan).
CONVERSION_TOLERANCE_CNY = 1.0


class _Loader(Protocol):
    def read(self, paths: list[Path], table: Table) -> pd.DataFrame: ...

    def problem(
        self, path: Path | str, row: int | None, column: str | None, message: str
    ) -> None: ...


def _empty(table: Table) -> pd.DataFrame:
    return typed_frame([], table, lambda *_: None)


def load_prices(
    loader: _Loader, catalog_dir: Path | None, gpus: pd.DataFrame, resolver: NameResolver
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """prices (with `gpu_name`), fx_rates and parts; every problem goes to the loader."""
    if catalog_dir is None:
        prices = _empty(PRICES)
        prices["gpu_name"] = pd.Series([], dtype=object)
        return prices, _empty(FX_RATES), _empty(PARTS)
    frames = {}
    for table in (PRICES, FX_RATES, PARTS):
        path = catalog_dir / f"{table.name}.csv"
        frames[table.name] = loader.read([path], table) if path.is_file() else _empty(table)
    prices, rates, parts = frames["prices"], frames["fx_rates"], frames["parts"]
    _check_rates(loader, rates)
    prices["gpu_name"] = _check_prices(loader, prices, rates, resolver)
    return prices, rates, parts


def _check_rates(loader: _Loader, rates: pd.DataFrame) -> None:
    seen: dict[str, int] = {}
    for row in rates.itertuples(index=False):
        if row.date in seen:
            loader.problem(
                row.source_file,
                int(row.source_row),
                "date",
                f"two rate rows for {row.date} (also line {seen[row.date]})",
            )
        seen.setdefault(row.date, int(row.source_row))


def _check_prices(
    loader: _Loader, prices: pd.DataFrame, rates: pd.DataFrame, resolver: NameResolver
) -> pd.Series:
    """Report converted rows without their rate row and cards the catalogue lacks;
    return the canonical card names ("" where unknown)."""
    rate_of = dict(zip(rates["date"], rates["cny_per_usd"], strict=True))
    names = []
    for row in prices.itertuples(index=False):
        where = (row.source_file, int(row.source_row))
        if row.kind == "converted":
            _check_conversion(loader, row, where, rate_of)
        elif pd.notna(row.price_usd) or row.fx_date:
            loader.problem(
                *where, "price_usd", "price_usd and fx_date belong to converted rows only"
            )
        canonical = resolver.resolve(row.card) if row.card else None
        if canonical is None and row.card:
            loader.problem(*where, "card", _unknown_card(row.card, resolver))
        names.append(canonical or "")
    return pd.Series(names, index=prices.index, dtype=object)


def _check_conversion(loader: _Loader, row, where: tuple[str, int], rate_of: dict) -> None:
    if pd.isna(row.price_usd):
        loader.problem(*where, "price_usd", "a converted price needs the USD price it converts")
    if not row.fx_date:
        loader.problem(
            *where, "fx_date", "a converted price needs fx_date, the date of its fx_rates.csv row"
        )
        return
    rate = rate_of.get(row.fx_date)
    if rate is None:
        loader.problem(
            *where,
            "fx_date",
            f"no fx_rates.csv row for {row.fx_date}: add the day's PBOC central parity with "
            "its source, or use a date that has one",
        )
        return
    if pd.notna(row.price_usd) and pd.notna(row.price_cny):
        expected = row.price_usd * rate
        if abs(row.price_cny - expected) > CONVERSION_TOLERANCE_CNY:
            loader.problem(
                *where,
                "price_cny",
                f"{row.price_cny:g} is not {row.price_usd:g} USD x {rate:g} = {expected:.0f}",
            )


def _unknown_card(name: str, resolver: NameResolver) -> str:
    suggestion = resolver.suggest(name)
    hint = f"did you mean '{suggestion}'? " if suggestion else ""
    return (
        f"unknown card '{name}': {hint}a price needs its card in catalog/gpus.csv; add the "
        "card's row there first (specs, availability and sources, see measurements/README.md "
        "'Adding a card'), or add this name to an existing card's aliases"
    )
