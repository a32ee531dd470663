"""The caption-scoring API, METEOR's unavailable path, and the caption file readers."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from multicap.errors import DataError, UnknownNameError
from multicap.evaluation import (
    evaluate_captions,
    evaluate_levels,
    find_meteor_jar,
    meteor,
    read_predictions,
    read_references,
)

# The package re-exports the function `meteor`, which hides the module of the same name.
meteor_module = importlib.import_module("multicap.evaluation.meteor")

PREDS = {1: "A dog runs on the beach.", 2: "Two cats sleep on a red sofa!"}
REFS = {
    1: ["A dog running on the beach.", "A brown dog on the sand", "The dog runs by the sea."],
    2: ["Two cats sleeping on a sofa.", "Cats asleep on a red couch", "Two kittens on a sofa"],
}
FAST = ("bleu", "rouge", "cider")


def test_evaluate_captions_tokenises_and_reports_every_column() -> None:
    report = evaluate_captions(PREDS, REFS, metrics=FAST)
    assert list(report.scores) == ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D"]
    assert 0.5 < report.scores["BLEU-1"] <= 1.0
    rows = report.per_image()
    assert [r["image_id"] for r in rows] == [1, 2]
    assert rows[0]["caption"] == PREDS[1] and "CIDEr-D" in rows[0]
    # Tokenisation matters: the same text untokenised keeps "beach." apart from "beach".
    raw = evaluate_captions(PREDS, REFS, metrics=("bleu",), tokenize=False)
    assert raw.scores["BLEU-1"] < report.scores["BLEU-1"]


def test_mismatched_images_name_the_ids() -> None:
    with pytest.raises(DataError, match=r"1 image\(s\) have a caption but no references: 3"):
        evaluate_captions({**PREDS, 3: "x"}, REFS, metrics=FAST)
    with pytest.raises(DataError, match="references but no caption: 2"):
        evaluate_captions({1: PREDS[1]}, REFS, metrics=FAST)
    with pytest.raises(UnknownNameError, match="unknown metric"):
        evaluate_captions(PREDS, REFS, metrics=("spice",))


def test_evaluate_levels_scores_each_level() -> None:
    preds = {"object": {1: "a dog"}, "layout": {1: "a dog on the left"}}
    refs = {
        "object": {1: ["a dog"]},
        "layout": {1: ["a dog on the right"]},
        "attribute": {1: ["a brown dog"]},
    }
    out = evaluate_levels(preds, refs, metrics=("rouge",))
    assert set(out) == {"object", "layout"}
    assert out["object"].scores["ROUGE-L"] == 1.0 > out["layout"].scores["ROUGE-L"]
    with pytest.raises(DataError, match="no references at level"):
        evaluate_levels({"caption": {1: "a dog"}}, refs)


def test_meteor_without_java_is_unavailable_not_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meteor_module.shutil, "which", lambda name: None)
    result = meteor({1: "a dog"}, {1: ["a dog"]})
    assert not result.available and result.scores == {}
    assert result.unavailable == "java is not on the PATH (METEOR 1.5 runs as a Java program)"
    report = evaluate_captions(PREDS, REFS)
    assert "METEOR" not in report.scores and "CIDEr-D" in report.scores
    assert "java" in report.unavailable["METEOR"]


def test_meteor_without_pycocoevalcap_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meteor_module.importlib.util, "find_spec", lambda name: None)
    said = "pycocoevalcap is not installed (pip install -e '.[meteor]' in multicap's folder)"
    assert find_meteor_jar() == (None, said)
    result = meteor({1: "a dog"}, {1: ["a dog"]}, java="java")
    assert not result.available and "pycocoevalcap is not installed" in (result.unavailable or "")


def test_meteor_with_a_broken_java_is_unavailable(tmp_path: Path) -> None:
    pytest.importorskip("pycocoevalcap")
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho 'no JVM here' >&2\nexit 3\n")
    fake.chmod(0o755)
    result = meteor({1: "a dog"}, {1: ["a dog"]}, java=str(fake))
    assert not result.available and "no JVM here" in (result.unavailable or "")


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_read_coco_results_and_annotations(tmp_path: Path) -> None:
    preds = _write(
        tmp_path / "res.json", [{"image_id": 1, "caption": "a dog"}, {"image_id": "2", "caption": "x"}]
    )
    assert read_predictions(preds) == {"caption": {1: "a dog", 2: "x"}}
    # an object of image id → caption, and a file saved with a byte-order mark: read (both had been refused)
    shaped = tmp_path / "dict.json"
    shaped.write_text('{"1": "a dog", "2": "x"}', encoding="utf-8-sig")
    assert read_predictions(shaped) == {"caption": {1: "a dog", 2: "x"}}
    ann = {"annotations": [{"image_id": 1, "id": 9, "caption": "A dog."}, {"image_id": 1, "caption": "Dog"}]}
    assert read_references(_write(tmp_path / "captions.json", ann)) == {"caption": {1: ["A dog.", "Dog"]}}
    saved = tmp_path / "bom_captions.json"  # with a byte-order mark: read as without (COCO's, Karpathy's)
    saved.write_text(json.dumps(ann), encoding="utf-8-sig")
    assert read_references(saved) == {"caption": {1: ["A dog.", "Dog"]}}
    levels = {"annotations": [  # the scenes' coco_captions_*.json: each caption says its level
        {"image_id": 1, "caption": "two crosses", "level": "object"},
        {"image_id": 1, "caption": "a red cross and a blue cross", "level": "caption"},
    ]}  # fmt: skip
    assert read_references(_write(tmp_path / "levels.json", levels)) == {
        "object": {1: ["two crosses"]},
        "caption": {1: ["a red cross and a blue cross"]},
    }  # they had been merged: a caption scored against every level's references
    # a COCO file is one split, the word after captions_ in its name: that word given is no error (the help
    # says so; "has no splits" had refused it), another is
    val = _write(tmp_path / "captions_val2014.json", ann)
    assert read_references(val, split="val2014") == {"caption": {1: ["A dog.", "Dog"]}}
    with pytest.raises(DataError, match=r"is one split \(val2014, from its name\); drop --split"):
        read_references(val, split="test")
    with pytest.raises(DataError, match="has no splits"):
        read_references(tmp_path / "captions.json", split="test")


def test_read_karpathy_references_by_level_and_split(tmp_path: Path) -> None:
    doc = {
        "dataset": "scenes",
        "images": [
            {"filename": "a.png", "imgid": 0, "split": "test", "sentences": [
                {"raw": "a red circle", "level": "attribute"}, {"raw": "a circle", "level": "object"}]},
            {"filename": "b.png", "imgid": 1, "split": "train", "sentences": [{"raw": "a square"}]},
        ],
    }  # fmt: skip
    path = _write(tmp_path / "karpathy.json", doc)
    path.write_text(json.dumps(doc), encoding="utf-8-sig")  # with a byte-order mark: read as without
    assert read_references(path, split="test") == {
        "attribute": {0: ["a red circle"]},
        "object": {0: ["a circle"]},
    }
    assert read_references(path)["caption"] == {1: ["a square"]}
    with pytest.raises(DataError, match="no images in split 'val'"):
        read_references(path, split="val")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"a": 1}', "expected a JSON list"),
        ('[{"image_id": 1}]', "entry 0 needs an 'image_id' and a 'caption'"),
        ('[{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": "b"}]', "more than one caption"),
    ],
)
def test_bad_prediction_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "res.json"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_predictions(path)
    with pytest.raises(DataError, match="no such file"):
        read_predictions(tmp_path / "missing.json")


def test_image_ids_match_as_pycocotools_does(tmp_path: Path) -> None:
    """42.0 (pandas) is 42; "01" is not 1 (their captions had been merged); "²" is a string (int() failed)."""
    from multicap.evaluation.caption_files import image_key

    assert [image_key(v) for v in (42, 42.0, "42", "042", "²", True)] == [42, 42, 42, "042", "²", "True"]
    rows = [{"image_id": 1.0, "caption": "a dog"}, {"image_id": "01", "caption": "a cat"}]
    assert read_predictions(_write(tmp_path / "res.json", rows)) == {"caption": {1: "a dog", "01": "a cat"}}
    lines = tmp_path / "res.jsonl"  # JSON Lines, as many tools write results
    lines.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert read_predictions(lines) == {"caption": {1: "a dog", "01": "a cat"}}


def test_karpathy_restval_duplicates_and_bad_entries(tmp_path: Path) -> None:
    def image(name: str, cocoid: object, split: str, raw: str) -> dict[str, object]:
        return {"filename": name, "cocoid": cocoid, "split": split, "sentences": [{"raw": raw}]}

    doc = {"images": [image("a.jpg", 1, "restval", "a dog"), image("b.jpg", 2, "train", "a cat")]}
    path = _write(tmp_path / "k.json", doc)
    assert read_references(path, split="restval") == {"caption": {1: ["a dog"]}}  # had been unreachable
    assert read_references(path, split="train") == {"caption": {1: ["a dog"], 2: ["a cat"]}}  # as Karpathy
    twice = _write(
        tmp_path / "twice.json", {"images": [image("a.jpg", 1, "test", "a"), image("c.jpg", 1, "test", "b")]}
    )
    with pytest.raises(DataError, match=r"a\.jpg and c\.jpg have the same id 1"):  # had been merged
        read_references(twice)
    bad = _write(tmp_path / "bad.json", {"images": [image("a.jpg", "abc", "test", "a dog")]})
    with pytest.raises(DataError, match=r"bad\.json: image 0: cocoid 'abc' is not a whole number"):
        read_references(bad)
    tokens = {"images": [{"filename": "a.jpg", "cocoid": 1, "sentences": [{"tokens": ["a", "dog"]}]}]}
    assert read_references(_write(tmp_path / "t.json", tokens)) == {"caption": {1: ["a dog"]}}  # had been ""
    number = {"images": [{"filename": "a.jpg", "sentences": [{"raw": 5}]}]}
    with pytest.raises(DataError, match=r"n\.json: image 0: sentence 0 has no 'raw' text \(got 5\)"):
        read_references(_write(tmp_path / "n.json", number))
    strings = _write(tmp_path / "s.json", {"images": [{"filename": "a.jpg", "sentences": ["a dog"]}]})
    with pytest.raises(DataError, match=r"s\.json: image 0: 'sentences' must be a list of objects"):
        read_references(strings)


def test_files_score_the_predicted_images_in_the_references_order(tmp_path: Path) -> None:
    """As coco-caption: a test split scored against all of val2014's annotations (had been refused), and
    captions tokenised in the order of the annotation file's images (its lexer reads across captions)."""
    from multicap.evaluation import evaluate_files

    preds = _write(
        tmp_path / "res.json",
        [{"image_id": 1, "caption": "The dog runs"}, {"image_id": 2, "caption": "a sign with the letter b"}],
    )
    ann = {"images": [{"id": 2}, {"id": 1}, {"id": 3}], "annotations": [
        {"image_id": 1, "caption": "The dog runs"}, {"image_id": 2, "caption": "a sign with the letter B."},
        {"image_id": 3, "caption": "a bird"}]}  # fmt: skip
    said: list[tuple[str, int, int]] = []
    scores = evaluate_files(preds, _write(tmp_path / "ann.json", ann), metrics=("bleu",),
                            left_out=lambda *a: said.append(a))  # fmt: skip
    assert said == [("caption", 1, 2)]
    stray = [{"image_id": 9, "caption": "a bird"}, {"image_id": 1, "caption": "x"}]
    with pytest.raises(DataError, match="have a caption but no references"):  # said only once scored
        evaluate_files(_write(tmp_path / "stray.json", stray), tmp_path / "ann.json", metrics=("bleu",),
                       left_out=lambda *a: said.append(a))  # fmt: skip
    assert said == [("caption", 1, 2)]
    rows = {row["image_id"]: row for row in scores["caption"].per_image()}
    assert [row["image_id"] for row in scores["caption"].per_image()] == [1, 2]  # the predictions' order
    # image 2 comes first: "B." before "The" ends a sentence, so its period goes (as in coco-caption)
    assert rows[2]["BLEU-1"] == pytest.approx(1.0) and rows[1]["BLEU-1"] == pytest.approx(1.0)


def test_predictions_without_a_level_take_the_references_only_level(tmp_path: Path) -> None:
    """Object references and unlabelled predictions had been refused ("no references at level caption");
    a prediction that names its level still keeps it."""
    from multicap.evaluation import evaluate_files

    ann = {"images": [{"id": 1}], "annotations": [{"image_id": 1, "caption": "a dog", "level": "object"}]}
    refs = _write(tmp_path / "ann.json", ann)
    scores = evaluate_files(_write(tmp_path / "p.json", [{"image_id": 1, "caption": "a dog"}]), refs,
                            metrics=("bleu",))  # fmt: skip
    assert list(scores) == ["object"]
    named = _write(tmp_path / "n.json", [{"image_id": 1, "caption": "a dog", "level": "caption"}])
    with pytest.raises(DataError, match="no references at level"):
        evaluate_files(named, refs, metrics=("bleu",))
