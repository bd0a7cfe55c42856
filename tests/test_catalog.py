"""The committed GPU catalogue and reported claims: sourced, consistent, resolvable.

These tests read the real files under measurements/ (as text: dtype=str,
keep_default_na=False, so an empty cell is "" and nothing is guessed).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from guide_builder.catalog import (
    COMPUTED_TOLERANCE,
    PER_SM_RATES,
    PRECISION_COLUMNS,
    NameResolver,
    normalise,
    split_aliases,
)
from guide_builder.dataset import check
from guide_builder.schema import GPUS, REPORTED

ROOT = Path(__file__).resolve().parents[1]
MEASUREMENTS = ROOT / "measurements"
GPUS_CSV = MEASUREMENTS / "catalog" / "gpus.csv"
REPORTED_DIR = MEASUREMENTS / "reported"
CATALOG_DIR = MEASUREMENTS / "catalog"

REQUIRED_CARDS = (
    "RTX 5090",
    "RTX 5090 D",
    "RTX 5080",
    "RTX 5070 Ti",
    "RTX 5060 Ti 16GB",
    "RTX 4090",
    "RTX 4090 D",
    "RTX 4080 Super",
    "RTX 4080",
    "RTX 4070 Ti Super",
    "RTX 4070 Super",
    "RTX 4060 Ti 16GB",
    "RTX 3090",
    "RTX 3080 10GB",
    "RTX 3060 12GB",
    "RTX 4090 Laptop",
    "H100 SXM",
    "H100 PCIe",
    "H200 SXM",
)

# Names NVML reports, and spellings from the source article, that must resolve.
KNOWN_NAMES = {
    "NVIDIA GeForce RTX 4090": "RTX 4090",
    "NVIDIA GeForce RTX 4090 D": "RTX 4090 D",
    "RTX 4090D": "RTX 4090 D",
    "4090D": "RTX 4090 D",
    "NVIDIA GeForce RTX 4090 Laptop GPU": "RTX 4090 Laptop",
    "NVIDIA GeForce RTX 3060": "RTX 3060 12GB",
    "NVIDIA GeForce RTX 4060 Ti": "RTX 4060 Ti 16GB",
    "NVIDIA GeForce RTX 4080 SUPER": "RTX 4080 Super",
    "NVIDIA GeForce RTX 4070 Ti SUPER": "RTX 4070 Ti Super",
    "NVIDIA GeForce RTX 5090 D": "RTX 5090 D",
    "NVIDIA H100 80GB HBM3": "H100 SXM",
    "NVIDIA H100 PCIe": "H100 PCIe",
    "NVIDIA H200": "H200 SXM",
}


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def gpus() -> pd.DataFrame:
    return read(GPUS_CSV)


@pytest.fixture(scope="module")
def resolver(gpus: pd.DataFrame) -> NameResolver:
    return NameResolver(
        (name, split_aliases(aliases))
        for name, aliases in zip(gpus["name"], gpus["aliases"], strict=True)
    )


def reported_files() -> list[Path]:
    return sorted(REPORTED_DIR.glob("*.csv"))


def computed_mismatches(row: dict[str, str]) -> list[str]:
    """Each computed peak of a catalogue row that SMs x clock x rate does not reproduce."""
    problems = []
    for precision, column in PRECISION_COLUMNS.items():
        if row[f"{column}_basis"] != "computed":
            continue
        rate = PER_SM_RATES.get(row["architecture"], {}).get(precision)
        if rate is None or not row["sm_count"] or not row["boost_clock_mhz"]:
            problems.append(f"{row['name']}: {column} is computed but cannot be recomputed")
            continue
        expected = int(row["sm_count"]) * float(row["boost_clock_mhz"]) * 1e6 * rate / 1e12
        value = float(row[column])
        if abs(value - expected) > COMPUTED_TOLERANCE * expected:
            problems.append(f"{row['name']}: {column} {value:g} != {expected:.1f}")
    return problems


def test_columns_are_the_schema_in_order(gpus: pd.DataFrame) -> None:
    assert list(gpus.columns) == GPUS.names
    for path in reported_files():
        assert list(read(path).columns) == REPORTED.names, path.name


def test_computed_peaks_recompute(gpus: pd.DataFrame) -> None:
    problems = [p for row in gpus.to_dict("records") for p in computed_mismatches(row)]
    assert not problems, "\n".join(problems)
    assert (gpus["bf16_tflops_basis"] == "computed").sum() >= 10  # the check is not vacuous


def test_the_recompute_check_catches_a_wrong_value(gpus: pd.DataFrame) -> None:
    row = gpus.loc[gpus["name"] == "RTX 4070 Ti Super"].iloc[0].to_dict()
    assert row["bf16_tflops_basis"] == "computed" and not computed_mismatches(row)
    wrong = dict(row, bf16_tflops=str(float(row["bf16_tflops"]) * 1.01))  # 1 % off
    assert computed_mismatches(wrong) == [
        f"RTX 4070 Ti Super: bf16_tflops {float(row['bf16_tflops']) * 1.01:g} != 88.2"
    ]
    slower = dict(row, boost_clock_mhz="2400")  # a wrong clock is caught too
    assert len(computed_mismatches(slower)) == 4  # bf16, fp16_acc16, fp8, int4
    no_rate = dict(row, architecture="Hopper", int4_tops_basis="computed")
    assert any("cannot be recomputed" in p for p in computed_mismatches(no_rate))


def test_every_peak_has_a_basis_and_no_sparse_figures(gpus: pd.DataFrame) -> None:
    for row in gpus.to_dict("records"):
        for column in PRECISION_COLUMNS.values():
            assert bool(row[column]) == bool(row[f"{column}_basis"]), (row["name"], column)
    # Ampere has no fp8 tensor path, Hopper no 4-bit one: those cells stay empty.
    assert (gpus.loc[gpus["architecture"] == "Ampere", "fp8_tflops"] == "").all()
    assert (gpus.loc[gpus["architecture"] == "Hopper", "int4_tops"] == "").all()
    bf16 = gpus.set_index("name")["bf16_tflops"]
    assert float(bf16["RTX 4090"]) == pytest.approx(165.2)  # dense, not the 330.3 sparse figure


def test_no_alias_collisions(resolver: NameResolver) -> None:
    assert resolver.collisions == []


def test_no_alias_collisions_even_across_duplicates(gpus: pd.DataFrame) -> None:
    """Stricter than NameResolver: a normalised key belongs to exactly one card."""
    owner: dict[str, str] = {}
    for name, aliases in zip(gpus["name"], gpus["aliases"], strict=True):
        for alias in (name, *split_aliases(aliases)):
            key = normalise(alias)
            assert key, f"{name}: alias {alias!r} normalises to nothing"
            assert owner.setdefault(key, name) == name, f"{alias!r}: {owner[key]} and {name}"


@pytest.mark.parametrize(("given", "canonical"), sorted(KNOWN_NAMES.items()))
def test_known_names_resolve(resolver: NameResolver, given: str, canonical: str) -> None:
    assert resolver.resolve(given) == canonical


def test_required_cards_are_present(gpus: pd.DataFrame) -> None:
    missing = set(REQUIRED_CARDS) - set(gpus["name"])
    assert not missing
    assert gpus["name"].is_unique


def _digits(text: str) -> str:
    return re.sub(r"[^\d]", "", text)


def test_prices_carry_kind_date_url_and_a_quote_with_the_number() -> None:
    prices = pd.read_csv(CATALOG_DIR / "prices.csv", dtype=str, keep_default_na=False)
    assert len(prices) >= 15
    for row in prices.to_dict("records"):
        assert row["kind"] in ("launch", "street", "used", "grey", "converted"), row
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", row["date"]), row
        assert row["url"].startswith(("http://", "https://")), row
        assert row["note"] and row["note_zh"], row["card"]  # both languages
        figure = row["price_usd"] if row["kind"] == "converted" else row["price_cny"]
        # "26 tys. RMB" states 26,000: compare the significant digits
        assert str(int(float(figure))).rstrip("0") in _digits(row["quote"]), row


def test_conversions_use_a_sourced_rate_row() -> None:
    prices = pd.read_csv(CATALOG_DIR / "prices.csv", dtype=str, keep_default_na=False)
    rates = pd.read_csv(CATALOG_DIR / "fx_rates.csv", dtype=str, keep_default_na=False)
    rate_of = dict(zip(rates["date"], rates["cny_per_usd"].astype(float), strict=True))
    for row in prices[prices["kind"] == "converted"].to_dict("records"):
        rate = rate_of[row["fx_date"]]
        assert float(row["price_cny"]) == pytest.approx(float(row["price_usd"]) * rate, abs=1)
    for row in rates.to_dict("records"):
        assert row["cny_per_usd"] in row["quote"], row


def test_every_card_has_availability_and_both_notes(gpus: pd.DataFrame) -> None:
    assert (gpus["availability"] != "").all()
    assert set(gpus["segment"]) <= {"consumer", "workstation", "datacenter"}
    noted = gpus[gpus["notes"] != ""]
    assert (noted["notes_zh"] != "").all(), list(noted.loc[noted["notes_zh"] == "", "name"])


def test_spec_sources_are_https(gpus: pd.DataFrame) -> None:
    for name, url in zip(gpus["name"], gpus["spec_source_url"], strict=True):
        assert url.startswith("https://"), name
        assert not re.search(r"\s", url), name


def test_china_models_and_form_factors(gpus: pd.DataFrame) -> None:
    by_name = gpus.set_index("name")
    assert by_name.loc["RTX 4090 D", "availability"] == "china_model"
    assert by_name.loc["RTX 5090 D", "availability"] == "china_model"
    # export rules: not sold officially in mainland China
    for name in ("RTX 4090", "RTX 5090", "H100 SXM", "H200 SXM"):
        assert by_name.loc[name, "availability"] == "not_sold_officially", name
    assert by_name.loc["RTX 4090 Laptop", "form_factor"] == "laptop"
    assert (by_name.loc[["H100 SXM", "H100 PCIe", "H200 SXM"], "form_factor"] == "datacenter").all()
    assert by_name.loc["RTX 4060 Ti 16GB", "pcie_lanes"] == "8"
    assert (by_name.loc["RTX 5060 Ti 16GB", ["pcie_gen", "pcie_lanes"]] == ["5", "8"]).all()


def test_reported_files_exist() -> None:
    names = {p.name for p in reported_files()}
    assert {"source_article.csv", "second_hand.csv"} <= names


@pytest.mark.parametrize("path", reported_files(), ids=lambda p: p.name)
def test_reported_gpus_resolve(path: Path, resolver: NameResolver) -> None:
    frame = read(path)
    assert len(frame)
    unknown = sorted({g for g in frame["gpu"] if resolver.resolve(g) is None})
    assert not unknown, f"{path.name}: {unknown}"


@pytest.mark.parametrize("path", reported_files(), ids=lambda p: p.name)
def test_reported_rows_name_their_source(path: Path) -> None:
    frame = read(path)
    for row in frame.to_dict("records"):
        assert row["source"].strip() and row["date"], row
        assert row["source_url"] == "" or row["source_url"].startswith("https://"), row
        if row["claim"] in ("oom", "no_bf16_support", "slot_attenuation"):
            assert row["value"] == "" and row["unit"] == "", row
        else:
            assert row["value"] and row["unit"], row


def test_source_article_claims() -> None:
    article = read(REPORTED_DIR / "source_article.csv")
    assert set(article["source_url"]) == {""} and set(article["date"]) == {"2026-02-24"}
    assert article["source"].str.contains("Z-Image-Turbo个人创作者最佳硬件选型建议").all()
    times = article[article["claim"] == "seconds_per_image"]
    claimed = dict(zip(times["gpu"] + "@" + times["value"], times["precision"], strict=True))
    assert claimed["RTX 4090@0.87"] == "bf16"
    assert claimed["RTX 4060 Ti 16GB@2.86"] == "bf16"
    bandwidth = article[article["claim"] == "bandwidth"].set_index("gpu")["value"]
    assert bandwidth["RTX 4070 Ti Super"] == "1152" and bandwidth["RTX 4090D"] == "856"
    assert ((article["gpu"] == "RTX 3060 12GB") & (article["claim"] == "oom")).any()


def test_catalogue_and_reported_pass_the_validator() -> None:
    _, problems = check(MEASUREMENTS)
    ours = [p for p in problems if "catalog" in p.file or "reported" in p.file]
    assert not ours, "\n".join(map(str, ours))


def test_measurements_readme_schema_block_is_current() -> None:
    spec = importlib.util.spec_from_file_location("schema_doc", ROOT / "scripts" / "schema_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check", str(MEASUREMENTS / "README.md")]) == 0, (
        "measurements/README.md is stale: run python scripts/schema_doc.py --update measurements/README.md"
    )
