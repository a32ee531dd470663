"""Encoders: a registry of pretrained CNN backbones, each with the preprocessing that matches its weights."""

from multicap.encoders.encoder import Encoder, resolve_device
from multicap.encoders.features import Features
from multicap.encoders.imagenet import imagenet_labels, top_k
from multicap.encoders.pipeline import encode_paths
from multicap.encoders.preprocess import Preprocess
from multicap.encoders.registry import (
    DEFAULT_ENCODER,
    EncoderSpec,
    WeightsStatus,
    create_encoder,
    get_encoder_spec,
    list_encoders,
    register_encoder,
)

__all__ = [
    "DEFAULT_ENCODER",
    "Encoder",
    "EncoderSpec",
    "Features",
    "Preprocess",
    "WeightsStatus",
    "create_encoder",
    "encode_paths",
    "get_encoder_spec",
    "imagenet_labels",
    "list_encoders",
    "register_encoder",
    "resolve_device",
    "top_k",
]
