"""An object's colour from a segmentation inside its box (GrabCut) against the describer's figure-ground rule.

    .venv/bin/python scripts/fetch_real_photos.py            # once: the photos, into data/real_photos
    .venv/bin/python benchmarks/colour_grabcut.py             # every split of the real-photo benchmark

Issue 26 asks for the object's colour from its own pixels: "its activation mask, or a segmentation inside
its box". The describer takes the activation mask and names what the mask holds more of than the image
outside it (`multicap.describe.colours.object_colours`). This script measures the other road with the one
segmenter that ships without weights: OpenCV's GrabCut (Rother et al., 2004), started from the mask (the
mask: probably the object; its box widened by an eighth: probably background; the rest and the sky:
background; where the widened box fills the photo, the photo's outermost pixels outside the mask), on the
photo shrunk to `--side` px. Its figure is then named two ways:

  contrast   the describer's own rule, on GrabCut's figure in place of the activation mask
  plain      the figure's dominant colours alone (a chromatic colour first where it has 0.3 of the
             achromatic one's share, as the describer does)

and, without GrabCut, a figure by histogram back-projection (Swain and Ballard, 1991): the region's pixels
whose fine colour (16 × 16 × 16 cells of sRGB) lies inside the region for a share of at least
`--backprojected` (0.8: four times likelier inside than outside, each side's histogram normalised),
named by their dominant colours as "plain" (a red ladybird on a green stem: its red is found almost only
in its region, the stem's green on both sides).

Each variant describes every photo in this process (`object_colours` replaced in the describer, for its
objects and its people's clothes), scored as `benchmarks/real_photos.py` scores colour: of the photos whose
main object is named, the share where its colour is the label's. A region GrabCut cannot start from (no
background left around it, or a figure under 2% of the image) keeps the describer's colour; the line says
how often, and GrabCut's milliseconds a call.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from multicap.cli.threads import configure

configure()  # as the command does before torch loads

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_photos import REPO, SPLITS, load, score_photo  # noqa: E402

from multicap.describe import colours  # noqa: E402
from multicap.describe import grounded as grounded_module  # noqa: E402
from multicap.describe.description import description_json  # noqa: E402
from multicap.describe.grounded import GroundedConfig, GroundedDescriber  # noqa: E402

DESCRIBERS = colours.object_colours
LEAST_FIGURE = 0.02  # of the shrunk image: a smaller figure keeps the describer's colour


class Tally:
    """What a variant did: its calls, those GrabCut ran on, those that kept the describer's colour."""

    def __init__(self) -> None:
        self.seconds = 0.0  # GrabCut's, where it ran
        self.calls = self.ran = self.kept = 0


def grabcut_colours(
    rgb: np.ndarray, region: np.ndarray, *, tally: Tally, side: int, mode: str, exclude: Any = None, **kw: Any
) -> list[tuple[str, float]]:
    """`object_colours`'s answer, with the region first segmented by GrabCut (see the module's text)."""
    start = time.perf_counter()
    tally.calls += 1
    h0, w0 = rgb.shape[:2]
    scale = side / max(h0, w0)
    w, h = max(8, round(w0 * scale)), max(8, round(h0 * scale))
    small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    inside = colours._resize(region.astype(np.float32), (h, w)) >= 0.5
    ys, xs = np.nonzero(inside)
    mask = np.full((h, w), cv2.GC_BGD, np.uint8)
    if len(ys) >= 4:
        y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
        my, mx = max(1, (y1 - y0) // 8), max(1, (x1 - x0) // 8)
        mask[max(0, y0 - my) : y1 + my + 1, max(0, x0 - mx) : x1 + mx + 1] = cv2.GC_PR_BGD
        mask[inside] = cv2.GC_PR_FGD
        if exclude is not None:
            mask[colours._resize(np.asarray(exclude, np.float32), (h, w)) >= 0.5] = cv2.GC_BGD
        if not (mask == cv2.GC_BGD).any():  # the widened box fills the photo: its frame is background
            frame = np.zeros((h, w), bool)
            frame[[0, -1], :] = frame[:, [0, -1]] = True
            mask[frame & ~inside] = cv2.GC_BGD
    if len(ys) < 4 or not (mask == cv2.GC_BGD).any() or not (mask == cv2.GC_PR_FGD).any():
        tally.kept += 1
        return DESCRIBERS(rgb, region, exclude=exclude, **kw)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(small, mask, None, bgd, fgd, 3, cv2.GC_INIT_WITH_MASK)
    figure = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    tally.seconds += time.perf_counter() - start
    tally.ran += 1
    if figure.mean() < LEAST_FIGURE:
        tally.kept += 1
        return DESCRIBERS(rgb, region, exclude=exclude, **kw)
    if mode == "contrast":
        return DESCRIBERS(rgb, figure, exclude=exclude, **kw)
    return _plain(small[figure])


def backprojected_colours(
    rgb: np.ndarray, region: np.ndarray, *, tally: Tally, least: float, exclude: Any = None, **kw: Any
) -> list[tuple[str, float]]:
    """`object_colours`'s answer named on the region's pixels whose fine colour is at least `least` likelier
    inside the region than outside (see the module's text); the describer's where too few are."""
    tally.calls += 1
    px = rgb[::2, ::2]
    inside = colours._resize(np.asarray(region, np.float32), px.shape[:2]).clip(0, 1).reshape(-1)
    keep = np.ones_like(inside)
    if exclude is not None:
        keep = 1 - colours._resize(np.asarray(exclude, np.float32), px.shape[:2]).clip(0, 1).reshape(-1)
    w_in, w_out = inside * keep, (1 - inside) * keep
    if w_in.sum() < 1 or w_out.sum() < 0.4 * len(w_in):  # no surround to tell the figure from
        tally.kept += 1
        return DESCRIBERS(rgb, region, exclude=exclude, **kw)
    q = px.reshape(-1, 3) >> 4
    cells = (q[:, 0].astype(np.intp) << 8) | (q[:, 1].astype(np.intp) << 4) | q[:, 2]
    h_in = np.bincount(cells, weights=w_in, minlength=4096) / w_in.sum()
    h_out = np.bincount(cells, weights=w_out, minlength=4096) / w_out.sum()
    figure = (h_in / (h_in + h_out + 1e-12))[cells] >= least
    if (w_in * figure).sum() < 0.05 * w_in.sum():
        tally.kept += 1
        return DESCRIBERS(rgb, region, exclude=exclude, **kw)
    tally.ran += 1
    return _plain(px.reshape(-1, 3)[figure & (w_in >= 0.5)])


def _plain(pixels: np.ndarray, chromatic: float = 0.3, second: float = 0.35) -> list[tuple[str, float]]:
    """The figure's own dominant colours, a chromatic one first where it holds `chromatic` of the first."""
    names = tuple(colours.COLOUR_PROTOTYPES)
    share = np.bincount(colours.colour_names(pixels), minlength=len(names)).astype(np.float64)
    share /= share.sum()
    order = [int(k) for k in np.argsort(-share)]
    achromatic = {names.index(n) for n in ("black", "gray", "white")}
    if order[0] in achromatic:
        hue = next(k for k in order if k not in achromatic)
        if share[hue] >= chromatic * share[order[0]]:
            order.remove(hue)
            order.insert(0, hue)
    return [(names[k], float(share[k])) for k in order[:2] if k == order[0] or share[k] >= second]


def run(
    name: str, fn: Callable[..., Any], photos: list[dict[str, Any]], data: Path, describer: GroundedDescriber
) -> dict[str, tuple[int, int]]:
    """Per split: (colour right, scored) with `fn` as the describer's object colours."""
    grounded_module.object_colours = fn  # type: ignore[attr-defined]
    try:
        records: dict[str, dict[str, Any]] = {}
        paths = [data / p["file"] for p in photos]
        for i in range(0, len(paths), 16):
            chunk = paths[i : i + 16]
            done = describer.describe_batch(chunk, [describer.load(p) for p in chunk], describer.levels)
            records.update({d.path.name: description_json(d) for d in done.descriptions})
    finally:
        grounded_module.object_colours = DESCRIBERS  # type: ignore[attr-defined]
    out: dict[str, tuple[int, int]] = {}
    for p in photos:
        said = score_photo(p, records[p["file"]])["colour"]
        right, scored = out.get(p["split"], (0, 0))
        out[p["split"]] = (right + bool(said), scored + (said is not None))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "real_photos", help="folder of the photos")
    ap.add_argument("--side", type=int, default=64, help="GrabCut's image side, px (default 64)")
    ap.add_argument(
        "--backprojected", type=float, default=0.8, help="least share inside for a colour cell (default 0.8)"
    )
    args = ap.parse_args(argv)
    labels, _ = load(args.data)
    describer = GroundedDescriber(GroundedConfig())
    variants: dict[str, tuple[Callable[..., Any], Tally | None]] = {
        "describer (mask contrast)": (DESCRIBERS, None)
    }
    for mode in ("contrast", "plain"):
        tally = Tally()
        fn = functools.partial(grabcut_colours, tally=tally, side=args.side, mode=mode)
        variants[f"GrabCut {args.side} px, {mode}"] = (fn, tally)
    tally = Tally()
    fn = functools.partial(backprojected_colours, tally=tally, least=args.backprojected)
    variants[f"back-projected at {args.backprojected}"] = (fn, tally)
    print(f"colour right / scored, {len(labels)} photos; splits: {', '.join(SPLITS)}")
    for name, (fn, tally) in variants.items():
        by = run(name, fn, labels, args.data, describer)
        total = (sum(r for r, _ in by.values()), sum(n for _, n in by.values()))
        cells = "  ".join(f"{s} {by[s][0]}/{by[s][1]}" for s in SPLITS if s in by)
        cost = ""
        if tally is not None:
            ms = 1000 * tally.seconds / max(tally.ran, 1)
            each = f", {ms:.1f} ms each" if tally.seconds else ""
            cost = f"; {name.split(' ')[0]} ran on {tally.ran} of {tally.calls} calls{each}"
            cost += f"; {tally.kept} kept the describer's colour"
        print(f"{name}: all {total[0]}/{total[1]}  {cells}{cost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
