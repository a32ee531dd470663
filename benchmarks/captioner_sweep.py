r"""Train several variants of the scenes recipe for the same number of epochs and compare validation fact F1.

An ablation at a fixed number of epochs, not of minutes: on an H200 each variant took about 4 minutes, so
choices can be screened before a 20-minute run on two CPU cores confirms the winner. Variants are
`name=key=value,key=value` (recipe overrides; commas inside [...] stay); `base`, with no overrides, is run
first unless `--no-base`.

    python benchmarks/captioner_sweep.py --data data/scenes --device cuda --epochs 4 \
        --variant "ground=loss.alpha_g=1.0" \
        --variant "ground_nouns=loss.alpha_g=1.0,data.ground_spatial=false"

With `--generate N`, the scenes are generated into `--data` first (seed 0, 160 px, as in the recipe).
With `--parallel`, the features are cached once and then every variant trains at the same time, one process
each: on a GPU a step is a Python loop of small kernels that leaves the device mostly idle (on an H200,
2026-11-27: one variant alone 38 s an epoch, five at once 50 s an epoch each). Results go to stdout and,
one JSON line per variant and epoch, to `--out`.

    python benchmarks/captioner_sweep.py --generate 8000 --data /tmp/scenes --workers 14 --device cuda \
        --epochs 7 --parallel --variant "canon4=data.canonical=[object,attribute,layout,caption]" \
        --variant "lr5=train.lr=0.005" --variant "drop0=model.dropout=0.0"
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from multicap.captioning.batches import build_examples
from multicap.captioning.recipe import Recipe, load_recipe
from multicap.captioning.train import TrainEvent, train
from multicap.data.scenes import ScenesConfig, generate_dataset


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="data/scenes")
    parser.add_argument("--generate", type=int, default=0, help="generate this many scenes into --data first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--runs", default="runs/sweep")
    parser.add_argument("--out", default="sweep.jsonl")
    parser.add_argument("--variant", action="append", default=[], help="name=key=value,key=value")
    parser.add_argument("--no-base", action="store_true", help="skip the unmodified recipe")
    parser.add_argument("--parallel", action="store_true", help="train all variants at once, a process each")
    args = parser.parse_args()
    if args.generate:
        t0 = time.perf_counter()
        generate_dataset(args.data, ScenesConfig(n=args.generate, size=160, seed=0), workers=args.workers)
        print(f"generated {args.generate} scenes in {time.perf_counter() - t0:.1f} s", flush=True)
    specs = ([] if args.no_base else ["base="]) + args.variant
    if args.parallel:
        return _in_parallel(args, specs)
    for name, overrides in map(_parse, specs):
        recipe = _recipe(args, name, overrides)
        t0 = time.perf_counter()

        def report(event: TrainEvent, name: str = name, t0: float = t0) -> None:
            if event.kind != "validation":
                return
            f1 = {lv: round(s.fact_f1 or 0.0, 4) for lv, s in event.scores.items()}
            row = {"variant": name, "epoch": event.epoch, "seconds": round(time.perf_counter() - t0, 1)}
            row.update(loss=round(event.loss, 4), fact_f1=f1)
            print(json.dumps(row), flush=True)
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")

        command = " ".join(["python", *sys.argv]) + f"  # variant {name}"
        train(recipe, progress=report, command=command)
    return 0


def _recipe(args: argparse.Namespace, name: str, overrides: list[str]) -> Recipe:
    return load_recipe(
        Path(__file__).resolve().parents[1] / "configs" / "scenes.yaml",
        [
            f"data.corpus={args.data}",
            f"train.device={args.device}",
            f"train.epochs={args.epochs}",
            "train.max_minutes=0",
            f"train.patience={args.epochs}",
            f"train.out={args.runs}/{name}",
            *overrides,
        ],
    )


def _in_parallel(args: argparse.Namespace, specs: list[str]) -> int:
    """Cache the features once, then run this script on each variant in its own process, all at once."""
    t0 = time.perf_counter()
    build_examples(_recipe(args, "features", []))
    print(f"features cached in {time.perf_counter() - t0:.1f} s", flush=True)
    common = ["--data", args.data, "--device", args.device, "--epochs", str(args.epochs)]
    common += ["--runs", args.runs, "--out", args.out, "--no-base"]
    procs = [subprocess.Popen([sys.executable, __file__, *common, "--variant", spec]) for spec in specs]
    return max(p.wait() for p in procs)


def _parse(spec: str) -> tuple[str, list[str]]:
    name, _, rest = spec.partition("=")
    return name, [kv for kv in re.split(r",(?![^\[]*\])", rest) if kv]  # commas inside [...] stay


if __name__ == "__main__":
    sys.exit(main())
