"""Shared fixtures: one strict build of the fixture data per test session."""

from __future__ import annotations

import pytest
from site_helpers import FIXTURE, BuiltSite, build


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build(tmp_path_factory.mktemp("fixture-site"), FIXTURE)


@pytest.fixture(scope="session")
def fixture_analysis():
    from guide_builder.analysis import analyse
    from guide_builder.dataset import load_dataset

    dataset = load_dataset(FIXTURE)
    return dataset, analyse(dataset)
