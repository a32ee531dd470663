from __future__ import annotations

import os
from pathlib import Path

import pytest

from multicap.io import iter_image_paths


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_walk_is_recursive_sorted_and_filters_extensions(tmp_path: Path) -> None:
    _touch(tmp_path / "b.jpg")
    _touch(tmp_path / "A.PNG")
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / "sub" / "c.webp")
    _touch(tmp_path / "sub" / "deeper" / "d.tif")
    got = [p.relative_to(tmp_path).as_posix() for p in iter_image_paths([tmp_path])]
    assert got == ["A.PNG", "b.jpg", "sub/c.webp", "sub/deeper/d.tif"]
    flat = [p.name for p in iter_image_paths([tmp_path], recursive=False)]
    assert flat == ["A.PNG", "b.jpg"]


def test_a_file_without_an_extension_is_walked_when_it_starts_as_an_image(tmp_path: Path) -> None:
    """A recovered drive's "f12345" (a JPEG) had been left out of every folder's walk, unsaid."""
    from PIL import Image

    from tests.conftest import EXAMPLES

    (tmp_path / "f12345").write_bytes((EXAMPLES / "coffee.jpg").read_bytes())
    (tmp_path / "f12346").write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 ")  # a WebP's start
    _touch(tmp_path / "README")
    (tmp_path / "notes").write_text("BM notes on the trip")  # a BMP's two letters, no BMP header after
    Image.open(EXAMPLES / "coffee.jpg").save(tmp_path / "f12347", format="BMP")  # a real one
    _touch(tmp_path / "Makefile").write_text("all:\n")
    os.mkfifo(tmp_path / "pipe")  # not opened: a walk would wait on it for ever
    found = [p.name for p in iter_image_paths([tmp_path], on_error=lambda e: None)]
    assert found == ["f12345", "f12346", "f12347"]


def test_a_heic_is_read_where_it_is_a_jpeg_and_said_where_it_is_not(tmp_path: Path) -> None:
    """A phone's .HEIC (a JPEG so named, or a real HEIF, which Pillow does not decode) had been left out of
    a folder's walk, unsaid, though `describe` of the file read the JPEG."""
    from tests.conftest import EXAMPLES

    (tmp_path / "IMG_1.HEIC").write_bytes((EXAMPLES / "coffee.jpg").read_bytes())
    (tmp_path / "IMG_2.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    said: list[str] = []
    found = [p.name for p in iter_image_paths([tmp_path], on_error=lambda e: said.append(str(e)))]
    assert found == ["IMG_1.HEIC"]
    assert len(said) == 1 and "IMG_2.heic: a HEIC/HEIF photo, which multicap cannot decode" in said[0]


def test_hidden_skipped_unless_asked(tmp_path: Path) -> None:
    _touch(tmp_path / ".hidden.jpg")
    _touch(tmp_path / ".cache" / "x.jpg")
    _touch(tmp_path / "seen.jpg")
    _touch(tmp_path / ".git" / "HEAD")  # holds no image: not worth a word
    _touch(tmp_path / ".thumbnails" / "normal" / "t.png")  # a desktop's thumbnails, a level down
    _touch(tmp_path / "._seen.jpg")  # a macOS resource fork: no image
    hidden: list[Path] = []
    assert [p.name for p in iter_image_paths([tmp_path], hidden=hidden)] == ["seen.jpg"]
    assert sorted(p.name for p in hidden) == [".cache", ".hidden.jpg", ".thumbnails"]  # said by the commands
    assert len(list(iter_image_paths([tmp_path], include_hidden=True))) == 5


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    _touch(tmp_path / "root" / "a.jpg")
    _touch(tmp_path / "root" / "sub" / "b.jpg")
    os.symlink(tmp_path / "root", tmp_path / "root" / "sub" / "loop")  # sub/loop -> root
    got = list(iter_image_paths([tmp_path / "root"]))
    assert sorted(p.name for p in got) == ["a.jpg", "b.jpg"]


def test_explicit_files_kept_even_missing_and_deduplicated(tmp_path: Path) -> None:
    f = _touch(tmp_path / "x.dat")
    got = list(iter_image_paths([f, tmp_path / "missing.jpg", f]))
    assert got == [f, tmp_path / "missing.jpg"]


def test_a_file_named_relatively_and_absolutely_is_yielded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named both ways (or its folder and itself), it had been described twice: "both images: espresso"."""
    f = _touch(tmp_path / "photos" / "a.jpg")
    monkeypatch.chdir(tmp_path)
    assert list(iter_image_paths([Path("photos/a.jpg"), f])) == [Path("photos/a.jpg")]
    assert list(iter_image_paths([tmp_path / "photos", Path("photos/a.jpg")])) == [f]


def test_walk_order_sorts_paths_as_the_walk_gives_them(tmp_path: Path) -> None:
    """The web app lists indexed images by `walk_order` so that its whole-index clusters are those of
    `multicap compare FOLDER` (in id order, a folder indexed again after changes had clustered otherwise)."""
    import random

    from multicap.io.paths import walk_order

    for name in ("b.jpg", "a.jpg", "z/c.jpg", "m.jpg", "a b/d.jpg", "z/y/e.jpg", "z/a.jpg", "ab.jpg"):
        _touch(tmp_path / name)
    walked = list(iter_image_paths([tmp_path]))
    shuffled = walked[::-1]
    random.Random(0).shuffle(shuffled)
    assert sorted(shuffled, key=walk_order) == walked
    assert sorted(map(str, shuffled), key=walk_order) == [str(p) for p in walked]
