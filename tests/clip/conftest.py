"""Tiny random-weight open_clip models, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("open_clip")

from tests.clip.tiny import write_tiny_model


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_open_clip")
    return {family: write_tiny_model(root / family, family) for family in ("clip", "siglip", "coca")}
