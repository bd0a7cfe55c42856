"""Load a measurements tree into one typed, validated `Dataset`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from guide_builder.catalog import (
    COMPUTED_TOLERANCE,
    PRECISION_COLUMNS,
    NameResolver,
    computed_tflops,
    split_aliases,
)
from guide_builder.columns import typed_frame
from guide_builder.csvio import TooLarge, read_raw
from guide_builder.layout import Layout, discover
from guide_builder.schema import (
    BENCH_FILES,
    DEFAULT_MAX_FILE_MIB,
    GPUS,
    PROBES_TABLE,
    REPORTED,
    RUNS,
    SCHEMA_VERSION,
    TELEMETRY,
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
    benches: dict[str, BenchMeta] = field(default_factory=dict)
    resolver: NameResolver | None = None
    roots: tuple[Path, ...] = ()
    duplicates_dropped: int = 0  # identical rows seen more than once (merged benches)
    warnings: list[str] = field(default_factory=list)

    def gpu(self, name: str) -> pd.Series:
        """The catalogue row of a canonical name."""
        return self.gpus.loc[self.gpus["name"] == name].iloc[0]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as file:row:column."""

    file: str
    row: int | None  # line in the file (header is 1); None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else str(self.row)
        return f"{self.file}:{row}:{self.column or '-'}: {self.message}"


class DataError(Exception):
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
        loader.problem(path, None, None, "no such folder")
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

    def read(self, path: Path, table: Table) -> pd.DataFrame:
        """One CSV as a typed frame (empty frame with the schema's columns when unreadable)."""
        try:
            raw = read_raw(path, self.max_bytes)
        except TooLarge as exc:
            self.problem(path, None, None, f"{exc}; refused before parsing")
            return _empty(table)
        except UnicodeDecodeError as exc:
            self.problem(path, None, None, f"not UTF-8 ({exc.reason} at byte {exc.start})")
            return _empty(table)
        if raw.truncated_last_line:
            self.warnings.append(
                f"{path}:{raw.lines[-1] + 1 if raw.lines else 2}: unterminated last line skipped "
                "(an interrupted write)"
            )

        def report(line: int | None, column: str | None, message: str) -> None:
            self.problem(path, line, column, message)

        frame = typed_frame(raw, table, report)
        for name in table.names:  # keep every schema column, even when the file lacks it
            if name not in frame:
                frame[name] = _empty(table)[name].reindex(frame.index)
        frame["source_file"] = str(path)
        return frame

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
                f"'{alias}' names both {first} and {second}",
            )
        benches: dict[str, BenchMeta] = {}
        parts: dict[str, list[pd.DataFrame]] = {"runs": [], "probes": [], "telemetry": []}
        for bench_dir in layout.bench_dirs:
            meta = self._bench_meta(bench_dir)
            frames = {
                table.name: self.read(bench_dir / name, table)
                if (bench_dir / name).is_file()
                else None
                for name, table in BENCH_FILES.items()
            }
            if frames["runs"] is None:
                self.problem(
                    bench_dir / "runs.csv", None, None, "missing (every bench has runs.csv)"
                )
            if meta is not None:
                self._check_bench(bench_dir, meta, frames)
                if meta.bench_id in benches and benches[meta.bench_id] != meta:
                    self.problem(
                        bench_dir / "bench.json",
                        None,
                        "bench_id",
                        f"bench id '{meta.bench_id}' is used by two different benches",
                    )
                benches[meta.bench_id] = meta
            for name, frame in frames.items():
                if frame is not None:
                    parts[name].append(frame)
        runs = _concat(parts["runs"], RUNS)
        probes = _concat(parts["probes"], PROBES_TABLE)
        telemetry = _concat(parts["telemetry"], TELEMETRY)
        needs_catalogue = bool(
            ((runs["device"] == "cuda").any() if len(runs) else False) or layout.reported_files
        )
        if needs_catalogue and layout.catalog_dir is None:
            self.problem(
                roots[0], None, None, "no catalogue found (catalog/gpus.csv); pass --catalog DIR"
            )
        reported = _concat([self.read(p, REPORTED) for p in layout.reported_files], REPORTED)
        if layout.catalog_dir is not None:
            runs["gpu_name"] = self._resolve(runs, "gpu_name", resolver, fallback="gpu_name_nvml")
            probes["gpu_name"] = self._resolve(probes, "gpu_name", resolver)
            reported["gpu_name"] = self._resolve(reported, "gpu", resolver, cpu_ok=False)
        else:
            reported["gpu_name"] = ""
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
        return Dataset(
            runs=runs.reset_index(drop=True),
            probes=probes.reset_index(drop=True),
            telemetry=telemetry.reset_index(drop=True),
            gpus=gpus,
            workloads=workloads,
            reported=reported.reset_index(drop=True),
            benches=benches,
            resolver=resolver,
            roots=roots,
            duplicates_dropped=duplicates,
            warnings=self.warnings,
        )

    def _catalog(self, layout: Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
        gpus, workloads = _empty(GPUS), _empty(WORKLOADS)
        if layout.catalog_dir is None:
            return gpus, workloads
        gpus_path = layout.catalog_dir / "gpus.csv"
        if gpus_path.is_file():
            gpus = self.read(gpus_path, GPUS)
            self._check_catalogue(gpus_path, gpus)
        else:
            self.problem(gpus_path, None, None, "missing: the GPU catalogue")
        workloads_path = layout.catalog_dir / "workloads.csv"
        if workloads_path.is_file():
            workloads = self.read(workloads_path, WORKLOADS)
            self._unique(workloads_path, workloads, "workload")
        return gpus, workloads

    def _unique(self, path: Path, frame: pd.DataFrame, column: str) -> None:
        seen: dict[str, int] = {}
        for value, line in zip(frame[column], frame["source_row"], strict=True):
            if value in seen:
                self.problem(
                    path, int(line), column, f"'{value}' appears twice (also line {seen[value]})"
                )
            seen.setdefault(value, int(line))

    def _check_catalogue(self, path: Path, gpus: pd.DataFrame) -> None:
        self._unique(path, gpus, "name")
        for row in gpus.itertuples(index=False):
            for precision, column in PRECISION_COLUMNS.items():
                value, basis = getattr(row, column), getattr(row, f"{column}_basis")
                if pd.notna(value) and not basis:
                    self.problem(
                        path, row.source_row, f"{column}_basis", "a TFLOPS value needs its basis"
                    )
                if basis != "computed" or pd.isna(value):
                    continue
                expected = computed_tflops(
                    row.architecture, precision, row.sm_count, row.boost_clock_mhz
                )
                if expected is None:
                    self.problem(
                        path,
                        row.source_row,
                        column,
                        f"{row.architecture} has no {precision} tensor rate to compute from",
                    )
                elif abs(value - expected) > COMPUTED_TOLERANCE * expected:
                    self.problem(
                        path,
                        row.source_row,
                        column,
                        f"computed value {value:g} does not match SMs x clock x rate = {expected:.1f}",
                    )
            if pd.notna(row.price_cny) and not (
                row.price_cny_kind and row.price_cny_date and row.price_cny_source
            ):
                self.problem(
                    path, row.source_row, "price_cny", "a price needs its kind, date and source"
                )

    def _bench_meta(self, bench_dir: Path) -> BenchMeta | None:
        path = bench_dir / "bench.json"
        if not path.is_file():
            self.problem(path, None, None, "missing: every bench folder needs bench.json")
            return None
        if path.stat().st_size > self.max_bytes:
            self.problem(path, None, None, "over the size cap; refused before parsing")
            return None
        try:
            meta = BenchMeta.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or None
                self.problem(path, None, where, err["msg"])
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
                f"'{meta.bench_id}' contradicts the folder name '{bench_dir.name}'",
            )
        return meta

    def _check_bench(
        self, bench_dir: Path, meta: BenchMeta, frames: dict[str, pd.DataFrame | None]
    ) -> None:
        """Rows must agree with the bench.json they sit beside."""
        uuids = {g.uuid: g.index for g in meta.gpus}
        for name, frame in frames.items():
            if frame is None or not len(frame):
                continue
            path = bench_dir / f"{name}.csv"
            expectations = [("bench_id", meta.bench_id)]
            if "device" in frame:
                expectations.append(("device", meta.device))
            if "weights" in frame:
                expectations.append(("weights", meta.weights))
            for column, expected in expectations:
                bad = frame[column] != expected
                for line, value in zip(
                    frame.loc[bad, "source_row"], frame.loc[bad, column], strict=True
                ):
                    self.problem(
                        path,
                        int(line),
                        column,
                        f"'{value}' contradicts bench.json ({column} '{expected}')",
                    )
            if "gpu_uuid" in frame and meta.device == "cuda":
                for line, uuid, index in zip(
                    frame["source_row"], frame["gpu_uuid"], frame["gpu_index"], strict=True
                ):
                    if uuid not in uuids:
                        self.problem(
                            path, int(line), "gpu_uuid", f"'{uuid}' is not one of bench.json's GPUs"
                        )
                    elif pd.notna(index) and int(index) != uuids[uuid]:
                        self.problem(
                            path,
                            int(line),
                            "gpu_index",
                            f"{index} contradicts bench.json (that GPU is index {uuids[uuid]})",
                        )

    def _resolve(
        self,
        frame: pd.DataFrame,
        column: str,
        resolver: NameResolver,
        fallback: str | None = None,
        cpu_ok: bool = True,
    ) -> pd.Series:
        """Canonical names for a column; unknown names are problems with a suggestion."""
        cache: dict[str, str | None] = {}
        out: list[str] = []
        is_cpu = (
            frame["device"] == "cpu"
            if cpu_ok and "device" in frame
            else pd.Series(False, index=frame.index)
        )
        for name, alt, cpu, line, file in zip(
            frame[column],
            frame[fallback] if fallback else frame[column],
            is_cpu,
            frame["source_row"],
            frame["source_file"],
            strict=True,
        ):
            if cpu:
                out.append("")
                continue
            given = name or alt
            if given not in cache:
                cache[given] = resolver.resolve(given) if given else None
            canonical = cache[given]
            if canonical is None:
                where = column if name or not fallback else fallback
                self.problem(file, int(line), where, _unknown_gpu_message(given, resolver))
                out.append("")
            else:
                out.append(canonical)
        return pd.Series(out, index=frame.index, dtype=object)

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
        f"unknown GPU '{name}': {hint}add the card to catalog/gpus.csv with its sources, "
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


def _concat(frames: list[pd.DataFrame], table: Table) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty(table)
    return pd.concat(frames, ignore_index=True)
