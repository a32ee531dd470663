"""Multi-scale grids for captioning: finer stages of EfficientNet-Lite0 and colour statistics per cell.

ImageNet's last stage is nearly blind to colour and place; the captioner needs both to say "a red circle
left of a blue square". Each cell of the stride-16 grid therefore carries
  - the stride-16 stage's features (what and where at fine scale),
  - with `MultiScaleLite`, the final stage's features, repeated over the 2×2 cells each final cell covers
    (what, in context);
  - with `FineLite`, the stride-8 stage's features of the cell's 2×2 sub-cells, side by side (the shape of
    what the cell holds), and no final stage;
  - the mean and standard deviation of the normalised input pixels under the cell (colour, texture).

Linear probes of each object's shape and colour from the mean of the cells in its box (2,000 scenes to
fit, 400 to test, at 160 px; benchmarks/grid_probe.py): stride-16 + colour 0.963 / 0.986, with the
stride-8 sub-cells 0.980 / 0.991, with the final stage instead 0.901 / 0.861.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multicap.encoders.efficientnet_lite import EfficientNetLite

__all__ = ["COLOUR_STATS", "FINE_DIM", "FineLite", "MultiScaleLite"]

COLOUR_STATS = 6  # mean and std of R, G, B per cell
STRIDE8_BLOCK = 4  # the last block of the stride-8 stage (40 channels)
STRIDE16_BLOCK = 10  # the last block of the stride-16 stage (112 channels)
FINE_DIM = 4 * 40 + 112 + COLOUR_STATS  # channels of a FineLite cell


def colour_stats(x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """(B, 3, H, W) normalised pixels → (B, 6, h, w): their mean and standard deviation under each cell."""
    mean = F.adaptive_avg_pool2d(x, hw)  # (B, 3, h, w)
    var = (F.adaptive_avg_pool2d(x * x, hw) - mean * mean).clamp_min(0.0)
    return torch.cat([mean, var.sqrt()], dim=1)


class MultiScaleLite(nn.Module):
    """EfficientNet-Lite → (grid map (B, 112 + 1280 + 6, H/16, W/16), ImageNet logits (B, 1000))."""

    def __init__(self, net: EfficientNetLite):
        super().__init__()
        self.net = net
        self.dim = 112 + net.num_features + COLOUR_STATS

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mid, final = self.net.forward_pyramid(x)  # (B, 112, h, w), (B, 1280, h/2, w/2)
        h, w = mid.shape[-2:]
        logits = self.net.classifier(final.mean(dim=(2, 3)))  # (B, 1000)
        up = F.interpolate(final, size=(h, w), mode="nearest")  # (B, 1280, h, w)
        grid = torch.cat([mid, up, colour_stats(x, (h, w))], dim=1)  # (B, D, h, w)
        return grid, logits


class FineLite(nn.Module):
    """EfficientNet-Lite up to its stride-16 stage → (grid map (B, 4·40 + 112 + 6, H/16, W/16), None).

    The stride-8 map is folded into the stride-16 cells (pixel unshuffle: each cell's 2×2 sub-cells side
    by side), so a cell says where in it an edge or a corner lies. The later stages are not run.
    """

    def __init__(self, net: EfficientNetLite):
        super().__init__()
        self.net = net
        self.dim = FINE_DIM

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        h = self.net.stem(x)
        fine = h
        for i, block in enumerate(self.net.blocks[: STRIDE16_BLOCK + 1]):
            h = block(h)
            if i == STRIDE8_BLOCK:
                fine = h  # (B, 40, H/8, W/8)
        hw = h.shape[-2:]  # (B, 112, H/16, W/16)
        short = (2 * hw[0] - fine.shape[-2], 2 * hw[1] - fine.shape[-1])  # an odd H/8 (72 px: 9 to 5 cells)
        if max(short) > 0:  # had failed in pixel_unshuffle: the last row or column repeated instead
            fine = F.pad(fine, (0, max(0, short[1]), 0, max(0, short[0])), mode="replicate")
        sub = F.pixel_unshuffle(fine[..., : 2 * hw[0], : 2 * hw[1]], 2)  # (B, 160, h, w)
        return torch.cat([sub, h, colour_stats(x, (hw[0], hw[1]))], dim=1), None  # (B, D, h, w)
