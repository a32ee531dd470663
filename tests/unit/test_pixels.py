"""Fast shrinking (`multicap.describe.pixels.shrink`) and the sparse pooling of related classes
(`multicap.describe.regions.Related`): each stands in for a slower library call and must agree with it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from multicap.describe.pixels import shrink
from multicap.describe.regions import Related
from multicap.text.imagenet import related_classes


def _photo_like(h: int, w: int) -> np.ndarray:
    """Smooth gradients with some texture, as photos are: (h, w, 3) uint8."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(0)
    base = np.stack([x / w * 200, y / h * 180, (x + y) / (w + h) * 220], axis=-1)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("src", "dst"), [((480, 672), (640, 457)), ((480, 640), (192, 144)), ((600, 512), (224, 262))]
)
def test_shrink_is_close_to_the_area_average(src: tuple[int, int], dst: tuple[int, int]) -> None:
    image = _photo_like(*src)
    ours = shrink(image, dst).astype(np.int16)
    area = cv2.resize(image, dst, interpolation=cv2.INTER_AREA).astype(np.int16)
    assert ours.shape == area.shape == (dst[1], dst[0], 3)
    assert np.abs(ours - area).mean() < 2.5  # levels of 255 (nearest-pixel sampling: 4.5-4.8)


def test_shrink_keeps_an_image_already_that_size_and_never_enlarges_a_side() -> None:
    image = _photo_like(48, 64)
    assert shrink(image, (64, 48)) is image
    assert shrink(image, (32, 1)).shape == (1, 32, 3)


def test_related_classes_pool_as_the_dense_product() -> None:
    dense = related_classes()
    related = Related.of(dense)
    probs = torch.rand(14, 1000).softmax(-1)
    expected = probs @ torch.as_tensor(dense, dtype=torch.float32)
    assert torch.allclose(related.pool(probs), expected, atol=1e-7)
    assert torch.allclose(related.pool(probs[0]), expected[0], atol=1e-7)
