"""The one timer: it synchronises the device before every clock read, so queued work is counted."""

from __future__ import annotations

import time
from collections.abc import Callable

from guide_builder.measure.device import Device


class Timer:
    """Reads a monotonic clock after `device.synchronize()`."""

    def __init__(self, device: Device, clock: Callable[[], float] = time.perf_counter):
        self.device = device
        self.clock = clock

    def now(self) -> float:
        self.device.synchronize()
        return self.clock()

    def time(self, fn: Callable[[], object]) -> tuple[float, object]:
        """Seconds `fn` took, including asynchronous work it queued; and its result."""
        start = self.now()
        result = fn()
        return self.now() - start, result
