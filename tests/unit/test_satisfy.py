"""`satisfactions` (every candidate of a search at once) gives exactly `satisfaction`'s numbers, one image
at a time: the same float for each, so a search ranks as before."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from multicap.text.imagenet import imagenet_concepts
from multicap.text.wordnet import wordnet_folder

pytestmark = pytest.mark.skipif(
    not (wordnet_folder() / "index.noun").is_file(),
    reason="WordNet 3.0 is not installed (make installs Debian's wordnet-base)",
)

QUERIES = ("a red car", "dog on the beach", "person in orange", "blue", "cup of coffee on a table", "cat")


def _facts(rng: np.random.Generator) -> dict[str, Any] | None:
    concepts = imagenet_concepts()
    if rng.random() < 0.2:
        return None
    colours = ("red", "blue", "orange", "gray", "")
    objects = [
        {"label": "person" if rng.random() < 0.1 else "thing",
         "attributes": {"wnid": concepts[int(rng.integers(1000))].wnid, "colour": str(rng.choice(colours))}}
        for _ in range(int(rng.integers(4)))
    ]  # fmt: skip
    return {"objects": objects, "image_attributes": {"palette": str(rng.choice(colours))}}


def test_many_at_once_score_exactly_as_one_at_a_time() -> None:
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction, satisfactions

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(1000, 0.05), size=300).astype(np.float32)  # (300, 1000)
    captions = [np.sqrt(p) if j % 7 else None for j, p in enumerate(probs)]  # a few without a vector
    facts = [_facts(rng) for _ in captions]
    for query in QUERIES:
        meaning = understand(query)
        one = [
            satisfaction(meaning, f, c**2 if c is not None else None)
            for f, c in zip(facts, captions, strict=True)
        ]
        assert satisfactions(meaning, facts, captions) == one, query
    assert satisfactions(understand("cat"), [], []) == []


def test_what_the_query_is_of_counts_more_than_where_it_is() -> None:
    """ "dog on grass": a dog without grass ranked below grass without a dog (a meadow came first)."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    meaning = understand("dog on grass")
    dog = {"objects": [{"label": "German shepherd", "attributes": {"wnid": "n02106662"}}]}
    meadow = {"objects": [{"label": "grass", "attributes": {}}]}
    assert satisfaction(meaning, dog, None) > satisfaction(meaning, meadow, None) > 0


def test_the_parts_the_best_image_lacks_are_said() -> None:
    """A walkthrough: "sheep on the grass" was said to show "not much" although its best photo shows the
    sheep; what it lacks, the grass the describer found in none, is said instead."""
    from multicap.index.query import understand
    from multicap.index.satisfy import part_scores
    from multicap.index.search import nearest_only_note

    meaning = understand("dog on grass")
    dog = {"objects": [{"label": "German shepherd", "attributes": {"wnid": "n02106662"}}]}
    assert [round(s, 2) for s in part_scores(meaning, dog, None)] == [1.0, 0.0]
    said = nearest_only_note("dog on grass", ["grass"])
    assert said == "no image here shows all of 'dog on grass': the best lack 'grass'; the nearest are shown"
    assert nearest_only_note("dog") == "no image here shows much of 'dog'; the nearest are shown"


def test_without_people_is_met_where_no_person_is_found() -> None:
    """A walkthrough: "a beach without people" had asked for people ("without" excluded nothing); "no
    people" alone asks for nothing to look for, and says so."""
    from multicap.index.query import understand
    from multicap.index.satisfy import part_scores

    meaning = understand("a dog without people")
    dog = {"objects": [{"label": "German shepherd", "attributes": {"wnid": "n02106662"}}]}
    walker = {"objects": [*dog["objects"], {"label": "person", "attributes": {}}]}
    assert part_scores(meaning, dog, None) == [1.0, 1.0] and part_scores(meaning, walker, None) == [1.0, 0.0]
    assert not meaning.parts[1].classes and not meaning.parts[1].terms  # it searches for no one
    alone = understand("no people")
    assert not alone.parts and "what a photo lacks" in alone.unknown[0].message()


def test_a_sure_reading_ranks_above_an_unsure_one() -> None:
    """ "dog": a horse read as a dog breed at 0.26 ranked above a German shepherd at 0.99; an unsure
    reading counts fully where the classifier puts the image's mass on the part's classes (a fish read as
    one of ImageNet's many fish)."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    meaning = understand("dog")
    concepts = {c.name: c for c in imagenet_concepts()}

    def facts(label: str, confidence: float) -> dict[str, Any]:
        return {
            "objects": [
                {"label": label, "confidence": confidence, "attributes": {"wnid": concepts[label].wnid}}
            ]
        }

    sure, unsure = facts("German shepherd", 0.99), facts("EntleBucher", 0.26)
    assert satisfaction(meaning, sure, None) == 1.0
    assert 0.6 < satisfaction(meaning, unsure, None) < satisfaction(meaning, sure, None)
    probs = np.zeros(1000, dtype=np.float32)
    probs[[concepts["EntleBucher"].index, concepts["beagle"].index]] = 0.45  # sure of a dog, not which
    assert satisfaction(meaning, unsure, probs) == 1.0
    unsure["objects"][0]["attributes"] |= {"size": "large", "position": "center"}
    for placed in ("large dog", "dog in the centre"):  # sure of a dog there as well
        assert satisfaction(understand(placed), unsure, probs) == 1.0, placed


def test_an_animal_read_two_ways_meets_either() -> None:
    """ "squirrel on a tree" had lost its squirrel once the describer said "a spider monkey or fox
    squirrel" for it (one animal, not two): its rival reading's wnid is scored too."""
    from multicap.index.query import understand
    from multicap.index.satisfy import satisfaction

    concepts = {c.name: c for c in imagenet_concepts()}
    read = {"wnid": concepts["spider monkey"].wnid, "or_wnid": concepts["fox squirrel"].wnid}
    either = {"objects": [{"label": "spider monkey or fox squirrel", "confidence": 0.63, "attributes": read}]}
    monkey = {
        "objects": [{"label": "spider monkey", "confidence": 0.63, "attributes": {"wnid": read["wnid"]}}]
    }
    squirrel = understand("squirrel")
    assert satisfaction(squirrel, either, None) > 0.5 and satisfaction(squirrel, monkey, None) == 0.0
    assert satisfaction(understand("monkey"), either, None) == satisfaction(
        understand("monkey"), monkey, None
    )
