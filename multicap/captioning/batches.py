"""Training data for the captioner: cached grids, one token sequence per (image, level, reference)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from multicap.captioning.bundle import EncoderSettings
from multicap.captioning.grounding import Grounding, align_words, noun_forms, scene_cells
from multicap.captioning.recipe import DataConfig, Recipe
from multicap.data.corpus import Corpus, CorpusImage
from multicap.data.feature_cache import FeatureStore
from multicap.data.loading import load_corpus
from multicap.errors import ConfigError, DataError, ImageLoadError
from multicap.facts.scene import LEVELS, SceneFacts
from multicap.io import log_error
from multicap.text import Vocabulary, tokenize

__all__ = ["Batch", "CaptionExamples", "TrainingData", "build_examples", "features_folder"]

_SHOWN_FAILURES = 5  # unreadable images reported one line each; the rest are counted

_log = logging.getLogger(__name__)


class Batch(NamedTuple):
    grid: torch.Tensor  # (B, N, D) float32, or (images, N, D) with image_of
    captions: torch.Tensor  # (B, T) long, padded
    regions: torch.Tensor | None  # (B, T-1, N) bool: each step's target cells; None without groundings
    image_of: torch.Tensor | None  # (B,) long: the grid row of each caption; None when one row each


@dataclass
class CaptionExamples:
    """Entries of (feature row, candidate token sequences); an epoch draws one sequence per entry.

    With `groundings` (one list per entry, one `Grounding` per sequence) and `cells` (per entry, the
    (objects + 1, N) cells of the image's objects, then of its background: `scene_cells`), batches also
    carry each step's target region.
    """

    store: FeatureStore
    rows: list[int] = field(default_factory=list)
    sequences: list[list[list[int]]] = field(default_factory=list)  # per entry: [level token, words..., eos]
    pad_id: int = 0
    groundings: list[list[Grounding]] = field(default_factory=list)
    cells: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def batches(self, batch_size: int, generator: torch.Generator, together: bool = False) -> Iterator[Batch]:
        """Shuffled batches of about `batch_size` captions.

        By default a batch holds one level (its first token), so its captions are of similar length and
        little of each step is spent on padding; the order of batches is shuffled across levels, and each
        caption comes with its own copy of its image's grid. With `together`, a batch holds every entry
        (level) of its images and each image's grid once (`Batch.image_of`), so the captioner encodes each
        grid once for all its levels.
        """
        order = torch.randperm(len(self.rows), generator=generator).tolist()
        groups: dict[int, list[int]] = {}
        for i in order:
            groups.setdefault(self.rows[i] if together else self.sequences[i][0][0], []).append(i)
        if together:  # chunks of whole images, about batch_size entries each
            images = list(groups.values())
            per = max(1, round(batch_size * len(images) / max(len(order), 1)))
            chunks = [[i for image in images[s : s + per] for i in image] for s in range(0, len(images), per)]
        else:
            chunks = [
                idx[start : start + batch_size]
                for _, idx in sorted(groups.items())
                for start in range(0, len(idx), batch_size)
            ]
        for c in torch.randperm(len(chunks), generator=generator).tolist():
            yield self._batch(chunks[c], generator, together)

    def _batch(self, chunk: list[int], generator: torch.Generator, together: bool) -> Batch:
        picks = torch.randint(0, 1 << 30, (len(chunk),), generator=generator).tolist()
        choice = [p % len(self.sequences[i]) for i, p in zip(chunk, picks, strict=True)]
        seqs = [self.sequences[i][p] for i, p in zip(chunk, choice, strict=True)]
        captions = torch.full((len(seqs), max(map(len, seqs))), self.pad_id, dtype=torch.long)
        for j, seq in enumerate(seqs):
            captions[j, : len(seq)] = torch.tensor(seq)
        rows = np.asarray([self.rows[i] for i in chunk])
        image_of = None
        if together:
            rows, inverse = np.unique(rows, return_inverse=True)
            image_of = torch.from_numpy(inverse.reshape(-1).astype(np.int64))
        grid = torch.from_numpy(self.store.grid(rows).astype(np.float32))  # (B or images, N, D)
        if not self.groundings:
            return Batch(grid, captions, None, image_of)
        regions = np.zeros((len(seqs), captions.shape[1] - 1, grid.shape[1]), dtype=bool)  # (B, T-1, N)
        for j, (i, p) in enumerate(zip(chunk, choice, strict=True)):
            for step, objects in self.groundings[i][p]:
                regions[j, step] = self.cells[i][list(objects)].any(axis=0)
        return Batch(grid, captions, torch.from_numpy(regions), image_of)


@dataclass
class TrainingData:
    vocab: Vocabulary
    levels: list[str]
    train: CaptionExamples
    store: FeatureStore
    val_ids: list[str]  # validation images with features
    val_rows: np.ndarray  # their feature rows
    val_refs: dict[str, dict[str, list[str]]]  # level → image id → references
    val_facts: dict[str, SceneFacts] | None  # image id → ground truth, where the corpus has facts
    reader: str | None = None  # the corpus's facts reader (multicap.facts.readers), for fact F1

    @property
    def grid_shape(self) -> tuple[int, int]:
        return self.store.grid_shape

    @property
    def grid_hw(self) -> tuple[int, int]:
        return self.store.grid_hw


def features_folder(corpus: str | Path, encoder: EncoderSettings, override: str | Path = "") -> Path:
    """Where features of `corpus` by `encoder` are cached: `override`, or beside the corpus."""
    if override:
        return Path(override)
    path = Path(corpus)
    base = path if path.is_dir() else path.parent
    tag = f"{encoder.name}-{encoder.image_size}{'-squash' if encoder.squash else ''}"
    return base / "features" / tag


def build_examples(
    recipe: Recipe,
    progress: Callable[[int, int], None] | None = None,
    check_vocab: Callable[[Vocabulary], None] | None = None,
) -> TrainingData:
    """Read the corpus, build the vocabulary (with the words that name its objects: `grounding.noun_forms`
    of their labels), then cache the features of its train and validation images. `check_vocab` is asked
    of the vocabulary before any image is encoded (a run resumed on another corpus had encoded it all, then
    been refused)."""
    cfg = recipe.data
    if not os.path.exists(cfg.corpus):  # the recipe's setting named, and how to fill it ("data/scenes:
        make = (  # no such file or folder" had said neither; a Karpathy file is not made by `data scenes`)
            f"make scenes there with `multicap data scenes --out {cfg.corpus}`, or "
            if not cfg.corpus.endswith(".json")
            else ""
        )
        raise DataError(
            f"data.corpus {cfg.corpus}: no such file or folder; {make}give a caption file or dataset folder "
            "with --set data.corpus=PATH (and its images' folder with --set data.image_root=PATH)"
        )
    corpus = load_corpus(cfg.corpus, image_root=cfg.image_root or None)
    levels = list(cfg.levels) or corpus.levels()
    known = sorted(set(LEVELS) | set(corpus.levels()))
    unknown = sorted(set(cfg.canonical) - set(known))
    if unknown:
        raise DataError(f"data.canonical names level(s) {', '.join(unknown)} not among {', '.join(known)}")
    train_imgs = corpus.split(cfg.train_split)[: cfg.train_images or None]
    val_imgs = corpus.split(cfg.val_split)[: cfg.val_images or None]
    if not train_imgs:
        raise DataError(  # as the validation split says it (it had named no split and no setting)
            f"{cfg.corpus}: no images in split {cfg.train_split!r} to train on (it has: "
            f"{', '.join(corpus.splits()) or 'none'}); choose one with --set data.train_split=NAME"
        )
    if not val_imgs:
        raise DataError(
            f"{cfg.corpus}: no images in split {cfg.val_split!r} to validate on (it has: "
            f"{', '.join(corpus.splits()) or 'none'}); choose one with --set data.val_split=NAME"
        )
    vocab = Vocabulary.build(
        (words for im in train_imgs for lv in levels for words in _targets(im, lv, cfg.max_words)),
        min_freq=cfg.min_freq,
        levels=levels,
        objects={
            form for im in train_imgs if im.facts for o in im.facts.objects for form in noun_forms(o.label)
        },
    )
    if check_vocab is not None:
        check_vocab(vocab)
    store = _cached_store(recipe, train_imgs + val_imgs, progress)
    examples = CaptionExamples(store, pad_id=vocab.pad_id)
    grounded = recipe.loss.alpha_g > 0
    for im, row in zip(train_imgs, store.rows_of([im.path for im in train_imgs]), strict=True):
        facts = im.facts if grounded else None
        cells = scene_cells(facts, store.grid_hw) if facts is not None else np.zeros((0, 0), dtype=bool)
        for level in levels:
            refs = _targets(im, level, cfg.max_words)
            if level in cfg.canonical:
                refs = refs[:1]
            if row is None or not refs:
                continue
            examples.rows.append(row)
            start = vocab.level_id(level)
            examples.sequences.append([[start, *vocab.encode(words), vocab.eos_id] for words in refs])
            if grounded:  # word k is predicted at step k (step 0 reads the level token)
                examples.groundings.append(
                    [
                        align_words(w, facts, cfg.ground_spatial, cfg.ground_background)
                        if facts is not None
                        else []
                        for w in refs
                    ]
                )
                examples.cells.append(cells)
    if not examples.rows:
        raise DataError(
            f"{cfg.corpus}: no captions to train on at level(s) {', '.join(levels)} in the readable images "
            f"of split {cfg.train_split!r}; choose levels it has with --set data.levels=[...]"
        )
    return _with_validation(vocab, levels, examples, store, val_imgs, corpus)


def _with_validation(
    vocab: Vocabulary,
    levels: list[str],
    examples: CaptionExamples,
    store: FeatureStore,
    val_imgs: list[CorpusImage],
    corpus: Corpus,
) -> TrainingData:
    rows = store.rows_of([im.path for im in val_imgs])
    kept = [(im, r) for im, r in zip(val_imgs, rows, strict=True) if r is not None]
    if not kept:
        raise DataError(
            f"none of the {len(val_imgs)} validation images could be read, so no epoch could be scored; "
            "fix them, or validate on another split with --set data.val_split=NAME"
        )
    refs = {lv: {im.image_id: im.captions[lv] for im, _ in kept if im.captions.get(lv)} for lv in levels}
    facts = {im.image_id: im.facts for im, _ in kept if im.facts is not None}
    return TrainingData(
        vocab=vocab,
        levels=levels,
        train=examples,
        store=store,
        val_ids=[im.image_id for im, _ in kept],
        val_rows=np.asarray([r for _, r in kept], dtype=np.int64),
        val_refs=refs,
        val_facts=facts or None,
        reader=corpus.reader,
    )


def _cached_store(
    recipe: Recipe, images: list[CorpusImage], progress: Callable[[int, int], None] | None
) -> FeatureStore:
    """The feature store with every readable image of `images` in it.

    Raises:
        DataError: none of the images can be read, or more than `data.max_failed` of them (checked for
            missing files before anything is decoded, and again after).
    """
    if not 0.0 <= recipe.data.max_failed <= 1.0:
        raise ConfigError(f"data.max_failed is {recipe.data.max_failed:g}: give a share from 0 to 1")
    paths = list(dict.fromkeys(str(im.path) for im in images))
    missing = [p for p in paths if not os.path.isfile(p)]
    _check_readable(recipe.data, paths, missing, None)
    for path in missing[:_SHOWN_FAILURES]:
        log_error(ImageLoadError(path, "no such file"))
    encoder = recipe.encoder.create(device=recipe.train.device)
    store = FeatureStore.open(
        features_folder(recipe.data.corpus, recipe.encoder, recipe.data.features), encoder
    )
    done = [len(missing)]
    failures: list[ImageLoadError] = []

    def advance(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress(done[0], len(paths))

    def fail(error: ImageLoadError) -> None:
        failures.append(error)
        if len(missing) + len(failures) <= _SHOWN_FAILURES:
            log_error(error)

    absent = set(missing)
    store.build([p for p in paths if p not in absent], encoder, progress=advance, on_error=fail)
    # Files of one content are decoded (and fail) once: count the paths left without a row.
    unread = [p for p, row in zip(paths, store.rows_of(paths), strict=True) if row is None]
    _check_readable(recipe.data, paths, unread, failures[0] if failures else None)
    return store


def _check_readable(
    cfg: DataConfig, paths: list[str], failed: list[str], first: ImageLoadError | None
) -> None:
    """Refuse to train when no image of the corpus reads, or more than `cfg.max_failed` of them do not."""
    if not failed:
        return
    where = cfg.image_root or os.path.commonpath([os.path.abspath(os.path.dirname(p)) for p in paths])
    example = str(first) if first is not None else f"{failed[0]}: no such file"
    if len(failed) == len(paths):
        raise DataError(
            f"{cfg.corpus}: none of its {len(paths)} images could be read (looked under {where}; first: "
            f"{example}); set data.image_root to the folder its image paths are relative to"
        )
    share = len(failed) / len(paths)
    if share > cfg.max_failed:
        enough = math.ceil(share * 100) / 100
        raise DataError(
            f"{cfg.corpus}: {len(failed)} of its {len(paths)} images ({share:.1%}) could not be read, more "
            f"than data.max_failed={cfg.max_failed:g} (looked under {where}; first: {example}); fix them, "
            f"or train on the rest with --set data.max_failed={enough:g}"
        )
    if len(failed) > _SHOWN_FAILURES:
        _log.warning("%s: %d unreadable images skipped in all (%.1f%%)", where, len(failed), 100 * share)


def _targets(im: CorpusImage, level: str, limit: int) -> list[list[str]]:
    """The words a captioner learns to say of `im` at `level`, per caption: the corpus's own tokens where
    it has them (Karpathy's "tokens": a raw "A red circle." had taught it the "."), else the caption
    tokenised."""
    own = im.tokens.get(level, [])
    return [
        list(own[j] if j < len(own) and own[j] else tokenize(text))[:limit]
        for j, text in enumerate(im.captions.get(level, []))
    ]
