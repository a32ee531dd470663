"""Evaluate a bundle on a corpus split by real decoding: COCO metrics per level, fact F1 where facts exist."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from multicap.captioning.batches import features_folder
from multicap.captioning.bundle import Bundle, load_bundle
from multicap.captioning.decoding import Caption, DecodeConfig
from multicap.captioning.scoring import fact_f1
from multicap.data.corpus import CorpusImage
from multicap.data.feature_cache import FeatureStore
from multicap.data.loading import load_corpus, looks_like_karpathy
from multicap.errors import DataError
from multicap.evaluation.captions import DEFAULT_METRICS, CaptionScores, evaluate_levels, scores_document

__all__ = ["BundleEvaluation", "evaluate_bundle", "evaluate_model"]


@dataclass
class BundleEvaluation:
    scores: dict[str, CaptionScores]  # level → COCO metrics
    fact_f1: dict[str, float | None]  # level → fact F1 (None without ground-truth facts)
    settings: dict[str, Any]  # bundle, data, split, decoding: recorded beside the numbers

    def document(self, per_image: bool = True, **settings: Any) -> dict[str, Any]:
        """The scores document (`multicap.evaluation.scores_document`) with fact F1 beside COCO's metrics."""
        return scores_document(
            self.scores, per_image, {**self.settings, **settings}, extra={"fact-F1": self.fact_f1}
        )


_LOOKED_AT = 20  # the split's first images: none there, and the corpus's images are elsewhere


def evaluate_model(
    model: str | Path,
    data: str | Path,
    split: str | None = None,
    *,
    beam: int | None = None,
    max_len: int | None = None,
    device: str | None = None,
    **options: Any,
) -> BundleEvaluation:
    """`evaluate_bundle` of a bundle folder or registered name on `device` (cpu, cuda, cuda:N or auto; the
    images are encoded there too), its decoding changed by `beam`, `max_len`."""
    bundle = load_bundle(model, device=device)
    decoding = bundle.decoding
    if beam is not None:
        decoding = replace(decoding, beam_size=beam)
    if max_len is not None:
        decoding = replace(decoding, max_len=max_len)
    return evaluate_bundle(bundle, data, split, decoding=decoding, **options)


def evaluate_bundle(
    bundle: Bundle,
    data: str | Path,
    split: str | None = None,
    *,
    levels: Sequence[str] | None = None,
    decoding: DecodeConfig | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    image_root: str | Path | None = None,
    features: str | Path = "",
    batch_size: int = 100,
    progress: Callable[[str, int, int], None] | None = None,
) -> BundleEvaluation:
    """Caption every image of `split` at each level with `bundle` and score it against the references;
    no split: "test", or the corpus's only split unless that is one trained on (a COCO captions file of
    val2014 holds "val"; a training file alone is refused, not scored unsaid)."""
    corpus = load_corpus(data, image_root=image_root)
    only = corpus.splits()
    chosen = split
    if split is None:
        split = only[0] if len(only) == 1 and only[0] not in ("train", "restval") else "test"
    images = corpus.split(split)
    if not images and chosen is None and len(only) == 1:  # a COCO file named otherwise is "train"
        path = Path(data)
        coco = path.is_file() and path.suffix == ".json" and not looks_like_karpathy(path)
        why = (
            ' (a COCO captions file\'s split is the word after "captions_" in its name, "train" without one)'
        )
        raise DataError(
            f"{data}: its only split is {only[0]!r}{why if coco else ''}, which is not scored unasked: give "
            f"--split {only[0]} if the bundle was not trained on it"
        )
    if not images:
        raise DataError(f"{data}: no images in split {split!r} (it has: {', '.join(only)})")
    wanted = [lv for lv in (levels or bundle.levels) if lv in corpus.levels()]
    if not wanted:
        raise DataError(f"{data} has no references at the bundle's levels ({', '.join(bundle.levels)})")
    if not any(Path(im.path).exists() for im in images[:_LOOKED_AT]):  # before a warning for every image
        raise DataError(
            f"no image of split {split!r} is where the corpus says (the first: {images[0].path}): where its "
            "image paths start from another folder, give it (--image-root)"
        )
    store, kept = _read_split(bundle, data, split, images, features, progress)
    read = {im.image_id for im, _ in kept}  # those that could not be read are left out on both sides
    dec = decoding or bundle.decoding
    predictions: dict[str, dict[str, str]] = {}
    unended: dict[str, list[int]] = {}  # per level: [captions cut at the length limit (said), of so many]
    for level in wanted:
        pairs = [(im, r) for im, r in kept if im.captions.get(level)]
        said = _caption(bundle, store, [r for _, r in pairs], level, dec, batch_size, progress)
        predictions[level] = {im.image_id: c.text for (im, _), c in zip(pairs, said, strict=True)}
        if cut := sum(not c.ended for c in said):
            unended[level] = [cut, len(said)]
    references = {
        lv: {k: refs for k, refs in corpus.references(split, lv).items() if k in read} for lv in wanted
    }
    scores = evaluate_levels(predictions, references, metrics=metrics)
    # Fact F1 reads sentences back with the corpus's reader: only where it has one (the scenes grammar).
    facts = corpus.facts(split) if corpus.reader else {}
    f1 = {
        lv: fact_f1(list(p.values()), [facts[k] for k in p], lv, corpus.reader)
        if corpus.reader and facts and all(k in facts for k in p)
        else None
        for lv, p in predictions.items()
    }
    settings = {
        "bundle": str(bundle.path) if bundle.path else None,
        "data": str(data),
        "split": split,
        "images": len(kept),
        "unread": len(images) - len(kept),  # skipped, each said by the feature store
        "decoding": asdict(replace(dec)),
        "unended": unended,
    }
    return BundleEvaluation(scores, f1, settings)


def _read_split(
    bundle: Bundle,
    data: str | Path,
    split: str,
    images: list[CorpusImage],
    features: str | Path,
    progress: Callable[[str, int, int], None] | None,
) -> tuple[FeatureStore, list[tuple[CorpusImage, int]]]:
    """The split's images encoded into the feature store (those not cached yet), and each readable one with
    its row."""
    encoder = bundle.encoder.create(device=next(bundle.model.parameters()).device)
    store = FeatureStore.open(features_folder(data, bundle.encoder, features), encoder)
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress("features", done[0], len(images))

    store.build([im.path for im in images], encoder, progress=advance)
    rows = store.rows_of([im.path for im in images])
    kept = [(im, r) for im, r in zip(images, rows, strict=True) if r is not None]
    if not kept:  # the images are elsewhere: their paths start from another folder than the corpus file's
        raise DataError(
            f"no image of split {split!r} could be read (the first: {images[0].path}): where the corpus's "
            "image paths start from another folder, give it (--image-root)"
        )
    return store, kept


def _caption(
    bundle: Bundle,
    store: FeatureStore,
    rows: list[int],
    level: str,
    decoding: DecodeConfig,
    batch_size: int,
    progress: Callable[[str, int, int], None] | None,
) -> list[Caption]:
    """The bundle's caption at `level` of each stored row, decoded in batches (never teacher-forced)."""
    said: list[Caption] = []
    for start in range(0, len(rows), batch_size):
        grid = torch.from_numpy(store.grid(rows[start : start + batch_size]).astype("float32"))
        said += bundle.caption(grid, [level] * len(grid), decoding)
        if progress is not None:
            progress(level, len(said), len(rows))
    return said
