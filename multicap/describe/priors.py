"""ImageNet class priors of the grounded describer's encoders (scripts/class_priors.py writes them).

A class's prior is its mean softmax probability over a varied sample: 1,363 drawings of 13 kinds of
things (animals, food, people, tools, vehicles, ...). The
describer divides each class's probability by its prior to a power (adds -strength × log prior, centred, to
the classifier's bias), so that the few classes an ImageNet model says on any unfamiliar image (on clip
art: hook, analog clock, comic book) need more evidence than the rest.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["PRIORS_FILE", "class_log_prior"]

PRIORS_FILE = Path(__file__).resolve().parent / "data" / "class_priors.json"
_FLOOR = 1e-6  # a class never predicted in the sample counts as this probable


@cache
def _priors() -> dict[str, list[float]]:
    if not PRIORS_FILE.is_file():
        return {}
    return {name: entry["prior"] for name, entry in json.loads(PRIORS_FILE.read_text())["priors"].items()}


def class_log_prior(encoder: str) -> np.ndarray | None:
    """(1000,) log prior of each ImageNet class for `encoder`, centred to mean 0; None if not calibrated."""
    prior = _priors().get(encoder)
    if prior is None:
        return None
    log = np.log(np.maximum(np.asarray(prior, dtype=np.float64), _FLOOR))
    return (log - log.mean()).astype(np.float32)
