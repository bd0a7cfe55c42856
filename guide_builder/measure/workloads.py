"""Workloads as data: a registry of what `measure` and `count-flops` run.

A workload names a model family (which knows how to build the pipeline for each weights
mode and how to count its FLOPs), a size, steps, guidance, a fixed prompt and the transformer
forwards one image must take. Adding FLUX.1-schnell is a new family plus new entries.

Plugins (``--plugin module`` or ``--plugin path/to/file.py``) register extra workloads and
variants; spawned workers import the same plugins, so test-only entries (fault injection)
reach the child without any switch in product code.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class Family(Protocol):
    """How one model family is built, called and counted (see `zimage.ZImageFamily`)."""

    name: str
    model: str
    tiny_size: tuple[int, int]

    def build(self, weights: str, device: str, dtype: Any, options: dict[str, Any]) -> Any:
        """Return the pipeline with its components materialised on `device`."""

    def encode(self, pipe: Any, prompt: str, device: str) -> dict[str, Any]:
        """Encode the prompt once; return call kwargs that replace `prompt`."""

    def caption_tokens(self, args: tuple, kwargs: dict) -> int | None:
        """Caption tokens seen by one transformer forward (from its inputs)."""

    def count_flops(self, workload: Workload, caption_tokens: int) -> dict[str, float | int]:
        """FLOPs of one forward and the side models, counted on the meta device."""


@dataclass(frozen=True)
class Workload:
    """One reference workload: everything a run needs besides the bench."""

    name: str
    family: Family
    width: int
    height: int
    steps: int
    guidance: float
    prompt: str
    forwards: int  # transformer forwards one image must take on the pinned diffusers
    caption_tokens: int = 64  # caption tokens the FLOP count assumes
    seed: int = 42
    dtype: str = "bf16"
    extra_call_kwargs: dict[str, Any] = field(default_factory=dict)

    def size(self, weights: str) -> tuple[int, int]:
        """Width and height actually generated (tiny models run at a tiny size)."""
        return self.family.tiny_size if weights == "tiny" else (self.width, self.height)


WORKLOADS: dict[str, Workload] = {}


def register(workload: Workload) -> Workload:
    """Add (or replace, so a re-imported plugin is harmless) a workload."""
    WORKLOADS[workload.name] = workload
    return workload


def get(name: str) -> Workload:
    _load_builtins()
    try:
        return WORKLOADS[name]
    except KeyError:
        raise KeyError(
            f"unknown workload {name!r}; known: {', '.join(sorted(WORKLOADS))}"
        ) from None


def names() -> list[str]:
    """Registered workload names ('_' names are test entries, never listed)."""
    _load_builtins()
    return [n for n in WORKLOADS if not n.startswith("_")]


def _load_builtins() -> None:
    # zimage registers itself on import; imported lazily so this module stays torch-free
    importlib.import_module("guide_builder.measure.zimage")


def load_plugins(specs: list[str] | tuple[str, ...]) -> None:
    """Import plugin modules (a dotted name, or a path to a .py file) that register entries."""
    for spec in specs:
        if spec.endswith(".py"):
            path = Path(spec).resolve()
            mod_name = f"guide_builder_plugin_{path.stem}"
            if mod_name in sys.modules:
                continue
            loader = importlib.util.spec_from_file_location(mod_name, path)
            if loader is None or loader.loader is None:
                raise ImportError(f"cannot load plugin file {spec}")
            module = importlib.util.module_from_spec(loader)
            sys.modules[mod_name] = module
            loader.loader.exec_module(module)
        else:
            importlib.import_module(spec)
