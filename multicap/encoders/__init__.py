"""Encoders: a registry of pretrained CNN backbones, each with the preprocessing that matches its weights."""

from multicap.encoders.encoder import Encoder, Features, resolve_device, top_k
from multicap.encoders.factory import create_encoder, get_encoder_spec, list_encoders
from multicap.encoders.preprocess import Preprocess
from multicap.encoders.registry import DEFAULT_ENCODER, EncoderSpec, WeightsStatus, register_encoder
from multicap.text.imagenet import imagenet_labels

__all__ = [
    "DEFAULT_ENCODER",
    "Encoder",
    "EncoderSpec",
    "Features",
    "Preprocess",
    "WeightsStatus",
    "create_encoder",
    "get_encoder_spec",
    "imagenet_labels",
    "list_encoders",
    "register_encoder",
    "resolve_device",
    "top_k",
]
