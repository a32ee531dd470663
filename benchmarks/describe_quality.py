"""`multicap describe`: object hits on real photos, fact precision/recall on scenes, set summaries, speed.

  --photos   the fraction of real photos with known content whose main object is among the described
             objects (a label or a WordNet tag of one of them matches the photo's main-object words);
             examples/photos, matplotlib's grace_hopper.jpg (a dependency, public domain) and
             benchmarks/photos (licences in its LICENSES.md). Also with
             the whole image alone (no smaller windows), to show what the region scales add.
  --speed    images/s of the grounded describer on 100 JPEGs (640×480) from disk, every level, as a ratio
             to the encoder's tensors-only throughput (uint8 batches of 32 at 224 px), alternating rounds;
             with --real, on the real-photo benchmark's 91 photos instead; --bodies-from 0 runs the body
             detector (and the sky's) on every photo, the default only where the classifier sees a wide
             scene or what people wear or play with. The script starts as `multicap` does
             (`multicap.cli.threads.configure()` chooses how torch's threads wait; before 2026-12-05 it
             ran with torch's defaults, which the command never uses: ratio 0.25 → 0.27 on this machine).
  --scenes   fact precision/recall per level on unseen synthetic scenes for the grounded describer and a
             trained bundle (`--bundle`), parsing each text with multicap.facts.scene_parse.
  --sets     precision/recall of the shared and the distinguishing facts of the set summaries of
             scene clusters (multicap.data.scenes.make_clusters) against the clusters' ground truth, for
             the grounded describer, the bundle, and the bundle without its layout reading (cross_read).

Usage:
    .venv/bin/python benchmarks/describe_quality.py --photos --speed
    .venv/bin/python benchmarks/describe_quality.py --scenes --sets --bundle runs/scenes/best --n 100
    .venv/bin/python benchmarks/describe_quality.py --sets --bundle scenes-small --set-seeds 3,4,5,6
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from multicap.cli.threads import configure

configure()  # as the command does before torch loads: how its threads wait, from what the machine is doing

import torch  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_throughput import make_jpegs, ours_only  # noqa: E402

from multicap.describe import Describer, Description, create_describer, describe_paths  # noqa: E402
from multicap.describe.grounded import GroundedConfig, GroundedDescriber  # noqa: E402
from multicap.describe.regions import RegionConfig  # noqa: E402
from multicap.encoders.runtime import tune_malloc  # noqa: E402
from multicap.facts import SceneFacts  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REAL_PHOTOS = REPO / "data" / "real_photos"  # scripts/fetch_real_photos.py writes them
LEVELS = ["object", "attribute", "layout"]

# Photo → words that name its main object (a described label or WordNet tag must be one of them).
MAIN_OBJECT: dict[str, set[str]] = {
    "coffee.jpg": {"espresso", "coffee", "cup", "coffee mug"},
    "chelsea.jpg": {"cat"},
    "camera.jpg": {"tripod", "camera", "reflex camera"},
    "rocket.jpg": {"missile", "rocket", "projectile", "space shuttle"},
    "astronaut.jpg": {"astronaut", "space suit"},  # ImageNet has no person class: expected to miss
    "grace_hopper.jpg": {"military uniform"},  # Rear Admiral Grace Hopper in uniform
    "clock.jpg": {"wall clock", "analog clock", "clock"},  # benchmarks/photos: motion-blurred, greyscale
}


def _photo_paths() -> list[Path]:
    import matplotlib

    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    extra = sorted((REPO / "benchmarks" / "photos").glob("*.jpg"))
    return [*sorted((REPO / "examples" / "photos").glob("*.jpg")), hopper, *extra]


def _names(desc: Description) -> set[str]:
    objs = desc.facts.objects if desc.facts else []
    return {o.label for o in objs} | {t for o in objs for t in o.attributes.get("tags", "").split(", ")}


def photos() -> dict[str, object]:
    out: dict[str, object] = {}
    whole_only = RegionConfig(scales=((7, 1),))
    for name, describer in (
        ("three scales", GroundedDescriber()),
        ("whole image only", GroundedDescriber(GroundedConfig(regions=whole_only))),
    ):
        descs = list(describe_paths(describer, _photo_paths(), ["object"]))
        hits = {d.path.name: bool(_names(d) & MAIN_OBJECT[d.path.name]) for d in descs}
        out[name] = {
            "hit_rate": sum(hits.values()) / len(hits),
            "hits": hits,
            "objects": {d.path.name: d.texts["object"] for d in descs},
        }
    return out


def speed(
    rounds: int, seconds: float, people: bool = True, bodies_from: float | None = None, real: bool = False
) -> dict[str, float]:
    tune_malloc()
    config = GroundedConfig(people=people)
    if bodies_from is not None:
        config = replace(config, wide_scene_from=bodies_from, beside_people_from=bodies_from)
    describer = GroundedDescriber(config)
    with tempfile.TemporaryDirectory() as tmp:
        paths = sorted(REAL_PHOTOS.glob("*.jpg")) if real else make_jpegs(Path(tmp), 100)
        if real and not paths:
            sys.exit(f"no photos in {REAL_PHOTOS}: run scripts/fetch_real_photos.py first")
        describe_rates, tensor_rates = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            n = sum(1 for _ in describe_paths(describer, paths, [*LEVELS, "caption"], batch_size=32))
            describe_rates.append(n / (time.perf_counter() - start))
            tensor_rates.append(ours_only(seconds, 32))
    ratios = [d / t for d, t in zip(describe_rates, tensor_rates, strict=True)]
    return {
        "describe_images_per_s": statistics.median(describe_rates),
        "tensors_only_images_per_s": statistics.median(tensor_rates),
        "ratio": statistics.median(ratios),
    }


def _scenes(n: int, start: int) -> list[tuple[SceneFacts, Image.Image]]:
    """Unseen scenes of the training dataset's generator (seed 0), far past any index it wrote."""
    from multicap.data.scenes import ScenesConfig, render, scene_record

    config = ScenesConfig(n=10**7, seed=0)
    recs = [scene_record(config, start + i) for i in range(n)]
    return [(r.facts, render(r.facts, 224, r.render_seed)) for r in recs]


def _write(images: list[Image.Image], folder: Path) -> list[Path]:
    paths = []
    for i, img in enumerate(images):
        paths.append(folder / f"{i:05d}.png")
        img.save(paths[-1])
    return paths


def _prf(pred: Counter, true: Counter) -> dict[str, float | None]:
    """Micro precision and recall; precision is None when nothing was predicted."""
    hit = sum((pred & true).values())
    p = round(hit / sum(pred.values()), 4) if pred else None
    r = round(hit / sum(true.values()), 4) if true else 1.0
    return {"precision": p, "recall": r}


def scenes(n: int, bundle: str | None) -> dict[str, object]:
    from multicap.data.scenes import parse, stated_tuples

    data = _scenes(n, 5_000_000)
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write([img for _, img in data], Path(tmp))
        for name in ["grounded", *([bundle] if bundle else [])]:
            describer = create_describer(name)
            descs = list(describe_paths(describer, paths, LEVELS, batch_size=32))
            per_level = {}
            for level in LEVELS:
                pred, true = Counter(), Counter()
                for d, (facts, _) in zip(descs, data, strict=True):
                    pred += stated_tuples(parse(d.texts[level]), level, relations="stated")
                    true += stated_tuples(facts, level, relations="mentioned")
                per_level[level] = _prf(pred, true)
            out[name] = per_level
    return out


def _truth_description(path: Path, facts: SceneFacts) -> Description:
    return Description(path, facts)


def _said(path: Path, facts: SceneFacts, level: str) -> Description:
    """A perfect describer: the generator's own sentence at `level`, parsed back as a bundle's would be."""
    from multicap.data.scenes import describe, parse

    return Description(path, parse(describe(facts, level)))


def _set_scores(summaries: list, truths: list) -> dict[str, dict[str, float | None]]:
    """Micro P/R of shared and distinguishing features; "shared or most" also counts, as predicted shared,
    the features the summary says all but one image hold (its `common` list)."""
    shared_p, most_p, shared_t, dist_p, dist_t = Counter(), Counter(), Counter(), Counter(), Counter()
    for s, t in zip(summaries, truths, strict=True):
        shared_p += Counter(s.shared)
        most_p += Counter([*s.shared, *(f for f, c in s.common if c >= s.n_images - 1)])
        shared_t += Counter(t.shared)
        for k, path in enumerate(t.distinct):
            dist_p += Counter((k, f) for f in s.distinct.get(path, []))
            dist_t += Counter((k, f) for f in t.distinct[path])
    return {
        "shared": _prf(shared_p, shared_t),
        "shared or all but one": _prf(most_p, shared_t),
        "distinct": _prf(dist_p, dist_t),
    }


def _describers(bundle: str | None) -> list[tuple[str, Describer]]:
    """The grounded describer, and the bundle's with and without its layout reading cross-checking the
    objects of the other levels (`NeuralDescriber.cross_read`)."""
    out: list[tuple[str, Describer]] = [("grounded", create_describer("grounded"))]
    if bundle:
        out.append((bundle, create_describer(bundle)))
        out.append((f"{bundle}, without the layout reading", create_describer(bundle, cross_read=False)))
    return out


def sets(
    bundle: str | None, level: str, n_clusters: int, per_cluster: int, seeds: list[int]
) -> dict[str, object]:
    """Summaries of each cluster from the describer's facts vs from the true facts, same function."""
    from multicap.data.scenes import make_clusters, render
    from multicap.describe.summary import summarize_set

    clusters = [c for sd in seeds for c in make_clusters(sd, n_clusters=n_clusters, per_cluster=per_cluster)]
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folders = []
        for c, cluster in enumerate(clusters):
            folder = Path(tmp) / f"c{c}"
            folder.mkdir()
            images = [render(m.facts, 224, m.render_seed) for m in cluster.members]
            folders.append(_write(images, folder))
        truths = [
            summarize_set(
                [_truth_description(p, m.facts) for p, m in zip(paths, cl.members, strict=True)], level
            )
            for paths, cl in zip(folders, clusters, strict=True)
        ]
        for name, describer in _describers(bundle):
            summaries = [
                summarize_set(list(describe_paths(describer, paths, [level])), level) for paths in folders
            ]
            out[name] = _set_scores(summaries, truths)
        oracle = [
            summarize_set([_said(p, m.facts, level) for p, m in zip(paths, cl.members, strict=True)], level)
            for paths, cl in zip(folders, clusters, strict=True)
        ]
        out["generated sentences, parsed (upper bound)"] = _set_scores(oracle, truths)
        out["truth_example"] = truths[0].to_dict()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--scenes", action="store_true")
    parser.add_argument("--sets", action="store_true")
    parser.add_argument("--bundle", default=None, help="a trained scenes bundle (folder or name)")
    parser.add_argument("--n", type=int, default=100, help="scenes for --scenes")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--no-people", action="store_true", help="--speed without the people detector")
    parser.add_argument(
        "--bodies-from",
        type=float,
        default=None,
        help="--speed with this GroundedConfig.wide_scene_from (0: always)",
    )
    parser.add_argument("--real", action="store_true", help="--speed on the real-photo benchmark's photos")
    parser.add_argument("--level", default="attribute", help="the level of --sets summaries")
    parser.add_argument("--clusters", type=int, default=4, help="scene clusters per seed for --sets (≤ 5)")
    parser.add_argument("--per-cluster", type=int, default=5, help="scenes per cluster for --sets")
    parser.add_argument("--set-seeds", default="3", help="make_clusters seeds for --sets, comma-separated")
    args = parser.parse_args()
    torch.set_num_threads(2)
    result: dict[str, object] = {}
    if args.photos:
        result["photos"] = photos()
    if args.speed:
        result["speed"] = speed(
            args.rounds, args.seconds, people=not args.no_people, bodies_from=args.bodies_from, real=args.real
        )
    if args.scenes:
        result["scenes"] = scenes(args.n, args.bundle)
    if args.sets:
        seeds = [int(x) for x in args.set_seeds.split(",")]
        result["sets"] = sets(args.bundle, args.level, args.clusters, args.per_cluster, seeds)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
