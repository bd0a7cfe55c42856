"""The one rule for the CNY price the guide uses for a card.

From ``catalog/prices.csv``, for a card:

1. the newest ``street``, ``used`` or ``grey`` price no older than
   ``config.price_max_age_days`` (measured from ``config.price_today``, the build
   date when empty);
2. else the newest ``launch`` price;
3. else the newest older ``street``/``used``/``grey`` price (a dated CNY price
   always beats a conversion);
4. else the newest ``converted`` price (a USD price at a dated PBOC rate).

With ``config.price_newer_market_beats_launch`` (the default), step 2 gives way
to a stale market price dated after the launch price: a 2025 street price says
more about what a card costs in 2026 than its 2023 launch price does.

A card that is no longer sold new through official channels (availability
``not_sold_officially`` or ``used_only``) skips step 2: its launch price is not a
price anyone can pay today, so its newest market price (grey import, old street
listing), stale or not, comes first.

Any figure older than the age limit is marked ``stale``. ``segment="new"`` asks
for what a new card costs (``street``/``grey``, then launch, then older
street/grey, then converted); ``segment="used"`` for second-hand (``used`` only,
newest first). Among rows of the same date the lower price wins.
Chinese prices include 13 % VAT; US MSRPs do not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from guide_builder.analysis.results import Figure
from guide_builder.messages import Message, msg, word

if TYPE_CHECKING:
    from guide_builder.analysis.config import AnalysisConfig
    from guide_builder.dataset import Dataset

Segment = Literal["new", "used"]
MARKET_KINDS = ("street", "used", "grey")
# Cards no official channel sells new any more: a launch price is history, not a price.
NO_OFFICIAL_SALE = ("not_sold_officially", "used_only")
_MARKET_OF: dict[str | None, tuple[str, ...]] = {
    None: MARKET_KINDS,
    "new": ("street", "grey"),
    "used": ("used",),
}


@dataclass(frozen=True)
class PriceFigure:
    """One dated CNY price of a card, as the rule chose it."""

    card: str
    cny: float
    kind: str  # launch | street | used | grey | converted
    date: str  # YYYY-MM-DD or YYYY-MM
    source: str
    url: str
    quote: str = ""
    stale: bool = False  # older than config.price_max_age_days
    age_days: int | None = None
    note: str = ""
    note_zh: str = ""

    @property
    def segment(self) -> Segment:
        return "used" if self.kind == "used" else "new"

    @property
    def detail(self) -> Message:
        """ "launch, 2025-01" (with "stale" when older than the age limit)."""
        key = "price.detail_stale" if self.stale else "price.detail"
        return msg(key, kind=word("price_kind", self.kind), date=self.date)

    def figure(self) -> Figure:
        """As a Figure: a conversion is our computation (estimated), the rest reported."""
        evidence = "estimated" if self.kind == "converted" else "reported"
        return Figure(self.cny, "cny", evidence, self.source, self.detail, self.url)


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD, or YYYY-MM read as the month's first day (the older reading)."""
    try:
        parts = [int(p) for p in text.split("-")]
        return dt.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


def today(config: AnalysisConfig) -> dt.date:
    """The day prices are aged from: config.price_today, else the build date."""
    return parse_date(config.price_today) if config.price_today else dt.date.today()


def age(date: str, now: dt.date, config: AnalysisConfig) -> tuple[int | None, bool]:
    """Days since a price's date (None when it has no readable date) and whether that is
    older than config.price_max_age_days (an undated price is stale)."""
    when = parse_date(date)
    days = (now - when).days if when else None
    return days, days is None or days > config.price_max_age_days


def card_prices(dataset: Dataset, card: str, config: AnalysisConfig) -> list[PriceFigure]:
    """Every price row of a card, newest first, each aged and marked stale or not."""
    prices = dataset.prices
    if prices.empty:
        return []
    now = today(config)
    out = []
    for row in prices.loc[prices["gpu_name"] == card].itertuples(index=False):
        days, stale = age(row.date, now, config)
        out.append(
            PriceFigure(
                card=card,
                cny=float(row.price_cny),
                kind=row.kind,
                date=row.date,
                source=row.source,
                url=row.url,
                quote=row.quote,
                stale=stale,
                age_days=days,
                note=row.note,
                note_zh=row.note_zh,
            )
        )
    return sorted(out, key=lambda p: (p.age_days is None, p.age_days or 0, p.cny))


def availability(dataset: Dataset, card: str) -> str:
    """The card's availability in mainland China from the catalogue ("" when not catalogued)."""
    row = dataset.gpu_row(card)
    return "" if row is None else str(row.get("availability") or "")


def price_for(
    dataset: Dataset, card: str, config: AnalysisConfig, segment: Segment | None = None
) -> PriceFigure | None:
    """The price the guide uses for `card` (see the module docstring); None when it has none."""
    rows = card_prices(dataset, card, config)
    market = [p for p in rows if p.kind in _MARKET_OF[segment]]
    steps = [[p for p in market if not p.stale]]
    if segment != "used" and availability(dataset, card) not in NO_OFFICIAL_SALE:
        launch = [p for p in rows if p.kind == "launch"]
        if launch and market and config.price_newer_market_beats_launch:
            launched = parse_date(launch[0].date)
            newer = [p for p in market if launched and (parse_date(p.date) or launched) > launched]
            launch = newer or launch
        steps.append(launch)
    steps.append(market)
    if segment != "used":
        steps.append([p for p in rows if p.kind == "converted"])
    for step in steps:
        if step:
            return step[0]  # rows are newest first, the lower price first within a day
    return None


def price_figure(dataset: Dataset, card: str, config: AnalysisConfig) -> Figure | None:
    """The rule's price as a Figure (for result rows); None when the card has none."""
    price = price_for(dataset, card, config)
    return price.figure() if price else None


def card_price_table(dataset: Dataset, config: AnalysisConfig) -> dict[str, dict[str, object]]:
    """Per catalogued card: the rule's price, the new and used figures, and every row."""
    return {
        card: {
            "rule": price_for(dataset, card, config),
            "new": price_for(dataset, card, config, "new"),
            "used": price_for(dataset, card, config, "used"),
            "history": card_prices(dataset, card, config),
        }
        for card in dataset.gpus["name"]
    }
