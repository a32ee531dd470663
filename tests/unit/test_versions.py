"""Describer versions (`multicap.facts.versions`): the grounded one names the people detectors it ran
without, and an index's texts are said again only when this multicap would say more."""

from __future__ import annotations

from multicap.facts.versions import GROUNDED, LABELS, current_said_by, grounded_said_by, release, said_enough


def test_a_version_without_a_detector_is_said_again_once_it_is_there_and_kept_when_it_is_gone() -> None:
    full, without = grounded_said_by(), grounded_said_by(["open-images-ssd"])
    assert full == GROUNDED and without == f"{GROUNDED} without open-images-ssd"
    assert current_said_by("grounded", ["open-images-ssd"]) == without
    assert current_said_by("grounded-no-people", ["open-images-ssd"]) == GROUNDED  # finds no one anyway
    assert release(without) == GROUNDED
    assert not said_enough(without, full)  # the model pulled: said again
    assert said_enough(full, without)  # said with it, on a machine without it: kept, the better of the two
    both = grounded_said_by(["blazeface_full_range", "open-images-ssd"])
    assert said_enough(both, both) and not said_enough(both, without) and said_enough(without, both)
    assert not said_enough("grounded 2026-12-06.4", full)  # another release: always said again
    assert not said_enough(LABELS, "labels 2") and said_enough(LABELS, LABELS)
