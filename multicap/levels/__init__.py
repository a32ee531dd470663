"""Scene facts and their verbalization per level."""

from multicap.levels.description import Description
from multicap.levels.facts import LEVELS, Relation, SceneFacts, SceneObject

__all__ = ["LEVELS", "Description", "Relation", "SceneFacts", "SceneObject"]
