"""Tiny random-weight models of the real open_clip architectures, written as open_clip folders
(`open_clip_config.json` + `open_clip_model.safetensors`, the format of the Hugging Face hub)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

# Shrunk copies of open_clip's own configs (ViT-B-32.json, ViT-B-16-SigLIP.json, coca_ViT-B-32.json): the
# same model classes and options, a few layers of width 64. SigLIP's vision tower is timm's `test_vit3`
# (a ViT with SigLIP's attention-pool head, no class token); its text side keeps SigLIP's options
# (no causal mask, last-token pool, biased projection) with CLIP's BPE tokenizer in place of SigLIP's
# sentencepiece files, which would have to be fetched.
TINY_CONFIGS: dict[str, dict] = {
    "clip": {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
    },
    "siglip": {
        "embed_dim": 96,
        "init_logit_bias": -10,
        "custom_text": True,
        "vision_cfg": {
            "image_size": 160,  # test_vit3's own input size
            "timm_model_name": "test_vit3",
            "timm_model_pretrained": False,
            "timm_pool": "map",
            "timm_proj": "none",
        },
        "text_cfg": {
            "context_length": 16,
            "vocab_size": 49408,
            "width": 64,
            "heads": 2,
            "layers": 2,
            "no_causal_mask": True,
            "proj_bias": True,
            "pool_type": "last",
            "norm_kwargs": {"eps": 1e-6},
        },
    },
    "coca": {
        "embed_dim": 64,  # = the decoder's width, as in coca_ViT-B-32.json (512 and 512)
        "custom_text": True,
        "vision_cfg": {
            "image_size": 32,
            "layers": 2,
            "width": 64,
            "patch_size": 8,
            "head_width": 32,
            "attentional_pool": True,
            "attn_pooler_heads": 2,
            "output_tokens": True,
        },
        "text_cfg": {
            "context_length": 16,
            "vocab_size": 49408,
            "width": 64,
            "heads": 2,
            "layers": 2,
            "embed_cls": True,
            "output_tokens": True,
        },
        "multimodal_cfg": {
            "context_length": 16,
            "vocab_size": 49408,
            "width": 64,
            "heads": 2,
            "layers": 2,
            "attn_pooler_heads": 2,
        },
    },
}
PREPROCESS = {
    "clip": {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]},
    "siglip": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "resize_mode": "squash"},
    "coca": {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]},
}


def write_tiny_model(folder: Path, family: str, seed: int = 0) -> Path:
    """A tiny random-weight `family` model ("clip", "siglip", "coca") as an open_clip folder."""
    import open_clip
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = {"model_cfg": TINY_CONFIGS[family], "preprocess_cfg": PREPROCESS[family]}
    (folder / "open_clip_config.json").write_text(json.dumps(config), encoding="utf-8")
    torch.manual_seed(seed)
    model = open_clip.create_model(f"local-dir:{folder}", load_weights=False, pretrained_text=False)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"))
    return folder
