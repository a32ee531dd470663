"""`Features`: what every encoder returns for a batch of images (DESIGN.md, shared types)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Features"]


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
