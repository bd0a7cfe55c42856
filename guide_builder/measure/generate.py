"""Making one image with per-stage times, a forward count and a pixel hash.

Stages are timed with hooks (all synchronised through the one `Timer`): text encode = the
text encoder's forward; denoise = from its end to the last step's callback; decode = from
there to the decoded pixels (VAE decode and post-processing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from guide_builder.measure.timing import Timer


class NonFiniteLatents(RuntimeError):
    """The final latents hold NaN or infinity (a black image; its hash would be meaningless)."""


@dataclass
class ImageResult:
    started_at: str
    total_s: float
    text_encode_s: float
    denoise_s: float
    decode_s: float
    forwards: int
    caption_tokens: int | None
    sha256: str | None
    finite: bool
    images: Any = None  # diffusers' np output (N, H, W, C) in [0, 1]


class ImageMaker:
    """Calls a placed pipeline for one workload and measures each call."""

    def __init__(
        self, pipe: Any, workload: Any, size: tuple[int, int], timer: Timer, call_kwargs: dict
    ):
        self.pipe = pipe
        self.workload = workload
        self.width, self.height = size
        self.timer = timer
        self.call_kwargs = {k: v for k, v in call_kwargs.items() if not k.startswith("_")}
        self.extras = call_kwargs  # with the "_" entries (the unloaded encoder, kept in RAM)
        self._marks: dict[str, float] = {}
        self._forwards = 0
        self._caption_tokens: int | None = None
        self._handles = [
            pipe.transformer.register_forward_pre_hook(self._on_forward, with_kwargs=True)
        ]
        encoder = getattr(pipe, "text_encoder", None)
        if encoder is not None:
            self._handles.append(encoder.register_forward_pre_hook(self._mark("te_start")))
            self._handles.append(encoder.register_forward_hook(self._mark("te_end")))

    def _mark(self, name: str):
        def hook(*_):
            self._marks[name] = self.timer.now()

        return hook

    def _on_forward(self, module, args, kwargs):
        self._forwards += 1
        if self._caption_tokens is None:
            self._caption_tokens = self.workload.family.caption_tokens(args, kwargs)

    def _on_step_end(self, pipe, step, timestep, callback_kwargs):
        if step == pipe.num_timesteps - 1:
            self._marks["denoise_end"] = self.timer.now()
            import torch

            self._finite = bool(torch.isfinite(callback_kwargs["latents"]).all())
        return {}

    def __call__(self, seed: int, overrides: dict[str, Any] | None = None) -> ImageResult:
        import torch

        self._marks.clear()
        self._forwards = 0
        self._caption_tokens = None
        self._finite = True
        generator = torch.Generator("cpu").manual_seed(seed)  # same noise on every device
        kwargs = {"prompt": self.workload.prompt, **self.call_kwargs, **(overrides or {})}
        started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        start = self.timer.now()
        out = self.pipe(
            width=self.width,
            height=self.height,
            num_inference_steps=self.workload.steps,
            guidance_scale=self.workload.guidance,
            generator=generator,
            output_type="np",
            callback_on_step_end=self._on_step_end,
            **self.workload.extra_call_kwargs,
            **kwargs,
        )
        end = self.timer.now()
        m = self._marks
        te_start, te_end = m.get("te_start", start), m.get("te_end", start)
        denoise_end = m.get("denoise_end", end)
        return ImageResult(
            started_at=started_at,
            total_s=end - start,
            text_encode_s=te_end - te_start,
            denoise_s=denoise_end - te_end,
            decode_s=end - denoise_end,
            forwards=self._forwards,
            caption_tokens=self._caption_tokens,
            sha256=pixel_hash(out.images),
            finite=self._finite,
            images=out.images,
        )

    def close(self) -> None:
        for h in self._handles:
            h.remove()


def pixel_hash(images: Any) -> str:
    """sha256 over the uint8 pixels (as diffusers rounds them for PIL) and their shape."""
    import numpy as np

    pixels = (np.asarray(images) * 255).round().astype("uint8")
    digest = hashlib.sha256(repr(pixels.shape).encode())
    digest.update(pixels.tobytes())
    return digest.hexdigest()
