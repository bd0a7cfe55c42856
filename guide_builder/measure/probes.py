"""Per-GPU probes: bandwidth, matmul rate, bf16 correctness, PCIe, host-to-device, load, idle power.

Each probe yields one PROBES_TABLE row body (probe, value, unit, status, detail). A probe
that makes no sense where it runs (PCIe on a CPU bench, model load for synthetic weights)
is `unsupported` with an empty value; a probe that raises is `error` with the message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guide_builder.measure.device import Device, describe_exception
from guide_builder.measure.nvml import Nvml
from guide_builder.measure.timing import Timer

Row = dict[str, Any]


def _row(probe: str, value: float | None, unit: str, detail: str, status: str | None = None) -> Row:
    return {
        "probe": probe,
        "value": value,
        "unit": unit,
        "status": status or ("ok" if value is not None else "unsupported"),
        "detail": detail,
    }


def memory_bandwidth(device: Device, timer: Timer, nbytes: int, repeats: int = 10) -> Row:
    """Device-to-device copy: each copy of N bytes reads N and writes N (counts 2N)."""
    import torch

    src = torch.empty(nbytes, dtype=torch.uint8, device=device.torch_device)
    dst = torch.empty_like(src)
    dst.copy_(src)  # warm-up
    seconds, _ = timer.time(lambda: [dst.copy_(src) for _ in range(repeats)])
    gbs = 2 * nbytes * repeats / seconds / 1e9
    return _row(
        "memory_bandwidth",
        gbs,
        "gb_s",
        f"{repeats} copies of {nbytes / 2**20:.0f} MiB, 2N bytes each",
    )


def bf16_matmul(device: Device, timer: Timer, n: int, repeats: int) -> Row:
    import torch

    a = torch.randn(n, n, device=device.torch_device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device.torch_device, dtype=torch.bfloat16)
    for _ in range(2):
        a @ b
    seconds, _ = timer.time(lambda: [a @ b for _ in range(repeats)])
    tflops = 2 * n**3 * repeats / seconds / 1e12
    return _row("bf16_matmul", tflops, "tflops", f"{n}^3 bf16 matmul, mean of {repeats}")


def bf16_correctness(device: Device, n: int = 1024) -> Row:
    """Largest error of a bf16 matmul against fp32 on the same inputs, relative to the largest output."""
    import torch

    gen = torch.Generator("cpu").manual_seed(0)
    a = torch.randn(n, n, generator=gen).to(torch.bfloat16)
    b = torch.randn(n, n, generator=gen).to(torch.bfloat16)
    ref = a.float() @ b.float()
    got = (a.to(device.torch_device) @ b.to(device.torch_device)).float().cpu()
    if not bool(torch.isfinite(got).all()):
        return _row("bf16_correctness", None, "max_rel_error", "non-finite bf16 result", "error")
    err = float((got - ref).abs().max() / ref.abs().max())
    return _row("bf16_correctness", err, "max_rel_error", f"{n}x{n} bf16 vs fp32 reference")


def h2d_bandwidth(
    device: Device, timer: Timer, nbytes: int, repeats: int = 5, pinned: bool = True
) -> Row:
    """Host-to-device copies from pinned memory (the link's best) or pageable memory.

    Offloading moves ordinary (pageable) tensors unless it pins them, and a pageable copy is
    staged through a pinned bounce buffer by the driver: the offload estimates use that figure.
    """
    import torch

    host = torch.empty(nbytes, dtype=torch.uint8, pin_memory=pinned)
    host.fill_(1)  # touch every page: a fresh pageable buffer is not even mapped yet
    dev = torch.empty(nbytes, dtype=torch.uint8, device=device.torch_device)
    dev.copy_(host, non_blocking=pinned)
    seconds, _ = timer.time(lambda: [dev.copy_(host, non_blocking=pinned) for _ in range(repeats)])
    return _row(
        "h2d_bandwidth" if pinned else "h2d_bandwidth_pageable",
        nbytes * repeats / seconds / 1e9,
        "gb_s",
        f"{'pinned' if pinned else 'pageable'} host memory, {nbytes / 2**20:.0f} MiB x {repeats}",
    )


def disk_read(model_dir: Path) -> Row:
    """Read every weight file once after asking the kernel to drop it from the page cache."""
    files = [
        p for p in model_dir.rglob("*") if p.suffix in (".safetensors", ".bin") and p.is_file()
    ]
    if not files:
        return _row("disk_read", None, "gb_s", f"no weight files under {model_dir}")
    total, start = 0, time.perf_counter()
    for path in files:
        with path.open("rb", buffering=0) as fh:
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
            while chunk := fh.read(64 * 2**20):
                total += len(chunk)
    return _row(
        "disk_read",
        total / (time.perf_counter() - start) / 1e9,
        "gb_s",
        f"{len(files)} files, {total / 2**30:.1f} GiB",
    )


UNITS = {
    "memory_bandwidth": "gb_s",
    "bf16_matmul": "tflops",
    "bf16_correctness": "max_rel_error",
    "pcie_link_gen": "gen",
    "pcie_link_width": "lanes",
    "pcie_link_max_gen": "gen",
    "pcie_link_max_width": "lanes",
    "h2d_bandwidth": "gb_s",
    "h2d_bandwidth_pageable": "gb_s",
    "model_load_cold": "s",
    "model_load_warm": "s",
    "disk_read": "gb_s",
    "idle_power": "w",
    "max_sm_clock": "mhz",
    "power_limit": "w",
}


def run(probe: str, fn: Callable[[], Row], device: Device) -> Row:
    """Run one probe; an exception becomes its `error` row."""
    try:
        return fn()
    except Exception as exc:
        return _row(probe, None, UNITS[probe], describe_exception(exc), "error")
    finally:
        device.empty_cache()


def plan(
    device: Device,
    timer: Timer,
    nvml: Nvml,
    gpu_index: int | None,
    weights: str,
    load: Callable[[], Any] | None = None,
    model_dir: Path | None = None,
) -> list[tuple[str, str, Callable[[], Row]]]:
    """(probe, unit, function) for every probe of one device, in run order."""
    cuda = device.kind == "cuda"
    handle = nvml.handle(gpu_index) if gpu_index is not None else None
    mib = 2**20
    steps: list[tuple[str, str, Callable[[], Row]]] = [
        # first, while the GPU is cold: after the matmul and copy probes it would read a warm
        # card's power, not its idle power
        ("idle_power", "w", lambda: idle_power(nvml, handle)),
        (
            "memory_bandwidth",
            "gb_s",
            lambda: memory_bandwidth(device, timer, (1024 if cuda else 128) * mib),
        ),
        (
            "bf16_matmul",
            "tflops",
            lambda: bf16_matmul(device, timer, 8192 if cuda else 512, 10 if cuda else 3),
        ),
        ("bf16_correctness", "max_rel_error", lambda: bf16_correctness(device)),
    ]
    for probe, pinned in (("h2d_bandwidth", True), ("h2d_bandwidth_pageable", False)):
        if cuda:
            fn = lambda p=pinned: h2d_bandwidth(device, timer, 1024 * mib, pinned=p)  # noqa: E731
        else:
            fn = lambda p=probe: _row(p, None, "gb_s", "no device memory on cpu")  # noqa: E731
        steps.append((probe, "gb_s", fn))
    # read right after load so the link is not in its idle power state
    for probe, fn, unit in (
        ("pcie_link_gen", "nvmlDeviceGetCurrPcieLinkGeneration", "gen"),
        ("pcie_link_width", "nvmlDeviceGetCurrPcieLinkWidth", "lanes"),
        ("pcie_link_max_gen", "nvmlDeviceGetMaxPcieLinkGeneration", "gen"),
        ("pcie_link_max_width", "nvmlDeviceGetMaxPcieLinkWidth", "lanes"),
    ):
        steps.append((probe, unit, _nvml_probe(nvml, handle, probe, fn, unit)))
    steps.append(
        (
            "max_sm_clock",
            "mhz",
            _nvml_probe(nvml, handle, "max_sm_clock", "nvmlDeviceGetMaxClockInfo", "mhz", 1),
        )
    )
    steps.append(
        (
            "power_limit",
            "w",
            lambda: _row(
                "power_limit",
                nvml.read("nvmlDeviceGetEnforcedPowerLimit", handle, convert=lambda v: v / 1000)
                if handle
                else None,
                "w",
                "NVML enforced power limit",
            ),
        )
    )
    if weights == "real" and load is not None:
        steps.append(
            (
                "model_load_cold",
                "s",
                lambda: _row(
                    "model_load_cold",
                    timer.time(load)[0],
                    "s",
                    "first load in this bench (page cache state as found)",
                ),
            )
        )
        steps.append(
            (
                "model_load_warm",
                "s",
                lambda: _row(
                    "model_load_warm",
                    timer.time(load)[0],
                    "s",
                    "second load (weights in page cache)",
                ),
            )
        )
        if model_dir is not None:
            steps.append(("disk_read", "gb_s", lambda: disk_read(model_dir)))
    else:
        for probe, unit in (
            ("model_load_cold", "s"),
            ("model_load_warm", "s"),
            ("disk_read", "gb_s"),
        ):
            steps.append(
                (
                    probe,
                    unit,
                    lambda p=probe, u=unit: _row(
                        p, None, u, f"only with --weights real (this bench: {weights})"
                    ),
                )
            )
    return steps


def _nvml_probe(
    nvml: Nvml, handle: Any, probe: str, fn: str, unit: str, *args: Any
) -> Callable[[], Row]:
    def read() -> Row:
        value = nvml.read(fn, handle, *args, convert=float) if handle is not None else None
        return _row(
            probe, value, unit, f"NVML {fn}" if value is not None else "not reported by NVML here"
        )

    return read


def idle_power(nvml: Nvml, handle: Any, seconds: float = 2.0) -> Row:
    """Mean NVML power over `seconds` with nothing queued (after a short settle)."""
    if handle is None:
        return _row("idle_power", None, "w", "no NVML device")
    time.sleep(1.0)
    values = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = nvml.read("nvmlDeviceGetPowerUsage", handle, convert=lambda mw: mw / 1000)
        if v is not None:
            values.append(v)
        time.sleep(0.1)
    value = sum(values) / len(values) if values else None
    return _row(
        "idle_power", value, "w", f"mean of {len(values)} NVML samples over {seconds:.0f} s"
    )
