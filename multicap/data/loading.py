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
from pathlib import Path

from multicap.data.coco import read_coco_captions, with_instances
from multicap.data.corpus import Corpus, CorpusImage
from multicap.data.folder import is_scenes_folder, read_caption_folder, read_scenes
from multicap.data.karpathy import read_karpathy
from multicap.errors import DataError

__all__ = ["load_corpus", "looks_like_karpathy"]

InstancesArg = str | Path | Sequence[str | Path] | None
_RAW_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")  # a raw sentence's words, as Karpathy's tokens write them
_KARPATHY_KEY = re.compile(rb'(?<!\\)"sentences"\s*:')  # a Karpathy file names its sentences early on
_PEEK_BYTES = 1 << 20


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
    path = Path(path)
    root = Path(image_root) if image_root is not None else None
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; give a caption file or a dataset folder")
    if path.is_dir() or path.suffix == ".jsonl":
        if instances is not None:
            raise DataError(f"{path}: instances= applies to COCO captions or Karpathy COCO JSON only")
        if path.is_dir() and is_scenes_folder(path):
            return read_scenes(path, image_root=root)
        return read_caption_folder(path, image_root=root)
    if looks_like_karpathy(path):
        corpus = _read_karpathy_corpus(path, root)
    else:
        corpus = read_coco_captions(path, image_root=root)
    if instances is not None:
        corpus = with_instances(corpus, instances)
    return corpus


def looks_like_karpathy(path: Path) -> bool:
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
        tokens: dict[str, list[tuple[str, ...]]] = {}
        for s in im.sentences:
            captions.setdefault(s.level, []).append(s.raw)
            # the file's tokens only where they are not the sentence's own words (a segmentation or a
            # cleaning multicap's tokenizer cannot redo: Chinese, replaced rare words); English files
            # keep the raw sentence, so one corpus is never half with punctuation, half without
            same = s.tokens == tuple(_RAW_WORD.findall(s.raw.lower()))
            tokens.setdefault(s.level, []).append(() if same else s.tokens)
        image_id = str(im.image_id) if im.image_id is not None else im.path.name
        own = {lv: toks for lv, toks in tokens.items() if any(toks)}
        images.append(CorpusImage(im.path, im.split, captions, None, image_id, own))
    return Corpus(data.name, images)
