"""Objects from one forward pass: the ImageNet classifier applied to regions of the final feature map.

The classifier is linear on the average of the final map's cells, so applying it to the average of any
window of cells costs nothing beyond one matrix product per cell (the class-activation map, CAM). Windows
at three scales — the whole map, 2×2 overlapping 5×5-cell windows, 3×3 overlapping 3×3-cell windows at
224 px — each give a class distribution; confident classes become candidates, boxed by the CAM of their
class inside the window. A class found in a part of the image must have some probability in the whole
image too (small windows alone hallucinate), and its confidence there is the geometric mean of the
window's probability and the whole image's (a small window alone is overconfident). Candidates of related
classes (WordNet: a shared ancestor within two hops) whose boxes touch merge into one object: "tabby" and
"tiger cat" over one place are one cat; two of them far apart are two. A detection boxed mostly inside a
surer one of the same wider kind (a moped inside a motor scooter's box) is that one read twice, and
dropped (`without_nested_kin`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from multicap.describe.colours import interpolation_matrix

__all__ = [
    "KIN_CLASSES", "KIN_HOPS", "Detection", "RegionConfig", "Related", "best_guess", "detect_regions",
    "share_inside", "window_logits", "without_nested_kin", "without_twins",
]  # fmt: skip

Box = tuple[float, float, float, float]
# Two classes are of one kind (`without_nested_kin`) where they share an ancestor within five hops that
# covers at most 120 classes: a dog's 118 breeds, a car's kinds; not a dog and a cat, nor a daisy and a bee.
KIN_HOPS, KIN_CLASSES = 5, 120
NESTED = 0.85  # the share of a detection's box inside a surer one's of its kind that makes it the same thing


@dataclass(frozen=True)
class RegionConfig:
    scales: tuple[tuple[int, int], ...] = ((7, 1), (5, 2), (3, 2))  # (window side in cells, stride)
    min_confidence: float = 0.2  # least probability (of the class and its related classes) to keep
    top_k: int = 5  # most objects per image
    per_window: int = 2  # classes considered per window
    cam_threshold: float = 0.4  # fraction of the CAM's range inside the window that marks the object
    support: float = 0.03  # least whole-image probability of a class found in a smaller window
    merge_gap: float = 0.1  # related candidates whose boxes come closer than this are one object
    upsample: int = 4  # CAM resolution multiplier (7×7 → 28×28 at 224 px)
    guess_floor: float = 0.05  # with nothing confident, the whole image's best class is still said as a
    #                            guess when its probability (with its related classes) reaches this


@dataclass(frozen=True)
class Related:
    """Which classes pool their probability: `dense`, (C, C) with 1 where two classes are related, and its
    transpose as a sparse (CSR) matrix for `pool`. ImageNet's classes have at most 12 related ones, so the
    sparse product takes 0.03 ms for the 14 windows of a photo where the dense one took 0.42 (one thread)."""

    dense: torch.Tensor
    sparse_t: torch.Tensor

    @classmethod
    def of(cls, related: torch.Tensor | np.ndarray) -> Related:
        dense = torch.as_tensor(related, dtype=torch.float32)
        with warnings.catch_warnings():  # torch calls its CSR layout beta; the product used here is plain
            warnings.simplefilter("ignore", UserWarning)
            sparse_t = dense.T.to_sparse_csr()
        return cls(dense, sparse_t)

    def pool(self, probs: torch.Tensor) -> torch.Tensor:
        """(C,) or (K, C) probabilities → the same, each with its related classes added: probs @ dense."""
        if probs.dim() == 1:
            return (self.sparse_t @ probs[:, None])[:, 0]
        return (self.sparse_t @ probs.T).T


@dataclass
class Detection:
    cls: int  # ImageNet class index
    confidence: float  # probability of the class and its related classes in the window that found it
    box: Box  # (x0, y0, x1, y1) in 0..1
    mask: np.ndarray  # (h*upsample, w*upsample) bool: the CAM region of the object


def window_logits(cam: torch.Tensor, side: int, stride: int) -> tuple[torch.Tensor, list[tuple[int, int]]]:
    """(C, h, w) class-activation maps → (K, C) logits of each side×side window, and each window's origin."""
    C, h, w = cam.shape
    side_h, side_w = min(side, h), min(side, w)
    pooled = F.avg_pool2d(cam[None], (side_h, side_w), stride)[0]  # (C, kh, kw)
    kh, kw = pooled.shape[-2:]
    origins = [(i * stride, j * stride) for i in range(kh) for j in range(kw)]
    return pooled.flatten(1).T, origins  # (K, C)


def _box_from_cam(
    cam: torch.Tensor, window: tuple[int, int, int], cfg: RegionConfig
) -> tuple[Box, np.ndarray]:
    """(h, w) CAM of one class, window (row, col, side) → its box in 0..1 and mask at `upsample`×.

    In NumPy, by two small matrix products: the same map as torch's bilinear `interpolate`, at a third of
    its cost for a 7 × 7 map (about 8 calls a photo)."""
    h, w = cam.shape
    u = cfg.upsample
    up = interpolation_matrix(h, h * u) @ cam.numpy() @ interpolation_matrix(w, w * u).T  # (h*u, w*u)
    r, c, side = window
    inside = np.zeros(up.shape, dtype=bool)
    inside[r * u : (r + side) * u, c * u : (c + side) * u] = True
    vals = up[inside]
    lo, hi = float(vals.min()), float(vals.max())
    mask = inside & (up >= lo + cfg.cam_threshold * (hi - lo))  # (h*u, w*u)
    rows = np.flatnonzero(mask.any(1))
    cols = np.flatnonzero(mask.any(0))
    box = (
        float(cols[0]) / (w * u),
        float(rows[0]) / (h * u),
        float(cols[-1] + 1) / (w * u),
        float(rows[-1] + 1) / (h * u),
    )
    return box, mask


def _gap(a: Box, b: Box) -> float:
    """The distance between two boxes along the axis where they are furthest apart (≤ 0 if they overlap)."""
    return max(max(a[0], b[0]) - min(a[2], b[2]), max(a[1], b[1]) - min(a[3], b[3]))


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _candidates(
    cam: torch.Tensor, related: Related, excluded: torch.Tensor, cfg: RegionConfig
) -> list[tuple[float, int, tuple[int, int, int]]]:
    """(confidence, class, window (row, col, side)) of every confident class in every window."""
    out = []
    whole = related.pool(torch.softmax(cam.mean(dim=(1, 2)), dim=-1))  # (C,)
    for side, stride in cfg.scales:
        logits, origins = window_logits(cam, side, stride)  # (K, C)
        probs = torch.softmax(logits, dim=-1)  # (K, C)
        group = related.pool(probs)  # (K, C): probability of each class with its related classes
        group[:, excluded] = 0.0
        if len(origins) > 1:  # a part of the image: only what the whole image also supports, and the
            # confidence is the geometric mean of the part's and the whole's (small windows are overconfident)
            group[:, whole < cfg.support] = 0.0
            group = (group * whole).sqrt()
        conf, cls = group.topk(cfg.per_window, dim=-1)  # (K, per_window)
        for k, (r, c) in enumerate(origins):
            named: set[int] = set()
            for p, j in zip(conf[k].tolist(), cls[k].tolist(), strict=True):
                if p < cfg.min_confidence:  # most windows' classes: their best member is not looked for
                    continue
                best = int(
                    (probs[k] * related.dense[j]).argmax()
                )  # the group's most probable member names it
                if best not in named:
                    named.add(best)
                    out.append((p, best, (r, c, min(side, cam.shape[1]))))
    out.sort(key=lambda t: -t[0])
    return out


def detect_regions(
    cam: torch.Tensor, related: Related | torch.Tensor, excluded: torch.Tensor, cfg: RegionConfig
) -> list[Detection]:
    """(C, h, w) class-activation maps of one image → merged detections, most confident first.

    Args:
        cam: per-cell class logits (the classifier applied to each cell of the final map).
        related: (C, C) float, 1 where two classes are related (they merge and pool their probability),
            or the same as a `Related` (made once: faster).
        excluded: (C,) bool, classes that are never objects (settings such as "seashore").
        cfg: thresholds and scales.
    """
    related = related if isinstance(related, Related) else Related.of(related)
    found: list[Detection] = []
    for conf, cls, window in _candidates(cam, related, excluded, cfg):
        if len(found) == cfg.top_k:
            break
        box, mask = _box_from_cam(cam[cls], window, cfg)
        same = [d for d in found if related.dense[d.cls, cls] > 0 and _gap(d.box, box) < cfg.merge_gap]
        if same:  # another view of an object already found: it may show more of it
            same[0].box = _union(same[0].box, box)
            same[0].mask |= mask
            continue
        found.append(Detection(cls, conf, box, mask))
    return _consolidate(found, related, cfg)


def best_guess(
    cam: torch.Tensor, related: Related | torch.Tensor, excluded: torch.Tensor, cfg: RegionConfig
) -> list[Detection]:
    """The whole image's most probable class (with its related classes) as one low-confidence detection,
    or none when even that is below `guess_floor`: "nothing recognised" only when nothing is."""
    related = related if isinstance(related, Related) else Related.of(related)
    probs = torch.softmax(cam.mean(dim=(1, 2)), dim=-1)  # (C,)
    group = related.pool(probs)  # (C,)
    group[excluded] = 0.0
    p, k = float(group.max()), int(group.argmax())
    if p < cfg.guess_floor:
        return []
    best = int((probs * related.dense[k]).argmax())  # the group's most probable member names it
    h, w = cam.shape[1:]
    box, mask = _box_from_cam(cam[best], (0, 0, max(h, w)), cfg)
    return [Detection(best, p, box, mask)]


def without_nested_kin(
    found: list[Detection], kin: np.ndarray, inside: float = NESTED, *, weak_kin: np.ndarray | None = None
) -> list[Detection]:
    """`found` (most confident first) less each detection whose box lies mostly (at least `inside` of its
    area) within a more confident one's of the same kind (`kin`, (C, C) bool: `KIN_HOPS` and `KIN_CLASSES`
    for `related_classes`): one thing read twice, not two ("a moped and a motor scooter" for one
    motorcycle, "a cab and a minivan" for one car). Things of other kinds stay: a bee on a daisy, a
    goldfish in a coral reef; the describer leaves animals out of `kin` (two dogs one above the other) and
    puts them in `weak_kin`: kin only where the one inside is weak (under `WEAK_KIN`: a black dog in a
    forest had been "a dog, a Labrador retriever and a schipperke", the two at 0.27 inside the first)."""
    kept: list[Detection] = []
    for det in found:
        if not any(_same(det, k, kin, weak_kin) and share_inside(det.box, k.box) >= inside for k in kept):
            kept.append(det)
    return kept


WEAK_KIN = 0.3  # the confidence under which an animal inside another of its kind is that one read again


def _same(det: Detection, surer: Detection, kin: np.ndarray, weak_kin: np.ndarray | None) -> bool:
    """Whether `det` is of `surer`'s kind, as `without_nested_kin` reads it."""
    if kin[surer.cls, det.cls]:
        return True
    return weak_kin is not None and det.confidence < WEAK_KIN and bool(weak_kin[surer.cls, det.cls])


RIVAL_INSIDE = 0.6  # the share of an animal's box inside a surer one's of another kind: it is a rival reading


def rival_readings(
    found: list[Detection], animal: np.ndarray, kin: np.ndarray, inside: float = RIVAL_INSIDE
) -> tuple[list[Detection], dict[int, Detection]]:
    """`found` (most confident first) less each animal whose box lies mostly (at least `inside` of its area)
    within a surer animal's of another kind (`animal`, (C,) bool; not `kin`, (C, C) bool), and the rival
    reading each kept one has (by its place in the list; the surest): one animal read two ways, not two
    animals (a kitten had been "a fox and a cat", another "a dog and a cat"). Animals of one kind stay
    two (two spoonbills, two dogs: `without_nested_kin` reads those)."""
    kept: list[Detection] = []
    rivals: dict[int, Detection] = {}
    for det in found:
        host = next(
            (
                k
                for k, surer in enumerate(kept)
                if animal[surer.cls]
                and animal[det.cls]
                and surer.cls != det.cls
                and not kin[surer.cls, det.cls]
                and share_inside(det.box, surer.box) >= inside
            ),
            None,
        )
        if host is None:
            kept.append(det)
        else:  # (a third reading of it is left unsaid)
            rivals.setdefault(host, det)
    return kept, rivals


TWIN_IOU = 0.8  # boxes overlapping this much (intersection over union) are one region read twice


def without_twins(found: list[Detection], least: float = TWIN_IOU) -> list[Detection]:
    """`found` (most confident first) less each detection whose box is nearly a surer one's (IoU at least
    `least`), whatever its class: one region read as two things ("a daisy and a bee" for a daisy alone,
    the bee's box the daisy's; "a lighter and a whistle" for one eraser). A thing on another has a box of
    its own (a real bee on a flower: under 0.5)."""
    kept: list[Detection] = []
    for det in found:
        if not any(_iou(det.box, k.box) >= least for k in kept):
            kept.append(det)
    return kept


def _iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0.0, w) * max(0.0, h)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def share_inside(a: Box, b: Box) -> float:
    """The share of box `a`'s area that lies inside box `b`."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = (a[2] - a[0]) * (a[3] - a[1])
    return max(0.0, w) * max(0.0, h) / area if area > 0 else 0.0


def _consolidate(found: list[Detection], related: Related, cfg: RegionConfig) -> list[Detection]:
    """Merge related objects whose boxes, grown by later views, now touch (stronger one first)."""
    kept: list[Detection] = []
    for det in found:
        host = next((k for k in kept if related.dense[k.cls, det.cls] > 0 and _gap(k.box, det.box) < 0), None)
        if host is None:
            kept.append(det)
        else:
            host.box, host.mask = _union(host.box, det.box), host.mask | det.mask
    return kept
