"""The `tree` fixture: build and load a hand-made measurements tree under tmp_path."""

from __future__ import annotations

import pytest
from analysis_data import build

from guide_builder.dataset import Dataset


@pytest.fixture
def tree(tmp_path):
    def make(root: str = "m", **kw) -> Dataset:
        return build(tmp_path / root, **kw)

    return make
