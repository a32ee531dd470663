"""The captioner's building blocks: additive attention over the cells, and the residual convolution block
that lets each cell read its neighbours before it is attended to."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["AdditiveAttention", "conv_block"]


class AdditiveAttention(nn.Module):
    """Bahdanau attention: e_i = w · tanh(W_v v_i + W_h h) + b; the cells' projection is made once per image.

    The (B, K, N, A) map of tanh is the largest op of a beam-search step. tanh runs in place on the sum (a
    second map of that size would be a fresh allocation every step), and the energy is a matrix-vector
    product, faster than a matrix product with one column. tanh is also faster here than the identity
    tanh y = 2σ(2y) - 1 that this module once used: a trained model's arguments reach several hundred, and
    σ of such a value passes through subnormal floats, which an Intel core handles in microcode (2.5 ms
    against 0.45 for the map of a 300-row step; benchmarks/RESULTS.md, decode speed).
    """

    def __init__(self, value_dim: int, hidden_dim: int, attention_dim: int):
        super().__init__()
        self.value_proj = nn.Linear(value_dim, attention_dim)  # W_v
        self.hidden_proj = nn.Linear(hidden_dim, attention_dim)  # W_h
        self.energy = nn.Linear(attention_dim, 1)  # w

    def keys(self, values: torch.Tensor) -> torch.Tensor:
        """values (B, N, V) → keys W_v v + b_v (B, N, A): the cells' half of tanh's argument."""
        return self.value_proj(values)

    def forward(
        self, values: torch.Tensor, keys: torch.Tensor, h: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """values (B, N, V), keys (B, N, A) from `keys`, h (B·K, H) → context (B·K, V), α (B·K, N).

        The K consecutive rows of h of one image (its beams in beam search; K = 1 in training) share that
        image's cells, which are therefore never copied per beam.
        """
        B, N, _ = values.shape
        K = h.shape[0] // B if B else 1
        query = self.hidden_proj(h)  # (B·K, A)
        A = keys.shape[-1]
        s = (keys.unsqueeze(1) + query.view(B, K, 1, A)).tanh_()  # (B, K, N, A), in place
        w, b = self.energy.weight, self.energy.bias
        e = torch.mv(s.view(-1, A), w.view(A)).add_(b).view(B, K, N)  # (B, K, N)
        alpha = F.softmax(e, dim=-1)  # (B, K, N)
        context = torch.bmm(alpha, values)  # (B, K, V)
        return context.view(B * K, values.shape[-1]), alpha.view(B * K, N)


def conv_block(channels: int) -> nn.Sequential:
    """Depthwise 3x3 → GELU → pointwise, used as a residual branch that starts at zero (the cells as they
    were): a cell's value gains what its eight neighbours hold."""
    depthwise = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
    pointwise = nn.Conv2d(channels, channels, 1)
    for p in pointwise.parameters():
        nn.init.zeros_(p)
    return nn.Sequential(depthwise, nn.GELU(), pointwise)
