"""GGUF blocks written on the fly from bf16 weights, in torch (on the GPU where the weights are).

The `gguf` package writes Q8_0 but not the K-quants (it only reads them), so the four block types
the variants need are written here following ggml's block layouts (`ggml-common.h`); the
package's own dequantisers (and diffusers', which the model runs through) read them back, and
the tests check both. Rounding is plain round-to-nearest per (sub-)block: Q8_0 is bit-exact
with ggml's reference; the K-quants skip llama.cpp's iterative scale search, so their error is
a little larger than a llama-quantize file's (an upper bound on the quality cost).

Which tensors are quantised, and to which type, is `guide_builder.accounting`'s rule.
"""

from __future__ import annotations

from typing import Any

import torch

from guide_builder.accounting import STORAGES, TensorSpec, count_layers, tensor_storage

QK_K = 256
# accounting storage name -> ggml type id (gguf.GGMLQuantizationType)
GGML_TYPE = {"gguf_q8_0": 8, "gguf_q4_k": 12, "gguf_q5_k": 13, "gguf_q6_k": 14}


def _round(x: torch.Tensor) -> torch.Tensor:
    """Round half away from zero, as ggml's roundf (torch.round rounds half to even)."""
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def _f16_bytes(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.float16).reshape(-1, 1).view(torch.uint8)


def _inv(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x == 0, torch.zeros_like(x), 1.0 / x)


def q8_0(w: torch.Tensor) -> torch.Tensor:
    """Q8_0 blocks: fp16 scale + 32 int8, 34 bytes per 32 weights."""
    blocks = w.float().reshape(-1, 32)
    d = blocks.abs().amax(dim=1, keepdim=True) / 127
    qs = _round(blocks * _inv(d)).to(torch.int8).view(torch.uint8)
    return torch.cat([_f16_bytes(d), qs], dim=1)


def _k_scales(blocks: torch.Tensor, levels: int):
    """Per 32-weight sub-block scale and min (asymmetric, min clipped at 0), 6-bit packed."""
    sub = blocks.reshape(-1, 8, 32)
    lo = sub.amin(dim=2).clamp(max=0)
    hi = sub.amax(dim=2)
    scale = (hi - lo) / levels
    mins = -lo
    d = (scale.amax(dim=1, keepdim=True) / 63).to(torch.float16).float()
    dmin = (mins.amax(dim=1, keepdim=True) / 63).to(torch.float16).float()
    sc = _round(scale * _inv(d)).clamp(0, 63)
    mn = _round(mins * _inv(dmin)).clamp(0, 63)
    step = (d * sc).unsqueeze(2)
    offset = (dmin * mn).unsqueeze(2)
    q = _round((sub + offset) * _inv(step)).clamp(0, levels)
    sc8, mn8 = sc.to(torch.uint8), mn.to(torch.uint8)
    packed = torch.cat(
        [
            sc8[:, :4] | ((sc8[:, 4:] >> 4) << 6),
            mn8[:, :4] | ((mn8[:, 4:] >> 4) << 6),
            (sc8[:, 4:] & 0x0F) | ((mn8[:, 4:] & 0x0F) << 4),
        ],
        dim=1,
    )
    head = torch.cat([_f16_bytes(d), _f16_bytes(dmin), packed], dim=1)
    return head, q.to(torch.uint8)


def _nibbles(q: torch.Tensor) -> torch.Tensor:
    """Eight 32-weight sub-blocks of 4-bit values: sub-blocks 2g and 2g+1 share 32 bytes."""
    q = q.reshape(-1, 4, 2, 32) & 0x0F
    return (q[:, :, 0] | (q[:, :, 1] << 4)).reshape(-1, 128)


def q4_k(w: torch.Tensor) -> torch.Tensor:
    """Q4_K super-blocks: d, dmin, 12 bytes of scales/mins, 128 bytes of nibbles (144 bytes)."""
    head, q = _k_scales(w.float().reshape(-1, QK_K), 15)
    return torch.cat([head, _nibbles(q)], dim=1)


def q5_k(w: torch.Tensor) -> torch.Tensor:
    """Q5_K: as Q4_K plus 32 bytes holding each weight's fifth bit (bit j = sub-block j)."""
    head, q = _k_scales(w.float().reshape(-1, QK_K), 31)
    high = (q >> 4).reshape(-1, 8, 32).to(torch.int32)
    shifts = torch.arange(8, device=q.device, dtype=torch.int32).reshape(1, 8, 1)
    qh = (high << shifts).sum(dim=1).to(torch.uint8)
    return torch.cat([head, qh, _nibbles(q)], dim=1)


def q6_k(w: torch.Tensor) -> torch.Tensor:
    """Q6_K: 128 bytes low nibbles, 64 bytes high 2-bits, 16 int8 scales, fp16 d (210 bytes)."""
    blocks = w.float().reshape(-1, 16, 16)
    scale = blocks.abs().amax(dim=2) / 31
    d = (scale.amax(dim=1, keepdim=True) / 127).to(torch.float16).float()
    sc = _round(scale * _inv(d)).clamp(0, 127)
    step = (d * sc).unsqueeze(2)
    q = (_round(blocks * _inv(step)).clamp(-32, 31) + 32).to(torch.uint8).reshape(-1, 2, 128)
    # value v = h*128 + s*64 + p: ql byte h*64+p holds s=0 low, s=1 high nibble
    low = q & 0x0F
    ql = (low[:, :, :64] | (low[:, :, 64:] << 4)).reshape(-1, 128)
    # value v = h*128 + s*32 + p: qh byte h*32+p holds bits 2s..2s+1
    high = (q >> 4).reshape(-1, 2, 4, 32).to(torch.int32)
    shifts = torch.tensor([0, 2, 4, 6], device=q.device, dtype=torch.int32).reshape(1, 1, 4, 1)
    qh = (high << shifts).sum(dim=2).to(torch.uint8).reshape(-1, 64)
    scales = sc.to(torch.int8).view(torch.uint8)
    return torch.cat([ql, qh, scales, _f16_bytes(d)], dim=1)


QUANTISERS = {"gguf_q8_0": q8_0, "gguf_q4_k": q4_k, "gguf_q5_k": q5_k, "gguf_q6_k": q6_k}


def quantise(w: torch.Tensor, storage: str) -> torch.Tensor:
    """A 2-D weight as GGUF bytes shaped (rows, row_bytes), the layout diffusers' loader expects."""
    rows, cols = w.shape
    s = STORAGES[storage]
    data = QUANTISERS[storage](w.detach())
    return data.reshape(rows, cols // s.block_weights * s.block_bytes).contiguous()


def quantise_module(
    module: Any, component: str, scheme: str, device: Any = None, compute_dtype: Any = None
) -> dict[str, str]:
    """Replace the Linear layers `scheme` quantises with diffusers' GGUFLinear, in place.

    Each weight is moved to `device` (the GPU), quantised there and only its blocks are kept,
    so the bf16 copy never has to fit beside the whole quantised model. Returns the storage
    chosen for every parameter.
    """
    from diffusers.quantizers.gguf.utils import GGUFParameter, _replace_with_gguf_linear

    compute_dtype = compute_dtype or torch.bfloat16
    params = dict(module.named_parameters())
    specs = [TensorSpec(n, tuple(p.shape)) for n, p in params.items()]
    n_layers = count_layers(specs)
    linear_weights = {
        f"{name}.weight"
        for name, m in module.named_modules()
        if isinstance(m, torch.nn.Linear) and name
    }
    chosen: dict[str, str] = {}
    state: dict[str, Any] = {}
    for spec in specs:
        storage = tensor_storage(component, spec, scheme, n_layers)
        if storage.startswith("gguf_") and spec.name not in linear_weights:
            storage = "bf16"  # only Linear layers have a GGUF replacement in diffusers
        chosen[spec.name] = storage
        if storage.startswith("gguf_"):
            w = params[spec.name].detach()
            target = device if device is not None else w.device
            data = quantise(w.to(target), storage)
            state[spec.name] = GGUFParameter(data, quant_type=GGML_TYPE[storage])
    # diffusers' own swap of nn.Linear for GGUFLinear where the state dict holds GGUF blocks
    _replace_with_gguf_linear(module, compute_dtype, state)
    for name, param in state.items():
        owner_name, _, attr = name.rpartition(".")
        owner = module.get_submodule(owner_name)
        owner._parameters[attr] = param
    # the new GGUFLinear layers were built empty (meta): give them their biases back
    for name, m in module.named_modules():
        if type(m).__name__ == "GGUFLinear" and m.bias is not None and m.bias.is_meta:
            m.bias = torch.nn.Parameter(params[f"{name}.bias"].detach(), requires_grad=False)
    return chosen


def parameter_bytes(module: Any) -> int:
    """Bytes the module's parameters occupy (GGUF blocks counted as stored)."""
    return sum(p.numel() * p.element_size() for p in module.parameters())
