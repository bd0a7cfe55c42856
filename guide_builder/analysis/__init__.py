"""The guide's reasoning: pure functions from a `Dataset` to plain results."""

from __future__ import annotations

from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.results import Analysis

__all__ = ["AnalysisConfig", "Analysis", "analyse"]


def analyse(dataset, config: AnalysisConfig | None = None) -> Analysis:
    """Every derived figure the site renders (skeleton: filled in module by module)."""
    config = config or AnalysisConfig()
    return Analysis(config=config)
