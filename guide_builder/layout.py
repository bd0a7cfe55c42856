"""Find the files of a measurements tree (or of a bare bench folder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CATALOG = Path("measurements") / "catalog"


@dataclass
class Layout:
    """The files one load reads."""

    bench_dirs: list[Path] = field(default_factory=list)
    catalog_dir: Path | None = None
    reported_files: list[Path] = field(default_factory=list)
    reported_run_files: list[Path] = field(default_factory=list)  # reported/runs/*.csv
    empty_paths: list[Path] = field(default_factory=list)  # paths where nothing was found
    missing_paths: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # (folder, why)


def is_bench_dir(path: Path) -> bool:
    return (path / "bench.json").is_file() or (path / "runs.csv").is_file()


def discover(paths: list[Path], catalog: Path | None = None) -> Layout:
    """Accept a measurements root, a folder of bench folders, or one bench folder."""
    layout = Layout(catalog_dir=catalog)
    for path in paths:
        if not path.is_dir():
            layout.missing_paths.append(path)
            continue
        found = False
        if is_bench_dir(path):
            layout.bench_dirs.append(path)
            continue
        benches = path / "benches"
        parent = benches if benches.is_dir() else path
        try:
            children = sorted(parent.iterdir())
        except OSError as exc:
            layout.unreadable.append((parent, exc.strerror or str(exc)))
            continue
        for child in children:
            if child.is_dir() and is_bench_dir(child):
                layout.bench_dirs.append(child)
                found = True
        if benches.is_dir():
            found = True
        if (path / "catalog").is_dir():
            found = True
            if layout.catalog_dir is None:
                layout.catalog_dir = path / "catalog"
        if (path / "reported").is_dir():
            found = True
            layout.reported_files.extend(sorted((path / "reported").glob("*.csv")))
            layout.reported_run_files.extend(sorted((path / "reported" / "runs").glob("*.csv")))
        if not found:
            layout.empty_paths.append(path)
    if layout.catalog_dir is None and DEFAULT_CATALOG.is_dir():
        layout.catalog_dir = DEFAULT_CATALOG
    return layout
