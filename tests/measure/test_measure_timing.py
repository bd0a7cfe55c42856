"""The timer waits for queued work: proven with a deliberately asynchronous fake device."""

from __future__ import annotations

import threading
import time

from guide_builder.measure.device import Device
from guide_builder.measure.timing import Timer


class AsyncDevice(Device):
    """Work "launched" on it returns at once and finishes later on a background thread,
    like a CUDA kernel launch; only `synchronize` waits for it."""

    kind = "fake"

    def __init__(self):
        self.pending: list[threading.Thread] = []
        self.synced = 0

    def launch(self, seconds: float) -> None:
        t = threading.Thread(target=time.sleep, args=(seconds,))
        t.start()
        self.pending.append(t)

    def synchronize(self) -> None:
        self.synced += 1
        for t in self.pending:
            t.join()
        self.pending.clear()


def test_timer_counts_work_that_finishes_after_the_call_returns():
    device = AsyncDevice()
    launch_returned_after = []

    def work():
        start = time.perf_counter()
        device.launch(0.3)
        launch_returned_after.append(time.perf_counter() - start)

    seconds, _ = Timer(device).time(work)
    assert launch_returned_after[0] < 0.05  # the call itself returned at once...
    assert seconds >= 0.29  # ...but the timer waited for the work
    assert device.synced == 2


def test_timer_without_the_device_sync_would_have_been_wrong():
    device = AsyncDevice()
    start = time.perf_counter()
    device.launch(0.3)
    naive = time.perf_counter() - start
    device.synchronize()
    assert naive < 0.05


def test_every_clock_read_synchronises_first():
    device = AsyncDevice()
    order = []
    device.synchronize = lambda: order.append("sync")
    Timer(device, clock=lambda: order.append("clock") or 0.0).now()
    assert order == ["sync", "clock"]
