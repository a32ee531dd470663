"""Caption corpora: images with reference sentences per level (and scene facts where known), from any
supported format through one entry point, `load_corpus`.

Formats, told apart by what `path` is and what it holds:
- a scenes dataset folder written by `multicap data scenes` (its `metadata.json` says so): every level,
  facts, splits;
- a folder holding `captions.jsonl` (or that file itself): see `multicap.data.folder`;
- a Karpathy split JSON file (COCO, Flickr8k, Flickr30k, a scenes `karpathy.json`): sentences keep their
  `level` where the file gives one, "caption" otherwise;
- a COCO `captions_*.json` file; with `instances=` (COCO `instances_*.json`), object- and layout-level
  references and facts are derived from the boxes: see `multicap.data.coco`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from multicap.data.karpathy import read_karpathy
from multicap.errors import DataError
from multicap.levels.facts import LEVELS, SceneFacts

__all__ = ["Corpus", "CorpusImage", "load_corpus"]

InstancesArg = str | Path | Sequence[str | Path] | None
_KARPATHY_KEY = re.compile(rb'(?<!\\)"sentences"\s*:')  # a Karpathy file names its sentences early on
_PEEK_BYTES = 1 << 20


@dataclass(frozen=True)
class CorpusImage:
    path: Path  # the image file
    split: str  # "train", "val", "test", or the dataset's own split name ("test_comp", ...)
    captions: dict[
        str, list[str]
    ]  # level -> reference sentences ("object", "attribute", "layout", "caption")
    facts: SceneFacts | None = None  # ground truth where the source has it (scenes, COCO instances)
    image_id: str = ""  # the dataset's id (cocoid, imgid, COCO image id, scene index) or the file name


@dataclass(frozen=True)
class Corpus:
    name: str  # the dataset's name ("coco", "flickr8k", "scenes-seed0", a folder's name...)
    images: list[CorpusImage] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def split(self, name: str) -> list[CorpusImage]:
        """The images of one split, in corpus order."""
        return [im for im in self.images if im.split == name]

    def splits(self) -> list[str]:
        """Split names in order of first appearance."""
        return list(dict.fromkeys(im.split for im in self.images))

    def levels(self) -> list[str]:
        """Levels that have at least one sentence: the standard ones in `LEVELS` order, then any others."""
        found = {level for im in self.images for level, texts in im.captions.items() if texts}
        return [lv for lv in LEVELS if lv in found] + sorted(found - set(LEVELS))

    def references(self, split: str | None, level: str) -> dict[str, list[str]]:
        """image id -> reference sentences at `level`, for the images of `split` (None: all) that have any."""
        return {im.image_id: list(im.captions[level]) for im in self._of(split) if im.captions.get(level)}

    def facts(self, split: str | None) -> dict[str, SceneFacts]:
        """image id -> scene facts, for the images of `split` (None: all) that have facts."""
        return {im.image_id: im.facts for im in self._of(split) if im.facts is not None}

    def _of(self, split: str | None) -> list[CorpusImage]:
        return self.images if split is None else self.split(split)


def load_corpus(
    path: str | Path, *, image_root: str | Path | None = None, instances: InstancesArg = None
) -> Corpus:
    """Read a caption corpus in any supported format (see the module docstring).

    Args:
        path: a scenes dataset folder, a folder with `captions.jsonl` (or the file), a Karpathy split JSON
            file, or a COCO `captions_*.json` file.
        image_root: the folder image paths are relative to; by default the format's own rule (the folder
            holding the file, or for COCO's `annotations/` layout the matching `train2014/`-style folder).
        instances: COCO `instances_*.json` file(s) whose boxes add object- and layout-level references and
            facts to COCO images (matched by COCO image id; for Karpathy COCO, by cocoid).

    Raises:
        DataError: the path is missing, in none of the formats, or malformed; the message names the file.
    """
    from multicap.data import coco, folder  # they build on the types above

    path = Path(path)
    root = Path(image_root) if image_root is not None else None
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; give a caption file or a dataset folder")
    if path.is_dir() or path.suffix == ".jsonl":
        if instances is not None:
            raise DataError(f"{path}: instances= applies to COCO captions or Karpathy COCO JSON only")
        if path.is_dir() and folder.is_scenes_folder(path):
            return folder.read_scenes(path, image_root=root)
        return folder.read_caption_folder(path, image_root=root)
    if _looks_like_karpathy(path):
        corpus = _read_karpathy_corpus(path, root)
    else:
        corpus = coco.read_coco_captions(path, image_root=root)
    if instances is not None:
        corpus = coco.with_instances(corpus, instances)
    return corpus


def _looks_like_karpathy(path: Path) -> bool:
    """Karpathy JSON names "sentences" within its first image; COCO files never do."""
    try:
        with path.open("rb") as f:
            head = f.read(_PEEK_BYTES)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return _KARPATHY_KEY.search(head) is not None


def _read_karpathy_corpus(path: Path, image_root: Path | None) -> Corpus:
    try:
        data = read_karpathy(path, image_root=image_root)
    except DataError as exc:
        message = str(exc)
        raise DataError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    images = []
    for im in data.images:
        captions: dict[str, list[str]] = {}
        for s in im.sentences:
            captions.setdefault(s.level, []).append(s.raw)
        image_id = str(im.image_id) if im.image_id is not None else im.path.name
        images.append(CorpusImage(im.path, im.split, captions, None, image_id))
    return Corpus(data.name, images)
