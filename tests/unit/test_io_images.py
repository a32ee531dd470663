from __future__ import annotations

import io
import logging
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from multicap.errors import ImageLoadError
from multicap.io import iter_loaded, load_image, to_rgb
from tests.conftest import gradient_rgb


@pytest.mark.parametrize("name", ["a.jpg", "b.png", "c.webp", "d.bmp", "e.gif", "f.tiff"])
def test_every_format_loads_as_rgb(image_dir: Path, name: str) -> None:
    img = load_image(image_dir / name)
    assert img.mode == "RGB"
    assert img.size == (96, 64)
    # The content survives: top-left is dark in red, top-right is bright in red.
    arr = np.asarray(img).astype(int)
    assert arr[2, -3, 0] - arr[2, 2, 0] > 150


def test_gif_reads_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in [(255, 0, 0), (0, 0, 255)]]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    arr = np.asarray(load_image(tmp_path / "anim.gif"))
    assert arr[10, 10, 0] > 200 and arr[10, 10, 2] < 50


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    img = gradient_rgb(96, 64)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    img.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    loaded = load_image(tmp_path / "rot.jpg")
    assert loaded.size == (64, 96)


@pytest.mark.parametrize(
    ("mode", "pixel"),
    [("L", 128), ("LA", (128, 255)), ("1", 1), ("P", 3), ("CMYK", (0, 0, 0, 0)), ("RGBA", (10, 20, 30, 255))],
)
def test_modes_convert_to_rgb(tmp_path: Path, mode: str, pixel: object) -> None:
    img = Image.new(mode, (8, 8), pixel)  # type: ignore[arg-type]
    out = to_rgb(img)
    assert out.mode == "RGB" and out.size == (8, 8)


def test_transparency_composited_on_white() -> None:
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))  # fully transparent red
    assert to_rgb(img).getpixel((0, 0)) == (255, 255, 255)
    half = Image.new("LA", (4, 4), (0, 128))
    assert to_rgb(half).getpixel((0, 0))[0] == pytest.approx(127, abs=2)


def test_palette_with_transparency(tmp_path: Path) -> None:
    img = Image.new("P", (4, 4), 0)
    img.putpalette([255, 0, 0] + [0, 0, 0] * 255)
    img.info["transparency"] = 0
    img.save(tmp_path / "t.png")
    assert load_image(tmp_path / "t.png").getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_scaled_not_clipped(tmp_path: Path) -> None:
    arr = np.full((8, 8), 32896, dtype=np.uint16)  # mid-grey in 16 bits
    Image.fromarray(arr).save(tmp_path / "g16.png")
    img = load_image(tmp_path / "g16.png")
    assert img.getpixel((0, 0))[0] == pytest.approx(128, abs=1)


def test_draft_mode_decodes_large_jpeg_at_reduced_size(tmp_path: Path) -> None:
    gradient_rgb(1600, 1200).save(tmp_path / "big.jpg", quality=90)
    small = load_image(tmp_path / "big.jpg", min_short_side=256)
    assert min(small.size) >= 256
    assert small.size[0] < 1600  # reduced by DCT scaling (1/4 here: 400x300)
    assert load_image(tmp_path / "big.jpg").size == (1600, 1200)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing", "no such file"),
        ("empty", "empty file"),
        ("not_image", "not an image"),
        ("truncated", "truncated or corrupt"),
        ("corrupt", "truncated or corrupt"),
    ],
)
def test_bad_inputs_raise_one_error_naming_path_and_reason(
    bad_files: dict[str, Path], kind: str, reason: str
) -> None:
    path = bad_files[kind]
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert info.value.path == path
    assert reason in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="directory"):
        load_image(tmp_path)


def test_decompression_bomb_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gradient_rgb(200, 100).save(tmp_path / "wide.png")
    with pytest.raises(ImageLoadError, match="over the limit of 10,000"):
        load_image(tmp_path / "wide.png", max_pixels=10_000)
    monkeypatch.setenv("MULTICAP_MAX_PIXELS", "5000")
    with pytest.raises(ImageLoadError, match="MULTICAP_MAX_PIXELS"):
        load_image(tmp_path / "wide.png")
    assert load_image(tmp_path / "wide.png", max_pixels=20_000).size == (200, 100)


def test_pillow_bomb_header_is_refused(tmp_path: Path) -> None:
    # A PNG whose header claims 100k x 100k pixels: refused from the header alone.
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = (100_000).to_bytes(4, "big") * 2  # IHDR width and height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # keep the chunk's CRC valid
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(ImageLoadError, match="pixels"):
        load_image(tmp_path / "bomb.png")


def test_a_raised_pixel_limit_raises_pillows_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MULTICAP_MAX_PIXELS above Pillow's own guard (twice its MAX_IMAGE_PIXELS) was refused by Pillow's
    "decompression bomb" error all the same: raised, the next check (the decoding budget) is asked."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored after the test
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = (20_000).to_bytes(4, "big") * 2  # 400,000,000 pixels, over Pillow's 178,956,970
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    (tmp_path / "huge.png").write_bytes(bytes(data))
    with pytest.raises(ImageLoadError, match="MULTICAP_MAX_PIXELS") as bomb:
        load_image(tmp_path / "huge.png")
    said = bomb.value.reason  # in our words, not Pillow's "could be decompression bomb DOS attack."
    assert said.startswith("400,000,000 pixels, over the limit") and "DOS" not in said
    monkeypatch.setenv("MULTICAP_MAX_PIXELS", "500000000")
    with pytest.raises(ImageLoadError) as refused:
        load_image(tmp_path / "huge.png", max_decode_bytes=2**20)
    assert "MULTICAP_DECODE_BUDGET_MB" in refused.value.reason, refused.value.reason


def test_batch_skips_bad_files_and_goes_on(
    image_dir: Path, bad_files: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    paths = [image_dir / "a.jpg", *bad_files.values(), image_dir / "b.png"]
    errors: list[ImageLoadError] = []
    got = [p for p, _ in iter_loaded(paths, load_image, on_error=errors.append)]
    assert got == [image_dir / "a.jpg", image_dir / "b.png"]
    assert sorted(e.path.name for e in errors) == sorted(p.name for p in bad_files.values())
    # Without a handler, each bad file is one logged warning.
    with caplog.at_level(logging.WARNING, logger="multicap"):
        list(iter_loaded(paths, load_image, workers=0))
    assert len(caplog.records) == len(bad_files)


def test_a_batch_job_runs_blas_on_one_thread_and_gives_it_back(tmp_path: Path) -> None:
    """numpy's BLAS workers spin between the small products of a batch job and take CPU from its own
    threads: within `iter_batches`, in its decoding threads and for its consumer, BLAS has one thread."""
    from threadpoolctl import threadpool_info

    from multicap.io import iter_batches

    def blas_threads(everywhere: bool = False) -> set[int]:
        """Threads of the BLAS libraries; `everywhere`: only those whose count holds in every thread (an
        OpenMP-threaded one, FAISS's, counts per thread: it is limited in the thread that set it)."""
        infos = [i for i in threadpool_info() if i["user_api"] == "blas"]
        return {i["num_threads"] for i in infos if not everywhere or i.get("threading_layer") != "openmp"}

    before = blas_threads()
    paths = []
    for k in range(3):
        gradient_rgb(16, 16).save(tmp_path / f"{k}.png")
        paths.append(tmp_path / f"{k}.png")
    seen_by_load: list[set[int]] = []

    def load(path: Path) -> Path:
        seen_by_load.append(blas_threads(everywhere=True))  # numpy's OpenBLAS, the one that spun
        return path

    for _ in iter_batches(paths, load, batch_size=2):
        assert blas_threads() == {1}
    assert seen_by_load and all(seen == {1} for seen in seen_by_load)
    assert blas_threads() == before


def test_a_pixel_limit_that_is_no_number_is_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from multicap.errors import ConfigError
    from multicap.io.images import env_max_pixels

    monkeypatch.setenv("MULTICAP_MAX_PIXELS", "200_000_000")
    assert env_max_pixels(5) == 200_000_000
    for bad in ("abc", "1e9", "-5", "0"):
        monkeypatch.setenv("MULTICAP_MAX_PIXELS", bad)
        with pytest.raises(ConfigError, match="MULTICAP_MAX_PIXELS"):
            env_max_pixels(5)
    monkeypatch.delenv("MULTICAP_MAX_PIXELS")
    assert env_max_pixels(5) == 5


def test_a_folder_walk_reads_avif_photos(tmp_path: Path) -> None:
    """A folder's .avif photos had been left out without a word, though one named was read."""
    from multicap.io import iter_image_paths

    if ".avif" not in Image.registered_extensions():
        pytest.skip("this Pillow reads no AVIF")
    Image.new("RGB", (40, 30), (200, 30, 30)).save(tmp_path / "photo.avif")
    (found,) = iter_image_paths([tmp_path])
    assert found.name == "photo.avif" and load_image(found).size == (40, 30)
