"""Which encoder stages should the captioner's grid hold? Linear probes of scene objects' shapes and colours.

For each object of a synthetic scene, the mean of the grid cells whose centres lie in its box (the nearest
cell where none does) is the object's feature; a linear classifier (softmax regression, Adam, 300 full-batch
steps, features standardised) is fitted on the objects of the first `--train` training scenes and scored on
those of the first `--test` validation scenes. Each stage set is a candidate grid at stride 16:

    s8     the stride-8 stage (block 4, 40 channels), each cell's 2×2 sub-cells side by side (160)
    s16    the stride-16 stage (block 10, 112 channels)
    s32    the last stride-32 block (320 channels), repeated over the 2×2 cells it covers
    final  the 1×1 head (1280 channels, what ImageNet's classifier reads), repeated likewise
    colour mean and standard deviation of the normalised pixels under the cell (6)

    .venv/bin/python benchmarks/grid_probe.py --data data/scenes --size 160

Pixels are read as the captioner reads them (squashed to `--size`, Lite0's normalisation).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from multicap.data.corpus import CorpusImage
from multicap.data.loading import load_corpus
from multicap.encoders import create_encoder
from multicap.encoders.efficientnet_lite import EfficientNetLite
from multicap.encoders.multiscale import colour_stats

SETS = (
    ("s16", "colour"),
    ("s8", "s16", "colour"),
    ("s16", "s32", "colour"),
    ("s8", "s16", "s32", "colour"),
    ("s16", "final", "colour"),  # efficientnet_lite0_ms
)


@torch.inference_mode()
def stage_maps(net: EfficientNetLite, images: list[CorpusImage], size: int) -> dict[str, np.ndarray]:
    """Every stage of `SETS` for each image, as (n, h, w, channels) at stride 16."""
    out: dict[str, list[torch.Tensor]] = {k: [] for k in ("s8", "s16", "s32", "final", "colour")}
    for start in range(0, len(images), 32):
        batch = [
            np.array(Image.open(im.path).convert("RGB").resize((size, size), Image.Resampling.BILINEAR))
            for im in images[start : start + 32]
        ]
        x = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).float()
        x = (x / 255 - 0.498) / 0.502
        h = net.stem(x)
        for i, block in enumerate(net.blocks):
            h = block(h)
            if i == 4:
                s8 = h
            if i == 10:
                s16 = h
        hw = s16.shape[-2:]
        out["s8"].append(F.pixel_unshuffle(s8, 2))
        out["s16"].append(s16)
        out["s32"].append(F.interpolate(h, size=hw, mode="nearest"))
        out["final"].append(F.interpolate(net.head(h), size=hw, mode="nearest"))
        out["colour"].append(colour_stats(x, (hw[0], hw[1])))
    return {k: torch.cat(v).permute(0, 2, 3, 1).numpy() for k, v in out.items()}


def object_features(
    images: list[CorpusImage], maps: dict[str, np.ndarray], keys: tuple[str, ...]
) -> tuple[np.ndarray, list[str], list[str]]:
    """(objects, channels) mean cell in each object's box, with the objects' shapes and colours."""
    feats, shapes, colours = [], [], []
    for n, im in enumerate(images):
        grid = np.concatenate([maps[k][n] for k in keys], axis=-1)
        gh, gw = grid.shape[:2]
        cx, cy = (np.arange(gw) + 0.5) / gw, (np.arange(gh) + 0.5) / gh
        for obj in im.facts.objects if im.facts else []:
            x0, y0, x1, y1 = obj.box
            mx, my = (cx >= x0) & (cx <= x1), (cy >= y0) & (cy <= y1)
            if not mx.any():
                mx[np.argmin(abs(cx - (x0 + x1) / 2))] = True
            if not my.any():
                my[np.argmin(abs(cy - (y0 + y1) / 2))] = True
            feats.append(grid[my][:, mx].reshape(-1, grid.shape[-1]).mean(0))
            shapes.append(obj.label)
            colours.append(obj.attributes["colour"])
    return np.stack(feats), shapes, colours


def probe(x_fit: np.ndarray, y_fit: list[str], x_test: np.ndarray, y_test: list[str]) -> float:
    """Test accuracy of a softmax regression fitted on (x_fit, y_fit)."""
    torch.manual_seed(0)
    labels = sorted(set(y_fit))
    index = {label: i for i, label in enumerate(labels)}
    t_fit = torch.tensor([index[y] for y in y_fit])
    t_test = torch.tensor([index.get(y, -1) for y in y_test])
    xf, xt = torch.from_numpy(x_fit), torch.from_numpy(x_test)
    mu, sd = xf.mean(0), xf.std(0) + 1e-4
    xf, xt = (xf - mu) / sd, (xt - mu) / sd
    linear = torch.nn.Linear(xf.shape[1], len(labels))
    opt = torch.optim.Adam(linear.parameters(), lr=1e-2, weight_decay=1e-4)
    for _ in range(300):
        opt.zero_grad()
        F.cross_entropy(linear(xf), t_fit).backward()
        opt.step()
    with torch.no_grad():
        return float((linear(xt).argmax(1) == t_test).float().mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/scenes", help="a scenes folder (multicap data scenes)")
    ap.add_argument("--size", type=int, default=160, help="image side the encoder reads")
    ap.add_argument("--train", type=int, default=2000, help="training scenes to fit the probes on")
    ap.add_argument("--test", type=int, default=400, help="validation scenes to score them on")
    args = ap.parse_args()
    corpus = load_corpus(args.data)
    net = create_encoder("efficientnet_lite0").backbone
    fit_imgs, test_imgs = corpus.split("train")[: args.train], corpus.split("val")[: args.test]
    fit_maps, test_maps = stage_maps(net, fit_imgs, args.size), stage_maps(net, test_imgs, args.size)
    print(f"{args.size} px; probes fitted on {args.train} scenes, scored on {args.test}")
    print(f"{'grid':24s} {'channels':>8s} {'shape':>6s} {'colour':>6s}")
    for keys in SETS:
        xf, sf, cf = object_features(fit_imgs, fit_maps, keys)
        xt, st, ct = object_features(test_imgs, test_maps, keys)
        shape, colour = probe(xf, sf, xt, st), probe(xf, cf, xt, ct)
        print(f"{' + '.join(keys):24s} {xf.shape[1]:8d} {shape:6.3f} {colour:6.3f}", flush=True)


if __name__ == "__main__":
    main()
