"""What a thing is said as where the classifier cannot tell which of its kind it is (describe/kinds.py)."""

from __future__ import annotations

import numpy as np

from multicap.describe.kinds import HEDGE, KINDS, said_kind
from multicap.describe.verbalize import plural
from multicap.text.imagenet import classes_under, imagenet_labels

LABELS = list(imagenet_labels())


def _probs(**named: float) -> np.ndarray:
    """A (1000,) distribution with the named classes' probabilities, the rest spread evenly."""
    probs = np.zeros(1000)
    for name, p in named.items():
        probs[LABELS.index(name.replace("_", " "))] = p
    probs[probs == 0] = (1.0 - probs.sum()) / np.count_nonzero(probs == 0)
    return probs


def test_a_class_holding_half_of_its_kind_is_said_itself() -> None:
    assert said_kind(LABELS.index("tench"), _probs(tench=0.6, goldfish=0.3)) is None
    assert said_kind(LABELS.index("golden retriever"), _probs(golden_retriever=0.9)) is None


def test_a_class_among_likelier_siblings_is_said_as_its_kind() -> None:
    """A wrasse read as "tench" (0.3) where the other fish hold more (0.6): "a fish"."""
    kind = said_kind(LABELS.index("tench"), _probs(tench=0.3, goldfish=0.3, gar=0.3))
    assert kind is not None and kind.noun == "fish" and LABELS.index("gar") in kind.members


def test_the_narrowest_kind_that_holds_half_is_said() -> None:
    """A macaw unsure among the parrots but sure of a parrot: "a parrot"; among all birds: "a bird"."""
    macaw = LABELS.index("macaw")
    parrot = said_kind(macaw, _probs(macaw=0.4, lorikeet=0.4, goldfinch=0.1))
    assert parrot is not None and parrot.noun == "parrot"
    bird = said_kind(macaw, _probs(macaw=0.3, goldfinch=0.3, junco=0.3))
    assert bird is not None and bird.noun == "bird"


def test_a_class_of_no_kind_keeps_its_name() -> None:
    assert said_kind(LABELS.index("volcano"), _probs(volcano=0.1, alp=0.8)) is None


def test_the_kinds_are_everyday_words_over_several_classes() -> None:
    under = classes_under()
    assert all(len(under[wnid]) >= 2 for wnid in KINDS)
    assert 0 < HEDGE <= 0.5  # at most: a class likelier than its siblings together is always said
    assert plural("fish") == "fish" and plural("goldfish") == "goldfish"


def test_each_kind_of_a_class_lies_within_the_next() -> None:
    """A minivan is both a car and a truck in WordNet, neither within the other: only the wider is said."""
    minivan = LABELS.index("minivan")
    kind = said_kind(minivan, _probs(minivan=0.2, cab=0.3, pickup=0.3))
    assert kind is not None and kind.noun == "car"
