"""The guide's reasoning: pure functions from a `Dataset` to plain results.

`analyse(dataset, config)` runs every step; each module is usable on its own.
No torch here: the site builds without it.
"""

from __future__ import annotations

from guide_builder.analysis import floors as _floors
from guide_builder.analysis.config import AnalysisConfig
from guide_builder.analysis.cooling import cooling, cooling_estimates
from guide_builder.analysis.estimates import estimates, variant_estimates
from guide_builder.analysis.factcheck import fact_checks
from guide_builder.analysis.fit import fits
from guide_builder.analysis.measured import measured_results
from guide_builder.analysis.model import fit_dataset
from guide_builder.analysis.pcie import pcie, pcie_estimates, reference_sources
from guide_builder.analysis.pitfalls import pitfalls
from guide_builder.analysis.power import psu_advice
from guide_builder.analysis.pricing import card_price_table
from guide_builder.analysis.results import Analysis
from guide_builder.analysis.roi import roi, roi_for
from guide_builder.analysis.rows import workload_names
from guide_builder.analysis.storage import storage_advice
from guide_builder.analysis.tiers import candidates, tiers
from guide_builder.dataset import Dataset

__all__ = ["Analysis", "AnalysisConfig", "analyse", "roi_for"]


def analyse(dataset: Dataset, config: AnalysisConfig | None = None) -> Analysis:
    """Every derived figure the site renders, from one Dataset and one config."""
    config = config or AnalysisConfig()
    workloads = workload_names(dataset, config.reference_workload)
    floor_list = _floors.floors(dataset, config)
    floor_index = _floors.index(floor_list)
    measured = measured_results(dataset, floor_index, config)
    fit_list = fits(dataset, workloads, config)
    fitted = fit_dataset(dataset, measured, config)
    results = measured + estimates(
        dataset, measured, floor_index, workloads, fit_list, config, fitted
    )
    checks = fact_checks(dataset, floor_index, measured, fit_list, config)
    psu = psu_advice(dataset, measured, config)
    pool, excluded = candidates(dataset, results, fit_list, config, psu)
    picks = tiers(pool, psu, config)
    cool = cooling(dataset, config)
    roi_rows, roi_model = roi(picks, pool, dataset, config)
    return Analysis(
        config=config,
        floors=floor_list,
        results=results,
        fits=fit_list,
        fact_checks=checks,
        tiers=picks,
        pitfalls=pitfalls(dataset, fit_list, checks, cool, results, config),
        psu=psu,
        cooling=cool,
        pcie=pcie(dataset, config),
        roi=roi_rows,
        roi_model=roi_model,
        tier_exclusions=excluded,
        prices=card_price_table(dataset, config),
        storage=storage_advice(dataset, config, fit_list),
        cooling_estimates=cooling_estimates(dataset, config, results),
        pcie_estimates=pcie_estimates(dataset, config),
        hardware_refs=reference_sources(dataset),
        estimator=fitted,
        variant_estimates=variant_estimates(dataset, fit_list, floor_index, fitted, config),
    )
