"""A multi-scale grid for captioning: stride-16 features, the final stage, and colour statistics per cell.

ImageNet's last stage is nearly blind to colour and place; the captioner needs both to say "a red circle
left of a blue square". Each cell of the stride-16 grid therefore carries
  - the stride-16 stage's features (what and where at fine scale),
  - the final stage's features, repeated over the 2×2 cells each final cell covers (what, in context),
  - the mean and standard deviation of the normalised input pixels under the cell (colour, texture).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multicap.encoders.efficientnet_lite import EfficientNetLite

__all__ = ["COLOUR_STATS", "MultiScaleLite"]

COLOUR_STATS = 6  # mean and std of R, G, B per cell


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
        mean = F.adaptive_avg_pool2d(x, (h, w))  # (B, 3, h, w)
        var = (F.adaptive_avg_pool2d(x * x, (h, w)) - mean * mean).clamp_min(0.0)
        grid = torch.cat([mid, up, mean, var.sqrt()], dim=1)  # (B, D, h, w)
        return grid, logits
