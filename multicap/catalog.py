"""What this install can run: the registered encoders and captioner bundles, and whether their weights are
on this machine (`multicap models`).

    for row in model_catalog():
        print(row["kind"], row["name"], row["weights_present"])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from multicap.captioning.bundle import list_bundles
from multicap.describe.faces import BLAZEFACE_INSTALL, blazeface_file
from multicap.encoders import DEFAULT_ENCODER, list_encoders
from multicap.errors import DataError

__all__ = ["bundle_info", "model_catalog"]


def model_catalog() -> list[dict[str, Any]]:
    """One row per encoder, the people detector's face model, then one row per captioner bundle (each a
    JSON-ready dict with a "kind")."""
    rows: list[dict[str, Any]] = []
    for spec in list_encoders():
        status = spec.weights_status(None)
        rows.append(
            {
                "kind": "encoder",
                "name": spec.name,
                "default": spec.name == DEFAULT_ENCODER,
                "input_px": spec.preprocess.size,
                "feature_dim": spec.feature_dim,
                "imagenet_head": spec.has_head,
                "weights_present": status.present,
                "weights": status.location,
                "source": status.source,
                "description": spec.description,
            }
        )
    blazeface = blazeface_file()
    rows.append(
        {
            "kind": "detector",
            "name": "blazeface_full_range",
            "weights_present": blazeface is not None,
            "weights": str(blazeface or ""),
            "source": BLAZEFACE_INSTALL,
            "description": "faces for the people detector (MediaPipe BlazeFace full-range, run by OpenCV); "
            "without it, OpenCV's Haar cascade finds frontal faces only",
        }
    )
    return rows + [bundle_info(name, folder) for name, folder in list_bundles().items()]


def bundle_info(name: str, folder: Path) -> dict[str, Any]:
    """A bundle's row, read from its config.json and vocab.json without loading its weights."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder}: unreadable bundle ({exc}); remove it or re-export it") from None
    enc = config.get("encoder", {})
    return {
        "kind": "bundle",
        "name": name,
        "path": str(folder),
        "levels": vocab.get("levels", []),
        "encoder": f"{enc.get('name')}@{enc.get('image_size')}px",
        "reader": config.get("reader"),
        "weights_present": (folder / "model.safetensors").is_file(),
    }
