"""Caption corpora: every format through `load_corpus`, the COCO instance rules worked by hand, and errors
that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multicap.data import Corpus, load_corpus
from multicap.data.coco import CocoObject, derive_references
from multicap.data.scenes import read_captions_jsonl
from multicap.errors import DataError
from multicap.facts.scene import Relation

SCENES = Path(__file__).resolve().parents[2] / "examples" / "scenes"


def _json(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


# A 640x480 image with a dog on the left, a frisbee at the top right, a speck (left out: under MIN_AREA)
# and a crowd region (left out); a 100x100 image with two dogs, the smaller to the right of the larger.
INSTANCES = {
    "images": [{"id": 7, "width": 640, "height": 480}, {"id": 8, "width": 100, "height": 100}],
    "categories": [{"id": 18, "name": "dog"}, {"id": 34, "name": "frisbee"}, {"id": 1, "name": "person"}],
    "annotations": [
        {"image_id": 7, "category_id": 34, "bbox": [500, 20, 100, 60], "iscrowd": 0},
        {"image_id": 7, "category_id": 18, "bbox": [20, 150, 200, 250], "iscrowd": 0},
        {"image_id": 7, "category_id": 1, "bbox": [300, 300, 10, 10], "iscrowd": 0},
        {"image_id": 7, "category_id": 1, "bbox": [0, 0, 640, 480], "iscrowd": 1},
        {"image_id": 8, "category_id": 18, "bbox": [0, 0, 50, 60]},
        {"image_id": 8, "category_id": 18, "bbox": [70, 10, 20, 20]},
    ],
}
CAPTIONS = {
    "info": {"description": "COCO 2014"},
    "images": [
        {"id": 7, "file_name": "a.jpg"},
        {"id": 8, "file_name": "b.jpg"},
        {"id": 9, "file_name": "c.jpg"},
    ],
    "annotations": [
        {"image_id": 7, "caption": "A dog leaps for a frisbee. "},
        {"image_id": 7, "caption": "A dog playing in a park."},
        {"image_id": 8, "caption": "Two puppies."},
    ],
}


def test_coco_captions_split_paths_and_derived_levels(tmp_path: Path) -> None:
    (tmp_path / "val2014").mkdir()
    caps = _json(tmp_path / "annotations" / "captions_val2014.json", CAPTIONS)
    inst = _json(tmp_path / "annotations" / "instances_val2014.json", INSTANCES)
    corpus = load_corpus(caps, instances=inst)
    a, b, c = corpus.images
    assert corpus.name == "COCO 2014" and corpus.splits() == ["val"]
    assert a.path == tmp_path / "val2014" / "a.jpg" and a.image_id == "7"  # COCO's own layout found
    assert a.captions["caption"] == ["A dog leaps for a frisbee.", "A dog playing in a park."]
    assert a.captions["object"] == ["a dog and a frisbee"]
    assert a.captions["layout"] == [
        "a dog on the left and a frisbee at the top right; the frisbee is to the right of the dog"
    ]
    assert b.captions["object"] == ["two dogs"]
    assert b.captions["layout"] == [
        "a dog at the top left and a dog at the top right; the smaller dog is to the right of the larger dog"
    ]
    assert c.captions == {} and c.facts is None  # no captions, no objects
    assert a.facts is not None and [o.label for o in a.facts.objects] == ["dog", "frisbee"]
    assert a.facts.objects[1].box == (0.7812, 0.0417, 0.9375, 0.1667)
    assert a.facts.objects[0].attributes == {"position": "left"}
    assert a.facts.relations == [Relation(1, "right of", 0)]
    assert corpus.levels() == ["object", "layout", "caption"]
    assert corpus.references("val", "object") == {"7": ["a dog and a frisbee"], "8": ["two dogs"]}
    assert set(corpus.facts("val")) == {"7", "8"} and corpus.references("train", "object") == {}
    assert load_corpus(caps, image_root=tmp_path / "x").images[0].path == tmp_path / "x" / "a.jpg"


def test_object_level_counts_order_and_words() -> None:
    def obj(label: str, side: float, x: float = 0.0) -> CocoObject:
        return CocoObject(label, (x, 0.5, x + side, 0.5 + side))

    objects = [obj("person", 0.3), obj("person", 0.2), obj("apple", 0.25), obj("wine glass", 0.1)]
    objects += [obj("wine glass", 0.1), obj("bus", 0.05), obj("zebra", 0.4, x=0.5)]
    text, layout, facts = derive_references(sorted(objects, key=lambda o: -o.area))
    # most frequent first; ties by total area: people (0.13) before wine glasses (0.02); at most four
    assert text == "two people, two wine glasses, a zebra and an apple"
    assert layout == (
        "a zebra at the bottom right, a person on the left and an apple on the left; "
        "the person is to the left of the zebra"
    )
    assert len(facts.objects) == 7 and facts.relations == [Relation(1, "left of", 0)]
    many = derive_references([obj("bus", 0.1)] * 12)[0]
    assert many == "many buses"


def test_karpathy_json_with_levels_and_instances_by_cocoid(tmp_path: Path) -> None:
    doc = {
        "dataset": "coco",
        "images": [
            {"filepath": "val2014", "filename": "x.jpg", "split": "test", "cocoid": 7,
             "sentences": [{"raw": "a dog and a frisbee"}, {"raw": "a dog", "level": "object"}]},
            {"filename": "y.jpg", "split": "restval", "sentences": [{"raw": "a cat"}]},
        ],
    }  # fmt: skip
    path = _json(tmp_path / "dataset_coco.json", doc)
    corpus = load_corpus(path, instances=[_json(tmp_path / "inst.json", INSTANCES)])
    x, y = corpus.images
    assert corpus.name == "coco" and x.path == tmp_path / "val2014" / "x.jpg" and x.split == "test"
    assert x.captions["object"] == ["a dog"]  # the file's own object level wins over the derived one
    assert x.captions["layout"][0].startswith("a dog on the left") and x.facts is not None
    assert y.split == "train" and y.image_id == "y.jpg" and y.facts is None  # no id: the file name
    assert corpus.references("test", "caption") == {"7": ["a dog and a frisbee"]}


def test_three_scenes_formats_agree(tmp_path: Path) -> None:
    folder = load_corpus(SCENES)
    records = read_captions_jsonl(SCENES / "captions.jsonl")
    assert folder.name == "scenes-seed3" and len(folder) == len(records) == 6
    assert folder.levels() == ["object", "attribute", "layout", "caption"]
    assert folder.images[0].path == SCENES / "images" / "000000.png" and folder.images[0].path.exists()
    assert folder.facts(None) == {str(r.index): r.facts for r in records}
    karpathy = load_corpus(SCENES / "karpathy.json")
    assert karpathy.name == folder.name
    for split in folder.splits():
        coco = load_corpus(SCENES / f"coco_captions_{split}.json")
        assert coco.splits() == [split]
        for level in folder.levels():
            want = folder.references(split, level)
            assert karpathy.references(split, level) == want == coco.references(split, level)
            assert want


def test_incomplete_scenes_dataset_is_refused(tmp_path: Path) -> None:
    _json(tmp_path / "metadata.json", {"format": "multicap-scenes/1", "status": "incomplete"})
    with pytest.raises(DataError, match="incomplete; rerun `multicap data scenes`"):
        load_corpus(tmp_path)


def test_caption_folder_line_styles_merge(tmp_path: Path) -> None:
    lines = [
        {"file": "a.jpg", "captions": ["a dog", "a brown dog"]},
        {"file": "b.jpg", "split": "val",
         "captions": {"object": ["two dogs"], "layout": ["a dog on the left"]}},
        {"file": "a.jpg", "caption": "one dog", "level": "object"},
        {"file": "c.jpg", "texts": {"object": ["a ball"]}, "image_id": 42,
         "facts": {"objects": [{"label": "ball", "box": [0, 0, 0.5, 0.5]}]}},
    ]  # fmt: skip
    (tmp_path / "captions.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    corpus = load_corpus(tmp_path)
    a, b, c = corpus.images
    assert corpus.name == tmp_path.name and a.path == tmp_path / "a.jpg" and a.image_id == "a.jpg"
    assert a.captions == {"caption": ["a dog", "a brown dog"], "object": ["one dog"]}
    assert b.split == "val" and corpus.references("val", "layout") == {"b.jpg": ["a dog on the left"]}
    assert c.image_id == "42" and c.facts is not None and c.facts.objects[0].box == (0, 0, 0.5, 0.5)
    assert corpus.facts("train") == {"42": c.facts}
    assert corpus.references(None, "object") == {
        "a.jpg": ["one dog"],
        "b.jpg": ["two dogs"],
        "42": ["a ball"],
    }
    same = load_corpus(tmp_path / "captions.jsonl", image_root=tmp_path / "imgs")
    assert isinstance(same, Corpus) and same.images[0].path == tmp_path / "imgs" / "a.jpg"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.json", None, "no such file or folder"),
        ("bad.json", "{not json", "not valid JSON"),
        (
            "other.json",
            json.dumps({"hello": 1}),
            "no 'annotations' list; expected COCO captions JSON, Karpathy",
        ),
        ("karpathy.json", json.dumps({"images": [{"sentences": []}]}), "has no 'filename'"),
        (
            "captions_x.json",
            json.dumps({"images": [], "annotations": [{"image_id": 1}]}),
            "annotation 0 needs",
        ),
        (
            "captions.jsonl",
            '{"file": "a.jpg", "captions": ["x"]}\n{"captions": ["y"]}\n',
            "captions.jsonl:2: ",
        ),
        ("captions.jsonl", '{"file": "a.jpg", "captions": [1]}\n', "must be a list of strings"),
    ],
)
def test_malformed_input_is_one_line_naming_the_file(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match="^" + str(path).replace(".", r"\.")) as err:
        load_corpus(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_folder_without_captions_and_misplaced_instances(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no captions\.jsonl here"):
        load_corpus(tmp_path)
    (tmp_path / "captions.jsonl").write_text('{"file": "a.jpg", "caption": "x"}\n')
    with pytest.raises(DataError, match="instances= applies to COCO"):
        load_corpus(tmp_path, instances=tmp_path / "instances.json")
