"""`multicap evaluate --predictions --references`, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from multicap.evaluation import evaluate_captions

# The installed console script (`python -m multicap.cli.main` would register commands on a second `app`).
MULTICAP = [str(Path(sys.executable).with_name("multicap"))]
EXAMPLES_SCENES = Path(__file__).resolve().parents[2] / "examples" / "scenes"
PREDS = [
    {"image_id": 1, "caption": "A dog runs on the beach."},
    {"image_id": 2, "caption": "Two cats sleep on a red sofa!"},
]
ANNOTATIONS = {
    "images": [{"id": 1}, {"id": 2}],
    "annotations": [
        {"image_id": 1, "id": 10, "caption": "A dog running on the beach."},
        {"image_id": 1, "id": 11, "caption": "A brown dog on the sand"},
        {"image_id": 2, "id": 12, "caption": "Two cats sleeping on a sofa."},
        {"image_id": 2, "id": 13, "caption": "Cats asleep on a red couch"},
    ],
}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MULTICAP, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    preds, refs = tmp_path / "results.json", tmp_path / "captions.json"
    preds.write_text(json.dumps(PREDS))
    refs.write_text(json.dumps(ANNOTATIONS))
    return preds, refs


def test_table_on_stdout(files: tuple[Path, Path]) -> None:
    preds, refs = files
    done = _run(
        "evaluate", "--predictions", str(preds), "--references", str(refs), "--metrics", "bleu,rouge,cider"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "level caption (2 images)"
    assert lines[1].split() == ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D"]
    expected = evaluate_captions({p["image_id"]: p["caption"] for p in PREDS}, {1: [a["caption"] for a in
        ANNOTATIONS["annotations"][:2]], 2: [a["caption"] for a in ANNOTATIONS["annotations"][2:]]},
        metrics=("bleu", "rouge", "cider")).scores  # fmt: skip
    assert [float(v) for v in lines[2].split()] == pytest.approx([round(v, 4) for v in expected.values()])
    assert done.stderr == ""


def test_json_and_per_image_file_without_java(files: tuple[Path, Path], tmp_path: Path) -> None:
    preds, refs = files
    out = tmp_path / "scores" / "per_image.json"
    env = {**os.environ, "PATH": str(tmp_path / "no-java-here")}
    for own in (preds, refs):  # its own input: refused, kept (the scores had replaced it)
        kept = own.read_bytes()
        refused = _run("evaluate", "-p", str(preds), "-r", str(refs), "--out", str(own), env=env)
        assert refused.returncode == 1 and "which it would overwrite" in refused.stderr
        assert own.read_bytes() == kept
    done = _run("evaluate", "-p", str(preds), "-r", str(refs), "--json", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # one JSON object
    level = doc["levels"]["caption"]
    assert "METEOR" not in level["scores"] and set(level["scores"]) >= {"BLEU-4", "ROUGE-L", "CIDEr-D"}
    assert level["unavailable"]["METEOR"].startswith("java is not on the PATH")
    assert done.stderr.strip().splitlines() == [
        "warning: METEOR unavailable at level caption: "
        "java is not on the PATH (METEOR 1.5 runs as a Java program)"
    ]
    rows = json.loads(out.read_text())["levels"]["caption"]["images"]
    assert [r["image_id"] for r in rows] == [1, 2] and rows[1]["caption"] == PREDS[1]["caption"]
    assert all("CIDEr-D" in r and "BLEU-4" in r for r in rows)
    alone = _run("evaluate", "-p", str(preds), "-r", str(refs), "--metrics", "meteor", "--json", env=env)
    assert alone.returncode == 1 and alone.stdout == ""  # had printed "scores": {} with exit 0
    assert alone.stderr.splitlines() == [
        "error: no metric asked could be computed (METEOR: java is not on the PATH (METEOR 1.5 runs as a "
        "Java program))"
    ]


def test_an_empty_split_and_a_null_level(files: tuple[Path, Path], tmp_path: Path) -> None:
    """--split "" had scored the default split, unsaid; a prediction's "level": null had been level
    "None" (no references there) where it means no level, as when absent."""
    preds, refs = files
    empty = _run("evaluate", "-p", str(preds), "-r", str(refs), "--split", "")
    assert empty.returncode == 2 and "give a split's name" in empty.stderr
    nulled = tmp_path / "nulled.json"
    nulled.write_text(json.dumps([{**p, "level": None} for p in json.loads(preds.read_text())]))
    r = _run("evaluate", "-p", str(nulled), "-r", str(refs), "--metrics", "bleu", "--json")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)["levels"]) == {"caption"}


def test_karpathy_levels_and_split(tmp_path: Path) -> None:
    karpathy = {"images": [
        {"filename": "a.png", "imgid": 0, "split": "test", "sentences": [
            {"raw": "a red circle", "level": "attribute"}, {"raw": "a circle", "level": "object"}]},
        {"filename": "b.png", "imgid": 1, "split": "train", "sentences": [
            {"raw": "a square", "level": "object"}]},
    ]}  # fmt: skip
    refs = tmp_path / "karpathy.json"
    refs.write_text(json.dumps(karpathy))
    preds = tmp_path / "results.json"
    preds.write_text(json.dumps([
        {"image_id": 0, "caption": "a circle", "level": "object"},
        {"image_id": 0, "caption": "a blue circle", "level": "attribute"},
    ]))  # fmt: skip
    done = _run("evaluate", "-p", str(preds), "-r", str(refs), "--split", "test", "--metrics", "rouge")
    assert done.returncode == 0, done.stderr
    assert "level object (1 image)" in done.stdout and "level attribute (1 image)" in done.stdout


def test_mismatched_images_fail_in_one_line(files: tuple[Path, Path], tmp_path: Path) -> None:
    _, refs = files
    preds = tmp_path / "more.json"
    preds.write_text(
        json.dumps([*PREDS, {"image_id": 77, "caption": "a bird"}, {"image_id": 78, "caption": "x"}])
    )
    done = _run("evaluate", "-p", str(preds), "-r", str(refs), "--metrics", "bleu")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: level 'caption': 2 image(s) have a caption but no references: 77, 78 "
        "(score the same set of images on both sides)"
    ]


def test_references_without_a_prediction_are_left_out_and_said(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    """coco-caption's use: a test split's results against all of val2014's annotations (had been exit 1)."""
    _, refs = files
    preds = tmp_path / "one.json"
    preds.write_text(json.dumps(PREDS[:1]))
    done = _run("evaluate", "-p", str(preds), "-r", str(refs), "--metrics", "bleu", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["levels"]["caption"]["n_images"] == 1
    assert (
        "level caption: 1 image of the references has no prediction; scored the 1 that has one" in done.stderr
    )


def test_help_and_usage_errors(files: tuple[Path, Path]) -> None:
    shown = _run("evaluate", "--help")
    assert shown.returncode == 0 and "Example" in shown.stdout and "--predictions" in shown.stdout
    preds, _ = files
    missing = _run("evaluate", "-p", str(preds))
    assert missing.returncode == 2 and "--references" in missing.stderr
    unknown = _run("evaluate", "-p", str(preds), "-r", str(preds), "--metrics", "bleu")
    assert unknown.returncode == 1 and "neither COCO caption annotations" in unknown.stderr
    preds, refs = files
    none = _run("evaluate", "-p", str(preds), "-r", str(refs), "--metrics", "")
    assert none.returncode == 2 and "at least one from bleu" in none.stderr  # an empty table had exited 0
    typo = _run("evaluate", "-p", str(preds), "-r", str(refs), "--metrics", "bleu,cidr")
    assert typo.returncode == 2 and "unknown metric(s) cidr; choose from bleu" in typo.stderr
    cased = _run("evaluate", "-p", str(preds), "-r", str(refs), "--metrics", "BLEU", "--beam", "5")
    assert cased.returncode == 0 and "BLEU-4" in cased.stdout
    assert "--beam: with --model only; ignored in scoring --predictions" in cased.stderr


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a tiny captioner trained one epoch on examples/scenes, its feature cache folder)."""
    from multicap.captioning.recipe import load_recipe
    from multicap.captioning.train import train

    tmp = tmp_path_factory.mktemp("tiny_bundle")
    recipe = load_recipe(
        "scenes",
        [
            f"data.corpus={EXAMPLES_SCENES}",
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
        ],
    )
    return train(recipe).best, tmp / "features"


def test_evaluate_a_bundle_on_scenes_by_decoding(tiny_bundle: tuple[Path, Path]) -> None:
    """--model/--data: decode the split with a bundle and score it per level, fact F1 included."""
    best, features = tiny_bundle
    r = _run(
        "evaluate", "--model", str(best), "--data", str(EXAMPLES_SCENES), "--split", "test_comp",
        "--metrics", "bleu,cider", "--beam", "2", "--max-len", "12", "--json", "--features", str(features),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["settings"]["decoding"]["beam_size"] == 2 and doc["settings"]["decoding"]["max_len"] == 12
    assert set(doc["levels"]) == {"object", "attribute", "layout", "caption"}
    for entry in doc["levels"].values():
        assert {"BLEU-4", "CIDEr-D", "fact-F1"} <= entry["scores"].keys()
    r = _run("evaluate", "--model", str(best))
    assert r.returncode == 2 and "--model needs --data" in r.stderr
    import torch

    if not torch.cuda.is_available():  # --device as describe and attend have it: one line, before any work
        r = _run("evaluate", "--model", str(best), "--data", str(EXAMPLES_SCENES), "--device", "cuda")
        assert r.returncode == 1 and "CUDA is not available here: use --device cpu" in r.stderr, r.stderr


def test_evaluate_scores_a_coco_file_whole_warns_of_cut_captions_and_checks_out_first(
    tiny_bundle: tuple[Path, Path], tmp_path: Path
) -> None:
    """A one-split COCO captions file had been refused for its split; captions cut at the length limit
    went unsaid; an unwritable --out failed after the whole decode; --out could not be scored again."""
    best, features = tiny_bundle
    common = ["--model", str(best), "--metrics", "bleu", "--features", str(features)]
    split = ["--split", "test_comp"]
    coco_refs = EXAMPLES_SCENES / "coco_captions_test_comp.json"
    coco = _run("evaluate", *common, "--data", str(coco_refs), "--json")  # scored whole, not as "test"
    assert coco.returncode == 0, coco.stderr
    assert json.loads(coco.stdout)["settings"]["split"] == "test_comp"
    elsewhere = tmp_path / "renamed.json"  # a name without "captions_": its split is train, said so
    elsewhere.write_bytes(coco_refs.read_bytes())
    renamed = _run("evaluate", *common, "--data", str(elsewhere), "--image-root", str(EXAMPLES_SCENES))
    assert renamed.returncode == 1 and "its only split is 'train'" in renamed.stderr
    assert "give --split train" in renamed.stderr
    short = _run("evaluate", *common, "--data", str(EXAMPLES_SCENES), *split, "--max-len", "2")
    assert short.returncode == 0 and "reached the length limit without ending a sentence" in short.stderr
    out = tmp_path / "f" / "x" / "o.json"
    made = _run("evaluate", *common, "--data", str(EXAMPLES_SCENES), *split, "--out", str(out))
    assert made.returncode == 0 and out.is_file()  # its folder is made
    rows = json.loads(out.read_text())["levels"]["caption"]["images"]  # ids as the references' ints
    assert all(isinstance(r["image_id"], int) for r in rows), rows[:2]  # (they had been strings)
    # its per-image captions score again against the references, as a COCO result file does
    again = _run("evaluate", "-p", str(out), "-r", str(coco_refs), "--json")
    assert again.returncode == 0, again.stderr
    assert set(json.loads(again.stdout)["levels"]) == {"object", "attribute", "layout", "caption"}
    (tmp_path / "afile").write_text("x")
    under_a_file = str(tmp_path / "afile" / "o.json")
    refused = _run("evaluate", *common, "--data", str(EXAMPLES_SCENES), *split, "--out", under_a_file)
    assert refused.returncode == 1 and "afile is a file, not a folder" in refused.stderr
    assert "BLEU" not in refused.stdout


def test_evaluate_a_bundle_on_a_corpus_whose_images_start_elsewhere(tmp_path: Path) -> None:
    """A Karpathy file beside no images (the flickr8k recipe's layout, with data.image_root) had failed
    with one warning per image and "N image(s) have references but no caption"; --image-root finds them,
    and one image that cannot be read is left out of both sides, said once."""
    import shutil

    data = tmp_path / "karpathy.json"
    shutil.copy(EXAMPLES_SCENES / "karpathy.json", data)
    args = [
        "evaluate",
        "--model",
        "scenes-small",
        "--data",
        str(data),
        "--split",
        "train",
        "--metrics",
        "bleu",
    ]
    lost = _run(*args, "--features", str(tmp_path / "f1"))
    assert lost.returncode == 1 and len(lost.stderr.splitlines()) == 1  # not a warning for every image
    assert lost.stderr.startswith("error: no image of split 'train' is where the corpus says (the first:")
    assert "--image-root" in lost.stderr
    nowhere = _run(*args, "--image-root", str(tmp_path / "nowhere"))
    assert nowhere.returncode == 2 and "--image-root" in nowhere.stderr
    root = tmp_path / "root"
    shutil.copytree(EXAMPLES_SCENES / "images", root / "images")
    (root / "images" / "000003.png").write_bytes(b"not a png")
    found = _run(*args, "--image-root", str(root), "--features", str(tmp_path / "f2"), "--json")
    assert found.returncode == 0, found.stderr
    doc = json.loads(found.stdout)
    assert doc["settings"]["images"] == 4 and doc["settings"]["unread"] == 1
    assert "1 of the split's images could not be read: scored on the other 4" in found.stderr


def test_empty_predictions_are_scored_and_said(files: tuple[Path, Path], tmp_path: Path) -> None:
    """An empty caption (a decoder that says nothing) had been scored without a word."""
    _, refs = files
    preds = tmp_path / "empty.json"
    preds.write_text(json.dumps([PREDS[0], {"image_id": 2, "caption": "  "}]))
    done = _run("evaluate", "-p", str(preds), "-r", str(refs), "--metrics", "bleu")
    assert done.returncode == 0, done.stderr
    assert "warning: level caption: 1 of 2 predictions is empty (scored as they are)" in done.stderr
