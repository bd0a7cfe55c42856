"""One small device interface (synchronise, memory, caps, OOM), with CUDA and CPU written once.

Everything that times or measures memory goes through a `Device`, so the CUDA/CPU branch
lives here and nowhere else.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable

GIB = 2**30


class Device:
    """Base: what the harness needs from wherever the work runs."""

    kind = "cpu"
    torch_device = "cpu"

    def synchronize(self) -> None:
        """Wait until all queued work has finished (the timer calls this before reading the clock)."""

    def reset_peak(self) -> None:
        """Start a new peak-memory window."""

    def peak_gib(self) -> tuple[float | None, float | None]:
        """Peak (allocated, reserved) GiB since `reset_peak`."""
        return None, None

    def allocated_gib(self) -> float | None:
        """Memory held right now (for leak detection)."""
        return None

    def set_memory_cap(self, gib: float | None) -> None:
        """Limit this process to `gib` (None lifts the cap)."""
        if gib is not None:
            raise ValueError(f"memory caps need a CUDA device, not {self.kind}")

    def empty_cache(self) -> None:
        """Return cached blocks to the driver."""

    def is_oom(self, exc: BaseException) -> bool:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
        text = str(exc)
        return isinstance(exc, (RuntimeError, MemoryError)) and (
            "out of memory" in text.lower() or "can't allocate memory" in text
        )


class CpuDevice(Device):
    """CPU: nothing to synchronise; memory is the process's resident set (no allocator stats).

    On CPU `peak_gib` reports (resident set at the end of the image, process peak resident
    set); a leak still shows as growth from the first image to the last.
    """

    def allocated_gib(self) -> float | None:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / GIB

    def peak_gib(self) -> tuple[float | None, float | None]:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self.allocated_gib(), peak_kib * 1024 / GIB


class CudaDevice(Device):
    """A CUDA device; the worker made it `cuda:0` by UUID, so it is the NVML device it reports."""

    kind = "cuda"

    def __init__(self, ordinal: int = 0, used_gib: Callable[[], float | None] | None = None):
        import torch

        self.torch = torch
        self.used_gib = used_gib  # device memory in use by all processes (NVML)
        self.cap_overhead_gib: float | None = None
        self.ordinal = ordinal
        self.torch_device = f"cuda:{ordinal}"
        torch.cuda.set_device(ordinal)
        self.total_gib = torch.cuda.get_device_properties(ordinal).total_memory / GIB

    def synchronize(self) -> None:
        self.torch.cuda.synchronize(self.ordinal)

    def reset_peak(self) -> None:
        self.torch.cuda.reset_peak_memory_stats(self.ordinal)

    def peak_gib(self) -> tuple[float | None, float | None]:
        c = self.torch.cuda
        return c.max_memory_allocated(self.ordinal) / GIB, c.max_memory_reserved(self.ordinal) / GIB

    def allocated_gib(self) -> float | None:
        return self.torch.cuda.memory_allocated(self.ordinal) / GIB

    def set_memory_cap(self, gib: float | None) -> None:
        # the fraction limits PyTorch's pool only: the CUDA context, library handles and other
        # processes (a desktop's display) sit outside it, so the pool gets the cap minus them
        if gib is None:
            fraction = 1.0
        else:
            if self.cap_overhead_gib is None:
                self.cap_overhead_gib = self.overhead_gib()
            fraction = min(max(gib - (self.cap_overhead_gib or 0.0), 0.0) / self.total_gib, 1.0)
        self.torch.cuda.set_per_process_memory_fraction(fraction, self.ordinal)

    def overhead_gib(self) -> float | None:
        """Device memory in use outside PyTorch's pool (NVML used minus reserved), measured once."""
        if self.used_gib is None:
            return None
        self.torch.empty(1, device=self.torch_device)  # the context exists before we read
        self.synchronize()
        used = self.used_gib()
        if used is None:
            return None
        return max(used - self.torch.cuda.memory_reserved(self.ordinal) / GIB, 0.0)

    def empty_cache(self) -> None:
        self.torch.cuda.empty_cache()


def make_device(kind: str, used_gib: Callable[[], float | None] | None = None) -> Device:
    if kind == "cuda":
        return CudaDevice(0, used_gib)
    import torch

    # tiny CPU models gain nothing from intra-op threads, and OpenMP spin-waits make them
    # 50x slower whenever another process competes for the cores
    torch.set_num_threads(1)
    return CpuDevice()


def describe_exception(exc: BaseException, limit: int = 500) -> str:
    """One line for the `error` column (kept short: rows travel through a pipe)."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").strip()
    return text[:limit]
