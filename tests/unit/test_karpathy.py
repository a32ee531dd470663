"""The Karpathy split JSON reader: levels, paths, restval, tokens, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multicap.data.karpathy import read_karpathy
from multicap.errors import DataError

FLICKR_LIKE = {
    "dataset": "flickr8k",
    "images": [
        {
            "filename": "1000268201.jpg",
            "split": "train",
            "imgid": 0,
            "sentences": [
                {"raw": "A child in a pink dress.", "tokens": ["a", "child", "in", "a", "pink", "dress"]},
                {"raw": "A girl going into a wooden building ."},
            ],
        },
        {
            "filepath": "val2014",
            "filename": "COCO_val2014_000000391895.jpg",
            "split": "restval",
            "cocoid": 391895,
            "level": "object",
            "sentences": [{"raw": "a man and a bike"}, {"raw": "a man on a bike", "level": "layout"}],
        },
    ],
}


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps(doc))
    return path


def test_reads_levels_paths_ids_and_tokens(tmp_path: Path) -> None:
    data = read_karpathy(_write(tmp_path, FLICKR_LIKE), image_root=tmp_path / "imgs")
    first, second = data.images
    assert data.name == "flickr8k"
    assert first.path == tmp_path / "imgs" / "1000268201.jpg" and first.image_id == 0
    assert [s.level for s in first.sentences] == ["caption", "caption"]
    assert first.sentences[0].tokens == ("a", "child", "in", "a", "pink", "dress")  # the file's own
    assert first.sentences[1].tokens == ()  # none in the file: the caption is tokenised where it is used
    assert second.path == tmp_path / "imgs" / "val2014" / "COCO_val2014_000000391895.jpg"
    assert second.image_id == 391895 and second.split == "train"  # restval merged
    assert [s.level for s in second.sentences] == ["object", "layout"]
    assert second.texts("layout") == ["a man on a bike"]


def test_split_filter_and_restval_kept_apart(tmp_path: Path) -> None:
    path = _write(tmp_path, FLICKR_LIKE)
    assert [im.split for im in read_karpathy(path, merge_restval=False).images] == ["train", "restval"]
    assert len(read_karpathy(path, splits={"test"}).images) == 0
    assert read_karpathy(path).images[0].path.parent == tmp_path  # default root: the JSON's folder


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ("{not json", "not valid JSON"), ({"images": 3}, "no 'images' list"),
     ({"images": [{"split": "train"}]}, "image 0 has no 'filename'")],
)  # fmt: skip
def test_errors_name_the_problem(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "dataset.json"
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_text(json.dumps(content))
    with pytest.raises(DataError, match=message):
        read_karpathy(path)


def test_a_captioner_learns_the_files_tokens_where_they_are_not_the_sentences_words(tmp_path: Path) -> None:
    """A file's tokens that segment what multicap's tokenizer cannot (Chinese) are what a captioner learns
    to say; tokens that are the raw sentence's own words leave the sentence as it is, so a corpus is never
    half with punctuation and half without."""
    from multicap.captioning.batches import _targets
    from multicap.data.loading import load_corpus

    doc = {
        "images": [
            {
                "filename": "a.jpg", "split": "train", "imgid": 0,
                "sentences": [
                    {"raw": "一个穿粉色裙子的孩子", "tokens": ["一个", "穿", "粉色", "裙子", "的", "孩子"]},
                    {"raw": "A child in a pink dress.", "tokens": ["a", "child", "in", "a", "pink", "dress"]},
                    {"raw": "A girl going into a wooden building ."},
                ],
            }
        ]
    }  # fmt: skip
    (image,) = load_corpus(_write(tmp_path, doc)).images
    assert _targets(image, "caption", 16) == [
        ["一个", "穿", "粉色", "裙子", "的", "孩子"],
        ["a", "child", "in", "a", "pink", "dress", "."],
        ["a", "girl", "going", "into", "a", "wooden", "building", "."],
    ]
    assert image.captions["caption"][0] == "一个穿粉色裙子的孩子"  # references stay as written
    assert _targets(image, "caption", 3)[0] == ["一个", "穿", "粉色"]


def test_an_empty_images_list_is_said_as_such(tmp_path: Path) -> None:
    """{"images": []} was "no 'annotations' list; expected COCO captions JSON, ...": it is empty."""
    from multicap.data.loading import load_corpus

    with pytest.raises(DataError, match="its 'images' list is empty"):
        load_corpus(_write(tmp_path, {"images": []}))
