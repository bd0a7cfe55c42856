"""Peak resident host memory of this process per configuration.

`ru_maxrss` is a process-lifetime maximum, so a worker running several configurations would
report the first big one's peak on every later row. On Linux the kernel's own peak (VmHWM in
/proc/self/status) can be reset by writing "5" to /proc/self/clear_refs: that is exact and
costs nothing. Where that is refused, a thread samples VmRSS every 20 ms instead (a short spike
between two samples can be missed; `method` says which was used).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

GIB = 2**30
STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def _reset_hwm() -> bool:
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


class PeakRss:
    """Peak resident set since the last `reset()`, in GiB."""

    def __init__(self, interval_s: float = 0.02):
        self.interval_s = interval_s
        self.method = "vmhwm" if _reset_hwm() else "sampled"
        self._peak_kib = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.method == "sampled" and _status_kib("VmRSS") is not None:
            self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
            self._thread.start()
        elif self.method == "sampled":
            self.method = "unavailable"

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._peak_kib = max(self._peak_kib, _status_kib("VmRSS") or 0)

    def reset(self) -> None:
        if self.method == "vmhwm":
            _reset_hwm()
        self._peak_kib = _status_kib("VmRSS") or 0

    def peak_gib(self) -> float | None:
        if self.method == "vmhwm":
            kib = _status_kib("VmHWM")
        elif self.method == "sampled":
            kib = max(self._peak_kib, _status_kib("VmRSS") or 0)
        else:
            return None
        return kib * 1024 / GIB if kib is not None else None

    def close(self) -> None:
        self._stop.set()
