"""torchvision's classic captioning encoders (ResNet-50/101, VGG-16, MobileNetV3-Large).

Their ImageNet weights come from a file the user names or from the torch hub cache
(`torch.hub.get_dir()/checkpoints/`, where `torchvision` itself would keep them). Without either, building
fails with a message that says where to put the file; random weights only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from multicap.encoders.encoder import Encoder
from multicap.encoders.preprocess import Preprocess
from multicap.encoders.registry import EncoderSpec, WeightsStatus, register_encoder
from multicap.encoders.runtime import tune_malloc
from multicap.encoders.weights import load_state_dict_file
from multicap.errors import WeightsNotFoundError
from multicap.text.imagenet import imagenet_labels

__all__: list[str] = []  # its specs register themselves on import (multicap.encoders.registry)

_PREPROCESS = Preprocess(size=224, resize=256)  # the IMAGENET1K_V1 evaluation transform


class _Split(nn.Module):
    """Wraps a torchvision classifier as `x → (feature map, logits)`."""

    def __init__(self, features: nn.Module, head: Callable[[torch.Tensor], torch.Tensor], model: nn.Module):
        super().__init__()
        self.features, self.model = _fold_batchnorm(features), model
        self._head = head

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fmap = self.features(x)  # (B, D, h, w)
        return fmap, self._head(fmap)  # (B, 1000)


def _fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold eval-mode BatchNorm into the preceding convolutions (torch.fx), where the trunk traces."""
    from torch.fx.experimental.optimization import fuse

    try:
        return fuse(module.eval(), inplace=True)
    except Exception:  # an untraceable trunk still runs, only unfolded
        return module


def _resnet(model: Any) -> nn.Module:
    trunk = nn.Sequential(*list(model.children())[:-2])  # up to layer4: (B, 2048, 7, 7)
    return _Split(trunk, lambda f: model.fc(torch.flatten(model.avgpool(f), 1)), model)


def _vgg16(model: Any) -> nn.Module:
    # Show, Attend and Tell attends over conv5_3 before the last max-pool: (B, 512, 14, 14).
    trunk, last_pool = model.features[:-1], model.features[-1]
    return _Split(trunk, lambda f: model.classifier(torch.flatten(model.avgpool(last_pool(f)), 1)), model)


def _mobilenet(model: Any) -> nn.Module:
    return _Split(model.features, lambda f: model.classifier(torch.flatten(model.avgpool(f), 1)), model)


@dataclass(frozen=True)
class _Model:
    constructor: str  # torchvision.models.<constructor>
    weights_file: str  # the IMAGENET1K_V1 file name, as torchvision would keep it in the hub cache
    wrap: Callable[[nn.Module], nn.Module]  # classifier → (feature map, logits)
    dim: int  # channels of the grid
    description: str


# torchvision is imported only when one of these is built: it costs seconds at start-up.
_MODELS: dict[str, _Model] = {
    "resnet50": _Model("resnet50", "resnet50-0676ba61.pth", _resnet, 2048, "ResNet-50, 7×7×2048 grid"),
    "resnet101": _Model("resnet101", "resnet101-63fe2227.pth", _resnet, 2048, "ResNet-101, 7×7×2048 grid"),
    "vgg16": _Model("vgg16", "vgg16-397923af.pth", _vgg16, 512, "VGG-16 conv5_3, 14×14×512 grid"),
    "mobilenet_v3_large": _Model(
        "mobilenet_v3_large",
        "mobilenet_v3_large-8738ca79.pth",
        _mobilenet,
        960,
        "MobileNetV3-Large, 7×7×960 grid",
    ),
}


def _hub_file(model: _Model) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / model.weights_file


def _status(name: str) -> Callable[[Path | None], WeightsStatus]:
    model = _MODELS[name]

    def status(weights: Path | None) -> WeightsStatus:
        path = weights or _hub_file(model)
        source = f"torchvision's ImageNet weights ({model.weights_file}), a file you provide"
        return WeightsStatus(path.is_file(), str(path), source)

    return status


def _builder(name: str) -> Callable[[Path | None, bool, str | torch.device | None], Encoder]:
    spec = _MODELS[name]

    def build(weights: Path | None, pretrained: bool, device: str | torch.device | None) -> Encoder:
        tune_malloc()
        model: nn.Module = getattr(importlib.import_module("torchvision.models"), spec.constructor)(
            weights=None
        )
        source = "random init (asked for)"
        if pretrained:
            path = weights or _hub_file(spec)
            if weights is not None and not path.is_file():
                raise WeightsNotFoundError(f"{path}: no such weights file for {name}")
            if not path.is_file():
                raise WeightsNotFoundError(
                    f"{name} ImageNet weights not found: put {spec.weights_file} in "
                    f"{path.parent} (the torch hub cache, where every command looks; `multicap classify` "
                    "also takes --weights FILE); nothing is downloaded at run time"
                )
            try:
                model.load_state_dict(load_state_dict_file(path))
            except RuntimeError as exc:
                raise WeightsNotFoundError(f"{path} does not hold {name} weights: {str(exc)[:200]}") from None
            source = str(path)
        labels = imagenet_labels()
        return Encoder(name, spec.wrap(model), _PREPROCESS, labels=labels, weights=source, device=device)

    return build


for _name, _model in _MODELS.items():
    register_encoder(
        EncoderSpec(
            name=_name,
            description=f"{_model.description} (torchvision, ImageNet weights from a file)",
            preprocess=_PREPROCESS,
            feature_dim=_model.dim,
            has_head=True,
            build=_builder(_name),
            weights_status=_status(_name),
        )
    )
