"""What the query tests share: the skip mark where WordNet 3.0 is missing, and the classes a query of one
part reaches, by name."""

from __future__ import annotations

import pytest

from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import wordnet_folder

NEEDS_WORDNET = pytest.mark.skipif(
    not (wordnet_folder() / "index.noun").is_file(),
    reason="WordNet 3.0 is not installed (make installs Debian's wordnet-base)",
)

NAMES = {c.name: c.index for c in imagenet_concepts()}


def reached(text: str) -> dict[str, float]:
    """Class name → weight, of the one part `text` is understood as."""
    from multicap.index.query import understand

    [part] = understand(text).parts
    return {name: part.classes[i] for name, i in NAMES.items() if i in part.classes}
