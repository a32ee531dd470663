"""Describing images: the describers (grounded, neural), their verbalization per level, set summaries.

    from multicap.describe import create_describer, describe_paths, summarize_set

Every describer returns `Description`s (a `DescribedBatch` with the encoder's features per batch); the
facts they hold are `multicap.facts`'.
"""

from multicap.describe.describer import (
    Describer,
    create_describer,
    describe_paths,
    description_json,
    list_describers,
    register_describer,
)
from multicap.describe.description import DescribedBatch, Description
from multicap.describe.summary import SetSummary, summarize_set
from multicap.facts.scene import LEVELS, Relation, SceneFacts, SceneObject

__all__ = [
    "LEVELS",
    "DescribedBatch",
    "Describer",
    "Description",
    "Relation",
    "SceneFacts",
    "SceneObject",
    "SetSummary",
    "create_describer",
    "describe_paths",
    "description_json",
    "list_describers",
    "register_describer",
    "summarize_set",
]
