"""Synthetic weights: full-size models built on the meta device, materialised and initialised sanely.

`to_empty()` leaves parameters AND buffers as garbage (NaN, huge values): every parameter is
initialised here (norm weights 1, biases 0, small normal elsewhere) and every buffer is
recomputed from a freshly constructed copy of its owning module. A buffer owner we do not
know how to rebuild is an error, never a silent NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

NORM_NAMES = ("norm", "Norm")


def materialise(build: Callable[[], Any], device: str, dtype: Any, seed: int = 0) -> Any:
    """Construct with `build()` on meta, allocate on `device` in `dtype`, then initialise."""
    import torch

    with torch.device("meta"):
        module = build()
    module = module.to(dtype=dtype).to_empty(device=device)
    init_parameters(module, seed)
    recompute_buffers(module, device)
    return module.eval().requires_grad_(False)  # inference only: no autograd graph anywhere


def init_parameters(module: Any, seed: int = 0) -> None:
    """Give every parameter a sane value (activations stay finite through deep stacks)."""
    import torch

    gen = torch.Generator(device=next(module.parameters()).device).manual_seed(seed)
    with torch.no_grad():
        for mod in module.modules():
            for name, param in mod.named_parameters(recurse=False):
                if _is_norm(mod):
                    param.fill_(1.0 if name == "weight" else 0.0)
                elif name == "bias" or param.dim() < 2:
                    param.zero_()
                elif type(mod).__name__ == "Embedding":
                    param.normal_(0.0, 0.02, generator=gen)
                else:
                    # fan-in scaled normal: keeps each layer's output near unit variance
                    fan_in = param[0].numel()
                    param.normal_(0.0, 1.0 / math.sqrt(max(fan_in, 1)), generator=gen)


def _is_norm(mod: Any) -> bool:
    return any(n in type(mod).__name__ for n in NORM_NAMES)


def recompute_buffers(module: Any, device: str) -> None:
    """Replace every buffer with the value a fresh construction gives (rotary inv_freq, ...)."""
    for mod in module.modules():
        own = dict(mod.named_buffers(recurse=False))
        if not own:
            continue
        fresh = _fresh_copy(mod)
        fresh_buffers = dict(fresh.named_buffers(recurse=False))
        for name in own:
            if name not in fresh_buffers:
                raise RuntimeError(f"cannot recompute buffer {name} of {type(mod).__name__}")
            mod._buffers[name] = fresh_buffers[name].to(device)


def _fresh_copy(mod: Any) -> Any:
    config = getattr(mod, "config", None)
    if config is None:
        raise RuntimeError(
            f"{type(mod).__name__} has buffers but no config to rebuild them from; "
            "teach guide_builder.measure.synthetic how to initialise it"
        )
    # built on CPU at full precision: buffer-owning modules are small (rotary tables)
    return type(mod)(config)


def check_finite(module: Any) -> list[str]:
    """Names of parameters or buffers that hold NaN or infinity (empty when all are sane)."""
    import torch

    bad = []
    for name, tensor in list(module.named_parameters()) + list(module.named_buffers()):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad.append(name)
    return bad
