"""The bad-file corpus of issue 27, made on the fly: every kind of file a hostile or careless folder holds.

`make_corpus(folder)` writes it and says what each entry must give: `good` files must be processed (their
names as bytes, relative to the folder), `bad` ones reported in one line each (name -> a word the warning
must hold). Names are bytes throughout: some are not valid UTF-8.
"""

from __future__ import annotations

import io
import os
import socket
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import gradient_rgb, noise_image


@dataclass
class Corpus:
    root: Path
    good: list[bytes] = field(default_factory=list)  # names, relative to root
    bad: dict[bytes, str] = field(default_factory=dict)  # name -> a word its one-line warning holds
    bad_folders: set[bytes] = field(default_factory=set)  # those of `bad` that are folders not walked
    sockets: list[socket.socket] = field(default_factory=list)  # kept open while the corpus is used

    def path(self, name: bytes) -> bytes:
        return os.path.join(os.fsencode(self.root), name)

    def close(self) -> None:
        for s in self.sockets:
            s.close()
        if os.path.isdir(self.path(b"locked")):
            os.chmod(self.path(b"locked"), 0o700)  # so that the folder can be removed


# Good files with hostile names: each must be processed, and shown escaped.
HOSTILE_NAMES: tuple[bytes, ...] = (
    b"bad\xff.png",  # not valid UTF-8
    b"latin1 caf\xe9.png",  # not valid UTF-8 either (Latin-1)
    b"esc\x1b[31mred\x1b[0m.png",  # a terminal escape sequence
    b"clear\x1b[2J\x1b[H.png",  # clears the screen, moves the cursor home
    b"csi\xc2\x9b31m.png",  # U+009B: a one-character CSI on some terminals
    b"bell\x07 and back\x08space.png",
    b"new\nline.png",
    b"tab\tname.png",
    b"carriage\rreturn.png",
    b"bidi \xe2\x80\xaegnp.exe.png",  # U+202E right-to-left override
    b'it\'s "quoted".png',
    b"  spaced  name  .png",
    b"-rf.png",
    b"--help.png",
    b"[bold red]markup[link=x].png",
    b":smile: emoji.png",
    b"$dollar$ math.png",  # matplotlib's mathtext in the heatmap labels
)


def _png_bomb() -> bytes:
    """A PNG whose header claims 100,000 x 100,000 pixels: refused from the header alone."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = (100_000).to_bytes(4, "big") * 2  # IHDR width and height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # keep the chunk's CRC valid
    return bytes(data)


def _good_kinds(c: Corpus) -> None:
    """The awkward but valid images: each must be read."""
    base = gradient_rgb(96, 64)
    save = {
        b"cmyk.jpg": lambda p: base.convert("CMYK").save(p, "JPEG", quality=90),
        b"gray16.png": lambda p: Image.fromarray(
            (np.linspace(0, 65535, 64 * 48).reshape(48, 64)).astype(np.uint16)
        ).save(p),
        b"palette_alpha.png": lambda p: _palette_alpha().save(p, transparency=0),
        b"exif_rotated.jpg": lambda p: base.save(p, exif=_rotated_exif(), quality=90),
        b"animated.gif": lambda p: noise_image(1, 40, 30).save(
            p, save_all=True, append_images=[noise_image(2, 40, 30)], duration=50, loop=0
        ),
        b"one_pixel.png": lambda p: Image.new("RGB", (1, 1), (200, 30, 30)).save(p),
        b"strip_wide.png": lambda p: noise_image(3, 10000, 20).save(p),
        b"strip_tall.png": lambda p: noise_image(4, 20, 10000).save(p),
        b"grey.webp": lambda p: base.convert("L").save(p, "WEBP"),
        b"plain.tiff": lambda p: base.save(p, "TIFF"),
    }
    for name, write in save.items():
        write(os.fsdecode(c.path(name)))
        c.good.append(name)
    for seed, name in enumerate(HOSTILE_NAMES, 10):
        noise_image(seed, 64, 48).save(os.fsdecode(c.path(name)), "PNG")
        c.good.append(name)


def _palette_alpha() -> Image.Image:
    img = noise_image(5, 40, 40).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return img


def _rotated_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise
    return exif.tobytes()


def _bad_files(c: Corpus) -> None:
    """Files that cannot be images: each must be reported in one line, and nothing else must stop."""
    jpeg = io.BytesIO()
    gradient_rgb(256, 256).save(jpeg, "JPEG", quality=95)
    whole = jpeg.getvalue()
    png = io.BytesIO()
    gradient_rgb(256, 256).save(png, "PNG")
    corrupt = bytearray(png.getvalue())
    start = corrupt.index(b"IDAT") + 40
    corrupt[start : start + 400] = bytes(range(200)) * 2
    contents = {
        b"truncated.jpg": (whole[: len(whole) // 2], "truncated"),
        b"zero_bytes.jpg": (b"", "empty"),
        b"not_an_image.png": (b"just some text\n", "not an image"),
        b"corrupt.png": (bytes(corrupt), "corrupt"),
        b"bomb.png": (_png_bomb(), "pixels"),
        b"cut \xfe\x1b[31m.jpg": (whole[:300], "truncated"),  # a bad file with a hostile name too
    }
    for name, (data, word) in contents.items():
        with open(c.path(name), "wb") as f:
            f.write(data)
        c.bad[name] = word
    os.mkfifo(c.path(b"fifo.jpg"))
    c.bad[b"fifo.jpg"] = "FIFO"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(c.path(b"socket.png"))
    c.sockets.append(sock)
    c.bad[b"socket.png"] = "socket"
    os.symlink(b"/dev/zero", c.path(b"zero.jpg"))  # a device never ends: reading it would never stop
    c.bad[b"zero.jpg"] = "character device"
    os.symlink(b"nowhere.jpg", c.path(b"dangling.jpg"))
    c.bad[b"dangling.jpg"] = "broken symbolic link"
    os.symlink(b"self_loop.jpg", c.path(b"self_loop.jpg"))
    c.bad[b"self_loop.jpg"] = "symbolic link loop"
    os.mkdir(c.path(b"sub"))
    noise_image(90, 50, 40).save(os.fsdecode(c.path(b"sub/inside.png")))
    c.good.append(b"sub/inside.png")
    os.symlink(b"..", c.path(b"sub/back_up"))  # sub/back_up -> the corpus: a loop
    c.bad[b"sub/back_up"] = "symbolic link loop"
    c.bad_folders.add(b"sub/back_up")
    if os.geteuid() != 0:  # root lists any folder (test_bad_files_units.py checks this one as nobody)
        os.mkdir(c.path(b"locked"))
        noise_image(91, 50, 40).save(os.fsdecode(c.path(b"locked/unseen.png")))
        os.chmod(c.path(b"locked"), 0)
        c.bad[b"locked"] = "cannot list this folder"
        c.bad_folders.add(b"locked")


def make_corpus(root: Path) -> Corpus:
    root.mkdir(parents=True, exist_ok=True)
    c = Corpus(root)
    _good_kinds(c)
    _bad_files(c)
    return c
