"""Scene facts and their verbalization per level."""

from multicap.levels.facts import LEVELS, Relation, SceneFacts, SceneObject

__all__ = ["LEVELS", "Relation", "SceneFacts", "SceneObject"]
