"""Select encoders by name: `create_encoder("efficientnet_lite0")`, `list_encoders()`.

Each entry carries where its weights come from and the preprocessing that must go with them. Nothing
downloads: weights come from an installed package, a file the user names, or the torch hub cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from multicap.encoders.encoder import Encoder
from multicap.encoders.preprocess import Preprocess
from multicap.errors import UnknownNameError

__all__ = [
    "DEFAULT_ENCODER",
    "EncoderSpec",
    "WeightsStatus",
    "create_encoder",
    "get_encoder_spec",
    "list_encoders",
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


def _ensure_registered() -> None:
    # The backbone modules register themselves on import.
    from multicap.encoders import backbones  # noqa: F401


def list_encoders() -> list[EncoderSpec]:
    _ensure_registered()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get_encoder_spec(name: str) -> EncoderSpec:
    _ensure_registered()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownNameError(f"unknown encoder {name!r}; choose one of: {known}") from None


def create_encoder(
    name: str = DEFAULT_ENCODER,
    *,
    weights: str | Path | None = None,
    pretrained: bool = True,
    device: str | torch.device | None = None,
    image_size: int | None = None,
    squash: bool = False,
) -> Encoder:
    """Build a ready-to-run encoder.

    Args:
        name: a registered encoder (`list_encoders()`).
        weights: a weights file to use instead of the default source.
        pretrained: False builds the network with random weights; only on explicit request.
        device: "cpu" (default), "cuda", "cuda:N" or "auto".
        image_size: input side instead of the weights' own (the crop keeps its ratio to the resize).
        squash: resize whole images to a square instead of resize + centre crop (nothing cut off: for
            describing and captioning, where an object at the border matters).

    Raises:
        UnknownNameError: no such encoder.
        WeightsNotFoundError: pretrained weights are asked for but not on this machine.
    """
    spec = get_encoder_spec(name)
    encoder = spec.build(Path(weights) if weights is not None else None, pretrained, device)
    if image_size is not None or squash:
        encoder.preprocess = encoder.preprocess.resized(image_size or encoder.preprocess.size, squash=squash)
    return encoder
