"""An image that is not in the index is embedded from what the index stores, in NumPy, without torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from multicap.index import needs_model, search_index
from multicap.index.build import index_paths
from multicap.index.image_side import IMAGE_FILE, load_image_side
from multicap.index.models import open_index_model, open_model
from multicap.index.store import IndexStore

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "photos"
OUTSIDE = [REPO / "benchmarks" / "photos" / "clock.jpg", EXAMPLES / "astronaut.jpg"]


@pytest.fixture(scope="module", params=["grounded-no-people", "labels"])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("image-side")
    photos = tmp / "photos"
    photos.mkdir()
    for name in ("chelsea.jpg", "coffee.jpg", "rocket.jpg", "camera.jpg"):
        shutil.copy(EXAMPLES / name, photos / name)
    root = tmp / "index"
    index_paths(root, [photos], open_model(request.param))
    return root


def _identity(root: Path) -> dict:
    with IndexStore(root / "meta.sqlite") as store:
        return store.get_meta("identity")


def test_the_stored_side_embeds_as_the_model_does(index: Path) -> None:
    side = load_image_side(index, _identity(index))
    assert side is not None
    model = open_index_model(index)
    for path in OUTSIDE:
        want, _ = model.process([path], [model.load(path)])
        got = side.embed(path)
        assert got.shape == want[0].shape and got.dtype == np.float32
        np.testing.assert_allclose(got, want[0], atol=1e-5)


def test_an_outside_image_is_searched_without_the_model_as_with_it(index: Path) -> None:
    model = open_index_model(index)
    for path in OUTSIDE:
        assert not needs_model(index, image=path)
        alone = search_index(index, image=path, k=4)
        loaded = search_index(index, image=path, k=4, model=model)
        assert [(h.path, round(h.score, 5)) for h in alone.hits] == [
            (h.path, round(h.score, 5)) for h in loaded.hits
        ]


def test_a_side_written_for_another_model_is_not_used(index: Path, tmp_path: Path) -> None:
    assert load_image_side(index, {**_identity(index), "model": "another"}) is None
    copy = tmp_path / "copy"
    shutil.copytree(index, copy)
    (copy / IMAGE_FILE).write_bytes(b"damaged")
    assert load_image_side(copy, _identity(copy)) is None
    assert needs_model(copy, image=OUTSIDE[0])


def test_the_cli_searches_an_outside_image_without_torch(index: Path) -> None:
    code = (
        "import json, sys\n"
        "from multicap.cli.main import _run\n"
        f"code = _run(['search', '--image', {str(OUTSIDE[0])!r}, '--index', {str(index)!r}, '--json'])\n"
        "print(json.dumps({'code': code, 'torch': 'torch' in sys.modules}), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert json.loads(run.stderr.strip().splitlines()[-1]) == {"code": 0, "torch": False}
    assert len([line for line in run.stdout.splitlines() if line.startswith("{")]) == 4


def test_an_indexed_file_edited_since_is_searched_by_what_it_shows_now(tmp_path: Path) -> None:
    """A walkthrough overwrote an indexed photo with another: `search --image` on it had ranked the file
    itself first, by the vector of what it had shown, with no word of the change."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("chelsea.jpg", "coffee.jpg", "rocket.jpg"):
        shutil.copy(EXAMPLES / name, photos / name)
    root = tmp_path / "index"
    index_paths(root, [photos], open_model("grounded-no-people"))
    shutil.copy(photos / "rocket.jpg", photos / "chelsea.jpg")  # the cat is a rocket now
    result = search_index(root, image=photos / "chelsea.jpg", k=2)
    assert result.hits[0].path.endswith("rocket.jpg") and result.hits[0].score > 0.999, result.hits
    assert any("changed since it was indexed" in note for note in result.notes), result.notes
    unchanged = search_index(root, image=photos / "coffee.jpg", k=1)
    assert unchanged.hits[0].path.endswith("coffee.jpg") and not unchanged.notes
    os.utime(photos / "coffee.jpg", (1, 1))  # touched only: the same content, its stored vector
    assert not search_index(root, image=photos / "coffee.jpg", k=1).notes
    (photos / "coffee.jpg").rename(tmp_path / "away.jpg")  # gone since (a drive not mounted): its stored
    gone = search_index(root, image=photos / "coffee.jpg", k=1)  # vector answers, as before (a review)
    assert gone.hits[0].path.endswith("coffee.jpg") and gone.hits[0].score > 0.999 and not gone.notes
