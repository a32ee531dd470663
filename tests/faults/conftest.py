"""The fault tests' index: `N` noise images indexed with the `tiny` encoder (`built`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from multicap.index.build import index_paths
from multicap.index.models import IndexModel, open_model
from tests.conftest import write_noise_images

N = 40  # images per index: enough for a FAISS file with a header, a vector block and an id map


@pytest.fixture(scope="module")
def tiny() -> IndexModel:
    return open_model("labels", encoder="tiny")


@pytest.fixture
def built(tmp_path: Path, tiny: IndexModel) -> tuple[Path, Path]:
    photos, root = tmp_path / "photos", tmp_path / "idx"
    write_noise_images(photos, N, 0, 48, 48)
    index_paths(root, [photos], tiny)
    return photos, root
