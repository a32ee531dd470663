"""multicap's embeddings are open_clip's: the same model's encode_image / encode_text within 1e-5."""

from __future__ import annotations

import numpy as np
import open_clip
import pytest
import torch

from multicap.describe.describer import VISION_LANGUAGE_MODELS
from multicap.encoders.clip import build_encoder
from multicap.encoders.clip_models import CLIP_MODELS
from multicap.errors import WeightsNotFoundError

TEXTS = ["a dog on a beach", "a red car", "two cups of coffee on a wooden table"]


@pytest.mark.parametrize("family", ["clip", "siglip", "coca"])
def test_image_and_text_embeddings_equal_open_clips(tiny_models, family: str) -> None:
    folder = tiny_models[family]
    ours = build_encoder(str(folder))
    assert ours.family == family
    ref = open_clip.create_model(f"local-dir:{folder}", pretrained_text=False).eval()
    tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
    side = ours.preprocess.size
    pixels = torch.randint(0, 256, (3, 3, side, side), generator=torch.Generator().manual_seed(1)).to(
        torch.uint8
    )
    mean = torch.tensor(ref.visual.preprocess_cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(ref.visual.preprocess_cfg["std"]).view(1, 3, 1, 1)
    with torch.no_grad():
        want_image = ref.encode_image((pixels.float() / 255 - mean) / std, normalize=True).numpy()
        want_text = ref.encode_text(tokenizer(TEXTS), normalize=True).numpy()
    got_image = ours.encode_batch(pixels).pooled.numpy()
    got_text = ours.embed_text(TEXTS)
    np.testing.assert_allclose(got_image, want_image, atol=1e-5)
    np.testing.assert_allclose(got_text, want_text, atol=1e-5)
    assert not np.allclose(got_image[0], got_image[1])  # different images: different vectors


def test_coca_captions_are_sentences(tiny_models) -> None:
    coca = build_encoder(str(tiny_models["coca"]))
    captions = coca.caption(torch.zeros(2, 3, coca.preprocess.size, coca.preprocess.size, dtype=torch.uint8))
    assert len(captions) == 2 and all(c.endswith(".") for c in captions)


def test_registered_names_are_the_real_architectures_and_need_their_weights(tmp_path, monkeypatch) -> None:
    assert set(VISION_LANGUAGE_MODELS) == set(CLIP_MODELS)
    assert {e.family for e in CLIP_MODELS.values()} == {"clip", "siglip", "coca"}
    for entry in CLIP_MODELS.values():
        assert entry.architecture in open_clip.list_models()
    monkeypatch.setenv("MULTICAP_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(WeightsNotFoundError, match="multicap models pull clip-vit-b-32"):
        build_encoder("clip-vit-b-32")


def test_an_encoder_given_with_a_vision_language_model_is_refused(tiny_models) -> None:
    """A CLIP model is its own encoder: `--encoder` with one is an error, as with a captioner bundle (it
    had been ignored, unsaid, by `multicap index`)."""
    from multicap.errors import ConfigError
    from multicap.index.models import open_model

    for name in ("clip-vit-b-32", str(tiny_models["clip"])):
        with pytest.raises(ConfigError, match="encodes with its own encoder"):
            open_model(name, encoder="efficientnet_lite1")
