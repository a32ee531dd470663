"""The neural describer: a tiny captioner bundle trained in seconds on examples/scenes says each level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multicap.levels.neural import attention_locations
from tests.conftest import REPO, run_cli

SCENES = REPO / "examples" / "scenes"


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from multicap.captioning.recipe import load_recipe
    from multicap.captioning.train import train

    tmp = tmp_path_factory.mktemp("neural")
    overrides = [
        f"data.corpus={SCENES}",
        f"data.features={tmp / 'features'}",
        f"train.out={tmp / 'run'}",
        "data.val_split=train",
        "encoder.name=tiny",
        "encoder.image_size=64",
        "model.value_dim=32",
        "model.hidden_dim=32",
        "model.embed_dim=16",
        "model.attention_dim=16",
        "train.epochs=1",
    ]
    return Path(train(load_recipe("scenes", overrides)).best)


def _images(n: int) -> list[Path]:
    return sorted((SCENES / "images").rglob("*.png"))[:n]


def test_describe_with_a_bundle_says_every_level_with_confidence_and_attention(bundle_dir: Path) -> None:
    """`multicap describe --model BUNDLE --json`: text, confidence and attention locations per level."""
    r = run_cli("describe", *map(str, _images(2)), "--model", str(bundle_dir), "--level", "all", "--json")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["type"] for d in docs] == ["image", "image", "set"]
    levels = {"object", "attribute", "layout"}
    for doc in docs[:2]:
        assert set(doc["texts"]) == levels and all(doc["texts"].values())
        assert all(0.0 < doc["confidence"][lv] <= 1.0 for lv in levels)
        assert set(doc["locations"]) == levels
        for loc in doc["locations"]["layout"]:
            assert set(loc) == {"word", "box", "position"} and len(loc["box"]) == 4


def test_attention_locations_of_a_caption() -> None:
    """A word that looked at the top-left cell of a 2×2 grid is placed at the top left."""
    import numpy as np

    from multicap.captioning.decoding import Caption

    att = np.array([[0.9, 0.05, 0.05, 0.0], [0.0, 0.0, 0.1, 0.9], [0.25, 0.25, 0.25, 0.25]])
    cap = Caption("red circle", ["red", "circle"], -0.1, att, "object")
    locs = attention_locations(cap, (2, 2))
    assert locs == [
        {"word": "red", "box": [0.0, 0.0, 0.5, 0.5], "position": "top left"},
        {"word": "circle", "box": [0.5, 0.5, 1.0, 1.0], "position": "bottom right"},
    ]


def test_layout_positions_and_relations_join_the_attribute_facts() -> None:
    from multicap.data.scenes import parse
    from multicap.levels.neural import _add_layout

    facts = parse("a small red circle and a large blue square on a stripy gray background")
    _add_layout(facts, parse("a blue square on the left, a red circle right of it on the right"))
    by_label = {o.label: o.attributes for o in facts.objects}
    assert by_label["circle"] == {"colour": "red", "size": "small", "position": "right"}
    assert by_label["square"]["position"] == "left"
    [rel] = facts.relations
    assert facts.objects[rel.subject].label in {"circle", "square"}
