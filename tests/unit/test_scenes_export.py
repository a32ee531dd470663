"""Dataset writing: formats that load in the readers, byte-identical regeneration, resume, refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multicap.data.karpathy import read_karpathy
from multicap.data.scenes import ScenesConfig, generate_dataset, parse, read_captions_jsonl
from multicap.errors import DataError

CONFIG = ScenesConfig(n=40, size=64, seed=5)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenes")
    result = generate_dataset(out, CONFIG, workers=1)
    assert result.rendered == CONFIG.n and result.skipped == 0
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "images").glob("*.png"))}


def test_karpathy_export_loads_in_the_captioner_reader(dataset: Path) -> None:
    data = read_karpathy(dataset / "karpathy.json")
    assert len(data.images) == CONFIG.n and data.levels() == ["attribute", "caption", "layout", "object"]
    records = {r.index: r for r in read_captions_jsonl(dataset / "captions.jsonl")}
    for image in data.images:
        assert image.path.is_file()
        rec = records[image.image_id]  # type: ignore[index]
        assert image.split == rec.split
        for level in ("object", "attribute", "layout", "caption"):
            assert image.texts(level) == rec.texts[level] and len(image.texts(level)) >= 3
        assert all(s.tokens and s.tokens[0].isalpha() for s in image.sentences)
    assert {im.split for im in data.images} <= {"train", "val", "test", "test_comp"}
    assert len(data.split("train")) > CONFIG.n // 2


def test_coco_and_jsonl_exports_agree(dataset: Path) -> None:
    records = read_captions_jsonl(dataset / "captions.jsonl")
    n_coco = 0
    for path in dataset.glob("coco_captions_*.json"):
        doc = json.loads(path.read_text())
        split = path.stem.removeprefix("coco_captions_")
        ids = {im["id"] for im in doc["images"]}
        assert ids == {r.index for r in records if r.split == split}
        assert all(a["image_id"] in ids and a["level"] for a in doc["annotations"])
        assert all((dataset / im["file_name"]).is_file() for im in doc["images"])
        n_coco += len(doc["images"])
    assert n_coco == CONFIG.n
    # The sentences state the facts stored beside them.
    for rec in records[:10]:
        assert [o.label for o in parse(rec.texts["layout"][0]).objects] == [
            o.label for o in rec.facts.objects
        ]


def test_metadata_holds_config_splits_and_stats(dataset: Path) -> None:
    meta = json.loads((dataset / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["config"] == CONFIG.to_dict()
    assert meta["splits"]["held_out"]["pairs"] and meta["splits"]["held_out"]["relations"]
    stats = meta["stats"]
    assert sum(stats["counts"]["split"].values()) == CONFIG.n
    assert sum(stats["counts"]["shape"].values()) == sum(
        int(k) * v for k, v in stats["counts"]["objects_per_scene"].items()
    )
    assert set(stats["levels"]) == {"object", "attribute", "layout", "caption"}
    assert stats["levels"]["object"]["sentences"] == 3 * CONFIG.n
    assert stats["vocabulary_size"] > 50


def test_regenerating_gives_identical_bytes_and_resumes(dataset: Path, tmp_path: Path) -> None:
    again = generate_dataset(tmp_path, CONFIG, workers=1)  # two processes: tests/cli/test_data_cli.py
    assert _files(tmp_path) == _files(dataset)
    for name in ("captions.jsonl", "karpathy.json", "coco_captions_train.json"):
        assert (tmp_path / name).read_bytes() == (dataset / name).read_bytes()
    assert again.rendered == CONFIG.n
    for name in ("000003.png", "000017.png"):
        (tmp_path / "images" / name).unlink()
    resumed = generate_dataset(tmp_path, CONFIG, workers=1)
    assert (resumed.rendered, resumed.skipped) == (2, CONFIG.n - 2)
    assert _files(tmp_path) == _files(dataset)


def test_a_different_dataset_is_refused_unless_forced(dataset: Path, tmp_path: Path) -> None:
    generate_dataset(tmp_path, ScenesConfig(n=4, size=48, seed=1), workers=1)
    with pytest.raises(DataError, match=r"different multicap-scenes/1 output .*seed 1 -> 2.*--force"):
        generate_dataset(tmp_path, ScenesConfig(n=4, size=48, seed=2), workers=1)
    result = generate_dataset(tmp_path, ScenesConfig(n=3, size=48, seed=2), workers=1, force=True)
    assert result.rendered == 3 and len(list((tmp_path / "images").glob("*.png"))) == 3
    (tmp_path / "other" / "images").mkdir(parents=True)
    (tmp_path / "other" / "images" / "mine.png").write_text("not ours")
    for force in (False, True):  # a folder that is not a dataset is never cleared
        with pytest.raises(DataError, match="not empty"):
            generate_dataset(tmp_path / "other", ScenesConfig(n=3, size=48), workers=1, force=force)
    assert (tmp_path / "other" / "images" / "mine.png").exists()


def test_force_regenerates_and_another_generator_version_is_refused(tmp_path: Path) -> None:
    config = ScenesConfig(n=3, size=48)
    generate_dataset(tmp_path, config, workers=1)
    (tmp_path / "images" / "000001.png").write_bytes(b"stale")
    assert generate_dataset(tmp_path, config, workers=1, force=True).rendered == 3
    assert (tmp_path / "images" / "000001.png").read_bytes()[:4] == b"\x89PNG"
    meta = json.loads((tmp_path / "metadata.json").read_text())
    (tmp_path / "metadata.json").write_text(json.dumps({**meta, "generator": 0}))
    with pytest.raises(DataError, match=r"generator version 0.*--force"):
        generate_dataset(tmp_path, config, workers=1)
