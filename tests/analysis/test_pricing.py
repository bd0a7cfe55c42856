"""The one price rule: newest market price within the age limit, then launch, then older
market prices, then conversions; stale marking; new and used segments."""

from __future__ import annotations

from analysis_data import gpu, price_row

from guide_builder.analysis import AnalysisConfig
from guide_builder.analysis.pricing import card_prices, price_for

TODAY = AnalysisConfig(price_today="2026-12-02")  # 180 days back: 2026-06-05


def prices(tree, rows, root="m"):
    return tree(root, gpus=[gpu("A", price=None)], prices=rows)


def test_newest_market_price_within_the_age_wins(tree):
    d = prices(
        tree,
        [
            price_row("A", "launch", 8299, "2025-01-07"),
            price_row("A", "street", 9100, "2026-07-01"),
            price_row("A", "used", 6000, "2026-11-20"),
            price_row("A", "grey", 9900, "2026-10-01"),
        ],
    )
    p = price_for(d, "A", TODAY)
    assert (p.kind, p.cny, p.date, p.stale) == ("used", 6000, "2026-11-20", False)
    assert p.age_days == 12 and p.url == "https://example.org/price"
    new = price_for(d, "A", TODAY, "new")  # street and grey only
    assert (new.kind, new.cny) == ("grey", 9900)
    used = price_for(d, "A", TODAY, "used")
    assert (used.kind, used.cny) == ("used", 6000)


def test_stale_market_prices_fall_back_to_launch_and_are_marked(tree):
    d = prices(
        tree,
        [
            price_row("A", "launch", 8299, "2025-01-07"),
            price_row("A", "street", 7999, "2026-06-04"),  # 181 days old
        ],
    )
    # the stale street price is newer than the launch price, so it says more about today
    p = price_for(d, "A", TODAY)
    assert (p.kind, p.cny, p.stale) == ("street", 7999, True)
    # ... unless the launch price is asked to come first, as the plain rule has it
    launch_first = AnalysisConfig(price_today="2026-12-02", price_newer_market_beats_launch=False)
    p = price_for(d, "A", launch_first)
    assert (p.kind, p.cny, p.stale) == ("launch", 8299, True)
    # a market price older than the launch never beats it
    old = prices(
        tree,
        [price_row("A", "launch", 8299, "2025-01-07"), price_row("A", "street", 9999, "2024-06")],
        root="o",
    )
    assert price_for(old, "A", TODAY).kind == "launch"
    # one day later the street price is within 180 days again
    fresh = price_for(d, "A", AnalysisConfig(price_today="2026-12-01"))
    assert (fresh.kind, fresh.cny, fresh.stale) == ("street", 7999, False)
    # and a longer age limit keeps it
    assert (
        price_for(d, "A", AnalysisConfig(price_today="2026-12-02", price_max_age_days=365)).kind
        == "street"
    )


def test_older_dated_cny_price_beats_a_conversion(tree):
    d = tree(
        gpus=[gpu("A", price=None)],
        prices=[
            price_row("A", "converted", 13794, "2026-03-13", price_usd=1999, fx_date="2026-03-13"),
            price_row("A", "grey", 23000, "2025-02"),
        ],
        fx=[{"date": "2026-03-13", "cny_per_usd": 6.9007}],
    )
    p = price_for(d, "A", TODAY)
    assert (p.kind, p.cny, p.stale) == ("grey", 23000, True)
    only = tree(
        gpus=[gpu("B", price=None)],
        prices=[
            price_row("B", "converted", 2270, "2026-03-13", price_usd=329, fx_date="2026-03-13")
        ],
        fx=[{"date": "2026-03-13", "cny_per_usd": 6.9007}],
        root="n",
    )
    c = price_for(only, "B", TODAY)
    assert (c.kind, c.cny) == ("converted", 2270)
    assert c.figure().evidence == "estimated"  # our computation, not a report
    assert price_for(only, "B", TODAY, "used") is None


def test_same_day_takes_the_lower_price_and_history_is_newest_first(tree):
    d = prices(
        tree,
        [
            price_row("A", "street", 7000, "2026-10-01"),
            price_row("A", "street", 6800, "2026-10-01"),
            price_row("A", "launch", 6299, "2025-02-19"),
        ],
    )
    assert price_for(d, "A", TODAY).cny == 6800
    history = card_prices(d, "A", TODAY)
    assert [p.cny for p in history] == [6800, 7000, 6299]
    assert [p.stale for p in history] == [False, False, True]


def test_month_dates_count_from_the_first_and_no_price_is_none(tree):
    d = prices(tree, [price_row("A", "street", 5000, "2026-06")])
    assert price_for(d, "A", TODAY).stale  # 2026-06-01 is 184 days back
    assert price_for(d, "A", AnalysisConfig(price_today="2026-11-27")).stale is False
    assert price_for(prices(tree, [], root="e"), "A", TODAY) is None


def test_a_card_no_longer_sold_officially_skips_its_launch_price(tree):
    rows = [
        price_row("A", "launch", 12999, "2022-09"),
        price_row("A", "grey", 20000, "2026-01"),  # stale, but what the card costs now
    ]
    banned = tree(gpus=[gpu("A", price=None, availability="not_sold_officially")], prices=rows)
    p = price_for(banned, "A", TODAY, "new")
    assert (p.kind, p.cny, p.stale) == ("grey", 20000, True)
    assert price_for(banned, "A", TODAY).kind == "grey"
    # an officially sold card keeps the launch fallback (where it is asked to come first)
    sold = tree(gpus=[gpu("A", price=None)], prices=rows, root="n")
    launch_first = AnalysisConfig(price_today="2026-12-02", price_newer_market_beats_launch=False)
    assert price_for(sold, "A", launch_first, "new").kind == "launch"
    assert price_for(banned, "A", launch_first, "new").kind == "grey"
