"""Convolution with its activation or residual add fused into one pass (oneDNN post-ops) on the CPU.

A separate ReLU6 or residual add reads and writes the whole activation again; for a depthwise network
that is a large share of inference time. PyTorch exposes oneDNN's fused convolution as
`torch.ops.mkldnn._convolution_pointwise` (the kernel its compiler uses). It is an internal operator, so
`conv2d_act` uses it only for float32 inference on CPU tensors when it exists, and otherwise computes the
same thing with public ops. tests/unit/test_encoders.py checks both paths against each other.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["conv2d_act", "fused_available"]

_ops = getattr(torch.ops, "mkldnn", None)
_POINTWISE = getattr(_ops, "_convolution_pointwise", None) if _ops is not None else None
_state = {"enabled": _POINTWISE is not None and torch.backends.mkldnn.is_available()}


def fused_available() -> bool:
    return _state["enabled"]


def set_fused(enabled: bool) -> None:
    """Turn the fused kernels off (or back on, where available): for tests and benchmarks."""
    _state["enabled"] = enabled and _POINTWISE is not None and torch.backends.mkldnn.is_available()


def conv2d_act(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: int,
    padding: tuple[int, int],
    groups: int,
    relu6: bool,
    residual: torch.Tensor | None = None,
) -> torch.Tensor:
    """relu6(conv(x) + bias) when `relu6`, else conv(x) + bias (+ residual)."""
    if _state["enabled"] and _fusable(x, weight):
        pad, strides, dil = list(padding), [stride, stride], [1, 1]
        if residual is not None and not relu6:
            return _POINTWISE.binary(  # type: ignore[union-attr]
                x, residual, weight, bias, pad, strides, dil, groups, "add", None, None, [], None
            )
        if residual is None:
            attr, scalars = ("hardtanh", [0.0, 6.0]) if relu6 else ("none", [])
            return _POINTWISE(x, weight, bias, pad, strides, dil, groups, attr, scalars, "")  # type: ignore[misc]
    y = F.conv2d(x, weight, bias, stride, padding, 1, groups)
    if relu6:
        y = F.relu6(y, inplace=True)
    if residual is not None:
        y = y + residual
    return y


def _fusable(x: torch.Tensor, weight: torch.Tensor) -> bool:
    return (
        x.device.type == "cpu"
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and torch.is_inference_mode_enabled()
    )
