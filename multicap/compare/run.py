"""`multicap compare` as one library call: files in, a pair's differences or a set's comparison out.

    outcome = compare_files(files, pair=is_pair(inputs), index="photos", report="compare.html")

Two files named on their own are a pair (differences per level, and whether they are near-duplicates by
the same rule as in a set); anything else is a set (duplicates, clusters, outliers, what differs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multicap.compare.collect import ImageSet, collect_images
from multicap.compare.duplicates import DEFAULT_THRESHOLD, TURNED_SHARE, duplicate_groups
from multicap.compare.pairs import PairComparison
from multicap.compare.report import write_report
from multicap.compare.sets import SetComparison, compare_copy, compare_in_set, compare_set
from multicap.compare.verify import PairCheck
from multicap.errors import ConfigError
from multicap.index import existing_index
from multicap.index.models import IndexModel, as_recorded, open_model, recorded_model
from multicap.io import ErrorHandler

__all__ = ["PairOutcome", "SetOutcome", "compare_files", "is_pair", "judge_pair"]


@dataclass
class PairOutcome:
    images: ImageSet  # the two images
    pair: PairComparison  # what differs, per level
    near_duplicate: bool  # by the set's rule (`duplicate_groups` at the threshold)
    report: Path | None  # the HTML report written, if asked for
    copied: list[str] = field(default_factory=list)  # a near-duplicate: how b was made from a
    why_not: str = ""  # alike by the signature, yet not a near-duplicate: why

    @property
    def a(self) -> Path:
        return self.images.paths[0]

    @property
    def b(self) -> Path:
        return self.images.paths[1]


@dataclass
class SetOutcome:
    images: ImageSet
    result: SetComparison  # duplicates, clusters, outliers, differences
    report: Path | None


def judge_pair(
    images: ImageSet, cut: float = DEFAULT_THRESHOLD
) -> tuple[PairComparison, bool, list[str], str]:
    """Two images compared as a pair: (what differs, near-duplicate, how b was copied from a, why alike
    yet no copy: `PairOutcome`'s). The web app's compare of two ids says what `multicap compare A B`
    says."""
    same = PairCheck.of_paths(images.paths)
    groups = duplicate_groups(
        images.signatures, cut, embeddings=images.embeddings, same=same, share=same.share
    )
    # two images named as a pair are both checked for a copy turned or made grey, which the set does only
    # for an image's nearest by embedding (`duplicates._turned`)
    near = bool(groups) or (same.share(0, 1) or 0.0) >= TURNED_SHARE
    compared = compare_copy(images, 0, 1) if near else compare_in_set(images, 0, 1)
    copied = compared.copied  # how b was made, found with the copy's frame (once: it had been twice)
    alike = (compared.signature_similarity or 0.0) >= cut
    return compared, near, copied, _NOT_ONE_PHOTO if alike and not near else ""


def is_pair(inputs: Sequence[Path]) -> bool:
    """Two files named on their own (not folders) are compared as a pair."""
    return len(inputs) == 2 and all(not Path(p).is_dir() for p in inputs)


def compare_files(
    files: Sequence[Path],
    *,
    pair: bool = False,
    index: str | Path | None = None,
    model: str | None = None,
    device: str = "cpu",
    threshold: float | None = None,
    clusters: int | None = None,
    level: str = "caption",
    report: str | Path | None = None,
    batch_size: int = 16,
    on_error: ErrorHandler | None = None,
    progress: Callable[[int], None] | None = None,
    folders: Sequence[Path] = (),
    unread: Sequence[str] = (),
) -> PairOutcome | SetOutcome:
    """Describe and embed `files` (reusing the vectors of `index` where it holds them; `model` else the
    index's model, else the grounded one), then compare them as a pair or as a set (given two or more
    `folders` they come from: what sets each apart too). `unread`: "path: reason" of the files the caller
    could not give (a walk's link loops and FIFOs), counted as unreadable with the rest (the report had
    said 7 unreadable where the command said 11).

    Raises:
        ConfigError: no images, a pair with an unreadable image or one file twice, a set of one image, an
            index that does not exist.
    """
    if not files:
        raise ConfigError("no images to compare")
    if pair and len(files) < 2:  # the same file twice: the walk keeps it once
        raise ConfigError(f"a pair needs two different images; both paths name {files[0]}")
    root = existing_index(index) if index is not None else None
    opener: Callable[[], IndexModel] | None = None
    recorded = recorded_model(root) if root is not None and model is not None else None
    if model is not None and recorded is not None and recorded != as_recorded(model):
        # the index's vectors and another model's cannot be compared (they had crashed it: "all input
        # arrays must have the same shape"), and its descriptions are not this model's either
        raise ConfigError(
            f"{index} was built with {recorded}, not {model}: drop --model to compare with the index's "
            f"model, or drop --index to describe every image with {model}"
        )
    if model is not None and recorded is None:  # the index's own model named again: checked as the index's
        name = model  # (a fine-tune copied over its weights had mixed with the stored vectors)

        def opener() -> IndexModel:
            return open_model(name, device=device)

    images = collect_images(
        files, index_root=root, model=opener, batch_size=batch_size, progress=progress, on_error=on_error
    )
    images.failed[:0] = list(unread)
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    if pair:
        if len(images) < 2:
            raise ConfigError("a pair needs two readable images")
        written = _report(compare_set(images, threshold=cut), report)
        compared, near, copied, why_not = judge_pair(images, cut)
        return PairOutcome(images, compared, near, written, copied, why_not)
    if not images.paths:
        raise ConfigError(
            "the image could not be read"
            if len(files) == 1
            else f"none of the {len(files)} images could be read"
        )
    if len(images.paths) < 2:
        raise ConfigError(f"a set needs two or more images to compare; only {images.paths[0]} was read")
    result = compare_set(images, threshold=cut, clusters=clusters, level=level, folders=folders)
    return SetOutcome(images, result, _report(result, report))


_NOT_ONE_PHOTO = "alike, but too few of their keypoints match under one transform to be one photo"


def _report(result: SetComparison, path: Any) -> Path | None:
    return write_report(result, path) if path is not None else None
