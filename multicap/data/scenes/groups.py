"""Groups with known structure: near-duplicates of one scene, and clusters of scenes that share facts."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from multicap.data.scenes.render import render
from multicap.data.scenes.sampler import SamplerConfig, Scene, layout_facts, place_box, scene_rng
from multicap.facts.geometry import Box
from multicap.facts.scene import SceneFacts, SceneObject
from multicap.facts.scene_sentences import BACKGROUND_STYLES
from multicap.facts.scene_words import (
    BACKGROUND_COLOURS,
    BACKGROUND_KINDS,
    COLOURS,
    SHAPES,
    SIZE_SCALE,
    SIZES,
)

__all__ = ["NEAR_DUPLICATE_KINDS", "SceneCluster", "altered_versions", "make_clusters", "near_duplicates"]

NEAR_DUPLICATE_KINDS: tuple[str, ...] = ("original", "crop", "scale", "jpeg", "rotate", "exposure")
_CLUSTER_STREAM, _DUPLICATE_STREAM = 11, 13


def near_duplicates(scene: Scene, size: int = 224, seed: int = 0) -> list[tuple[str, Image.Image]]:
    """The scene drawn once and altered five ways (`altered_versions`): [(kind, image)] in
    NEAR_DUPLICATE_KINDS order."""
    rng = np.random.default_rng([seed, scene.render_seed, _DUPLICATE_STREAM])
    return altered_versions(render(scene.facts, size, scene.render_seed), rng)


def altered_versions(original: Image.Image, rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    """An RGB image and five altered copies: [(kind, image)] in NEAR_DUPLICATE_KINDS order.

    crop: 85-95% of each side, resized back; scale: a smaller copy (50-75% of each side); jpeg: re-encoded
    at quality 20-50; rotate: 3-8 degrees either way, corners filled with the image's mean colour;
    exposure: every channel times 0.6-0.8 or 1.2-1.4, clipped (an exposure edit; bright colours saturate).
    """
    w, h = original.size
    share = rng.uniform(0.85, 0.95)
    cw, ch = max(int(w * share), 1), max(int(h * share), 1)
    x0, y0 = (int(v) for v in rng.integers(0, [w - cw + 1, h - ch + 1], size=2))
    crop = original.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.Resampling.BILINEAR)
    factor = rng.uniform(0.5, 0.75)
    scaled = original.resize((max(int(w * factor), 8), max(int(h * factor), 8)), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    original.save(buf, format="JPEG", quality=int(rng.integers(20, 51)))
    jpeg = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    angle = float(rng.uniform(3, 8) * rng.choice([-1, 1]))
    mean = tuple(int(c) for c in np.asarray(original).reshape(-1, 3).mean(axis=0))
    rotated = original.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=mean)
    gain = rng.uniform(0.6, 0.8) if rng.random() < 0.5 else rng.uniform(1.2, 1.4)
    exposed = Image.fromarray(np.clip(np.asarray(original, np.float32) * gain, 0, 255).astype(np.uint8))
    versions = [original, crop, scaled, jpeg, rotated, exposed]
    return list(zip(NEAR_DUPLICATE_KINDS, versions, strict=True))


def _a(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


@dataclass
class SceneCluster:
    shared: SceneFacts  # what every member holds: objects (colour, shape) and the background kind
    summary: str  # the shared facts in words: "every image shows a red circle and a blue square ..."
    members: list[Scene]


def _anchors(rng: np.random.Generator, n_clusters: int) -> list[list[tuple[str, str]]]:
    """Two (colour, shape) pairs per cluster, no pair in two clusters."""
    pairs = [(c, s) for c in COLOURS for s in SHAPES]
    order = rng.permutation(len(pairs))
    return [[pairs[int(order[2 * i])], pairs[int(order[2 * i + 1])]] for i in range(n_clusters)]


def _member(
    rng: np.random.Generator,
    anchors: list[tuple[str, str]],
    kind: str,
    avoid: set[tuple[str, str]],
    cfg: SamplerConfig,
) -> SceneFacts | None:
    objects: list[SceneObject] = []
    taken: list[Box] = []
    extra = int(rng.integers(0, cfg.max_objects - len(anchors) + 1))
    free = [(c, s) for c in COLOURS for s in SHAPES if (c, s) not in avoid]
    wanted = anchors + [free[int(i)] for i in rng.integers(len(free), size=extra)]
    for colour, shape in [wanted[int(i)] for i in rng.permutation(len(wanted))]:
        size = SIZES[int(rng.integers(len(SIZES)))]
        box = place_box(rng, SIZE_SCALE[size], taken, cfg)
        if box is None:
            return None
        taken.append(box)
        objects.append(SceneObject(shape, box=box, attributes={"colour": colour, "size": size}))
    bg_colour = list(BACKGROUND_COLOURS)[int(rng.integers(len(BACKGROUND_COLOURS)))]
    return layout_facts(objects, {"background": kind, "background_colour": bg_colour}, cfg)


def make_clusters(
    seed: int, n_clusters: int = 4, per_cluster: int = 5, config: SamplerConfig = SamplerConfig()
) -> list[SceneCluster]:
    """Clusters of scenes: each member holds its cluster's two objects on its background kind.

    Other objects in a member never repeat any cluster's pair, so the shared facts of a cluster are exactly
    its two pairs and its background kind. At most 5 clusters (one per background kind).
    """
    if not 1 <= n_clusters <= len(BACKGROUND_KINDS):
        raise ValueError(f"n_clusters must be between 1 and {len(BACKGROUND_KINDS)}")
    if per_cluster < 2:  # one scene shares all its facts with itself, not only its cluster's
        raise ValueError("per_cluster must be at least 2")
    rng = scene_rng(seed, 0, _CLUSTER_STREAM)
    anchors = _anchors(rng, n_clusters)
    avoid = {pair for group in anchors for pair in group}
    kinds = [BACKGROUND_KINDS[int(i)] for i in rng.permutation(len(BACKGROUND_KINDS))[:n_clusters]]
    clusters = []
    for group, kind in zip(anchors, kinds, strict=True):
        members: list[Scene] = []
        while len(members) < per_cluster:
            facts = _member(rng, group, kind, avoid, config)
            if facts is not None:
                members.append(Scene(facts, int(rng.integers(2**31))))
        shared = SceneFacts(
            objects=[SceneObject(shape, attributes={"colour": colour}) for colour, shape in group],
            image_attributes={"background": kind},
        )
        (c0, s0), (c1, s1) = group
        background = BACKGROUND_STYLES[0][kind].replace(" {c}", "")
        summary = f"every image shows {_a(c0 + ' ' + s0)} and {_a(c1 + ' ' + s1)} on {background}"
        clusters.append(SceneCluster(shared, summary, members))
    return clusters
