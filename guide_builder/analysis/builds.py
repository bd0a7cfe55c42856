"""The whole build's cost: the card plus the parts it needs, from ``catalog/parts.csv``.

build total = card (the price rule's figure)
            + the cheapest PSU of at least the wattage the power analysis recommends
            + the cheapest NVMe SSD of at least the storage page's drive size
              (storage.build_ssd_gb)
            + case cooling when the card's board power is at least
              ``config.cooling_board_power_w``: as many fans as the cooling page
              computes for the system (cooling.case_fans), at the cheapest way to
              buy them (single fans or packs)
            + the cheapest RAM kit of at least what the storage page recommends for
              the variant the card runs (storage.recommended_ram_for)

Each part uses its newest price (the lower one within a day), and prices no
older than ``config.price_max_age_days`` beat stale ones. A part the table has
no row for is left out of the total and named in ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from guide_builder.analysis.cooling import case_fans
from guide_builder.analysis.pricing import PriceFigure, age, parse_date, today

if TYPE_CHECKING:
    from guide_builder.analysis.config import AnalysisConfig
    from guide_builder.dataset import Dataset

PARTS = ("psu", "ssd", "cooling", "ram")


@dataclass(frozen=True)
class PartPrice:
    """One part a build counts, with its dated price."""

    part: str  # psu | ssd | cooling | ram
    size: float  # W, GB or fans
    unit: str
    product: str
    cny: float
    kind: str
    date: str
    source: str
    url: str
    stale: bool = False
    packs: int = 1  # how many of the listed product the build buys (cny is their total)


@dataclass(frozen=True)
class BuildCost:
    """A card and the parts it needs; ``total_cny`` sums what is known."""

    card: PriceFigure
    psu: PartPrice | None
    ssd: PartPrice | None
    cooling: PartPrice | None
    psu_w: int | None  # what the power analysis recommends
    missing: tuple[str, ...] = ()  # parts needed but without a price row
    ram: PartPrice | None = None
    ram_gb: int | None = None  # what the storage page recommends for the card's variant

    @property
    def parts(self) -> tuple[PartPrice, ...]:
        return tuple(p for p in (self.psu, self.ssd, self.cooling, self.ram) if p is not None)

    @property
    def parts_cny(self) -> float:
        return sum(p.cny for p in self.parts)

    @property
    def total_cny(self) -> float:
        return self.card.cny + self.parts_cny


def _rows(dataset: Dataset, part: str, config: AnalysisConfig) -> list[PartPrice]:
    parts = dataset.parts
    if parts.empty:
        return []
    now = today(config)
    out = []
    for row in parts.loc[parts["part"] == part].itertuples(index=False):
        out.append(
            PartPrice(
                part=part,
                size=float(row.size),
                unit=row.unit,
                product=row.product,
                cny=float(row.price_cny),
                kind=row.kind,
                date=row.date,
                source=row.source,
                url=row.url,
                stale=age(row.date, now, config)[1],
            )
        )
    return out


def _newest(rows: list[PartPrice]) -> list[PartPrice]:
    """Each product at its newest price; where any price is fresh, only the fresh ones (a
    stale low price is not what the part costs today)."""
    newest: dict[tuple[str, float], PartPrice] = {}
    for p in sorted(rows, key=lambda p: (parse_date(p.date) or parse_date("1900-01-01"), -p.cny)):
        newest[(p.product, p.size)] = p  # later dates overwrite; within a day the lower wins
    fresh = [p for p in newest.values() if not p.stale]
    return fresh or list(newest.values())


def cheapest_at_least(rows: list[PartPrice], size: float) -> PartPrice | None:
    """The cheapest part of at least `size` (fresh prices first, each product's newest)."""
    fitting = [p for p in _newest(rows) if p.size >= size]
    return min(fitting, key=lambda p: (p.cny, p.size, p.product), default=None)


def cheapest_count(rows: list[PartPrice], count: int) -> PartPrice | None:
    """The cheapest way to buy `count` units (fans sold singly or in packs), as one line."""
    options = []
    for p in _newest(rows):
        packs = -(-count // int(p.size or 1))
        options.append(replace(p, cny=p.cny * packs, size=packs * p.size, packs=packs))
    return min(options, key=lambda p: (p.cny, p.size, p.product), default=None)


def build_cost(
    dataset: Dataset,
    card: PriceFigure,
    psu_w: int | None,
    board_power_w: float | None,
    ssd_gb: float,
    config: AnalysisConfig,
    ram_gb: int | None = None,
) -> BuildCost:
    """The card plus PSU, an SSD of at least `ssd_gb`, (for hot cards) case cooling and,
    given `ram_gb`, a RAM kit of at least that size."""
    missing = []
    psu = cheapest_at_least(_rows(dataset, "psu", config), psu_w) if psu_w else None
    if psu_w and psu is None:
        missing.append("psu")
    ssd = cheapest_at_least(_rows(dataset, "ssd", config), ssd_gb)
    if ssd is None:
        missing.append("ssd")
    cooling = None
    if board_power_w is not None and board_power_w >= config.cooling_board_power_w:
        fans = case_fans(dataset, board_power_w, config) or 1
        cooling = cheapest_count(_rows(dataset, "cooling", config), fans)
        if cooling is None:
            missing.append("cooling")
    ram = cheapest_at_least(_rows(dataset, "ram", config), ram_gb) if ram_gb else None
    if ram_gb and ram is None:
        missing.append("ram")
    return BuildCost(card, psu, ssd, cooling, psu_w, tuple(missing), ram, ram_gb)
