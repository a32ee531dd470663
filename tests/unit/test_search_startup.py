"""A text query is answered from the index alone: no torch, no encoder, unless the query needs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from multicap.errors import ConfigError
from multicap.index import needs_model, search_index
from multicap.index.build import index_paths
from multicap.index.image_side import IMAGE_FILE
from multicap.index.models import open_index_model, open_model
from multicap.index.query_side import QUERY_FILE
from tests.conftest import write_noise_images


@pytest.fixture(scope="module")
def grounded_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("startup")
    write_noise_images(tmp / "photos", 4)
    root = tmp / "index"
    index_paths(root, [tmp / "photos"], open_model("grounded-no-people"))
    return root


def test_a_text_search_imports_no_torch(grounded_index: Path) -> None:
    code = (
        "import json, sys\n"
        "from multicap.cli.main import _run\n"
        f"code = _run(['search', 'dog on the beach', '--index', {str(grounded_index)!r}, '--json'])\n"
        "loaded = {m: m in sys.modules for m in ('torch', 'cv2', 'pydantic')}\n"
        "print(json.dumps({'code': code, **loaded}), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    result = json.loads(run.stderr.strip().splitlines()[-1])
    # (pydantic: typer 0.29 builds every option's parser with it, 75 ms of each command's start-up)
    assert result == {"code": 0, "torch": False, "cv2": False, "pydantic": False}
    assert len([line for line in run.stdout.splitlines() if line.startswith("{")]) == 4


def test_stored_class_vectors_answer_as_the_model_does(grounded_index: Path) -> None:
    assert np.load(grounded_index / QUERY_FILE).shape == (1000, 1280)
    assert not needs_model(grounded_index)
    model = open_index_model(grounded_index)
    for query in ("dog on the beach", "a red car", "coffee"):
        alone = search_index(grounded_index, query, k=4)
        loaded = search_index(grounded_index, query, k=4, model=model)
        assert [(h.path, round(h.score, 5)) for h in alone.hits] == [
            (h.path, round(h.score, 5)) for h in loaded.hits
        ]
        assert alone.concepts == loaded.concepts and alone.spaces == loaded.spaces


def test_an_index_without_class_vectors_needs_its_model_until_the_next_index_run(
    grounded_index: Path, tmp_path: Path
) -> None:
    (grounded_index / QUERY_FILE).unlink()
    assert needs_model(grounded_index)
    with pytest.raises(ConfigError, match="needs its model"):
        search_index(grounded_index, "dog")
    assert search_index(grounded_index, "dog", model=open_index_model(grounded_index)).hits
    index_paths(grounded_index, [], open_model("grounded-no-people"))  # nothing new: the file comes back
    assert not needs_model(grounded_index)
    outside = write_noise_images(tmp_path, 1, start=50)[0]
    assert not needs_model(grounded_index, image=outside)  # encoded from the stored image side
    (grounded_index / IMAGE_FILE).unlink()
    assert needs_model(grounded_index, image=outside)  # without it, by the model


def test_a_bundles_index_answers_from_its_stored_words(tmp_path: Path) -> None:
    scenes = Path(__file__).resolve().parents[2] / "examples" / "scenes" / "images"
    root = tmp_path / "index"
    model = open_model("scenes-small")
    index_paths(root, [scenes], model)
    assert not needs_model(root)
    for query in ("a red circle", "triangle left of a square", "a red zebra"):
        alone = search_index(root, query, k=4)
        loaded = search_index(root, query, k=4, model=model)
        assert [(h.path, round(h.score, 5)) for h in alone.hits] == [
            (h.path, round(h.score, 5)) for h in loaded.hits
        ]
        said = (alone.concepts, alone.spaces, alone.unknown)
        assert said == (loaded.concepts, loaded.spaces, loaded.unknown)
