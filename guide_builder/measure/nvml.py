"""A thin NVML wrapper where every read that fails is None (an empty cell), never a crash.

`pynvml` comes from `nvidia-ml-py`. Pass another module object (a fake) to test: NVML
absent, a field that raises NVMLError_NotSupported, or any other NVML error all read as None.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

GIB = 2**30
FI_MEMORY_TEMP = 82  # NVML_FI_DEV_MEMORY_TEMP
FI_POWER_INSTANT = 186  # NVML_FI_DEV_POWER_INSTANT (mW)
SUCCESS = 0
# newest name first, then the one older drivers export (same arguments, same meaning): a
# driver before R535 has no ...ClocksEventReasons symbol, and nvidia-ml-py marks
# nvmlDeviceGetTemperature "will be removed in CUDA 14.0" in favour of ...TemperatureV
CLOCK_REASON_FNS = (
    "nvmlDeviceGetCurrentClocksEventReasons",
    "nvmlDeviceGetCurrentClocksThrottleReasons",
)
TEMPERATURE_FNS = ("nvmlDeviceGetTemperature", "nvmlDeviceGetTemperatureV")
# clock-event reason bits that mean the card slowed itself down (NVML's nvmlClocksEventReason*)
THROTTLE_BITS = {
    "sw_power_cap": 0x4,
    "hw_slowdown": 0x8,
    "sw_thermal": 0x20,
    "hw_thermal": 0x40,
    "hw_power_brake": 0x80,
}


class Nvml:
    """NVML for one process; `available` is False when the library or driver is missing."""

    def __init__(self, module: Any = None):
        self.lib = module
        self.available = False
        self.error: str | None = None
        try:
            if self.lib is None:
                self.lib = importlib.import_module("pynvml")
            self.lib.nvmlInit()
            self.available = True
        except (
            Exception
        ) as exc:  # ImportError, NVMLError_LibraryNotFound, NVMLError_DriverNotLoaded, ...
            self.error = f"{type(exc).__name__}: {exc}"

    def read(self, fn_name: str, *args: Any, convert: Callable[[Any], Any] = lambda v: v) -> Any:
        """Call `pynvml.<fn_name>(*args)`; any failure (NotSupported included) is None."""
        if not self.available:
            return None
        try:
            return convert(getattr(self.lib, fn_name)(*args))
        except Exception:
            return None

    def read_first(self, fn_names: tuple[str, ...], *args: Any, convert=lambda v: v) -> Any:
        """The first of `fn_names` that reads (a name the driver's NVML lacks is skipped)."""
        for name in fn_names:
            value = self.read(name, *args, convert=convert)
            if value is not None:
                return value
        return None

    def count(self) -> int:
        return self.read("nvmlDeviceGetCount") or 0

    def handle(self, index: int) -> Any:
        return self.read("nvmlDeviceGetHandleByIndex", index)

    def driver_version(self) -> str | None:
        return self.read("nvmlSystemGetDriverVersion", convert=_text)

    def cuda_driver_version(self) -> str | None:
        def fmt(v: int) -> str:
            return f"{v // 1000}.{(v % 1000) // 10}"

        return self.read("nvmlSystemGetCudaDriverVersion", convert=fmt)

    def fields(self, handle: Any, ids: list[int]) -> dict[int, float | None]:
        """Field values by id; one that is unsupported (its own return code) is None."""
        out: dict[int, float | None] = dict.fromkeys(ids)
        values = self.read("nvmlDeviceGetFieldValues", handle, ids)
        for fid, v in zip(ids, values or [], strict=False):
            try:
                if v.nvmlReturn == SUCCESS:
                    out[fid] = _field_value(v)
            except Exception:
                pass
        return out

    def gpu_info(self, index: int) -> dict[str, Any]:
        """Static facts about GPU `index` for bench.json and the rows."""
        h = self.handle(index)
        mem = self.read("nvmlDeviceGetMemoryInfo", h)
        return {
            "index": index,
            "uuid": self.read("nvmlDeviceGetUUID", h, convert=_text) or "",
            "name_nvml": self.read("nvmlDeviceGetName", h, convert=_text) or "",
            "vram_gib": mem.total / GIB if mem is not None else None,
            "power_limit_w": self.read("nvmlDeviceGetEnforcedPowerLimit", h, convert=_milli),
            "power_limit_default_w": self.read(
                "nvmlDeviceGetPowerManagementDefaultLimit", h, convert=_milli
            ),
            "compute_processes": self.compute_processes(h),
            "max_sm_clock_mhz": self.read("nvmlDeviceGetMaxClockInfo", h, 1, convert=float),
            "pcie_max_gen": self.read("nvmlDeviceGetMaxPcieLinkGeneration", h),
            "pcie_max_width": self.read("nvmlDeviceGetMaxPcieLinkWidth", h),
            "board": self.read("nvmlDeviceGetBoardPartNumber", h, convert=_text) or "",
        }

    def compute_processes(self, handle: Any) -> list[dict[str, Any]] | None:
        """Compute processes on the GPU (pid, GiB used); None when NVML cannot tell."""
        procs = self.read("nvmlDeviceGetComputeRunningProcesses", handle)
        if procs is None:
            return None
        out = []
        for p in procs:
            used = getattr(p, "usedGpuMemory", None)
            # NVML reports an unknown amount (no permission, WDDM) as a huge sentinel or None
            known = isinstance(used, int) and 0 <= used < 2**60
            out.append({"pid": int(p.pid), "used_gib": used / GIB if known else None})
        return out

    def sample(self, handle: Any) -> dict[str, Any]:
        """One telemetry sample (TELEMETRY columns, energy as the raw counter in J)."""
        mem = self.read("nvmlDeviceGetMemoryInfo", handle)
        util = self.read("nvmlDeviceGetUtilizationRates", handle)
        f = self.fields(handle, [FI_POWER_INSTANT, FI_MEMORY_TEMP])
        return {
            "power_w": self.read("nvmlDeviceGetPowerUsage", handle, convert=_milli),
            "power_instant_w": f[FI_POWER_INSTANT] / 1000
            if f[FI_POWER_INSTANT] is not None
            else None,
            "energy_j": self.energy_j(handle),
            "gpu_temp_c": self.read_first(TEMPERATURE_FNS, handle, 0, convert=float),
            "mem_temp_c": f[FI_MEMORY_TEMP],
            "sm_clock_mhz": self.read("nvmlDeviceGetClockInfo", handle, 1, convert=float),
            "mem_clock_mhz": self.read("nvmlDeviceGetClockInfo", handle, 2, convert=float),
            "gpu_util_pct": float(util.gpu) if util is not None else None,
            "mem_used_gib": mem.used / GIB if mem is not None else None,
            "clock_event_reasons": self.read_first(CLOCK_REASON_FNS, handle, convert=int),
        }

    def energy_j(self, handle: Any) -> float | None:
        """The energy counter (mJ since driver load, Volta+) in J."""
        return self.read("nvmlDeviceGetTotalEnergyConsumption", handle, convert=_milli)


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _milli(v: Any) -> float:
    return float(v) / 1000.0


def _field_value(v: Any) -> float:
    # NVML_VALUE_TYPE_*: 0 double, 1 uint, 2 ulong, 3 ulonglong, 4 sll, 5 sint, 6 ushort
    attr = ("dVal", "uiVal", "ulVal", "ullVal", "sllVal", "siVal", "usVal")[v.valueType]
    return float(getattr(v.value, attr))
