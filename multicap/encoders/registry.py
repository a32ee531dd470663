"""The encoder registry: `EncoderSpec` (where an encoder's weights come from and the preprocessing that
must go with them) and `register_encoder`. The backbone modules register their specs on import;
`multicap.encoders.factory` looks names up and builds encoders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from multicap.encoders.encoder import Encoder
from multicap.encoders.preprocess import Preprocess

__all__ = [
    "DEFAULT_ENCODER",
    "EncoderSpec",
    "WeightsStatus",
    "register_encoder",
]

DEFAULT_ENCODER = "efficientnet_lite0"


@dataclass(frozen=True)
class WeightsStatus:
    present: bool  # whether the weights are on this machine
    location: str  # the file found, or where to put it
    source: str  # where such weights come from


# build(weights: Path | None, pretrained: bool, device) -> Encoder
Builder = Callable[[Path | None, bool, "str | torch.device | None"], Encoder]


@dataclass(frozen=True)
class EncoderSpec:
    name: str
    description: str  # one line for `multicap models`
    preprocess: Preprocess  # the input the weights were trained with
    feature_dim: int  # D of the grid and pooled features
    has_head: bool  # whether ImageNet logits come out
    build: Builder = field(repr=False)
    weights_status: Callable[[Path | None], WeightsStatus] = field(repr=False)


_REGISTRY: dict[str, EncoderSpec] = {}


def register_encoder(spec: EncoderSpec) -> EncoderSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"encoder {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec
