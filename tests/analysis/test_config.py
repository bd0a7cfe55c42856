"""The analysis config as mkdocs.yml's `analysis:` mapping sets it."""

from __future__ import annotations

import pydantic
import pytest
import yaml

from guide_builder.analysis import AnalysisConfig
from guide_builder.analysis.power import transient_source
from guide_builder.messages import render


def test_every_field_has_a_default_and_a_description():
    for name, field in AnalysisConfig.model_fields.items():
        assert field.description, name
        assert not field.is_required(), name


def test_defaults_from_the_design():
    c = AnalysisConfig()
    assert (c.entry_max_cny, c.balanced_max_cny) == (7000, 13000)
    assert (c.hourly_rate_cny, c.images_per_day, c.working_days_per_year) == (200, 35, 250)
    assert c.electricity_cny_per_kwh == 0.6 and c.roi_baseline == "cheapest_fit"
    assert (c.platform_w, c.psu_target_load) == (75, 0.8)
    assert c.psu_sizes_w == (550, 650, 750, 850, 1000, 1200, 1600)
    assert c.spread_warn_ratio == 0.05 and c.reference_workload == "zimage-turbo-1024"
    # the default source is the built-in ATX 3.x derivation, in the page's language
    source = transient_source(c)
    assert "ATX" in str(source) and "100 µs" in str(source)
    assert "ATX" in render(source, "zh") and "100 微秒" in render(source, "zh")


def test_yaml_mapping_validates_and_typos_fail():
    text = """
analysis:
  entry_max_cny: 6000
  psu_sizes_w: [500, 750, 1000]
  tier_rank: {entry: seconds}
"""
    c = AnalysisConfig(**yaml.safe_load(text)["analysis"])
    assert c.entry_max_cny == 6000 and c.psu_sizes_w == (500, 750, 1000)
    with pytest.raises(pydantic.ValidationError):
        AnalysisConfig(entry_max_cnyy=6000)
    with pytest.raises(pydantic.ValidationError):
        AnalysisConfig(entry_max_cny=14000)  # above balanced_max_cny
    with pytest.raises(pydantic.ValidationError):
        AnalysisConfig(tier_rank={"entry": "cheapest"})
