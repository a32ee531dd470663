"""Vision-language models on this CPU: images/s and memory of each registered architecture (random weights
give the speed), beside EfficientNet-Lite0; and `index` with ViT-B-32 as a ratio of open_clip's own
tensors-only `encode_image` in the same process (target ≥ 0.7).

    python benchmarks/clip_speed.py --jpegs 64 --seconds 8

Random weights: the speed of a model does not depend on its weights; no weights are downloaded. The
index run uses an open_clip folder of random ViT-B-32 weights written to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import open_clip
import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_throughput import make_jpegs

from multicap.encoders import create_encoder
from multicap.encoders.clip import build_encoder
from multicap.encoders.clip_models import CLIP_MODELS
from multicap.index.build import index_paths
from multicap.index.models import open_model


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak so far, MB


def images_per_s(encoder, batch: int, seconds: float) -> float:
    side = encoder.preprocess.size
    pixels = torch.randint(0, 256, (batch, 3, side, side), dtype=torch.uint8)
    encoder.encode_batch(pixels)  # warm-up
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        encoder.encode_batch(pixels)
        n += batch
    return n / (time.perf_counter() - t)


def open_clip_only(model, side: int, batch: int, seconds: float) -> float:
    """open_clip's own encode_image on ready tensors: no decoding, no resizing, no storage."""
    x = torch.randn(batch, 3, side, side)
    with torch.inference_mode():
        model.encode_image(x)
        n, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds:
            model.encode_image(x)
            n += batch
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jpegs", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    rows = []
    for name in ["efficientnet_lite0", *CLIP_MODELS]:
        before = _rss_mb()
        enc = create_encoder(name) if name == "efficientnet_lite0" else build_encoder(name, pretrained=False)
        speed = images_per_s(enc, args.batch, args.seconds)
        peak = _rss_mb()
        rows.append(
            {"model": name, "input_px": enc.preprocess.size, "images_per_s": round(speed, 1),
             "peak_rss_mb": round(peak), "peak_rss_growth_mb": round(peak - before)}
        )  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
        del enc
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "vit-b-32"
        folder.mkdir()
        config = {"model_cfg": open_clip.get_model_config("ViT-B-32"), "preprocess_cfg": {}}
        (folder / "open_clip_config.json").write_text(json.dumps(config))
        ref = open_clip.create_model("ViT-B-32", pretrained=None).eval()
        save_file(
            {k: v.contiguous() for k, v in ref.state_dict().items()},
            str(folder / "open_clip_model.safetensors"),
        )
        photos = work / "jpegs"
        photos.mkdir()
        make_jpegs(photos, args.jpegs)
        model = open_model(str(folder))
        base_before = open_clip_only(ref, 224, args.batch, args.seconds)
        t = time.perf_counter()
        report = index_paths(work / "idx", [photos], model, batch_size=args.batch)
        index_speed = report.added / (time.perf_counter() - t)
        base_after = open_clip_only(ref, 224, args.batch, args.seconds)
        base = (base_before + base_after) / 2
        print(json.dumps({"index_vit_b_32_images_per_s": round(index_speed, 1),
                          "open_clip_encode_image_images_per_s": round(base, 1),
                          "ratio": round(index_speed / base, 3), "target": 0.7}))  # fmt: skip


if __name__ == "__main__":
    main()
