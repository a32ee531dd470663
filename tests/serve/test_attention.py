"""Attention overlays through the API (`GET /api/images/{id}/attention`): where each word of the shipped
`scenes-small` captioner's sentence looked, drawn on the image as the encoder saw it; and a clear refusal
from an index whose model has no attention (the grounded describer)."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from multicap.io import load_image
from tests.serve.conftest import Served, wait_for

SIDE = 224  # the overlays are drawn at the size the encoder saw


def _ready(served: Served, path: str):  # type: ignore[no-untyped-def]
    """The response once the model has loaded (503 with Retry-After until then)."""
    return wait_for(lambda: (r := served.get(path)).status_code != 503 and r)


def _decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def test_each_content_word_gets_an_overlay_brightest_where_it_looked(bundle_served: Served) -> None:
    name = "000000.png"
    r = _ready(bundle_served, f"/api/images/{bundle_served.ids[name]}/attention?level=layout")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["level"] == "layout" and data["caption"] and 0 < data["confidence"] <= 1
    words = data["words"]
    assert words and all(w["word"] in data["caption"] for w in words)
    seen = np.asarray(
        load_image(bundle_served.photos / name, min_short_side=SIDE).resize((SIDE, SIDE), Image.BICUBIC),
        np.float32,
    )  # (224, 224, 3): the image the overlay darkens
    for w in words:
        overlay = _decode(w["overlay"]).astype(np.float32)
        assert overlay.shape == (SIDE, SIDE, 3)
        assert (overlay <= seen + 1).all()  # only darkened, never brightened
        # overlay = image × (0.25 + 0.75 × heat): the heat is highest inside the word's box
        heat = (overlay.sum(-1) + 1) / (seen.sum(-1) + 1)  # (224, 224)
        x0, y0, x1, y1 = (round(v * SIDE) for v in w["box"])
        inside = np.zeros((SIDE, SIDE), bool)
        inside[y0:y1, x0:x1] = True
        assert heat[inside].mean() > heat[~inside].mean(), w["word"]


def test_an_unknown_level_and_a_model_without_attention_are_refused(
    bundle_served: Served, served: Served
) -> None:
    some = next(iter(bundle_served.ids.values()))
    r = _ready(bundle_served, f"/api/images/{some}/attention?level=poem")
    assert r.status_code == 400 and "not 'poem'" in r.json()["error"]
    r = _ready(served, f"/api/images/{served.ids['coffee.jpg']}/attention?level=caption")
    assert r.status_code == 400 and "gives no attention maps" in r.json()["error"]


def test_an_oblong_image_is_drawn_in_its_own_shape(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """As `multicap attend` draws it: the encoder squashed all of it, so the attention spreads back over
    it in its own shape (a square view had made a circle an ellipse)."""
    from multicap.serve.modelside import _encoder_view

    wide = tmp_path / "wide.png"
    Image.new("RGB", (400, 200), "white").save(wide)
    assert _encoder_view(wide).size == (SIDE, SIDE // 2)
