"""`multicap attend` end to end: the shipped `scenes-small` bundle on a bundled scene, as a user runs it.

The overlay PNG is read back as pixels: one panel per generated word (after the plain image), each brightest
where that word looked, which for the words naming an object is on that object (the scene's true boxes).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from multicap.captioning.decoding import Caption
from tests.conftest import REPO, run_cli

SCENE = REPO / "examples" / "scenes" / "images" / "000000.png"
SHAPES = {"circle", "cross", "diamond", "heart", "hexagon", "pentagon", "square", "star", "triangle"}
# plot_attention: panels 2.4 x 2.6 inches, at most 6 a row, saved at 100 dpi; plot_step_similarity: a
# square of 0.35 inch per step plus margins.
PANEL_W, PANEL_H, COLS = 240, 260, 6


@pytest.fixture(scope="module")
def truth() -> list[dict]:
    """The scene's objects as generated: label, colour and box (x0, y0, x1, y1 in 0..1)."""
    for line in (REPO / "examples" / "scenes" / "captions.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["file"] == "images/000000.png":
            return record["facts"]["objects"]
    raise AssertionError("examples/scenes lost 000000.png")


@pytest.fixture(scope="module")
def reference() -> tuple[Caption, tuple[int, int]]:
    """The same caption made here in-process by the library call the command makes, with its attention."""
    from multicap.captioning.attention_maps import caption_image
    from multicap.captioning.bundle import load_bundle

    bundle = load_bundle("scenes-small")
    caption, _ = caption_image(bundle, SCENE, "layout")
    return caption, bundle.model.config.grid_hw


def _longest_runs(mask: np.ndarray) -> np.ndarray:
    """Length of the longest run of True along the last axis, for each row."""
    best = np.zeros(mask.shape[:-1], np.int32)
    current = np.zeros_like(best)
    for k in range(mask.shape[-1]):
        current = (current + 1) * mask[..., k]
        np.maximum(best, current, out=best)
    return best


def _bands(runs: np.ndarray, least: int) -> list[tuple[int, int]]:
    idx = np.flatnonzero(runs >= least)
    return [
        (int(g[0]), int(g[-1]) + 1) for g in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if len(g)
    ]


def _panels(png: Path) -> list[np.ndarray]:
    """The figure's image panels, row by row: the scene's background is dark on the figure's white, so a
    panel is where long runs of dark pixels cross in both directions (text never makes a 100-pixel run)."""
    lum = np.asarray(Image.open(png).convert("L"), dtype=np.float32)
    dark = lum < 128
    rows, cols = _bands(_longest_runs(dark), 100), _bands(_longest_runs(dark.T), 100)
    crops = [lum[r0:r1, c0:c1] for r0, r1 in rows for c0, c1 in cols]
    crops = [c for c in crops if (c < 128).mean() > 0.5]
    h, w = min(c.shape[0] for c in crops), min(c.shape[1] for c in crops)  # panels may differ by a pixel
    return [c[:h, :w] for c in crops]


def _brightest(panel: np.ndarray) -> tuple[float, float]:
    """Where a panel is brightest, smoothed over a few pixels: (x, y) in 0..1 of the panel."""
    smooth = np.asarray(Image.fromarray(panel.astype(np.uint8)).filter(ImageFilter.BoxBlur(4)))
    y, x = np.unravel_index(int(np.argmax(smooth)), smooth.shape)
    return (x + 0.5) / panel.shape[1], (y + 0.5) / panel.shape[0]


def _inside(point: tuple[float, float], box: list[float], slack: float) -> bool:
    x, y = point
    return box[0] - slack <= x <= box[2] + slack and box[1] - slack <= y <= box[3] + slack


def _named_objects(tokens: list[str], truth: list[dict]) -> list[tuple[int, dict]]:
    """(step, object) for each shape word the caption says, the object picked by its colour word before it."""
    named = []
    for t, word in enumerate(tokens):
        if word in SHAPES:
            (obj,) = [o for o in truth if o["label"] == word and o["attributes"]["colour"] == tokens[t - 1]]
            named.append((t, obj))
    return named


def test_attend_draws_one_panel_per_word_each_brightest_where_the_word_looked(
    tmp_path: Path, truth: list[dict], reference: tuple[Caption, tuple[int, int]]
) -> None:
    caption, (gh, gw) = reference
    out = tmp_path / "att.png"
    args = ["--model", "scenes-small", "--level", "layout", "--out", str(out), "--matrix", "--json"]
    r = run_cli("attend", str(SCENE), *args)
    assert r.returncode == 0, r.stderr
    # stderr: no error or warning (matplotlib may announce building its font cache on a fresh install)
    assert not [x for x in r.stderr.splitlines() if x.startswith(("error", "warning"))], r.stderr
    (line,) = r.stdout.splitlines()
    doc = json.loads(line)
    matrix = tmp_path / "att-matrix.png"
    assert doc["type"] == "attention" and doc["image"] == str(SCENE) and doc["level"] == "layout"
    assert doc["files"] == [str(out), str(matrix)]
    assert "unlike_training" not in doc  # as describe --json: said only where true
    assert doc["caption"] == caption.text  # the command's caption is the library's, with this attention

    # The attention behind the picture: a distribution over the grid cells at every step, and the words that
    # name an object look at that object (its true box, one cell of slack), so at different places.
    attention = np.asarray(caption.attention)
    assert attention.shape == (len(caption.tokens) + 1, gh * gw)  # every word, then <end>
    np.testing.assert_allclose(attention.sum(axis=1), 1.0, atol=1e-4)
    assert (attention >= 0).all()
    named = _named_objects(caption.tokens, truth)
    assert len(named) == len(truth) == 4, caption.text
    cells = []
    for t, obj in named:
        row, col = divmod(int(attention[t].argmax()), gw)
        cells.append((row, col))
        centre = ((col + 0.5) / gw, (row + 0.5) / gh)
        assert _inside(centre, obj["box"], 1 / gw), (caption.tokens[t], centre, obj)
    assert len(set(cells)) == 4, cells

    # The PNG: a real picture of the expected size, one panel per word after the plain image.
    with Image.open(out) as image:
        assert image.format == "PNG"
        size = image.size
    n_panels = len(caption.tokens) + 2  # the image, each word, <end>
    assert size == (PANEL_W * COLS, PANEL_H * -(-n_panels // COLS))
    pixels = np.asarray(Image.open(out).convert("RGB"))
    assert pixels.std() > 20 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1000
    panels = _panels(out)
    assert len(panels) == n_panels, (len(panels), n_panels)
    # Each object word's panel is brightest on its object, and no two of them at the same place.
    spots = []
    for t, obj in named:
        spot = _brightest(panels[t + 1])
        assert _inside(spot, obj["box"], 0.05), (caption.tokens[t], spot, obj["box"])
        spots.append(spot)
    assert (
        min(np.hypot(a[0] - b[0], a[1] - b[1]) for i, a in enumerate(spots) for b in spots[i + 1 :]) > 0.15
    ), spots
    # Panels differ from the plain image and from one another where the words look elsewhere.
    assert np.abs(panels[named[0][0] + 1] - panels[0]).mean() > 5
    assert np.abs(panels[named[0][0] + 1] - panels[named[-1][0] + 1]).mean() > 5

    # --matrix: the step-similarity picture, one row and column per step.
    with Image.open(matrix) as image:
        steps = len(caption.tokens) + 1
        assert image.size == (round(100 * (1.0 + 0.35 * steps)), round(100 * (0.8 + 0.35 * steps)))
        m = np.asarray(image.convert("RGB"))
    assert m.std() > 20 and len(np.unique(m.reshape(-1, 3), axis=0)) > 100


def test_attend_human_output_names_the_caption_and_the_file(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "obj.png"  # a folder that does not exist yet is made
    r = run_cli("attend", str(SCENE), "--model", "scenes-small", "--level", "object", "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == f"wrote {out}", r.stdout
    head, _, text = lines[0].partition(": ")
    assert head == f"{SCENE} [object]" and "star" in text and "triangle" in text, lines[0]
    words = len(text.replace(",", " ,").split())
    with Image.open(out) as image:
        assert image.size == (PANEL_W * COLS, PANEL_H * -(-(words + 2) // COLS))
    assert not (tmp_path / "deep" / "obj-matrix.png").exists()


# Each bad input: the arguments (TMP: the test's empty folder) and the one line it must print.
BAD = {
    "missing image": (
        ["TMP/nope.png", "--model", "scenes-small"],
        "error: TMP/nope.png: no such file or folder",
    ),
    "out under a file": (
        [str(SCENE), "--model", "scenes-small", "--out", "TMP/afile/att.png"],
        "error: --out TMP/afile/att.png: its folder cannot be made (TMP/afile is a file, not a folder)",
    ),
    "out is the image": (  # it had been overwritten by the attention panel
        ["TMP/image.png", "--model", "scenes-small", "--out", "TMP/image.png"],
        "error: --out TMP/image.png: is the image, which it would overwrite; give another file",
    ),
    "not a bundle": (
        [str(SCENE), "--model", "TMP"],
        "error: TMP is not a bundle: model.safetensors is missing",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_attend_bad_input_fails_in_one_line(tmp_path: Path, case: str) -> None:
    args, expected = BAD[case]
    out = tmp_path / "att.png"
    (tmp_path / "afile").write_text("x")
    shutil.copy(SCENE, tmp_path / "image.png")
    if "--out" not in args:
        args = [*args, "--out", str(out)]
    r = run_cli("attend", *(a.replace("TMP", str(tmp_path)) for a in args))
    assert r.returncode == 1 and r.stdout == "", r.stdout
    assert r.stderr.splitlines() == [expected.replace("TMP", str(tmp_path))]
    assert not out.exists()


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("colour", "'colour' is not one of object, attribute, layout, caption"),
        ("all", "attend draws one level a run: one of object, attribute, layout, caption"),  # had exited 1
    ],
)
def test_attend_an_unknown_level_is_a_usage_error(tmp_path: Path, word: str, said: str) -> None:
    r = run_cli(
        "attend", str(SCENE), "--model", "scenes-small", "--level", word, "--out", str(tmp_path / "a.png")
    )
    assert r.returncode == 2 and r.stdout == "" and f"Invalid value for --level: {said}" in r.stderr
    assert not (tmp_path / "a.png").exists()


def test_attend_refuses_an_image_format_before_running_the_model(tmp_path: Path) -> None:
    """ "--out att.xyz" ran the whole model, then failed in matplotlib ("Format 'xyz' is not supported")."""
    r = run_cli("attend", str(SCENE), "--model", "scenes-small", "--out", str(tmp_path / "att.xyz"))
    assert r.returncode == 2 and "Invalid value for --out" in r.stderr and ".png" in r.stderr  # bad usage
    if not any(shutil.which(tex) for tex in ("xelatex", "lualatex", "pdflatex")):  # failed after the model
        r = run_cli("attend", str(SCENE), "--model", "scenes-small", "--out", str(tmp_path / "att.pgf"))
        assert r.returncode == 2 and "Invalid value for --out" in r.stderr and ", .pgf" not in r.stderr


def test_an_oblong_image_is_shown_in_its_own_shape_under_its_attention(tmp_path: Path) -> None:
    """The squashing encoder saw the whole image as a square, and attend drew it so: a circle became an
    ellipse. It is drawn in its own shape; the attention spreads back over all of it."""
    from multicap.captioning.attention_maps import caption_image
    from multicap.captioning.bundle import load_bundle

    bundle = load_bundle("scenes-small")
    assert bundle.encoder.create().preprocess.squash
    wide = tmp_path / "wide.png"
    Image.open(SCENE).convert("RGB").resize((320, 160)).save(wide)
    caption, seen = caption_image(bundle, wide, "object")
    assert seen.size[0] == 2 * seen.size[1] and caption.text
    _, square = caption_image(bundle, SCENE, "object")
    assert square.size[0] == square.size[1]
