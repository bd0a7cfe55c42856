"""CLI wrappers for `measure` and `count-flops` (torch is imported only when they run)."""

from __future__ import annotations

import json
from pathlib import Path

import click

WEIGHTS = ("real", "synthetic", "tiny")


def _list(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _caps(ctx, param, value: str | None) -> list[float | None]:
    caps: list[float | None] = []
    for part in _list(value) or ["none"]:
        if part.lower() == "none":
            caps.append(None)
            continue
        try:
            cap = float(part)
        except ValueError:
            raise click.BadParameter(f"{part!r} is neither a number of GiB nor 'none'") from None
        if cap <= 0:
            raise click.BadParameter(f"a memory cap must be positive, got {part}")
        caps.append(cap)
    return caps


def _gpus(ctx, param, value: str) -> str:
    from guide_builder.measure.discovery import parse_gpus

    try:
        parse_gpus(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use 'all' or NVML indices such as 0,2") from None
    return value


@click.command("measure")
@click.option(
    "--device",
    type=click.Choice(["cuda", "cpu"]),
    default="cuda",
    show_default=True,
    help="Run on NVIDIA GPUs, or on the CPU (tiny weights, for tests and demos).",
)
@click.option(
    "--gpus",
    default="all",
    show_default=True,
    callback=_gpus,
    help="Which GPUs: 'all' or NVML indices (PCI bus order) such as 0,2.",
)
@click.option(
    "--weights",
    type=click.Choice(WEIGHTS),
    default=None,
    help="real: a local folder or the HF cache; synthetic: full-size random bf16 weights; tiny: small config. Default: synthetic on cuda, tiny on cpu.",
)
@click.option(
    "--model-path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Local pipeline folder for --weights real (default: the Hugging Face cache).",
)
@click.option(
    "--allow-download",
    is_flag=True,
    help="Let --weights real download from the Hugging Face Hub (never done otherwise).",
)
@click.option(
    "--workloads", default=None, help="Comma-separated workload names (default: all registered)."
)
@click.option(
    "--variants",
    default=None,
    help="Comma-separated variants: plain, text_encoder_unload, model_offload, group_offload, sequential_offload, fp8, gguf_q8_0, gguf_q4_k_m, and <fp8|gguf_q8_0|gguf_q4_k_m>+text_encoder_unload (default on cuda: all but sequential_offload and the combinations; on cpu: plain, text_encoder_unload).",
)
@click.option(
    "--memory-caps",
    "memory_caps",
    default=None,
    callback=_caps,
    help="Comma-separated per-process memory caps in GiB, 'none' for uncapped, e.g. none,12,16,24 (CUDA only). A capped configuration runs only its first call and the memory pass: memory is representative there, time is not.",
)
@click.option(
    "--warmup",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Warm-up calls after the first call (which is recorded as phase 'first').",
)
@click.option(
    "--min-iterations",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Timed images at least.",
)
@click.option(
    "--min-seconds",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Timed seconds at least (both minimums must be met).",
)
@click.option(
    "--stability",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Consecutive same-seed images in a stability pass (errors, memory growth, determinism).",
)
@click.option(
    "--soak-minutes",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Minutes of continuous generation with telemetry (thermal soak).",
)
@click.option(
    "--probes/--no-probes",
    default=True,
    show_default=True,
    help="Run the per-GPU probes (bandwidth, matmul, PCIe, idle power, ...).",
)
@click.option(
    "--telemetry/--no-telemetry",
    default=True,
    show_default=True,
    help="Sample NVML at --telemetry-hz in a background thread.",
)
@click.option(
    "--telemetry-hz",
    type=click.FloatRange(min=0.1, max=100),
    default=10.0,
    show_default=True,
    help="Telemetry sampling rate.",
)
@click.option(
    "--worker-timeout",
    type=click.FloatRange(min=1),
    default=1800.0,
    show_default=True,
    help="Seconds without progress after which a worker is killed and its configuration becomes an error row.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Generator seed (default: each workload's own).",
)
@click.option(
    "--attention-backend",
    default=None,
    help="diffusers attention backend (e.g. flash, _flash_3); default PyTorch SDPA.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("measurements/benches"),
    show_default=True,
    help="Folder that receives <bench-id>/.",
)
@click.option(
    "--bench-id",
    default=None,
    help="Bench folder name (default: GPU name and UTC date; never the hostname).",
)
@click.option(
    "--note",
    default="",
    help="Operator's note for bench.json: case, airflow, ambient temperature, ...",
)
@click.option(
    "--record-hostname", is_flag=True, help="Store the hostname in bench.json (off by default)."
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the bench named by --bench-id with its saved config, skipping finished work.",
)
@click.option(
    "--quality-prompts",
    is_flag=True,
    help="After timing, render a fixed prompt set with every variant, save the images and compare each with plain's (PSNR, SSIM) into quality.csv. Needs --weights real (tiny works, for tests) and plain among the variants.",
)
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    help="Module name or .py file that registers extra workloads/variants (repeatable).",
)
def measure_command(**opts) -> None:
    """Run the reference workloads on this bench's GPUs and write measurement CSVs."""
    from guide_builder.measure.discovery import NoDevice
    from guide_builder.measure.runner import resolve_defaults, run

    cfg = _resumed_config(opts) if opts["resume"] else _fresh_config(opts)
    try:
        resolve_defaults(cfg)
    except (KeyError, ValueError, ImportError) as exc:
        raise click.BadParameter(str(exc).strip('"')) from None
    try:
        code = run(cfg, echo=click.echo)
    except (NoDevice, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    raise SystemExit(code)


def _fresh_config(opts):
    from guide_builder.measure.config import MeasureConfig

    device = opts["device"]
    weights = opts["weights"] or ("tiny" if device == "cpu" else "synthetic")
    if device == "cpu" and weights != "tiny":
        raise click.BadParameter("the CPU runs tiny weights only", param_hint="--weights")
    if device == "cpu" and any(c is not None for c in opts["memory_caps"]):
        raise click.BadParameter("memory caps need --device cuda", param_hint="--memory-caps")
    return MeasureConfig(
        device=device,
        gpus=opts["gpus"],
        weights=weights,
        model_path=str(opts["model_path"]) if opts["model_path"] else None,
        allow_download=opts["allow_download"],
        workloads=_list(opts["workloads"]),
        variants=_list(opts["variants"]),
        memory_caps_gib=opts["memory_caps"],
        warmup=opts["warmup"],
        min_iterations=opts["min_iterations"],
        min_seconds=opts["min_seconds"],
        stability=opts["stability"],
        soak_minutes=opts["soak_minutes"],
        probes=opts["probes"],
        telemetry=opts["telemetry"],
        telemetry_hz=opts["telemetry_hz"],
        worker_timeout_s=opts["worker_timeout"],
        seed=opts["seed"],
        attention_backend=opts["attention_backend"],
        out=str(opts["out"]),
        bench_id=opts["bench_id"],
        note=opts["note"],
        record_hostname=opts["record_hostname"],
        plugins=[str(Path(p).resolve()) if p.endswith(".py") else p for p in opts["plugins"]],
        quality_prompts=opts["quality_prompts"],
    )


# options whose value a resumed bench takes from its bench.json (option -> config field)
RESUMED_FIELDS = {
    "device": "device",
    "gpus": "gpus",
    "weights": "weights",
    "model_path": "model_path",
    "allow_download": "allow_download",
    "workloads": "workloads",
    "variants": "variants",
    "memory_caps": "memory_caps_gib",
    "warmup": "warmup",
    "min_iterations": "min_iterations",
    "min_seconds": "min_seconds",
    "stability": "stability",
    "soak_minutes": "soak_minutes",
    "probes": "probes",
    "telemetry": "telemetry",
    "telemetry_hz": "telemetry_hz",
    "worker_timeout": "worker_timeout_s",
    "seed": "seed",
    "attention_backend": "attention_backend",
    "note": "note",
    "record_hostname": "record_hostname",
    "plugins": "plugins",
    "quality_prompts": "quality_prompts",
}


def _saved_bench(path: Path) -> dict:
    """bench.json of the bench to resume; a damaged one is a one-line error naming it."""
    from pydantic import ValidationError

    from guide_builder.schema import BenchMeta

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: cannot resume: not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{path}:{exc.lineno}:{exc.colno}: cannot resume: not valid JSON ({exc.msg})"
        ) from None
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot resume: {exc.strerror}") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise click.ClickException(f"{path}: cannot resume: no 'config' object in it")
    try:
        BenchMeta.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "-"
        raise click.ClickException(f"{path}:-:{where}: cannot resume: {first['msg']}") from None
    return data


def _resumed_config(opts):
    from guide_builder.measure.config import MeasureConfig

    if not opts["bench_id"]:
        raise click.BadParameter("--resume needs the --bench-id to continue", param_hint="--resume")
    path = opts["out"] / opts["bench_id"] / "bench.json"
    if not path.exists():
        raise click.BadParameter(f"no bench to resume at {path}", param_hint="--bench-id")
    saved = _saved_bench(path)["config"]
    try:
        cfg = MeasureConfig.from_dict(saved)
    except TypeError as exc:
        raise click.ClickException(f"{path}:-:config: cannot resume: {exc}") from None
    _refuse_conflicts(opts, cfg, path)
    cfg.resume, cfg.out, cfg.bench_id = True, str(opts["out"]), opts["bench_id"]
    return cfg


def _refuse_conflicts(opts, saved, path: Path) -> None:
    """Options given with --resume must agree with the saved config: never dropped silently."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    given = {
        name
        for name in RESUMED_FIELDS
        if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    }
    if not given:
        return
    fresh = _fresh_config({**opts, "resume": False})
    conflicts = []
    for name in sorted(given):
        field = RESUMED_FIELDS[name]
        if getattr(fresh, field) != getattr(saved, field):
            conflicts.append(
                f"--{name.replace('_', '-')} {getattr(fresh, field)!r} "
                f"(saved: {getattr(saved, field)!r})"
            )
    if conflicts:
        raise click.UsageError(
            f"a resumed bench keeps the config saved in {path}; these options differ from it: "
            + "; ".join(conflicts)
            + ". Drop them, or start a new bench with another --bench-id."
        )


@click.command("count-flops")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("measurements/catalog/workloads.csv"),
    show_default=True,
    help="CSV to write (catalog/workloads.csv).",
)
@click.option(
    "--workloads", default=None, help="Comma-separated workload names (default: all registered)."
)
def count_flops_command(out: Path, workloads: str | None) -> None:
    """Count each workload's FLOPs on the meta device and write catalog/workloads.csv."""
    from guide_builder.measure import flops
    from guide_builder.measure import workloads as registry

    names = _list(workloads) or None
    for name in names or []:
        try:
            registry.get(name)
        except KeyError as exc:
            raise click.BadParameter(str(exc).strip('"'), param_hint="--workloads") from None
    flops.run(out, names, echo=click.echo)


@click.command("count-memory")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("measurements/catalog/variant_memory.csv"),
    show_default=True,
    help="CSV to write (catalog/variant_memory.csv).",
)
def count_memory_command(out: Path) -> None:
    """Count each component's weight bytes per storage type and write catalog/variant_memory.csv."""
    from guide_builder.measure import memory

    memory.run(out, echo=click.echo)
