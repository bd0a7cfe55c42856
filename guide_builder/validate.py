"""`guide-builder validate`: check measurement files against the data contract."""

from __future__ import annotations

from pathlib import Path

import click

from guide_builder.dataset import Problem, check
from guide_builder.schema import DEFAULT_MAX_FILE_MIB


def check_paths(
    paths: list[Path], catalog: Path | None = None, max_file_mib: float = DEFAULT_MAX_FILE_MIB
) -> list[Problem]:
    """Every problem in the given trees; an empty list means valid."""
    _, problems = check(*paths, catalog=catalog, max_file_mib=max_file_mib)
    return problems


def run(paths: list[Path], catalog: Path | None, max_file_mib: float, echo=click.echo) -> int:
    """Validate and print; return the exit code (0 valid, 1 invalid)."""
    dataset, problems = check(*paths, catalog=catalog, max_file_mib=max_file_mib)
    for warning in dataset.warnings:
        echo(f"warning: {warning}", err=True)
    if problems:
        for problem in problems:
            echo(str(problem))
        echo(f"{len(problems)} problem(s) found.", err=True)
        return 1
    echo(
        f"valid: {len(dataset.benches)} bench(es), {len(dataset.runs)} run rows, "
        f"{len(dataset.probes)} probe rows, {len(dataset.telemetry)} telemetry rows, "
        f"{len(dataset.gpus)} catalogue GPUs, {len(dataset.reported)} reported claims, "
        f"{len(dataset.reported_runs)} reported runs"
        + (
            f"; {dataset.duplicates_dropped} duplicated rows merged"
            if dataset.duplicates_dropped
            else ""
        )
    )
    return 0


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--catalog",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder holding gpus.csv (default: the tree's own catalog/, else ./measurements/catalog).",
)
@click.option(
    "--max-file-mib",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_MAX_FILE_MIB,
    show_default=True,
    help="Refuse any file larger than this before parsing it.",
)
def validate_command(paths: tuple[Path, ...], catalog: Path | None, max_file_mib: float) -> None:
    """Check measurement trees against the data contract (guide_builder/schema.py).

    PATHS may be a measurements root (benches/, catalog/, reported/), a folder
    of bench folders (what `measure --out` writes), or one bench folder; the
    default is ./measurements. Exits 0 when everything is valid, 1 after
    listing EVERY problem as file:row:column: message (row is the line of
    the file where the CSV record starts, the header being line 1, so a
    quoted cell holding line breaks does not shift the rows after it; '-'
    means the whole file or the whole row).
    """
    raise SystemExit(run(list(paths) or [Path("measurements")], catalog, max_file_mib))
