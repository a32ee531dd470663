"""Synthetic multi-object scenes with exact ground truth at the object, attribute and layout level.

    from multicap.data.scenes import ScenesConfig, generate_dataset, sample_facts, render, describe, parse

A scene is a `SceneFacts` (objects with shape, colour, size, position and box; relations; background).
`render` draws it, `describe` says it at every level in several paraphrases, `parse` reads any such sentence
back into facts, `generate_dataset` writes a whole dataset with splits (one compositional), and the set
tasks (`make_pair`, `near_duplicates`, `make_clusters`, `make_queries`, written by `write_set_tasks`)
come with their answers.
"""

from multicap.data.scenes.changes import CHANGE_KINDS, DISTRACTOR_KINDS, ScenePair, make_pair
from multicap.data.scenes.export import SceneRecord, read_captions_jsonl
from multicap.data.scenes.generate import GenerateResult, ScenesConfig, generate_dataset, scene_record
from multicap.data.scenes.groups import (
    NEAR_DUPLICATE_KINDS,
    SceneCluster,
    altered_versions,
    make_clusters,
    near_duplicates,
)
from multicap.data.scenes.queries import SceneQuery, make_queries, query_matches
from multicap.data.scenes.render import render
from multicap.data.scenes.sampler import SamplerConfig, Scene, sample_facts, scene_rng
from multicap.data.scenes.splits import SPLITS, HeldOut, SplitConfig, held_out_for, scene_for_index
from multicap.data.scenes.tasks import SetTasksConfig, write_set_tasks
from multicap.facts.scene_parse import parse, stated_tuples
from multicap.facts.scene_sentences import (
    TEMPLATE_COUNTS,
    describe,
    describe_all,
    mentioned_relations,
    stated_facts,
)

__all__ = [
    "CHANGE_KINDS",
    "DISTRACTOR_KINDS",
    "NEAR_DUPLICATE_KINDS",
    "SPLITS",
    "TEMPLATE_COUNTS",
    "GenerateResult",
    "HeldOut",
    "SamplerConfig",
    "Scene",
    "SceneCluster",
    "ScenePair",
    "SceneQuery",
    "SceneRecord",
    "ScenesConfig",
    "SetTasksConfig",
    "SplitConfig",
    "altered_versions",
    "describe",
    "describe_all",
    "generate_dataset",
    "held_out_for",
    "make_clusters",
    "make_pair",
    "make_queries",
    "mentioned_relations",
    "near_duplicates",
    "parse",
    "query_matches",
    "read_captions_jsonl",
    "render",
    "sample_facts",
    "scene_for_index",
    "scene_record",
    "scene_rng",
    "stated_facts",
    "stated_tuples",
    "write_set_tasks",
]
