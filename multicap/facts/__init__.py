"""What an image holds, as data: objects with attributes and boxes, relations, and where things are.

    from multicap.facts import SceneFacts, SceneObject, Relation, position_of, relation_between, get_reader

The bottom of the describing layer: every describer fills `SceneFacts`, every dataset with ground truth
(the synthetic scenes, COCO instances) writes them, and the evaluation scores them. `geometry` places
boxes (3×3 positions, sizes, relations); `readers` turn a captioner's sentences back into facts (the
synthetic scenes' grammar, `scene_words` / `scene_sentences` / `scene_parse`, is the one shipped).
Imports nothing of multicap but `errors`.
"""

from multicap.facts.geometry import Box, chain_relations, position_of, relation_between, size_of
from multicap.facts.readers import Reader, get_reader, list_readers, register_reader
from multicap.facts.scene import LEVELS, Relation, SceneFacts, SceneObject

__all__ = [
    "LEVELS",
    "Box",
    "Reader",
    "Relation",
    "SceneFacts",
    "SceneObject",
    "chain_relations",
    "get_reader",
    "list_readers",
    "position_of",
    "register_reader",
    "relation_between",
    "size_of",
]
