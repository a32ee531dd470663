"""Caption corpora as data: images with reference sentences per level, and scene facts where known.

`multicap.data.loading.load_corpus` reads one from any supported format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from multicap.facts.scene import LEVELS, SceneFacts

__all__ = ["Corpus", "CorpusImage"]


@dataclass(frozen=True)
class CorpusImage:
    path: Path  # the image file
    split: str  # "train", "val", "test", or the dataset's own split name ("test_comp", ...)
    captions: dict[
        str, list[str]
    ]  # level -> reference sentences ("object", "attribute", "layout", "caption")
    facts: SceneFacts | None = None  # ground truth where the source has it (scenes, COCO instances)
    image_id: str = ""  # the dataset's id (cocoid, imgid, COCO image id, scene index) or the file name
    # level -> the corpus's own tokens of each of its captions, in order, () where it has none or they
    # are the caption's own words (Karpathy's "tokens" that segment Chinese); without, it is tokenised
    tokens: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Corpus:
    name: str  # the dataset's name ("coco", "flickr8k", "scenes-seed0", a folder's name...)
    images: list[CorpusImage] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def reader(self) -> str | None:
        """How its sentences read back into facts (`multicap.facts.get_reader`): the scenes grammar for the
        synthetic scenes; None for natural-language corpora."""
        return "scenes" if self.name.startswith("scenes") else None

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
