"""The vision-language models of `clip_models` as registered encoders, and `create_vision_language`, which
builds one (`multicap.encoders.clip`, imported by name on first use: it imports open_clip, the clip extra).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from multicap.encoders.clip_models import (
    CLIP_EXTRA,
    CLIP_MODELS,
    VisionLanguageEntry,
    find_weights,
    open_clip_installed,
    pull_command,
    require_open_clip,
    weights_dir,
)
from multicap.encoders.encoder import Encoder
from multicap.encoders.registry import EncoderSpec, WeightsStatus, register_encoder

__all__ = ["create_vision_language"]

_BUILD = "multicap.encoders.clip:build_encoder"  # imported on first use: it imports open_clip


def _status(entry: VisionLanguageEntry) -> Callable[[Path | None], WeightsStatus]:
    def status(weights: Path | None) -> WeightsStatus:
        found = weights or find_weights(entry)
        source = f"`{pull_command(entry.name)}` ({entry.weights.url})"
        if not open_clip_installed():
            source += f"; needs the clip extra: {CLIP_EXTRA}"
        where = found or weights_dir() / entry.name
        return WeightsStatus(found is not None and Path(found).exists(), str(where), source)

    return status


def create_vision_language(
    model: str, *, pretrained: bool = True, device: str | torch.device | None = None
) -> Any:
    """The `multicap.encoders.clip.VisionLanguageEncoder` of a registered name or an open_clip folder;
    without the extra, the one-line message that names it."""
    require_open_clip(model)
    return _late(_BUILD)(model, pretrained=pretrained, device=device)


def _late(entry: str) -> Any:
    module, _, attribute = entry.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _builder(
    entry: VisionLanguageEntry,
) -> Callable[[Path | None, bool, str | torch.device | None], Encoder]:
    def build(weights: Path | None, pretrained: bool, device: str | torch.device | None) -> Encoder:
        require_open_clip(entry.name)
        built: Encoder = _late(_BUILD)(entry.name, weights=weights, pretrained=pretrained, device=device)
        return built

    return build


for _entry_ in CLIP_MODELS.values():
    register_encoder(
        EncoderSpec(
            name=_entry_.name,
            description=f"{_entry_.description} (open_clip; the clip extra)",
            preprocess=_entry_.preprocess,
            feature_dim=_entry_.embed_dim,
            has_head=False,
            build=_builder(_entry_),
            weights_status=_status(_entry_),
        )
    )
