"""Image quality of a variant against the bf16 `plain` images: PSNR and SSIM in plain torch.

No model weights are involved (no LPIPS): PSNR over the uint8 pixels, and SSIM as Wang et al.
(2004) define it (11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, on each RGB channel,
averaged). `--quality-prompts` renders PROMPTS with every variant at the workload's seed; the
worker compares each image with `plain`'s image of the same prompt.
"""

from __future__ import annotations

import io
import math
from typing import Any

REFERENCE_VARIANT = "plain"

# a fixed set: photographic detail, text rendering in both languages, a portrait, an illustration
PROMPTS = (
    "A cosy reading nook beside a rainy window at dusk, warm lamp light on a wooden desk, a grey "
    "cat asleep on a knitted blanket, shelves of old books, photorealistic, 35mm photograph",
    "A shop sign on a brick wall that reads 'OPEN DAILY 9-5' in bold red letters, and below it "
    "a smaller sign in Chinese that reads '欢迎光临', morning light, street photography",
    "Close-up portrait of an elderly fisherman with a weathered face and a white beard, "
    "wearing a yellow raincoat, soft overcast light, shallow depth of field",
    "A flat vector illustration of a mountain lake at sunrise, pastel colours, clean shapes, "
    "a small red canoe on the water, minimalist poster design",
)


def psnr_db(a: Any, b: Any, peak: float = 255.0) -> float:
    """PSNR in dB of two uint8 images of one shape (H, W, C); inf when they are identical."""
    import torch

    x, y = _float(a), _float(b)
    mse = float(torch.mean((x - y) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def ssim(a: Any, b: Any, peak: float = 255.0, size: int = 11, sigma: float = 1.5) -> float:
    """Mean SSIM of two uint8 images (H, W, C) over every full window, channels averaged."""
    import torch
    import torch.nn.functional as F

    x = _float(a).permute(2, 0, 1).unsqueeze(1)  # (C, 1, H, W): one channel at a time
    y = _float(b).permute(2, 0, 1).unsqueeze(1)
    size = min(size, x.shape[-1], x.shape[-2])
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma * sigma))
    g = g / g.sum()
    window = (g[:, None] * g[None, :]).reshape(1, 1, size, size)

    def blur(t):
        return F.conv2d(t, window)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cov = blur(x * y) - mx * my
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def _float(img: Any):
    import numpy as np
    import torch

    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(arr.astype(np.float64))


def to_uint8(images: Any):
    """diffusers' np output (N, H, W, C) in [0, 1] as the uint8 pixels of the first image."""
    import numpy as np

    return (np.asarray(images)[0] * 255).round().clip(0, 255).astype("uint8")


def png_bytes(pixels: Any) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def read_png(data: bytes):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def compare(pixels: Any, reference: Any) -> dict[str, Any]:
    """quality.csv's figures for one image against its reference."""
    p = psnr_db(pixels, reference)
    return {
        "psnr_db": None if math.isinf(p) else p,  # identical images: no finite PSNR
        "ssim": ssim(pixels, reference),
        "identical": "true" if math.isinf(p) else "false",
    }
