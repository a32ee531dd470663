"""The preprocessing that must go with a set of weights: resize, centre crop, normalisation."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import torch
from PIL import Image

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "Preprocess", "featureless"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_FLAT_STD = 1.0  # of 255: a channel varying less is one colour (JPEG noise included; a photo at 5% of its
#                   brightness reached 2: a review)


def featureless(pixels: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) encoder input → (B,) True where the image is one flat colour (every channel's standard
    deviation under 1 of 255): it shows nothing, whatever a model reads in it. A blank or 1×1 image's
    features had read as something: triangles to `scenes-small` (they lie near the scenes' plain
    backgrounds), "perhaps a bird" to the grounded describer for a flat blue."""
    planes = pixels.cpu().numpy()  # (B, 3, H, W) uint8: each plane contiguous, for OpenCV (0.2 ms a batch
    #                                of 32, against 40 for torch's float std)
    return np.array([all(cv2.meanStdDev(im[c])[1][0, 0] < _FLAT_STD for c in range(3)) for im in planes])


@dataclass(frozen=True)
class Preprocess:
    size: int = 224  # side of the square crop fed to the network
    resize: int = 256  # shorter side resized to this, then the centre crop (size / resize = crop ratio)
    mean: tuple[float, float, float] = IMAGENET_MEAN  # per channel, on 0..1 pixel values
    std: tuple[float, float, float] = IMAGENET_STD  # per channel, on 0..1 pixel values
    squash: bool = False  # resize the whole image to size × size (aspect not kept) instead of crop

    def resized(self, size: int, squash: bool = False) -> Preprocess:
        """The same normalisation at another input size, keeping the crop ratio."""
        return replace(self, size=size, resize=round(size * self.resize / self.size), squash=squash)

    def to_uint8(self, img: Image.Image) -> torch.Tensor:
        """Resize the shorter side to `resize`, centre-crop `size`: (3, size, size) uint8, channels first."""
        w, h = img.size
        if self.squash:
            square = img.resize((self.size, self.size), Image.Resampling.BILINEAR, reducing_gap=3.0)
            return torch.from_numpy(np.asarray(square, dtype=np.uint8).copy()).permute(2, 0, 1)  # (3, H, W)
        scale = self.resize / min(w, h)
        nw, nh = max(self.size, round(w * scale)), max(self.size, round(h * scale))
        left, top = (nw - self.size) // 2, (nh - self.size) // 2
        # Resize only the crop's source box: cheaper than resizing the whole image, same pixels.
        box = (left / scale, top / scale, (left + self.size) / scale, (top + self.size) / scale)
        # reducing_gap: large downscales first shrink by an integer factor (box filter), then resample.
        crop = img.resize((self.size, self.size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
        arr = np.asarray(crop, dtype=np.uint8)  # (H, W, 3)
        return torch.from_numpy(arr.copy()).permute(2, 0, 1)  # (3, H, W)

    def normalize(self, batch: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) → float (B, 3, H, W) normalised as the weights expect."""
        mean = torch.tensor(self.mean, device=batch.device).view(1, 3, 1, 1) * 255.0
        inv_std = 1.0 / (torch.tensor(self.std, device=batch.device).view(1, 3, 1, 1) * 255.0)
        return (batch.float() - mean) * inv_std
