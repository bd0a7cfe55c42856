"""How much does the telemetry sampler slow the thing it measures?

Interleaves blocks of images with the sampler on and off (order alternating, so drift hits
both alike) and prints the median on/off time ratio with a bootstrap 95 % interval.

    .venv/bin/python benchmarks/measure_overhead.py                     # tiny, CPU
    python benchmarks/measure_overhead.py --device cuda --weights synthetic --pairs 10

On a GPU the sampler reads the real NVML (target: ratio at most 1.01). On a CPU there is no
NVML: it reads a pure-Python stand-in returning fixed values, so the whole path (thread
wake-ups, GIL, rows pickled down a pipe) runs, minus the driver calls.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import threading
import time
import types


def stand_in_nvml():
    """A pynvml-shaped module with fixed readings (for machines without NVML)."""
    fixed = {
        "nvmlInit": None,
        "nvmlDeviceGetHandleByIndex": "h0",
        "nvmlDeviceGetPowerUsage": 250000,
        "nvmlDeviceGetTotalEnergyConsumption": 10**9,
        "nvmlDeviceGetTemperature": 60,
        "nvmlDeviceGetClockInfo": 2500,
        "nvmlDeviceGetUtilizationRates": types.SimpleNamespace(gpu=99, memory=50),
        "nvmlDeviceGetMemoryInfo": types.SimpleNamespace(total=2**34, used=2**33),
        "nvmlDeviceGetCurrentClocksEventReasons": 0,
    }

    def const(value):
        return lambda *args: value

    mod = types.SimpleNamespace(**{name: const(value) for name, value in fixed.items()})

    def fields(handle, ids):
        value = types.SimpleNamespace(uiVal=300000)
        return [types.SimpleNamespace(nvmlReturn=0, valueType=1, value=value) for _ in ids]

    mod.nvmlDeviceGetFieldValues = fields
    return mod


def drain(receiver) -> None:
    """The parent's side: read rows until told to stop."""
    while receiver.recv() is not None:
        pass


def bootstrap_median_ci(values: list[float], n: int = 5000, seed: int = 0) -> tuple[float, float]:
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--weights", choices=["tiny", "synthetic"], default="tiny")
    ap.add_argument("--workload", default="zimage-turbo-1024")
    ap.add_argument("--pairs", type=int, default=30, help="on/off block pairs")
    ap.add_argument("--images", type=int, default=20, help="images per block")
    ap.add_argument("--hz", type=float, default=10.0)
    args = ap.parse_args()
    os.environ.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # NVML index 0 is cuda:0

    import torch
    from diffusers.utils import logging as diffusers_logging

    from guide_builder.measure import variants, workloads
    from guide_builder.measure.device import make_device
    from guide_builder.measure.generate import ImageMaker
    from guide_builder.measure.nvml import Nvml
    from guide_builder.measure.telemetry import Sampler
    from guide_builder.measure.timing import Timer

    diffusers_logging.set_verbosity_error()
    device = make_device(args.device)
    w = workloads.get(args.workload)
    build_on = device.torch_device
    pipe = w.family.build(args.weights, build_on, torch.bfloat16, {})
    pipe.set_progress_bar_config(disable=True)
    kwargs = variants.get("plain").prepare(pipe, w.family, w, device)
    maker = ImageMaker(pipe, w, w.size(args.weights), Timer(device), kwargs)
    nvml = Nvml() if args.device == "cuda" else Nvml(stand_in_nvml())
    # rows travel as in a real run: pickled down a pipe under a lock to another process
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    reader = ctx.Process(target=drain, args=(receiver,), daemon=True)
    reader.start()
    receiver.close()
    lock = threading.Lock()

    def emit(row) -> None:
        with lock:
            sender.send(("telemetry", row))

    def block(with_sampler: bool) -> float:
        sampler = Sampler(nvml, 0, "overhead", emit, args.hz)
        if with_sampler:
            sampler.start()
        total = 0.0
        for i in range(args.images):
            if with_sampler:
                sampler.begin(i, "timed")
            total += maker(42).total_s
            if with_sampler:
                sampler.end()
        sampler.stop()
        return total

    for _ in range(3):
        maker(42)
    ratios = []
    t0 = time.monotonic()
    for i in range(args.pairs):
        if i % 2 == 0:
            on, off = block(True), block(False)
        else:
            off, on = block(False), block(True)
        ratios.append(on / off)
    sender.send(None)
    reader.join(10)
    lo, hi = bootstrap_median_ci(ratios)
    med = statistics.median(ratios)
    print(
        f"device={args.device} weights={args.weights} workload={args.workload} "
        f"pairs={args.pairs} images/block={args.images} sampler={args.hz:g} Hz "
        f"({'NVML' if args.device == 'cuda' else 'stand-in NVML'}), {time.monotonic() - t0:.0f} s"
    )
    print(
        f"sampler on/off time ratio: median {med:.4f}, 95 % bootstrap interval [{lo:.4f}, {hi:.4f}]"
    )


if __name__ == "__main__":
    main()
