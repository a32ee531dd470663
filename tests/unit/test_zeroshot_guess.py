"""The zero-shot describer over the grounded describer's regions: a guess stays a guess unless the
vision-language model is sure of its own name (a review's finding: "perhaps" had stayed on any renaming)."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from multicap.describe.verbalize import GUESS
from multicap.describe.zeroshot import ZeroShotDescriber
from multicap.facts import SceneFacts, SceneObject


def _renamed(sureness: float) -> SceneObject:
    """A region the grounded describer guessed at, renamed "dog" by a model that gives it `sureness`."""
    model: object = SimpleNamespace(
        _clip_pixels=lambda image, box: torch.zeros(3, 4, 4),
        encoder=SimpleNamespace(
            encode_batch=lambda crops: SimpleNamespace(pooled=torch.zeros(len(crops), 2))
        ),
        _object=lambda emb, box: SceneObject("dog", sureness, box, {}),
    )
    guess = SceneObject("drumstick", 0.25, (0.1, 0.1, 0.6, 0.9), {"certainty": GUESS})
    facts = ZeroShotDescriber._named(model, SceneFacts([guess], [], {}), None, None)  # type: ignore[arg-type]
    return facts.objects[0]


def test_a_guess_renamed_surely_is_no_longer_a_guess() -> None:
    assert _renamed(0.3).attributes.get("certainty") == GUESS
    assert "certainty" not in _renamed(0.8).attributes
