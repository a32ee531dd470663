"""Bad files in-process (issue 27): names shown, written and stored losslessly; the walk's one-line
reports; special files refused unopened; decoding within a memory budget. Subprocesses where a failure
would hang or swell the test process itself."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from multicap.cli.console import json_safe, print_json_line, unread_said
from multicap.errors import ImageLoadError
from multicap.index.build import index_paths
from multicap.index.models import open_model
from multicap.index.store import ImageRecord, IndexStore
from multicap.io import db_name, from_db_name, iter_image_paths, load_image, log_error, shown
from multicap.io.images import _DecodeMemory
from tests.conftest import REPO, gradient_rgb, noise_image, write_noise_images

BAD = os.fsdecode(b"/photos/bad\xff.png")  # as Python hands over a name that is not UTF-8


# ---------------------------------------------------------------------------------------------- names
def test_shown_makes_every_control_character_and_undecodable_byte_visible() -> None:
    assert shown(BAD) == "/photos/bad\\xff.png"
    assert shown("a\x1b[31mb\nc\td\re\x07f\x7fg\x9bh\u202ei.png") == (
        "a\\x1b[31mb\\nc\\td\\re\\x07f\\x7fg\\x9bh\\u202ei.png"
    )
    assert shown("one\ntwo \x1b]0;x\x07", lines=True) == "one\ntwo \\x1b]0;x\\x07"
    plain = 'it\'s "quoted" -rf [bold] :smile: café 猫.png'
    assert shown(plain) == plain  # printable text, whatever the script, is left alone


def test_json_is_valid_utf8_and_gives_the_raw_name_back() -> None:
    doc = {"path": BAD, "members": [BAD, "ok.png"], "texts": {"object": "esc\x1b"}, "n": 1}
    line = json.dumps(json_safe(doc), ensure_ascii=False).encode("utf-8")  # strict: no surrogate left
    back = json.loads(line)
    assert back["path"] == "/photos/bad\\xff.png" and back["members"] == ["/photos/bad\\xff.png", "ok.png"]
    assert base64.b64decode(back["path_bytes"]) == b"/photos/bad\xff.png"
    assert back["members_bytes"][1] is None and base64.b64decode(back["members_bytes"][0]) == os.fsencode(BAD)
    assert back["texts"]["object"] == "esc\x1b" and "texts_bytes" not in back  # control characters faithful


def test_sqlite_keeps_names_losslessly_and_apart_from_their_escaped_form(tmp_path: Path) -> None:
    """A BLOB never equals a TEXT: the file `bad\\xff.png` (literally) and `bad<0xff>.png` stay two files."""
    literal = "/photos/bad\\xff.png"
    assert db_name(BAD) == b"/photos/bad\xff.png" and db_name(literal) == literal
    assert from_db_name(db_name(BAD)) == BAD
    vec = {"image": np.ones(4, np.float32) / 2}
    with IndexStore(tmp_path / "meta.sqlite") as store:
        ids = store.add([ImageRecord(p, 1, 1, f"h{i}", vectors=vec) for i, p in enumerate((BAD, literal))])
        assert set(store.live_files()) == {BAD, literal}
        assert store.live(ids) == {ids[0]: BAD, ids[1]: literal}
        assert store.id_of_path(BAD) == ids[0] and store.id_of_path(literal) == ids[1]
        assert store.retire([BAD]) == 1 and set(store.live_files()) == {literal}
        assert store.record_by_hash("h0").path == BAD  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------- walk
def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    noise_image(len(str(path)), 16, 16).save(path, "PNG")
    return path


def test_the_walk_reports_loops_broken_links_and_special_files_in_one_line_each(tmp_path: Path) -> None:
    good = _touch(tmp_path / "a.png")
    _touch(tmp_path / "sub" / "b.png")
    os.symlink(tmp_path, tmp_path / "sub" / "up")  # a folder loop
    os.symlink("loop.jpg", tmp_path / "loop.jpg")  # a link to itself
    os.symlink("loop_dir", tmp_path / "loop_dir")  # the same, with no image extension: said too
    os.symlink("missing.png", tmp_path / "broken.png")
    os.symlink("missing", tmp_path / "broken_no_ext")  # not an image name: not said
    os.mkfifo(tmp_path / "pipe.jpg")
    os.mkfifo(tmp_path / "pipe_no_ext")  # not an image name: not said
    errors: list[ImageLoadError] = []
    found = list(iter_image_paths([tmp_path], on_error=errors.append))
    assert found == [good, tmp_path / "sub" / "b.png"]
    said = sorted((e.path.name, e.reason) for e in errors)
    assert said == [
        ("broken.png", "a broken symbolic link (its target is missing)"),
        ("loop.jpg", "a symbolic link loop (the link leads back to itself)"),
        ("loop_dir", "a symbolic link loop (the link leads back to itself)"),
        ("pipe.jpg", "a FIFO (named pipe), not a regular file: not opened"),
        ("up", f"a symbolic link loop (back to {tmp_path}): not followed"),
    ]


def test_a_folder_reached_twice_without_a_loop_is_walked_once_and_not_reported(tmp_path: Path) -> None:
    """Once, and at its own path: "alias" and "bad/misc_link" sort before "real" and had named its photos
    by the links in `compare` and `describe` (the index records the real path)."""
    top = tmp_path / "top"
    x = _touch(top / "real" / "x.png")
    os.symlink(top / "real", top / "alias")
    (top / "bad").mkdir()
    os.symlink("../real", top / "bad" / "misc_link")
    os.symlink("../../elsewhere", top / "bad" / "only_link")  # reached only through a link: walked there
    _touch(tmp_path / "elsewhere" / "y.png")
    errors: list[ImageLoadError] = []
    found = list(iter_image_paths([top], on_error=errors.append))
    assert found == [x, top / "bad" / "only_link" / "y.png"] and errors == []


_WALK = (
    "import json, sys; from multicap.io import iter_image_paths\n"
    "errors = []\n"
    "found = list(iter_image_paths([sys.argv[1]], on_error=errors.append))\n"
    "print(json.dumps([[p.name for p in found], [str(e) for e in errors]]))\n"
)


def _as_nobody(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run Python as the user `nobody`, with this checkout and its packages on the path. The virtual
    environment's interpreter may live in root's home, where nobody cannot enter: then the system's
    Python of the same version runs instead."""
    site = next(p for p in sys.path if p.endswith("site-packages"))
    env = {"PYTHONPATH": f"{REPO}{os.pathsep}{site}", "PATH": "/usr/bin:/bin"}
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    for python in (sys.executable, system):
        try:
            return subprocess.run(
                [python, *args], capture_output=True, text=True, timeout=60, user=65534, cwd="/", env=env
            )
        except (PermissionError, FileNotFoundError) as exc:
            error = exc
    pytest.skip(f"running as root, and cannot run the walk as nobody ({error}): root lists any folder")


def test_an_unreadable_folder_is_reported() -> None:
    """Root reads any folder, so as root the walk runs as the user `nobody` (uid 65534) where the system
    allows it; where it does not, the test is skipped, and says so."""
    top = Path(tempfile.mkdtemp(prefix="multicap-unreadable-"))
    try:
        top.chmod(0o755)
        _touch(top / "open" / "seen.png").parent.chmod(0o755)
        (top / "open" / "seen.png").chmod(0o644)
        _touch(top / "locked" / "hidden.png")
        (top / "locked").chmod(0)
        args = ["-c", _WALK, str(top)]
        if os.geteuid() == 0:
            run = _as_nobody(args)
            if run.returncode != 0:
                pytest.skip(f"running as root; the walk as nobody failed: {run.stderr.strip()[-200:]}")
        else:
            run = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        reason = "cannot list this folder (permission denied); its images are left out"
        assert json.loads(run.stdout) == [["seen.png"], [f"{top}/locked: {reason}"]]
    finally:
        (top / "locked").chmod(0o700)
        subprocess.run(["rm", "-rf", str(top)], check=False)


def test_a_folder_not_walked_is_counted_as_a_folder_not_as_an_unread_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "2 of 3 images could not be read" had counted a folder it could not list as an image (a folder
    refused by scandir is made here in-process: root lists any folder)."""
    _touch(tmp_path / "seen.png")
    _touch(tmp_path / "broken.png")
    locked = tmp_path / "locked"
    _touch(locked / "hidden.png")
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    walked: list[ImageLoadError] = []
    files = list(iter_image_paths([tmp_path], on_error=walked.append))
    assert [f.name for f in files] == ["broken.png", "seen.png"]
    assert [(e.path, e.folder) for e in walked] == [(locked, True)]
    assert (
        unread_said(2, len(files) + 1, walked)
        == "1 of 2 images could not be read; 1 folder could not be walked"
    )
    assert unread_said(1, len(files) + 1, walked) == "1 folder could not be walked"
    assert unread_said(2, 3, []) == "2 of 3 images could not be read"


# ---------------------------------------------------------------------------------------------- kinds
def test_loading_a_fifo_or_a_device_returns_at_once(tmp_path: Path) -> None:
    """In a subprocess with a timeout: a blocking open would hang the test process for good."""
    os.mkfifo(tmp_path / "x.jpg")
    os.symlink("/dev/zero", tmp_path / "zero.png")
    code = (
        "import sys; from multicap.io import load_image; from multicap.errors import ImageLoadError\n"
        "for p in sys.argv[1:]:\n"
        "    try: load_image(p)\n"
        "    except ImageLoadError as e: print(e.reason)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "x.jpg"), str(tmp_path / "zero.png")],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )  # fmt: skip
    assert run.stdout.splitlines() == [
        "a FIFO (named pipe), not a regular file: not opened",
        "a character device, not a regular file: not opened",
    ], run.stderr


# ---------------------------------------------------------------------------------------------- memory
def test_a_jpeg_over_the_budget_is_decoded_at_a_reduced_scale(tmp_path: Path) -> None:
    gradient_rgb(1600, 1200).save(tmp_path / "big.jpg", quality=90)
    assert load_image(tmp_path / "big.jpg").size == (1600, 1200)
    # 1600 × 1200 RGB takes 7.3 MB, the 1/2 scale 1.8 MB: within 1 MB, only the 1/4 scale (400 × 300) fits.
    assert load_image(tmp_path / "big.jpg", max_decode_bytes=2**20).size == (400, 300)


def test_an_image_over_the_budget_is_refused_in_one_line(tmp_path: Path) -> None:
    noise_image(0, 1000, 800).save(tmp_path / "big.png")
    with pytest.raises(ImageLoadError) as caught:
        load_image(tmp_path / "big.png", max_decode_bytes=2 * 2**20)
    message = str(caught.value)
    assert (
        "1000x800" in message
        and "over the budget of 2 MB" in message
        and "MULTICAP_DECODE_BUDGET_MB" in message
    )
    assert "\n" not in message
    assert load_image(tmp_path / "big.png", max_decode_bytes=4 * 2**20).size == (1000, 800)


def test_shrinking_keeps_colours_transparency_depth_and_orientation(tmp_path: Path) -> None:
    """Large palette, 16-bit and EXIF-rotated images, shrunk (band by band where the mode needs it)."""
    pal = Image.new("P", (900, 600), 1)
    pal.putpalette([0, 0, 0, 200, 30, 30] + [0, 0, 0] * 254)
    ImageDraw.Draw(pal).rectangle((0, 0, 449, 599), fill=0)  # left half: index 0, transparent
    pal.save(tmp_path / "pal.png", transparency=0)
    img = load_image(tmp_path / "pal.png", min_short_side=100)
    assert img.size == (300, 200)
    assert img.getpixel((10, 100)) == (255, 255, 255) and img.getpixel((290, 100)) == (200, 30, 30)

    Image.fromarray(np.full((600, 900), 32896, np.uint16)).save(tmp_path / "g16.png")
    grey = load_image(tmp_path / "g16.png", min_short_side=100)
    assert grey.size == (300, 200) and grey.getpixel((5, 5)) == (128, 128, 128)

    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise
    gradient_rgb(900, 600).save(tmp_path / "rot.png", exif=exif.tobytes())
    assert load_image(tmp_path / "rot.png", min_short_side=100).size == (200, 300)
    assert load_image(tmp_path / "rot.png").size == (600, 900)


_PEAK = """
import json, sys
from pathlib import Path
from multicap.errors import ImageLoadError
from multicap.io import iter_batches, load_image

def status_mb(field):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field)) / 1024

def reset_peak():  # VmHWM := VmRSS (Linux >= 4.0), so each peak is measured on its own
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

def shrink(p):
    return load_image(p, min_short_side=360).resize((224, 224))

paths = [Path(p) for p in sys.argv[1:]]
reset_peak()
base = status_mb("VmRSS")
one = load_image(paths[0], min_short_side=360)
one_peak = status_mb("VmHWM")
try:
    load_image(paths[0])
    refused = None
except ImageLoadError as exc:
    refused = str(exc)
reset_peak()
n = sum(len(b) for _, b in iter_batches(paths, shrink, batch_size=len(paths)))
batch_peak = status_mb("VmHWM")
corner, centre = one.getpixel((5, 5)), one.getpixel((one.width // 2, one.height // 2))
print(json.dumps({"base": base, "one": one_peak - base, "batch": batch_peak - base, "n": n, "size": one.size,
                  "corner": corner, "centre": centre, "refused": refused}))
"""


def test_a_huge_1bit_png_is_decoded_small_within_the_budget(tmp_path: Path) -> None:
    """Issue 27: a 20 KB PNG of 13,000 x 13,000 1-bit pixels added 1.2 GB of RSS. Measured in a fresh
    process: the extra peak of one such image, and the peak of a batch of 4 of them (2 decoding threads)."""
    bomb = Image.new("1", (13_000, 13_000), 0)
    ImageDraw.Draw(bomb).rectangle((3_000, 3_000, 10_000, 10_000), fill=1)
    buf = io.BytesIO()
    bomb.save(buf, "PNG")
    del bomb
    paths = []
    for i in range(4):
        paths.append(tmp_path / f"bomb{i}.png")
        paths[-1].write_bytes(buf.getvalue())
    run = subprocess.run(
        [sys.executable, "-c", _PEAK, *map(str, paths)], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["size"] == [723, 723] and got["n"] == 4  # 13,000 / 18: the short side stays ≥ 2 × 360
    assert got["corner"] == [0, 0, 0] and got["centre"] == [255, 255, 255]
    assert got["one"] < 400, got  # MB above the process's own; 1,130 before issue 27
    assert got["batch"] < 600, got  # MB above the process's own: two threads decoding, within the budget
    assert "over the budget" in got["refused"]  # at full size it would take 13,000² × 9 bytes


def test_decodes_under_way_share_the_budget() -> None:
    """Two decodes that together exceed the budget run one after the other; two that fit, together."""
    memory, order = _DecodeMemory(), []
    first_in, release = threading.Event(), threading.Event()

    def first() -> None:
        with memory.hold(60, 100):
            order.append("first in")
            first_in.set()
            release.wait(10)
            order.append("first out")

    def second(need: int) -> None:
        with memory.hold(need, 100):
            order.append("second in")

    for need, expected in ((50, ["first in", "first out", "second in"]), (40, ["first in", "second in"])):
        for reset in (order.clear, first_in.clear, release.clear):
            reset()
        a = threading.Thread(target=first)
        a.start()
        assert first_in.wait(10)
        b = threading.Thread(target=second, args=(need,))
        b.start()
        b.join(0.3)  # 60 + 50 > 100: still waiting; 60 + 40 ≤ 100: in already
        release.set()
        a.join(10)
        b.join(10)
        assert order[: len(expected)] == expected, order


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "latin-1"])
def test_json_lines_suit_the_encoding_of_stdout(monkeypatch: pytest.MonkeyPatch, encoding: str) -> None:
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding=encoding, errors="strict"))
    print_json_line({"path": BAD, "text": "猫 café \x1b"})
    sys.stdout.flush()
    doc = json.loads(raw.getvalue().decode(encoding))
    assert doc == {
        "path": "/photos/bad\\xff.png",
        "path_bytes": "L3Bob3Rvcy9iYWT/LnBuZw==",
        "text": "猫 café \x1b",
    }


def test_a_name_not_utf8_is_indexed_moved_and_deleted_like_any_other(tmp_path: Path) -> None:
    """Issue 27: `index` stopped with UnicodeEncodeError at such a name, on every rerun."""
    photos, root = tmp_path / "photos", tmp_path / "idx"
    write_noise_images(photos, 3, 0, 32, 32)
    bad = os.path.join(os.fsencode(photos), b"bad\xff.png")
    noise_image(99, 32, 32).save(os.fsdecode(bad))
    model = open_model("labels", encoder="tiny")
    first = index_paths(root, [photos], model)
    assert (first.added, first.failed, first.total) == (4, 0, 4)
    assert index_paths(root, [photos], model).unchanged == 4
    os.rename(bad, os.path.join(os.fsencode(photos), b"moved\xfe.png"))
    moved = index_paths(root, [photos], model)
    assert (moved.reused, moved.deleted, moved.total) == (1, 1, 4)
    os.remove(os.path.join(os.fsencode(photos), b"moved\xfe.png"))
    gone = index_paths(root, [photos], model)
    assert (gone.deleted, gone.total) == (1, 3)
    with IndexStore(root / "meta.sqlite") as store:
        assert sorted(os.path.basename(os.fsencode(p)) for p in store.live_files()) == [
            b"img000.png", b"img001.png", b"img002.png",
        ]  # fmt: skip


def test_the_default_warning_shows_the_name_escaped(caplog: pytest.LogCaptureFixture) -> None:
    log_error(ImageLoadError(BAD + "\x1b[2J", "not an image"))
    assert caplog.messages == ["skipped /photos/bad\\xff.png\\x1b[2J: not an image"]
