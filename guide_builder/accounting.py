"""Exact weight memory per storage type: bytes per weight, GGUF blocks and which tensors they take.

Torch-free: the rules take a tensor's name and shape, so the site, the fit analysis and the
harness's own quantiser (`guide_builder.measure.quantize`) share one definition.

Storage types and their bytes (ggml's block layouts, `ggml-common.h`):

- ``fp32`` 4, ``bf16``/``fp16`` 2, ``fp8_e4m3`` 1 byte per weight;
- ``gguf_q8_0``: blocks of 32 weights, 34 bytes (fp16 scale + 32 int8);
- ``gguf_q4_k``: super-blocks of 256, 144 bytes (fp16 d, fp16 dmin, 12 bytes of 6-bit
  scales and mins, 128 bytes of 4-bit quants);
- ``gguf_q5_k``: 256, 176 bytes (as q4_k plus 32 bytes of fifth bits);
- ``gguf_q6_k``: 256, 210 bytes (128 low nibbles, 64 high 2-bits, 16 int8 scales, fp16 d).

Schemes (one per `variant_memory.csv` storage column) say which tensors take which type:

- ``fp32``, ``bf16``: every tensor.
- ``fp8_e4m3``: diffusers' layerwise casting (`enable_layerwise_casting`): the weights and
  biases of Linear, Conv and Embedding layers are stored in float8 e4m3, except modules the
  model marks precision sensitive (Z-Image: ``t_embedder``, ``cap_embedder``) and diffusers'
  default skips (``norm``, ``pos_embed``, ...); everything else stays bf16. The caller says per
  tensor whether casting applies (`TensorSpec.fp8`), because it depends on the module type.
- ``gguf_q8_0`` and ``gguf_q4_k_m``: the transformer follows city96's ComfyUI-GGUF tools
  (`tools/convert.py` + `tools/lcpp.patch`, arch ``lumina2``, which Z-Image uses): only 2-D
  tensors of more than 1024 weights are quantised, never ``t_embedder``, ``x_embedder``,
  ``final_layer``, ``cap_embedder``, ``context_refiner`` or ``noise_refiner``; a row length
  that is not a multiple of the block size falls back (to 16-bit). **Q4_K_M is the per-tensor
  mix**, not Q4_K throughout: the attention's fused qkv (diffusers' ``to_q``/``to_k``/``to_v``,
  one ``attention.qkv`` tensor in the published ComfyUI files) takes Q5_K, ``feed_forward.w2``
  takes Q6_K, every other quantised tensor Q4_K. The text encoder follows llama.cpp's own
  Q4_K_M rules for a Qwen3 model: ``v_proj`` and ``down_proj`` take Q6_K in the layers
  ``use_more_bits`` picks (the first and last eighth and every third in between), the tied
  token embedding takes Q6_K (it doubles as the output matrix), the rest Q4_K. The VAE is
  never quantised (ComfyUI-GGUF and diffusers load it from safetensors): its GGUF rows equal bf16.

Tensors a scheme leaves unquantised are counted in bf16, the compute dtype they are loaded in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

GIB = 2**30


@dataclass(frozen=True)
class Storage:
    """How one storage type lays weights out: `block_bytes` bytes per `block_weights` weights."""

    name: str
    block_weights: int
    block_bytes: int
    quantized: bool = False

    @property
    def bytes_per_weight(self) -> float:
        return self.block_bytes / self.block_weights

    def nbytes(self, weights: int) -> int:
        """Bytes of `weights` weights (a whole number of blocks, or ValueError)."""
        if weights % self.block_weights:
            raise ValueError(
                f"{weights} weights are not whole {self.name} blocks of {self.block_weights}"
            )
        return weights // self.block_weights * self.block_bytes


STORAGES: dict[str, Storage] = {
    s.name: s
    for s in (
        Storage("fp32", 1, 4),
        Storage("bf16", 1, 2),
        Storage("fp16", 1, 2),
        Storage("fp8_e4m3", 1, 1, quantized=True),
        Storage("gguf_q8_0", 32, 34, quantized=True),
        Storage("gguf_q4_k", 256, 144, quantized=True),
        Storage("gguf_q5_k", 256, 176, quantized=True),
        Storage("gguf_q6_k", 256, 210, quantized=True),
    )
}

# one row per (component, scheme) in catalog/variant_memory.csv
COMPONENTS = ("transformer", "text_encoder", "vae")
SCHEMES = ("fp32", "bf16", "fp8_e4m3", "gguf_q8_0", "gguf_q4_k_m")

# the transformer weights each variant keeps (variant name -> scheme); offload and unload
# variants keep bf16 weights, they only move them
VARIANT_SCHEME = {"fp8": "fp8_e4m3", "gguf_q8_0": "gguf_q8_0", "gguf_q4_k_m": "gguf_q4_k_m"}
# the precision reported runs and claims name each quantised scheme by (schema's precisions)
SCHEME_PRECISION = {"fp8_e4m3": "fp8", "gguf_q8_0": "gguf_q8_0", "gguf_q4_k_m": "gguf_q4_k_m"}

QUANTIZATION_THRESHOLD = 1024  # convert.py: tensors this small stay unquantised
# lcpp.patch, LLM_ARCH_LUMINA2: never quantised (substrings of the tensor name)
TRANSFORMER_KEEP = (
    "t_embedder.",
    "x_embedder.",
    "final_layer.",
    "cap_embedder.",
    "context_refiner.",
    "noise_refiner.",
)
_LAYER = re.compile(r"(?:^|\.)layers\.(\d+)\.")


@dataclass(frozen=True)
class TensorSpec:
    """One parameter: its name in the model, its shape, and whether layerwise fp8 casting stores it."""

    name: str
    shape: tuple[int, ...]
    fp8: bool = False

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


# where each component's weights stay while images are made: on the device, in host RAM
# (visiting the device whole while that component runs), or streamed block by block
PLACEMENT = {
    "plain": {"transformer": "device", "text_encoder": "device", "vae": "device"},
    "text_encoder_unload": {"transformer": "device", "text_encoder": "host", "vae": "device"},
    "model_offload": {"transformer": "visits", "text_encoder": "visits", "vae": "visits"},
    "group_offload": {"transformer": "streamed", "text_encoder": "streamed", "vae": "streamed"},
    "sequential_offload": {
        "transformer": "streamed",
        "text_encoder": "streamed",
        "vae": "streamed",
    },
}


def placement(variant: str) -> dict[str, str]:
    """Component -> device | host | visits | streamed under a variant name."""
    base, _, extra = variant.partition("+")
    if extra == "text_encoder_unload":
        return PLACEMENT["text_encoder_unload"]
    if base in VARIANT_SCHEME:
        return PLACEMENT["plain"]
    try:
        return PLACEMENT[base]
    except KeyError:
        raise KeyError(f"unknown variant {variant!r}") from None


def variant_weights(table: Iterable[dict], variant: str) -> dict[str, dict[str, int]]:
    """Weight bytes per component under a variant, from variant_memory.csv rows.

    Returns {component: {"bytes": ..., "storage": ..., "placement": ...}}: the transformer in
    the variant's scheme, the text encoder and the VAE in bf16 (as the variants load them).
    """
    scheme = variant_scheme(variant)
    wanted = {"transformer": scheme, "text_encoder": "bf16", "vae": "bf16"}
    where = placement(variant)
    out: dict[str, dict] = {}
    for row in table:
        component = str(row["component"])
        if wanted.get(component) == row["storage"]:
            out[component] = {
                "bytes": int(row["weight_bytes"]),
                "storage": wanted[component],
                "placement": where[component],
            }
    return out


def variant_scheme(variant: str) -> str:
    """The transformer's storage scheme under a variant name (`gguf_q8_0+text_encoder_unload` too)."""
    return VARIANT_SCHEME.get(variant.split("+", 1)[0], "bf16")


def use_more_bits(i_layer: int, n_layers: int) -> bool:
    """llama.cpp's choice of layers that get more bits in the *_M mixes."""
    return (
        i_layer < n_layers // 8
        or i_layer >= 7 * n_layers // 8
        or (i_layer - n_layers // 8) % 3 == 2
    )


def layer_index(name: str) -> int | None:
    m = _LAYER.search(name)
    return int(m.group(1)) if m else None


def _fits(storage: str, shape: tuple[int, ...]) -> bool:
    return shape[-1] % STORAGES[storage].block_weights == 0


def gguf_type(component: str, tensor: TensorSpec, scheme: str, n_layers: int = 0) -> str:
    """The storage a GGUF scheme gives one tensor (`bf16` when it stays unquantised)."""
    if component == "vae" or len(tensor.shape) != 2 or tensor.numel <= QUANTIZATION_THRESHOLD:
        return "bf16"
    name = tensor.name
    if component == "transformer" and any(k in name for k in TRANSFORMER_KEEP):
        return "bf16"
    if scheme == "gguf_q8_0":
        wanted = "gguf_q8_0"
    elif scheme != "gguf_q4_k_m":
        raise ValueError(f"not a GGUF scheme: {scheme}")
    elif component == "transformer":
        if re.search(r"\.to_[qkv]\.weight$|attention\.qkv\.weight$", name):
            wanted = "gguf_q5_k"
        elif name.endswith("feed_forward.w2.weight"):
            wanted = "gguf_q6_k"
        else:
            wanted = "gguf_q4_k"
    else:  # the text encoder: llama.cpp's rules for an LLM
        i = layer_index(name)
        if name.endswith("embed_tokens.weight"):
            wanted = "gguf_q6_k"  # tied embedding = the output matrix
        elif (
            i is not None
            and re.search(r"(v_proj|down_proj)\.weight$", name)
            and use_more_bits(i, n_layers)
        ):
            wanted = "gguf_q6_k"
        else:
            wanted = "gguf_q4_k"
    # lcpp.patch: a K-quant row that is not whole super-blocks falls back to 16 bit
    return wanted if _fits(wanted, tensor.shape) else "bf16"


def tensor_storage(component: str, tensor: TensorSpec, scheme: str, n_layers: int = 0) -> str:
    """The storage type one tensor takes under `scheme`."""
    if scheme in ("fp32", "bf16"):
        return scheme
    if scheme == "fp8_e4m3":
        return "fp8_e4m3" if tensor.fp8 else "bf16"
    return gguf_type(component, tensor, scheme, n_layers)


@dataclass(frozen=True)
class Account:
    """Weight memory of one component under one scheme."""

    component: str
    storage: str
    params: int
    tensors: int
    quantized_params: int
    weight_bytes: int

    @property
    def gib(self) -> float:
        return self.weight_bytes / GIB


def count_layers(tensors: Iterable[TensorSpec]) -> int:
    indices = [layer_index(t.name) for t in tensors]
    return max((i for i in indices if i is not None), default=-1) + 1


def account(component: str, tensors: list[TensorSpec], scheme: str) -> Account:
    """Sum the bytes of every tensor of a component under `scheme`."""
    n_layers = count_layers(tensors)
    params = quantized = nbytes = 0
    for t in tensors:
        storage = STORAGES[tensor_storage(component, t, scheme, n_layers)]
        params += t.numel
        nbytes += storage.nbytes(t.numel)
        if storage.quantized:
            quantized += t.numel
    return Account(component, scheme, params, len(tensors), quantized, nbytes)


def types_used(component: str, tensors: list[TensorSpec], scheme: str) -> dict[str, int]:
    """Weights per storage type under `scheme` (for reports and tests)."""
    n_layers = count_layers(tensors)
    out: dict[str, int] = {}
    for t in tensors:
        s = tensor_storage(component, t, scheme, n_layers)
        out[s] = out.get(s, 0) + t.numel
    return out
