"""Scene facts, the describers (grounded and neural) and their verbalization per level.

from multicap.levels import create_describer, describe_paths, verbalize
"""

from multicap.levels.describer import (
    Describer,
    create_describer,
    describe_paths,
    description_json,
    list_describers,
    register_describer,
)
from multicap.levels.description import Description
from multicap.levels.facts import LEVELS, Relation, SceneFacts, SceneObject
from multicap.levels.verbalize import list_verbalizers, register_verbalizer, verbalize

__all__ = [
    "LEVELS",
    "Describer",
    "Description",
    "Relation",
    "SceneFacts",
    "SceneObject",
    "create_describer",
    "describe_paths",
    "description_json",
    "list_describers",
    "list_verbalizers",
    "register_describer",
    "register_verbalizer",
    "verbalize",
]
