"""Load a measurements tree into one typed, validated `Dataset`."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ValidationError

from guide_builder import reported_runs as _reported_runs
from guide_builder.bilingual import bilingual_warnings, data_files
from guide_builder.catalog import (
    COMPUTED_TOLERANCE,
    PRECISION_COLUMNS,
    NameResolver,
    computed_tflops,
    split_aliases,
)
from guide_builder.columns import typed_frame
from guide_builder.csvio import TooLarge, read_raw
from guide_builder.errors import GuideError, one_line, shown
from guide_builder.layout import Layout, discover
from guide_builder.pricing_checks import load_prices
from guide_builder.schema import (
    BENCH_FILES,
    DEFAULT_MAX_FILE_MIB,
    FX_RATES,
    GPUS,
    PARTS,
    PRICES,
    PROBES_TABLE,
    QUALITY,
    REFERENCE_FILES,
    REPORTED,
    REPORTED_RUNS,
    RUNS,
    SCHEMA_VERSION,
    TELEMETRY,
    VARIANT_MEMORY,
    WORKLOADS,
    BenchMeta,
    Table,
)


@dataclass
class Dataset:
    """Everything the analysis needs, typed per `schema.py`.

    Text columns hold str ("" when missing), int columns pandas ``Int64``
    (``<NA>`` when missing), float columns float64 (NaN when missing).
    Every frame except ``gpus`` and ``workloads`` also has ``source_file`` and
    ``source_row`` (the CSV line) so pages can link a figure to its raw rows.
    ``runs`` and ``probes`` have ``gpu_name`` resolved to the canonical
    catalogue name ("" on cpu); ``reported`` gains ``gpu_name`` likewise.
    """

    runs: pd.DataFrame
    probes: pd.DataFrame
    telemetry: pd.DataFrame
    gpus: pd.DataFrame  # the catalogue, one row per canonical name
    workloads: pd.DataFrame
    reported: pd.DataFrame
    variant_memory: pd.DataFrame = field(default_factory=lambda: _empty(VARIANT_MEMORY))
    quality: pd.DataFrame = field(default_factory=lambda: _empty(QUALITY))  # --quality-prompts
    benches: dict[str, BenchMeta] = field(default_factory=dict)
    resolver: NameResolver | None = None
    # catalog/prices.csv (with `gpu_name` resolved), fx_rates.csv and parts.csv
    prices: pd.DataFrame = field(default_factory=lambda: _empty(PRICES))
    fx_rates: pd.DataFrame = field(default_factory=lambda: _empty(FX_RATES))
    parts: pd.DataFrame = field(default_factory=lambda: _empty(PARTS))
    roots: tuple[Path, ...] = ()
    duplicates_dropped: int = 0  # identical rows seen more than once (merged benches)
    warnings: list[str] = field(default_factory=list)
    # Sourced reference tables (catalog/storage_classes.csv, pcie_links.csv, hardware_refs.csv).
    references: dict[str, pd.DataFrame] = field(default_factory=dict)
    # reported/runs/*.csv, with gpu_name resolved ("" when not catalogued)
    reported_runs: pd.DataFrame = field(default_factory=lambda: _empty(REPORTED_RUNS))

    def gpu_row(self, name: str) -> pd.Series | None:
        """The catalogue row of a card by its canonical name; None when not catalogued."""
        rows = self.gpus.loc[self.gpus["name"] == name]
        return None if rows.empty else rows.iloc[0]

    def reference(self, name: str) -> pd.DataFrame:
        """A reference table by name; empty (with its columns) when the file is absent."""
        table = next(t for _, t, attr in REFERENCE_FILES if attr == name)
        return self.references.get(name, _empty(table))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as file:row:column."""

    file: str
    row: int | None  # line where the CSV record starts (header is 1); None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else str(self.row)
        column = one_line(self.column or "-")
        column = column if len(column) <= 60 else column[:60] + "…"
        # one problem, one line: a value holding a line break must not split it
        return f"{one_line(self.file)}:{row}:{column}: {one_line(self.message)}"


class DataError(GuideError):
    """Invalid input; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the measurements:\n" + "\n".join(map(str, problems))
        )


def load_dataset(
    *paths: Path | str,
    catalog: Path | str | None = None,
    max_file_mib: float = DEFAULT_MAX_FILE_MIB,
) -> Dataset:
    """Load and validate; raise `DataError` listing every problem when anything is wrong."""
    dataset, problems = check(*paths, catalog=catalog, max_file_mib=max_file_mib)
    if problems:
        raise DataError(problems)
    return dataset


def check(
    *paths: Path | str,
    catalog: Path | str | None = None,
    max_file_mib: float = DEFAULT_MAX_FILE_MIB,
) -> tuple[Dataset, list[Problem]]:
    """Load whatever can be loaded and return it with every problem found."""
    roots = [Path(p) for p in paths] or [Path("measurements")]
    layout = discover(roots, Path(catalog) if catalog is not None else None)
    loader = _Loader(int(max_file_mib * 2**20))
    for path in layout.missing_paths:
        loader.problem(path, None, None, "not a folder" if path.exists() else "no such folder")
    for path, why in layout.unreadable:
        loader.problem(path, None, None, f"cannot read the folder: {why}")
    for path in layout.empty_paths:
        loader.problem(path, None, None, "no bench folders, catalog/ or reported/ found here")
    return loader.load(layout, tuple(roots)), loader.problems


class _Loader:
    """Collects problems while reading files; one instance per load."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def problem(self, path: Path | str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(str(path), row, column, message))

    def read(self, paths: list[Path], table: Table) -> pd.DataFrame:
        """CSVs of one kind as one typed frame (unreadable files are problems, not rows)."""
        raws = []
        for path in paths:
            try:
                raw = read_raw(path, self.max_bytes)
            except TooLarge as exc:
                self.problem(path, None, None, f"{exc}; refused before parsing")
                continue
            except UnicodeDecodeError as exc:
                self.problem(path, None, None, f"not UTF-8 ({exc.reason} at byte {exc.start})")
                continue
            except OSError as exc:
                self.problem(path, None, None, f"cannot read: {exc.strerror or exc}")
                continue
            if raw.error:
                self.problem(path, raw.error_line, None, f"{raw.error}; rows from here on not read")
            if raw.truncated_line is not None:
                self.warnings.append(
                    f"{path}:{raw.truncated_line}: unterminated last line skipped "
                    "(an interrupted write)"
                )
            raws.append(raw)
        return typed_frame(raws, table, self.problem)

    def load(self, layout: Layout, roots: tuple[Path, ...]) -> Dataset:
        gpus, workloads = self._catalog(layout)
        resolver = NameResolver(
            (name, split_aliases(aliases))
            for name, aliases in zip(gpus["name"], gpus["aliases"], strict=True)
        )
        for alias, first, second in resolver.collisions:
            self.problem(
                layout.catalog_dir / "gpus.csv",
                None,
                "aliases",
                f"{shown(alias)} names both {first} and {second}",
            )
        prices, fx_rates, parts = load_prices(self, layout.catalog_dir, gpus, resolver)
        benches: dict[str, BenchMeta] = {}
        meta_by_file: dict[str, BenchMeta] = {}
        files: dict[str, list[Path]] = {name: [] for name in BENCH_FILES}
        for bench_dir in layout.bench_dirs:
            meta = self._bench_meta(bench_dir)
            if not (bench_dir / "runs.csv").is_file():
                self.problem(
                    bench_dir / "runs.csv", None, None, "missing (every bench has runs.csv)"
                )
            for name in BENCH_FILES:
                if (bench_dir / name).is_file():
                    files[name].append(bench_dir / name)
                    if meta is not None:
                        meta_by_file[str(bench_dir / name)] = meta
            if meta is None:
                continue
            if meta.bench_id in benches and benches[meta.bench_id] != meta:
                self.problem(
                    bench_dir / "bench.json",
                    None,
                    "bench_id",
                    f"bench id {shown(meta.bench_id)} is used by two different benches",
                )
            benches[meta.bench_id] = meta
        runs, probes, telemetry = (self.read(files[n], t) for n, t in BENCH_FILES.items())
        for frame in (runs, probes, telemetry):
            self._check_against_meta(frame, meta_by_file)
        needs_catalogue = bool(
            ((runs["device"] == "cuda").any() if len(runs) else False)
            or layout.reported_files
            or layout.reported_run_files
        )
        if needs_catalogue and layout.catalog_dir is None:
            self.problem(
                roots[0], None, None, "no catalogue found (catalog/gpus.csv); pass --catalog DIR"
            )
        reported = self.read(layout.reported_files, REPORTED)
        if layout.catalog_dir is not None:
            runs["gpu_name"] = self._resolve(runs, "gpu_name", resolver, fallback="gpu_name_nvml")
            probes["gpu_name"] = self._resolve(probes, "gpu_name", resolver)
            reported["gpu_name"] = self._resolve(reported, "gpu", resolver, cpu_ok=False)
        else:
            reported["gpu_name"] = ""
        reported_runs = self.read(layout.reported_run_files, REPORTED_RUNS)
        reported_runs["gpu_name"] = _reported_runs.check(
            reported_runs,
            resolver if layout.catalog_dir is not None else None,
            self.problem,
            self.warnings.append,
        )
        self._check_run_status(runs)
        duplicates = 0
        runs, n = self._deduplicate(runs, RUNS.key)
        duplicates += n
        probes, n = self._deduplicate(probes, PROBES_TABLE.key)
        duplicates += n
        before = len(telemetry)
        telemetry = telemetry.drop_duplicates(subset=[c for c in TELEMETRY.names], keep="first")
        duplicates += before - len(telemetry)
        if duplicates:
            self.warnings.append(
                f"{duplicates} duplicated row(s) merged (same bench, same identity, same content)"
            )
        self.warnings += bilingual_warnings(
            data_files(layout.catalog_dir, layout.reported_files, roots)
        )
        return Dataset(
            runs=runs.reset_index(drop=True),
            probes=probes.reset_index(drop=True),
            telemetry=telemetry.reset_index(drop=True),
            gpus=gpus,
            workloads=workloads,
            reported=reported.reset_index(drop=True),
            variant_memory=self._variant_memory(layout),
            quality=self.read(
                [d / "quality.csv" for d in layout.bench_dirs if (d / "quality.csv").is_file()],
                QUALITY,
            ),
            reported_runs=reported_runs.reset_index(drop=True),
            benches=benches,
            resolver=resolver,
            prices=prices,
            fx_rates=fx_rates,
            parts=parts,
            roots=roots,
            duplicates_dropped=duplicates,
            warnings=self.warnings,
            references=self._references(layout),
        )

    def _references(self, layout: Layout) -> dict[str, pd.DataFrame]:
        if layout.catalog_dir is None:
            return {}
        out = {}
        for name, table, attr in REFERENCE_FILES:
            path = layout.catalog_dir / name
            if path.is_file():
                out[attr] = self.read([path], table)
        return out

    def _catalog(self, layout: Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
        gpus, workloads = _empty(GPUS), _empty(WORKLOADS)
        if layout.catalog_dir is None:
            return gpus, workloads
        gpus_path = layout.catalog_dir / "gpus.csv"
        if gpus_path.is_file():
            gpus = self.read([gpus_path], GPUS)
            self._check_catalogue(gpus_path, gpus)
        else:
            self.problem(gpus_path, None, None, "missing: the GPU catalogue")
        workloads_path = layout.catalog_dir / "workloads.csv"
        if workloads_path.is_file():
            workloads = self.read([workloads_path], WORKLOADS)
            self._unique(workloads_path, workloads, "workload")
        return gpus, workloads

    def _variant_memory(self, layout: Layout) -> pd.DataFrame:
        """catalog/variant_memory.csv (weight bytes per component and storage), when present."""
        path = layout.catalog_dir / "variant_memory.csv" if layout.catalog_dir else None
        if path is None or not path.is_file():
            return _empty(VARIANT_MEMORY)
        frame = self.read([path], VARIANT_MEMORY)
        seen: dict[tuple[str, str], int] = {}
        for c, s, line in zip(
            frame["component"], frame["storage"], frame["source_row"], strict=True
        ):
            if (c, s) in seen:
                self.problem(
                    path, int(line), "storage", f"'{c}, {s}' appears twice (also line {seen[c, s]})"
                )
            seen.setdefault((c, s), int(line))
        return frame

    def _unique(self, path: Path, frame: pd.DataFrame, column: str) -> None:
        seen: dict[str, int] = {}
        for value, line in zip(frame[column], frame["source_row"], strict=True):
            if value in seen:
                self.problem(
                    path,
                    int(line),
                    column,
                    f"{shown(value)} appears twice (also line {seen[value]})",
                )
            seen.setdefault(value, int(line))

    def _check_catalogue(self, path: Path, gpus: pd.DataFrame) -> None:
        self._unique(path, gpus, "name")
        for row in gpus.itertuples(index=False):
            for precision, column in PRECISION_COLUMNS.items():
                self._check_figure(path, row, precision, column)

    def _check_figure(self, path: Path, row, precision: str, column: str) -> None:
        """A TFLOPS figure and its basis come together; a computed one recomputes.

        Cells that failed their own check are NaN/NA here (already reported), so
        every test below is on plain floats and never on a missing value.
        """
        value, basis = _number(getattr(row, column)), getattr(row, f"{column}_basis")
        line = row.source_row
        if value is None:
            if basis and not self._reported(path, line, column):
                self.problem(
                    path, line, column, f"basis {shown(basis)} is given but the value is empty"
                )
            return
        if not basis:
            self.problem(path, line, f"{column}_basis", "a TFLOPS value needs its basis")
            return
        if basis != "computed":
            return
        sm_count, clock = _number(row.sm_count), _number(row.boost_clock_mhz)
        if sm_count is None or clock is None:
            needs = [
                c for c, v in (("sm_count", sm_count), ("boost_clock_mhz", clock)) if v is None
            ]
            self.problem(
                path,
                line,
                column,
                f"a computed value needs {' and '.join(needs)} (SMs x clock x rate)",
            )
            return
        expected = computed_tflops(row.architecture, precision, sm_count, clock)
        if expected is None and self._reported(path, line, "architecture"):
            return
        if expected is None:
            self.problem(
                path,
                line,
                column,
                f"{row.architecture or 'this architecture'} has no {precision} tensor rate "
                "to compute from",
            )
        elif abs(value - expected) > COMPUTED_TOLERANCE * expected:
            self.problem(
                path,
                line,
                column,
                f"computed value {value:g} does not match SMs x clock x rate = {expected:.1f}",
            )

    def _reported(self, path: Path, line: int, column: str) -> bool:
        """Whether this cell already has a problem (no second message for it)."""
        return any(
            p.file == str(path) and p.row == line and p.column == column for p in self.problems
        )

    def _bench_meta(self, bench_dir: Path) -> BenchMeta | None:
        path = bench_dir / "bench.json"
        if not path.is_file():
            self.problem(path, None, None, "missing: every bench folder needs bench.json")
            return None
        try:
            if path.stat().st_size > self.max_bytes:
                self.problem(path, None, None, "over the size cap; refused before parsing")
                return None
            data = path.read_bytes()
        except OSError as exc:
            self.problem(path, None, None, f"cannot read: {exc.strerror or exc}")
            return None
        if data.startswith(b"\xef\xbb\xbf"):  # a BOM, as some editors write
            data = data[3:]
        try:
            meta = BenchMeta.model_validate_json(data)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or None
                self.problem(path, None, where, err["msg"])
            return None
        bad_numbers = list(_bad_numbers(meta))
        for where, value in bad_numbers:
            self.problem(path, None, where, f"{value!r} is not a finite number >= 0")
        if bad_numbers:
            return None
        if meta.schema_version > SCHEMA_VERSION:
            self.problem(
                path,
                None,
                "schema_version",
                f"version {meta.schema_version} is newer than this guide-builder reads ({SCHEMA_VERSION}); upgrade guide-builder",
            )
        if meta.bench_id != bench_dir.name:
            self.problem(
                path,
                None,
                "bench_id",
                f"{shown(meta.bench_id)} contradicts the folder name {shown(bench_dir.name)}",
            )
        return meta

    def _check_against_meta(self, frame: pd.DataFrame, meta_by_file: dict[str, BenchMeta]) -> None:
        """Rows must agree with the bench.json beside them."""
        if not len(frame):
            return
        metas = frame["source_file"].map(meta_by_file)
        known = metas.notna()
        checks = [
            ("bench_id", lambda m: m.bench_id),
            ("device", lambda m: m.device),
            ("weights", lambda m: m.weights),
        ]
        for column, attribute in checks:
            if column not in frame:
                continue
            expected = metas[known].map(attribute)
            bad = expected.index[frame.loc[known, column] != expected]
            for i in bad:
                self.problem(
                    frame.at[i, "source_file"],
                    int(frame.at[i, "source_row"]),
                    column,
                    f"{shown(frame.at[i, column])} contradicts bench.json ({column} {shown(expected[i])})",
                )
        if "gpu_uuid" not in frame:
            return
        uuid_index = {
            (file, g.uuid): g.index
            for file, meta in meta_by_file.items()
            if meta.device == "cuda"
            for g in meta.gpus
        }
        cuda = known & (metas[known].map(lambda m: m.device) == "cuda").reindex(
            frame.index, fill_value=False
        )
        pairs = zip(
            frame.loc[cuda, "source_file"],
            frame.loc[cuda, "gpu_uuid"],
            frame.loc[cuda, "gpu_index"],
            frame.index[cuda],
            strict=True,
        )
        seen: dict[tuple[str, str, object], int | None] = {}
        for file, uuid, index, i in pairs:
            key = (file, uuid, index)
            if key in seen and seen[key] is None:
                continue
            line = int(frame.at[i, "source_row"])
            if (file, uuid) not in uuid_index:
                self.problem(
                    file, line, "gpu_uuid", f"{shown(uuid)} is not one of bench.json's GPUs"
                )
            elif pd.notna(index) and int(index) != uuid_index[(file, uuid)]:
                self.problem(
                    file,
                    line,
                    "gpu_index",
                    f"{index} contradicts bench.json (that GPU is index {uuid_index[(file, uuid)]})",
                )
            else:
                seen[key] = None

    def _resolve(
        self,
        frame: pd.DataFrame,
        column: str,
        resolver: NameResolver,
        fallback: str | None = None,
        cpu_ok: bool = True,
    ) -> pd.Series:
        """Canonical names for a column; unknown names are problems with a suggestion."""
        if not len(frame):
            return pd.Series([], dtype=object)
        given = frame[column]
        if fallback:
            given = given.where(given != "", frame[fallback])
        mapping = {name: resolver.resolve(name) if name else None for name in given.unique()}
        canonical = given.map(mapping)
        cpu = frame["device"] == "cpu" if cpu_ok and "device" in frame else False
        for i in frame.index[canonical.isna() & ~cpu]:
            where = column if frame.at[i, column] or not fallback else fallback
            self.problem(
                frame.at[i, "source_file"],
                int(frame.at[i, "source_row"]),
                where,
                _unknown_gpu_message(given[i], resolver),
            )
        return canonical.where(canonical.notna() & ~cpu, "").astype(object)

    def _check_run_status(self, runs: pd.DataFrame) -> None:
        bad = (runs["status"] == "ok") & runs["total_s"].isna()
        # a cell already reported as unreadable needs no second message
        seen = {(p.file, p.row) for p in self.problems if p.column == "total_s"}
        for line, file in zip(
            runs.loc[bad, "source_row"], runs.loc[bad, "source_file"], strict=True
        ):
            if (file, int(line)) not in seen:
                self.problem(file, int(line), "total_s", "a run with status ok needs total_s")

    def _deduplicate(self, frame: pd.DataFrame, key: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
        """Drop rows repeated with identical content; report same identity, different content."""
        if not len(frame):
            return frame, 0
        content = [c for c in frame.columns if c not in ("source_file", "source_row")]
        keys = frame[key[0]].astype("string").fillna("<NA>")
        for column in key[1:]:
            keys = keys + "\x1f" + frame[column].astype("string").fillna("<NA>")
        repeated = keys.duplicated(keep=False)
        if not repeated.any():
            return frame, 0
        exact = frame.duplicated(subset=content, keep="first")
        conflicting = keys.duplicated(keep="first") & ~exact
        first_line = dict(
            zip(keys[~keys.duplicated()], frame.loc[~keys.duplicated(), "source_row"], strict=True)
        )
        for idx in frame.index[conflicting]:
            self.problem(
                frame.at[idx, "source_file"],
                int(frame.at[idx, "source_row"]),
                key[-1],
                f"same {'/'.join(key)} as line {first_line[keys[idx]]} with different content",
            )
        return frame.loc[~exact], int(exact.sum())


def _unknown_gpu_message(name: str, resolver: NameResolver) -> str:
    if not name:
        return "GPU name is empty"
    suggestion = resolver.suggest(name)
    hint = f"did you mean '{suggestion}'? " if suggestion else ""
    return (
        f"unknown GPU {shown(name)}: {hint}add the card to catalog/gpus.csv with its sources, "
        "or add this name to an existing card's aliases"
    )


def _empty(table: Table) -> pd.DataFrame:
    dtypes = {"int": "Int64", "float": "float64"}
    frame = pd.DataFrame(
        {c.name: pd.Series(dtype=dtypes.get(c.kind, object)) for c in table.columns}
    )
    frame["source_row"] = pd.Series(dtype="int64")
    frame["source_file"] = pd.Series(dtype=object)
    return frame


def _number(value: object) -> float | None:
    """A cell of a typed numeric column as a float; None when missing (NA or NaN)."""
    return None if pd.isna(value) else float(value)


def _bad_numbers(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, float]]:
    """Declared numeric fields of bench.json that are negative, NaN or infinite.

    Every figure bench.json declares (counts, GiB, W, MHz) is a non-negative
    quantity; `config` and undeclared extra keys are free-form and left alone.
    """
    for name in type(model).model_fields:
        if name == "config":
            continue
        value = getattr(model, name)
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            where = prefix + name + ("" if index is None else f".{index}")
            if isinstance(item, BaseModel):
                yield from _bad_numbers(item, where + ".")
            elif (
                isinstance(item, int | float)
                and not isinstance(item, bool)
                and (not math.isfinite(item) or item < 0)
            ):
                yield where, item
