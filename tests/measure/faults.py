"""Fault-injection entries for the measure tests, registered through the normal registries.

Load with `--plugin tests/measure/faults.py`: the spawned worker imports it too, so the
faults happen inside the real worker process.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time

from guide_builder.measure import variants, workloads
from guide_builder.measure.variants import Variant

LEAKED: list = []  # what the leaking variant never frees


def _with_hook(pre=None, post=None):
    """A variant placing the pipeline like `plain`, plus a hook on the transformer."""

    def prepare(pipe, family, workload, device):
        kwargs = variants.get("plain").prepare(pipe, family, workload, device)
        if pre is not None:
            pipe.transformer.register_forward_pre_hook(lambda module, args: pre())
        if post is not None:
            pipe.transformer.register_forward_hook(lambda module, args, out: post(out))
        return kwargs

    return prepare


def _oom():
    import torch

    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (injected)")


def _leak():
    import torch

    LEAKED.append(torch.ones(2**21))  # 8 MiB per forward, 64 MiB per image, never freed


def _noise(out):
    import torch

    return ([t + 0.5 * torch.randn_like(t) for t in out[0]],)  # unseeded: differs every call


def _nan(out):
    return ([t * float("nan") for t in out[0]],)


FAULTS = {
    "_oom": ("Raises torch.OutOfMemoryError in the first forward.", _with_hook(pre=_oom)),
    "_segfault": (
        "Kills its process with SIGSEGV.",
        _with_hook(pre=lambda: os.kill(os.getpid(), signal.SIGSEGV)),
    ),
    "_exit": ("Leaves with os._exit(3) mid-image.", _with_hook(pre=lambda: os._exit(3))),
    "_hang": ("Sleeps forever in a forward.", _with_hook(pre=lambda: time.sleep(3600))),
    "_leak": ("Keeps 8 MiB per forward alive.", _with_hook(pre=_leak)),
    "_nondeterministic": ("Adds unseeded noise to every forward.", _with_hook(post=_noise)),
    "_nan": ("Turns every forward's output into NaN.", _with_hook(post=_nan)),
    "_slow": (
        "Sleeps 30 ms per forward (long enough to interrupt).",
        _with_hook(pre=lambda: time.sleep(0.03)),
    ),
}
for name, (doc, prepare) in FAULTS.items():
    variants.register(Variant(name, doc, prepare))

workloads.register(
    dataclasses.replace(workloads.get("zimage-turbo-1024"), name="_wrong-forwards", forwards=9)
)
