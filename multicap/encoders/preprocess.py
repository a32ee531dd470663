"""The preprocessing that must go with a set of weights: resize, centre crop, normalisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "Preprocess"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocess:
    size: int = 224  # side of the square crop fed to the network
    resize: int = 256  # shorter side resized to this, then the centre crop (size / resize = crop ratio)
    mean: tuple[float, float, float] = IMAGENET_MEAN  # per channel, on 0..1 pixel values
    std: tuple[float, float, float] = IMAGENET_STD  # per channel, on 0..1 pixel values

    def to_uint8(self, img: Image.Image) -> torch.Tensor:
        """Resize the shorter side to `resize`, centre-crop `size`: (3, size, size) uint8, channels first."""
        w, h = img.size
        scale = self.resize / min(w, h)
        nw, nh = max(self.size, round(w * scale)), max(self.size, round(h * scale))
        left, top = (nw - self.size) // 2, (nh - self.size) // 2
        # Resize only the crop's source box: cheaper than resizing the whole image, same pixels.
        box = (left / scale, top / scale, (left + self.size) / scale, (top + self.size) / scale)
        crop = img.resize((self.size, self.size), Image.Resampling.BILINEAR, box=box, reducing_gap=None)
        arr = np.asarray(crop, dtype=np.uint8)  # (H, W, 3)
        return torch.from_numpy(arr.copy()).permute(2, 0, 1)  # (3, H, W)

    def normalize(self, batch: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) → float (B, 3, H, W) normalised as the weights expect."""
        mean = torch.tensor(self.mean, device=batch.device).view(1, 3, 1, 1) * 255.0
        inv_std = 1.0 / (torch.tensor(self.std, device=batch.device).view(1, 3, 1, 1) * 255.0)
        return (batch.float() - mean) * inv_std
