"""`Encoder`: a backbone with the preprocessing that matches its weights, turning images into `Features`,
what every encoder returns for a batch of images."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from PIL import Image
from torch import nn

from multicap.encoders.preprocess import Preprocess
from multicap.errors import ConfigError

__all__ = ["Encoder", "Features", "resolve_device", "top_k"]


@dataclass
class Features:
    grid: torch.Tensor  # (B, N, D) spatial cells, row-major over grid_hw: the captioner attends over these
    pooled: torch.Tensor  # (B, D) global average of the grid
    logits: torch.Tensor | None  # (B, 1000) ImageNet logits where the backbone has its classifier head
    grid_hw: tuple[int, int]  # (H, W) of the grid, H * W == N

    def __len__(self) -> int:
        return self.grid.shape[0]

    def to(self, device: torch.device | str) -> Features:
        logits = self.logits.to(device) if self.logits is not None else None
        return Features(self.grid.to(device), self.pooled.to(device), logits, self.grid_hw)

    def __getitem__(self, index: int | slice) -> Features:
        """Select images along the batch axis (an int keeps a batch of one)."""
        sel = slice(index, index + 1) if isinstance(index, int) else index
        logits = self.logits[sel] if self.logits is not None else None
        return Features(self.grid[sel], self.pooled[sel], logits, self.grid_hw)

    @staticmethod
    def cat(parts: list[Features]) -> Features:
        """Concatenate batches with the same grid shape."""
        if not parts:
            raise ValueError("Features.cat needs at least one batch")
        logits = None if parts[0].logits is None else torch.cat([p.logits for p in parts])  # type: ignore[misc]
        return Features(
            torch.cat([p.grid for p in parts]), torch.cat([p.pooled for p in parts]), logits, parts[0].grid_hw
        )


def resolve_device(device: str | torch.device | None, *, option: str = "--device") -> torch.device:
    """'cpu' (the default), 'cuda', 'cuda:N' or 'auto' (CUDA when present); a clear error otherwise, which
    says how to choose the CPU with `option` (`train` takes --set train.device=cpu, not --device)."""
    name = str(device or "cpu")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}: use cpu, cuda, cuda:N or auto") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        use = f"{option}=cpu" if option.endswith(".device") else f"{option} cpu"
        raise ConfigError(f"device {name!r} asked for, but CUDA is not available here: use {use}")
    return dev


class Encoder:
    """Runs a backbone in inference mode: uint8 pixels → normalised, channels-last → `Features`.

    The backbone maps (B, 3, H, W) to `(feature map (B, D, h, w), logits (B, 1000) | None)`.
    """

    def __init__(
        self,
        name: str,
        backbone: nn.Module,
        preprocess: Preprocess,
        *,
        labels: Sequence[str] | None = None,
        weights: str = "",
        device: str | torch.device | None = None,
    ) -> None:
        self.name = name
        self.preprocess = preprocess
        self.labels = list(labels) if labels is not None else None  # class names for the logits, if any
        self.weights = weights  # where the weights came from, for `multicap models` and index metadata
        self.device = resolve_device(device)
        self.backbone = backbone.eval().to(self.device).to(memory_format=torch.channels_last)

    @property
    def has_head(self) -> bool:
        return self.labels is not None

    def encode_batch(self, pixels: torch.Tensor) -> Features:
        """(B, 3, H, W) uint8 pixels, already resized and cropped → `Features` on the CPU."""
        with torch.inference_mode():
            x = pixels.to(self.device, non_blocking=True)
            x = self.preprocess.normalize(x).contiguous(memory_format=torch.channels_last)  # (B, 3, H, W)
            fmap, logits = self.backbone(x)  # (B, D, h, w), (B, 1000) | None
            h, w = fmap.shape[-2:]
            grid = fmap.flatten(2).transpose(1, 2).contiguous()  # (B, h*w, D)
            pooled = fmap.mean(dim=(2, 3))  # (B, D)
            return Features(
                grid.float().cpu(),
                pooled.float().cpu(),
                logits.float().cpu() if logits is not None else None,
                (h, w),
            )

    def encode_images(self, images: Sequence[Image.Image]) -> Features:
        """RGB images of any size → `Features` (one batch)."""
        pixels = torch.stack([self.preprocess.to_uint8(img) for img in images])  # (B, 3, H, W)
        return self.encode_batch(pixels)

    def __repr__(self) -> str:
        return f"Encoder({self.name!r}, device={self.device}, input={self.preprocess.size}px)"


def top_k(
    logits: torch.Tensor, labels: tuple[str, ...] | list[str], k: int = 5
) -> list[list[tuple[str, float]]]:
    """(B, C) logits → per image, the k most probable `(label, probability)` pairs, best first."""
    probs = torch.softmax(logits.float(), dim=-1)  # (B, C)
    values, indices = probs.topk(min(k, probs.shape[-1]), dim=-1)  # (B, k)
    return [
        [(labels[i], float(p)) for p, i in zip(row_v.tolist(), row_i.tolist(), strict=True)]
        for row_v, row_i in zip(values, indices, strict=True)
    ]
