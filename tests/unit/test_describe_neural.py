"""The neural describer: a captioner bundle (tiny, untrained) says each level through `multicap describe`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multicap.describe.description import attention_locations
from multicap.describe.neural import _add_layout, _own_nouns, _phrase_confidence, _without_repeats
from multicap.facts import get_reader
from tests.conftest import REPO, run_cli

READER = get_reader("scenes")

SCENES = REPO / "examples" / "scenes"


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained captioner bundle over the `tiny` encoder: real files, real loading, real decoding."""
    import torch

    from multicap.captioning.bundle import Bundle, EncoderSettings
    from multicap.captioning.decoding import DecodeConfig
    from multicap.captioning.model import Captioner, CaptionerConfig
    from multicap.text.vocab import Vocabulary

    words = [
        "a",
        "the",
        "small",
        "large",
        "red",
        "blue",
        "circle",
        "square",
        "on",
        "left",
        "right",
        "of",
        "background",
        "stripy",
    ]
    vocab = Vocabulary(words)
    torch.manual_seed(0)
    config = CaptionerConfig(
        64, (4, 4), len(vocab), embed_dim=16, value_dim=32, attention_dim=16, hidden_dim=32
    )
    bundle = Bundle(
        Captioner(config),
        vocab,
        EncoderSettings("tiny", 64),
        DecodeConfig(beam_size=1, max_len=8),
        reader="scenes",  # its words are the scenes', so its text reads back into facts
    )
    return bundle.save(tmp_path_factory.mktemp("neural") / "bundle")


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
            assert set(loc) == {"word", "box", "position", "confidence"} and len(loc["box"]) == 4
            assert 0.0 < loc["confidence"] <= 1.0  # the probability the decoder gave the word


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


def test_an_object_is_read_as_surely_as_its_least_sure_word() -> None:
    """An object's read confidence is the least probability of its noun and the count, size and colour
    words before it; words of other objects and function words do not count."""
    import numpy as np

    from multicap.captioning.decoding import Caption
    from multicap.data.scenes import parse

    tokens = ["a", "large", "cyan", "circle", "and", "two", "small", "red", "squares"]
    probs = [0.99, 0.9, 0.4, 0.95, 0.2, 0.8, 0.97, 0.6, 0.99]  # "and" is unsure: no object's word
    cap = Caption(" ".join(tokens), tokens, -0.1, np.full((9, 4), 0.25), "attribute")
    cap.token_logprobs = np.log(np.array(probs))
    locations = attention_locations(cap, (2, 2))
    assert [loc["word"] for loc in locations][:3] == ["large", "cyan", "circle"]
    facts = parse(cap.text)
    read = [_phrase_confidence(READER, locations, loc) for loc in _own_nouns(READER, facts, locations)]
    assert read == pytest.approx([0.4, 0.6, 0.6])  # cyan; then "two", "small", "red", "squares": red


def test_layout_positions_and_relations_join_the_attribute_facts() -> None:
    from multicap.data.scenes import parse

    facts = parse("a small red circle and a large blue square on a stripy gray background")
    _add_layout(facts, parse("a blue square on the left, a red circle right of it on the right"))
    by_label = {o.label: o.attributes for o in facts.objects}
    assert by_label["circle"] == {"colour": "red", "size": "small", "position": "right"}
    assert by_label["square"]["position"] == "left"
    [rel] = facts.relations
    assert facts.objects[rel.subject].label in {"circle", "square"}


def test_an_object_only_the_layout_reading_names_joins_the_facts_and_a_recoloured_one_does_not() -> None:
    """The layout sentence names each object on its own, so it misses fewer: a hexagon the attribute
    sentence left out is added (as the layout read it: colour and position, no size). A star it read in
    another colour is the same star (matched by shape), not a second one. `add_missing=False` adds none."""
    from multicap.data.scenes import parse

    attribute = "a large orange star and a small blue square on a plain gray background"
    layout = (
        "a blue square on the left, a brown star right of it on the right, "
        "a purple hexagon below it at the bottom"
    )
    facts = parse(attribute)
    _add_layout(facts, parse(layout))
    read = [(o.label, o.attributes.get("colour"), o.attributes.get("size"), o.attributes.get("position"))
            for o in facts.objects]  # fmt: skip
    assert read == [
        ("star", "orange", "large", "right"),
        ("square", "blue", "small", "left"),
        ("hexagon", "purple", None, "bottom"),
    ]
    assert len(facts.relations) == 2  # every relation of the chain: all three objects are matched or added
    alone = parse(attribute)
    _add_layout(alone, parse(layout), add_missing=False)
    assert [o.label for o in alone.objects] == ["star", "square"] and len(alone.relations) == 1


def test_a_bundle_reads_the_layout_for_the_facts_of_another_level_without_saying_it(bundle_dir: Path) -> None:
    """Asked for the attribute level alone, the neural describer also decodes the layout level, for the
    facts only: the texts hold the attribute level; `cross_read=False` decodes nothing more."""
    from unittest import mock

    from multicap.describe import create_describer, describe_paths

    calls: list[list[str]] = []
    for cross_read in (True, False):
        describer = create_describer(str(bundle_dir), cross_read=cross_read)
        with mock.patch.object(describer.bundle, "caption", wraps=describer.bundle.caption) as caption:
            [desc] = describe_paths(describer, _images(1), ["attribute"])
        calls += [list(c.args[1]) for c in caption.call_args_list]
        assert set(desc.texts) == {"attribute"}
    assert calls == [["attribute"], ["layout"], ["attribute"]]


def test_each_object_is_located_by_its_own_noun() -> None:
    """The second "diamond" of a caption locates the second diamond; "two circles" locates both circles."""
    from multicap.data.scenes import parse

    def at(word: str, x: float) -> dict[str, object]:
        return {"word": word, "box": [x, 0.0, x + 0.1, 0.1], "position": "top"}

    facts = parse("a white square, a purple diamond and a yellow diamond")
    locations = [
        at("white", 0.0),
        at("square", 0.1),
        at("purple", 0.2),
        at("diamond", 0.3),
        at("yellow", 0.4),
    ]
    locations.append(at("diamond", 0.5))
    boxes = [loc and loc["box"][0] for loc in _own_nouns(READER, facts, locations)]
    assert [o.label for o in facts.objects] == ["square", "diamond", "diamond"] and boxes == [0.1, 0.3, 0.5]

    facts = parse("two red circles and a blue star")
    boxes = [
        loc and loc["box"][0] for loc in _own_nouns(READER, facts, [at("circles", 0.2), at("star", 0.6)])
    ]
    assert [o.label for o in facts.objects] == ["circle", "circle", "star"] and boxes == [0.2, 0.2, 0.6]
    assert _own_nouns(READER, facts, []) == [None, None, None]


def test_a_repeated_singular_object_is_read_once_and_a_plural_twice() -> None:
    """Object and attribute sentences count equal objects, so a second "a small red circle" is the decoder
    repeating itself; "two small red circles" are two circles; different sizes are different circles."""
    from multicap.data.scenes import parse

    def read(text: str) -> list[str]:
        facts = _without_repeats(READER, parse(text), text)
        return [f"{o.attributes.get('size')} {o.attributes.get('colour')} {o.label}" for o in facts.objects]

    assert read("a small red circle, a blue star and a small red circle") == [
        "small red circle",
        "None blue star",
    ]
    assert read("two small red circles and a blue star").count("small red circle") == 2
    assert read("a small red circle and a large red circle").count("large red circle") == 1


def test_a_caption_cut_at_the_length_limit_is_said_unended() -> None:
    """A bundle on an image unlike its training set ran to its length limit ("a diamond black diamond black
    black blue ...", 64 words) and was said like any other text."""
    import torch

    from multicap.captioning.bundle import load_bundle
    from multicap.captioning.decoding import DecodeConfig
    from multicap.describe.description import Description, description_json, unended
    from multicap.io import load_image

    bundle = load_bundle("scenes-small")
    encoder = bundle.encoder.create()
    pixels = encoder.preprocess.to_uint8(load_image(_images(1)[0], min_short_side=encoder.preprocess.size))
    grid = encoder.encode_batch(torch.stack([pixels])).grid
    [whole] = bundle.caption(grid, ["object"])
    [cut] = bundle.caption(grid, ["object"], DecodeConfig(beam_size=1, max_len=3))
    assert whole.ended and len(whole.tokens) > 3
    assert not cut.ended and len(cut.tokens) == 3
    desc = Description(Path("x.png"), texts={"object": cut.text}, captions={"object": cut})
    assert unended(desc) == ["object"] and description_json(desc)["unended"] == ["object"]
    assert "unended" not in description_json(Description(Path("y.png"), captions={"object": whole}))
