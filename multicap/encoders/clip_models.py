"""Vision-language models through open_clip (the `clip` extra): CLIP, SigLIP and CoCa under multicap names.

This module holds only data and file look-ups (no torch model, no open_clip import), so that `multicap
models` lists the models without the extra; `multicap.encoders.vision_language` registers them as encoders
and imports `multicap.encoders.clip` (open_clip) by name when one is built (docs/architecture.md,
"Rules"). Weights come from three places only (docs/architecture.md, decision 11), and are never
downloaded here:

1. a folder the user names as the model (`--model ~/models/my-clip/`): open_clip's own format, as on the
   Hugging Face hub (`open_clip_config.json` beside `open_clip_model.safetensors`, or a `.bin` read with
   `weights_only=True`);
2. the standard caches where they already are: the Hugging Face hub cache (`$HF_HUB_CACHE`, else
   `$HF_HOME/hub`, else ~/.cache/huggingface/hub) at the pinned revision, or any snapshot of the repo;
3. `multicap models pull NAME`: the pinned file, SHA-256 checked, into `weights_dir() / NAME`
   (`$MULTICAP_WEIGHTS_DIR`, else ~/.cache/multicap/weights).
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from multicap.encoders.preprocess import Preprocess
from multicap.errors import ConfigError

__all__ = [
    "CLIP_EXTRA",
    "CLIP_MODELS",
    "OPEN_CLIP_CONFIG",
    "PinnedFile",
    "VisionLanguageEntry",
    "find_weights",
    "is_open_clip_folder",
    "is_vision_language",
    "open_clip_config_problem",
    "open_clip_installed",
    "pull_command",
    "require_open_clip",
    "weights_dir",
]

CLIP_EXTRA = "pip install -e '.[clip]' in multicap's folder"
OPEN_CLIP_CONFIG = (
    "open_clip_config.json"  # open_clip's self-describing folder: {"model_cfg", "preprocess_cfg"}
)
# What a folder's weights may be called, best first (safetensors before a pickle-free `.bin`).
WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)  # open_clip's OPENAI_DATASET_MEAN, on 0..1 pixels
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class PinnedFile:
    """One file of a Hugging Face repo at a fixed revision; `sha256` None where this release pins none (the
    user then gives the checksum shown on the file's page: `multicap models pull NAME --sha256 HEX`)."""

    repo: str  # "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
    revision: str  # a commit of that repo ("main" only where no commit is pinned yet)
    filename: str  # "open_clip_model.safetensors"
    sha256: str | None  # of the whole file, lower-case hex
    size: int | None = None  # bytes, where known: shown before a pull

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.repo}/resolve/{self.revision}/{self.filename}"


@dataclass(frozen=True)
class VisionLanguageEntry:
    name: str  # the multicap name ("clip-vit-b-32")
    architecture: str  # open_clip's model config name ("ViT-B-32")
    family: str  # "clip", "siglip" or "coca": what the describer may ask of it (CoCa also captions)
    weights: PinnedFile
    preprocess: Preprocess  # the input its weights were trained with
    embed_dim: int  # D of the joint image-text space
    description: str  # one line for `multicap models`

    @property
    def captions(self) -> bool:
        return self.family == "coca"


def _entry(
    name: str, arch: str, family: str, weights: PinnedFile, dim: int, what: str, pre: Preprocess
) -> VisionLanguageEntry:
    return VisionLanguageEntry(name, arch, family, weights, pre, dim, what)


_CLIP_PRE = Preprocess(size=224, resize=224, mean=OPENAI_MEAN, std=OPENAI_STD)  # Resize(224) + CenterCrop
_SIGLIP_PRE = Preprocess(size=224, resize=224, mean=(0.5,) * 3, std=(0.5,) * 3, squash=True)

# The checksum of the LAION ViT-B-32 file is the one recorded for this revision by two independent public
# projects (605,143,316 bytes); the others pin the revision and ask for the checksum on pull.
CLIP_MODELS: dict[str, VisionLanguageEntry] = {
    e.name: e
    for e in (
        _entry(
            "clip-vit-b-32", "ViT-B-32", "clip",
            PinnedFile(
                "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "1a25a446712ba5ee05982a381eed697ef9b435cf",
                "open_clip_model.safetensors",
                "ac4f8c4b88af6d963118cbf40ad93176d092abbedfcb752601ae1866352656e6", 605_143_316,
            ),
            512, "CLIP ViT-B/32, LAION-2B (open_clip laion2b_s34b_b79k), 512-d image-text space", _CLIP_PRE,
        ),
        _entry(
            "siglip-vit-b-16", "ViT-B-16-SigLIP", "siglip",
            PinnedFile("timm/ViT-B-16-SigLIP", "main", "open_clip_model.safetensors", None),
            768, "SigLIP ViT-B/16, WebLI (its text side needs transformers and its tokenizer files)",
            _SIGLIP_PRE,
        ),
        _entry(
            "coca-vit-b-32", "coca_ViT-B-32", "coca",
            PinnedFile(
                "laion/CoCa-ViT-B-32-laion2B-s13B-b90k", "47aff38863cd40aa76d915bb04e4a3d8edf5824c",
                "open_clip_pytorch_model.bin", None,
            ),
            512, "CoCa ViT-B/32, LAION-2B: CLIP-style space plus captions (greedy decoding)", _CLIP_PRE,
        ),
    )
}  # fmt: skip


def open_clip_installed() -> bool:
    return importlib.util.find_spec("open_clip") is not None


def require_open_clip(name: str) -> None:
    """Raise the one-line message that names the extra, where open_clip is not installed."""
    if not open_clip_installed():
        raise ConfigError(f"{name} needs open_clip, which is not installed: {CLIP_EXTRA}")


def weights_dir() -> Path:
    """Where `multicap models pull` puts weights: `$MULTICAP_WEIGHTS_DIR`, else ~/.cache/multicap/weights."""
    return Path(os.environ.get("MULTICAP_WEIGHTS_DIR") or Path.home() / ".cache" / "multicap" / "weights")


def pull_command(name: str) -> str:
    """The command that fetches `name`'s weights: with `--sha256 HEX` where this release pins no checksum
    (the user copies it from the file's page; without it the pull is refused)."""
    entry = CLIP_MODELS.get(name)
    unpinned = entry is not None and entry.weights.sha256 is None
    return f"multicap models pull {name}" + (" --sha256 HEX" if unpinned else "")


def is_open_clip_folder(path: str | Path) -> bool:
    """Whether `path` is a folder in open_clip's format (its config names a model)."""
    config = Path(path) / OPEN_CLIP_CONFIG
    if not config.is_file():
        return False
    try:
        return "model_cfg" in json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def open_clip_config_problem(path: str | Path) -> str | None:
    """What is wrong with the open_clip config of the folder `path` where it has one ("cannot be read:
    ...", "names no model (no model_cfg)"), else None (none there, or a good one)."""
    config = Path(path) / OPEN_CLIP_CONFIG
    if not config.is_file():
        return None
    try:
        read = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"{config} cannot be read ({exc})"
    return (
        None if isinstance(read, dict) and "model_cfg" in read else f"{config} names no model (no model_cfg)"
    )


def folder_weights(folder: Path) -> Path | None:
    """The weights file of an open_clip folder (safetensors preferred), or None."""
    return next((folder / f for f in WEIGHT_FILES if (folder / f).is_file()), None)


def _hub_cache() -> Path:
    explicit = os.environ.get("HF_HUB_CACHE")
    if explicit:
        return Path(explicit)
    home = os.environ.get("HF_HOME")
    return Path(home) / "hub" if home else Path.home() / ".cache" / "huggingface" / "hub"


def find_weights(entry: VisionLanguageEntry) -> Path | None:
    """The model's weights already on this machine: a pulled folder or file, else the Hugging Face cache
    (the pinned revision first, then any snapshot); None where there are none."""
    pulled = weights_dir() / entry.name
    if is_open_clip_folder(pulled):
        return pulled
    if (pulled / entry.weights.filename).is_file():
        return pulled / entry.weights.filename
    repo = _hub_cache() / ("models--" + entry.weights.repo.replace("/", "--")) / "snapshots"
    snapshots = [repo / entry.weights.revision, *sorted(repo.glob("*"))] if repo.is_dir() else []
    for snapshot in snapshots:
        found = folder_weights(snapshot)
        if found is not None:
            return found
    return None


def is_vision_language(model: str) -> bool:
    """Whether `model` (a `--model` value) names one of these models or an open_clip folder."""
    return model in CLIP_MODELS or is_open_clip_folder(model)
