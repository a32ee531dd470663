"""The version of what each built-in describer says, changed with any change to what it says.

`multicap index` records with each image the version that described it (`said_by`) and describes the
files of the folders it indexes again when the model's version differs; `multicap search` notes an index
that older versions described. Kept here, below both `describe` and `index`, so that a search reads it
without loading a model (or torch).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "GROUNDED",
    "LABELS",
    "NEURAL",
    "ZERO_SHOT",
    "current_said_by",
    "grounded_said_by",
    "release",
    "said_enough",
]

GROUNDED = "grounded 2026-12-08.1"  # the date (and the change of that day) of the last change to its texts
LABELS = "labels 1"  # the `labels` index model: the encoder's top ImageNet labels
NEURAL = "neural 1"  # a captioner bundle (a retrained bundle is another model: the index's identity)
ZERO_SHOT = "zero-shot 6"  # a vision-language model's zero-shot naming (over the grounded regions)

_BY_MODEL = {"grounded": GROUNDED, "grounded-no-people": GROUNDED, "labels": LABELS}


_WITHOUT = " without "


def current_said_by(model: str, absent: Sequence[str] = ()) -> str | None:
    """The version this multicap's built-in index model `model` describes with; None for the others (a
    bundle or a vision-language model: their version is in their own files). `absent`: as for
    `grounded_said_by`, where `model` is "grounded"."""
    return grounded_said_by(absent) if model == "grounded" else _BY_MODEL.get(model)


def grounded_said_by(absent: Sequence[str] = ()) -> str:
    """The grounded model's version, with the people detectors it runs without here (`absent`, from
    `multicap.describe.people.absent_detectors`) named after it ("grounded 2026-12-07.5 without
    open-images-ssd"): the same release says other things of people without them, so that an index
    described before `multicap models pull open-images-ssd` ran is described again once it has."""
    return GROUNDED + (_WITHOUT + ", ".join(absent) if absent else "")


def release(said_by: str) -> str:
    """The describer's version without the detectors it ran without: what `multicap search` compares to
    tell an index described by an older multicap (it loads no detector to know which this one has)."""
    return said_by.split(_WITHOUT)[0]


def said_enough(stored: str, current: str) -> bool:
    """Whether what `stored` (a describer version an index recorded) said need not be said again by
    `current`: the same version, or the same release run without fewer of the people detectors ("...
    without open-images-ssd" is said again once the model is pulled; what was said with it is kept on a
    machine without it, as the better of the two)."""
    if stored == current:
        return True
    if release(stored) != release(current):
        return False
    return _absent(stored) <= _absent(current)


def _absent(said_by: str) -> set[str]:
    _, _, names = said_by.partition(_WITHOUT)
    return set(filter(None, names.split(", ")))
