"""NVML absent, or a field raising NotSupported (or any NVML error), gives empty cells, never a crash."""

from __future__ import annotations

import csv
import types

from guide_builder.measure.nvml import FI_MEMORY_TEMP, FI_POWER_INSTANT, Nvml
from guide_builder.measure.output import RowAppender
from guide_builder.measure.telemetry import Sampler
from guide_builder.schema import TELEMETRY


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):  # noqa: N801 - the name pynvml uses
    pass


def fake_nvml(unsupported: set[str], field_unsupported: set[int] = frozenset()):
    """A pynvml stand-in: names in `unsupported` raise NotSupported."""

    def make(name, value):
        def fn(*args):
            if name in unsupported:
                raise NVMLError_NotSupported(name)
            return value(*args) if callable(value) else value

        return fn

    def fields(handle, ids):
        out = []
        for fid in ids:
            v = types.SimpleNamespace(
                nvmlReturn=3 if fid in field_unsupported else 0,  # 3 = NVML_ERROR_NOT_SUPPORTED
                valueType=1,
                value=types.SimpleNamespace(uiVal=312000 if fid == FI_POWER_INSTANT else 71),
            )
            out.append(v)
        return out

    values = {
        "nvmlInit": None,
        "nvmlDeviceGetCount": 1,
        "nvmlDeviceGetHandleByIndex": "h0",
        "nvmlDeviceGetPowerUsage": 250000,
        "nvmlDeviceGetTotalEnergyConsumption": 1_000_000,
        "nvmlDeviceGetTemperature": 65,
        "nvmlDeviceGetClockInfo": 2520,
        "nvmlDeviceGetUtilizationRates": types.SimpleNamespace(gpu=99, memory=40),
        "nvmlDeviceGetMemoryInfo": types.SimpleNamespace(total=24 * 2**30, used=12 * 2**30),
        "nvmlDeviceGetCurrentClocksEventReasons": 0x4,
        "nvmlDeviceGetUUID": "GPU-1234",
        "nvmlDeviceGetName": "NVIDIA GeForce RTX 4090",
        "nvmlDeviceGetEnforcedPowerLimit": 450000,
        "nvmlDeviceGetMaxClockInfo": 3105,
        "nvmlDeviceGetMaxPcieLinkGeneration": 4,
        "nvmlDeviceGetMaxPcieLinkWidth": 16,
        "nvmlDeviceGetBoardPartNumber": "900-1G136-2530-000",
        "nvmlDeviceGetPowerManagementDefaultLimit": 450000,
        "nvmlDeviceGetComputeRunningProcesses": [
            types.SimpleNamespace(pid=4242, usedGpuMemory=2 * 2**30),
            types.SimpleNamespace(pid=77, usedGpuMemory=None),  # no permission to see it
        ],
    }
    module = types.SimpleNamespace(**{k: make(k, v) for k, v in values.items()})
    module.nvmlDeviceGetFieldValues = (
        make("nvmlDeviceGetFieldValues", None)
        if "nvmlDeviceGetFieldValues" in unsupported
        else fields
    )
    return module


def test_nvml_absent_reads_as_missing():
    class Missing:
        def nvmlInit(self):
            raise OSError("NVML Shared Library Not Found")

    nvml = Nvml(Missing())
    assert not nvml.available and "Not Found" in nvml.error
    assert nvml.count() == 0
    assert all(v is None for v in nvml.sample("h0").values())


def test_not_supported_fields_are_none_the_rest_read():
    nvml = Nvml(
        fake_nvml(
            {"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetUtilizationRates"},
            field_unsupported={FI_MEMORY_TEMP},
        )
    )
    s = nvml.sample("h0")
    assert s["clock_event_reasons"] is None and s["gpu_util_pct"] is None
    assert s["mem_temp_c"] is None  # GeForce: no memory temperature
    assert s["power_w"] == 250.0 and s["power_instant_w"] == 312.0 and s["gpu_temp_c"] == 65.0
    info = nvml.gpu_info(0)
    assert info["name_nvml"] == "NVIDIA GeForce RTX 4090" and info["power_limit_w"] == 450.0


def test_every_field_unsupported_still_writes_valid_rows(tmp_path):
    everything = {
        n
        for n in dir(fake_nvml(set()))
        if n.startswith("nvmlDevice") and n != "nvmlDeviceGetHandleByIndex"
    }
    nvml = Nvml(fake_nvml(everything))
    out = RowAppender(tmp_path / "telemetry.csv", TELEMETRY)
    sampler = Sampler(nvml, 0, "b", out.append, hz=50)
    sampler.begin(0, "timed")
    sampler.start()
    import time

    time.sleep(0.1)
    sampler.stop()
    stats = sampler.end()
    out.close()
    assert all(v is None for v in stats.values())
    with (tmp_path / "telemetry.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 2
    for r in rows:
        assert r["power_w"] == "" and r["mem_temp_c"] == "" and r["clock_event_reasons"] == ""
        assert r["gpu_index"] == "0" and r["bench_id"] == "b"


def test_sampler_aggregates_a_run():
    nvml = Nvml(fake_nvml(set(), field_unsupported={FI_MEMORY_TEMP}))
    got = []
    sampler = Sampler(nvml, 0, "b", got.append)
    sampler.begin(7, "memory")
    stats = sampler.end()
    assert stats["power_mean_w"] == 250.0 and stats["power_max_w"] == 312.0
    assert stats["clock_event_reasons"] == 0x4 and stats["mem_temp_max_c"] is None
    assert stats["nvml_memory_used_gib"] == 12.0
    assert got[0]["run_index"] == 7 and got[0]["phase"] == "memory" and got[0]["energy_j"] == 0.0


def test_names_constants_and_field_structs_match_the_installed_pynvml():
    """The GPU-only reads, checked against nvidia-ml-py itself: every function the harness calls
    exists, the numeric constants it hard-codes are pynvml's, and the field decoder reads the real
    ctypes `c_nvmlFieldValue_t` (value union by `valueType`, one `nvmlReturn` per field)."""
    import re
    from pathlib import Path

    import pytest

    pynvml = pytest.importorskip("pynvml")
    from guide_builder.measure import nvml as wrapper

    src = Path(wrapper.__file__).parent
    called = set()
    for name in ("nvml.py", "probes.py", "telemetry.py", "discovery.py", "worker.py"):
        called |= set(re.findall(r'"(nvml[A-Z]\w+)"', (src / name).read_text()))
    assert len(called) > 15
    assert sorted(n for n in called if not callable(getattr(pynvml, n, None))) == []
    assert wrapper.FI_MEMORY_TEMP == pynvml.NVML_FI_DEV_MEMORY_TEMP
    assert wrapper.FI_POWER_INSTANT == pynvml.NVML_FI_DEV_POWER_INSTANT
    assert wrapper.SUCCESS == pynvml.NVML_SUCCESS
    assert (pynvml.NVML_TEMPERATURE_GPU, pynvml.NVML_CLOCK_SM, pynvml.NVML_CLOCK_MEM) == (0, 1, 2)

    values = (pynvml.c_nvmlFieldValue_t * 3)()
    values[0].valueType, values[0].value.uiVal = pynvml.NVML_VALUE_TYPE_UNSIGNED_INT, 412345
    values[1].nvmlReturn = pynvml.NVML_ERROR_NOT_SUPPORTED
    values[2].valueType, values[2].value.dVal = pynvml.NVML_VALUE_TYPE_DOUBLE, 71.5
    module = fake_nvml(set())
    module.nvmlDeviceGetFieldValues = lambda handle, ids: values
    got = Nvml(module).fields("h0", [wrapper.FI_POWER_INSTANT, wrapper.FI_MEMORY_TEMP, 999])
    assert got == {wrapper.FI_POWER_INSTANT: 412345.0, wrapper.FI_MEMORY_TEMP: None, 999: 71.5}
    ull = pynvml.c_nvmlFieldValue_t()
    ull.valueType, ull.value.ullVal = pynvml.NVML_VALUE_TYPE_UNSIGNED_LONG_LONG, 2**40
    assert wrapper._field_value(ull) == float(2**40)


def test_an_older_driver_still_reports_clock_reasons_and_temperature():
    """A driver before R535 lacks ...ClocksEventReasons; a CUDA 14 one may lack ...Temperature."""
    module = fake_nvml({"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetTemperature"})
    module.nvmlDeviceGetCurrentClocksThrottleReasons = lambda handle: 0x24
    module.nvmlDeviceGetTemperatureV = lambda handle, sensor: 66
    s = Nvml(module).sample("h0")
    assert s["clock_event_reasons"] == 0x24 and s["gpu_temp_c"] == 66.0


def test_bench_records_power_limits_and_other_compute_processes():
    info = Nvml(fake_nvml(set())).gpu_info(0)
    assert info["power_limit_w"] == 450.0 and info["power_limit_default_w"] == 450.0
    assert info["compute_processes"] == [
        {"pid": 4242, "used_gib": 2.0},
        {"pid": 77, "used_gib": None},
    ]
    module = fake_nvml(set())
    module.nvmlDeviceGetEnforcedPowerLimit = lambda h: 300000  # capped with nvidia-smi -pl
    info = Nvml(module).gpu_info(0)
    assert info["power_limit_w"] < info["power_limit_default_w"]
    info = Nvml(fake_nvml({"nvmlDeviceGetComputeRunningProcesses"})).gpu_info(0)
    assert info["compute_processes"] is None  # unknown, not "none"
    from guide_builder.schema import BenchGpu

    BenchGpu.model_validate(Nvml(fake_nvml(set())).gpu_info(0))


def test_memory_cap_leaves_room_for_what_lives_outside_the_pool():
    """The pool is capped at the cap minus (NVML used - PyTorch reserved), measured once."""
    from guide_builder.measure.device import GIB, CudaDevice

    calls = []
    cuda = types.SimpleNamespace(
        set_per_process_memory_fraction=lambda f, i: calls.append(f),
        memory_reserved=lambda i: 1 * GIB,
        synchronize=lambda i: None,
    )
    dev = CudaDevice.__new__(CudaDevice)
    dev.torch = types.SimpleNamespace(cuda=cuda, empty=lambda *a, **k: None)
    dev.ordinal, dev.torch_device, dev.total_gib = 0, "cuda:0", 80.0
    dev.used_gib, dev.cap_overhead_gib = (lambda: 1.75), None
    dev.set_memory_cap(12.0)
    assert dev.cap_overhead_gib == 0.75
    assert calls[-1] == (12.0 - 0.75) / 80.0
    dev.set_memory_cap(None)
    assert calls[-1] == 1.0
