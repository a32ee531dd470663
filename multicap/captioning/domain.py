"""What images a captioner was trained on, kept with its bundle, so that an image unlike them is said so.

A captioner trained on synthetic scenes says confident shapes of a cat photo ("a hexagon, a triangle, a
circle and a heart", 0.66): its confidence is the decoder's, and the decoder has never seen a photo. The
domain is a sample of its training images' pooled grid features (the encoder's map, averaged and made unit
length) and a threshold: an image whose nearest training image is farther (cosine distance) than the
threshold is unlike all of them (the nearest-neighbour test of out-of-distribution detection). The
threshold is `MARGIN` times the 99.5th percentile of the same distance for held-out images of the
training domain, measured when the domain is fitted.

For `scenes-small` (1,000 scenes kept, 500 held out; `scripts/bundle_domain.py`): held-out scenes lie at
0.005-0.16 from their nearest training scene, the 45 photos of examples/ and the real-photo tune split at
0.28-0.81; a black image at 0.07 reads as a scene (its runaway sentence is said by `Caption.ended`).

The file is `domain.npz` in the bundle folder: `reference` (M, D) float16 unit rows and `threshold`. A
bundle without it is not checked.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = ["DOMAIN_FILE", "MARGIN", "Domain", "fit_domain", "load_domain", "pooled"]

DOMAIN_FILE = "domain.npz"
MARGIN = 1.5  # the threshold over the held-out images' 99.5th percentile
_MAX_ROWS = 100_000  # a domain file larger than this is refused (it is a sample, not a dataset)

_log = logging.getLogger(__name__)


@dataclass
class Domain:
    reference: np.ndarray  # (M, D) float32 unit rows: the training images' pooled features
    threshold: float  # an image farther than this from every row is unlike the training images

    def distance(self, features: np.ndarray) -> np.ndarray:
        """(B, D) pooled features → (B,) cosine distance to the nearest training image."""
        x = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
        return 1.0 - (x.astype(np.float32) @ self.reference.T).max(axis=1)

    def unlike(self, features: np.ndarray) -> np.ndarray:
        """(B,) True where an image is unlike every training image."""
        return self.distance(features) > self.threshold

    def save(self, folder: Path) -> Path:
        path = Path(folder) / DOMAIN_FILE
        np.savez(path, reference=self.reference.astype(np.float16), threshold=np.float32(self.threshold))
        return path


def pooled(grid: torch.Tensor) -> np.ndarray:
    """(B, N, D) encoder grid → (B, D) unit pooled features, as the domain keeps them."""
    v = grid.float().mean(dim=1)
    return torch.nn.functional.normalize(v, dim=-1).cpu().numpy()


def fit_domain(train: np.ndarray, held: np.ndarray, margin: float = MARGIN) -> Domain:
    """The domain of `train` (pooled features of training images) with its threshold measured on `held`
    (pooled features of other images of the same kind, never among `train`)."""
    reference = train / np.maximum(np.linalg.norm(train, axis=1, keepdims=True), 1e-12)
    domain = Domain(reference.astype(np.float32), threshold=1.0)
    domain.threshold = float(margin * np.percentile(domain.distance(held), 99.5))
    return domain


def load_domain(folder: Path, dim: int) -> Domain | None:
    """The bundle folder's domain, or None where it has none; a file that cannot be used is said once and
    left out (the bundle still captions)."""
    path = Path(folder) / DOMAIN_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            reference = np.asarray(data["reference"], np.float32)
            threshold = float(data["threshold"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        _log.warning("%s cannot be read (%s): images unlike the training set are not said", path, exc)
        return None
    if (
        reference.ndim != 2
        or reference.shape[1] != dim
        or not 0 < len(reference) <= _MAX_ROWS
        or not np.isfinite(reference).all()
        or not 0.0 < threshold <= 2.0
    ):
        _log.warning("%s does not fit this bundle: images unlike the training set are not said", path)
        return None
    return Domain(reference, threshold)
