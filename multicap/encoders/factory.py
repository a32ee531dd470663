"""Select encoders by name: `create_encoder("efficientnet_lite0")`, `list_encoders()`.

Nothing downloads: weights come from an installed package, a file the user names, or the torch hub cache.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import torch

from multicap.encoders.encoder import Encoder
from multicap.encoders.registry import _REGISTRY, DEFAULT_ENCODER, EncoderSpec
from multicap.errors import UnknownNameError

__all__ = ["create_encoder", "get_encoder_spec", "list_encoders"]

# The modules whose specs register themselves on import, in lookup order; each is imported when a name is
# first looked up that the ones before it lack, so a command loads only the backbones it needs (the
# EfficientNets first; torchvision's only for its names or a full listing).
_PROVIDERS: tuple[str, ...] = (
    "multicap.encoders.backbones",
    "multicap.encoders.torchvision_backbones",
    "multicap.encoders.vision_language",  # CLIP, SigLIP, CoCa: open_clip loads when one is built
)


def list_encoders() -> list[EncoderSpec]:
    for module in _PROVIDERS:
        importlib.import_module(module)
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get_encoder_spec(name: str) -> EncoderSpec:
    for module in _PROVIDERS:
        if name in _REGISTRY:
            break
        importlib.import_module(module)
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(spec.name for spec in list_encoders())
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
