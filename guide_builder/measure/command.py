"""CLI wrappers for `measure` and `count-flops` (torch is imported only when they run)."""

from __future__ import annotations

import click


@click.command("measure")
def measure_command() -> None:
    """Run the reference workloads on this bench's GPUs and write measurement CSVs."""
    raise click.ClickException("not implemented yet")


@click.command("count-flops")
def count_flops_command() -> None:
    """Count each workload's FLOPs on the meta device and write catalog/workloads.csv."""
    raise click.ClickException("not implemented yet")
