"""The grounded describer: SceneFacts for real photos from a pretrained ImageNet encoder, no training.

One forward pass per image at the encoder's input size (the whole image, squashed so nothing is cropped
away) gives the final feature map; the classifier applied to its cells gives class-activation maps, from
which `regions.detect_regions` finds objects at three scales. Colours come from the pixels under each
object's CAM region, positions and relations from the boxes, the setting from the place classes of
ImageNet ("seashore", "alp"), and the image's own attributes from all its pixels.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from multicap.describe.colours import image_colour_attributes, object_colours
from multicap.describe.description import DescribedBatch, Description
from multicap.describe.places import PHOTO_NEXT_TO_GAP, SETTINGS
from multicap.describe.regions import Detection, RegionConfig, best_guess, detect_regions
from multicap.describe.verbalize import GUESS, verbalize
from multicap.describe.wordnet import imagenet_concepts, related_classes
from multicap.encoders import Encoder, create_encoder
from multicap.errors import ConfigError
from multicap.facts.geometry import chain_relations, position_of, size_of
from multicap.facts.scene import SceneFacts, SceneObject
from multicap.io import load_image

__all__ = ["GroundedConfig", "GroundedDescriber", "LoadedImage", "grounded_describer"]


@dataclass(frozen=True)
class GroundedConfig:
    encoder: str = "efficientnet_lite0"  # a registered encoder with an ImageNet head
    image_size: int = 224  # input side; the final map is image_size / 32 cells across
    regions: RegionConfig = field(default_factory=RegionConfig)  # scales and thresholds of detection
    setting_confidence: float = 0.2  # least probability of a place class to state the setting


@dataclass
class LoadedImage:
    pixels: torch.Tensor  # (3, S, S) uint8, the whole image squashed to the encoder's input
    size: tuple[int, int]  # (width, height) of the decoded image


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run the many small per-image tensor ops on one thread: on two busy cores, a second thread's
    synchronisation made them 15-60× slower (0.25 ms → 15 ms for one pooling, measured)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class GroundedDescriber:
    """Images → `Description` with `SceneFacts` and text at every level, from ImageNet classifications."""

    name = "grounded"
    levels: tuple[str, ...] = ("object", "attribute", "layout", "caption")

    def __init__(
        self, config: GroundedConfig | None = None, *, encoder: Encoder | None = None, device: str = "cpu"
    ) -> None:
        self.config = config or GroundedConfig()
        self.encoder = encoder or create_encoder(
            self.config.encoder, image_size=self.config.image_size, squash=True, device=device
        )
        head = getattr(self.encoder.backbone, "classifier", None)
        if self.encoder.labels is None or not isinstance(head, torch.nn.Linear):
            raise ConfigError(
                f"encoder {self.encoder.name!r} has no ImageNet classifier: use efficientnet_lite0"
            )
        self._weight = head.weight.detach().float().cpu()  # (1000, D)
        self._bias = head.bias.detach().float().cpu()  # (1000,)
        self._related = torch.from_numpy(related_classes().astype(np.float32))  # (1000, 1000)
        names = self.encoder.labels
        self._settings = torch.tensor([n in SETTINGS for n in names])  # (1000,) bool
        self._concepts = imagenet_concepts()

    def load(self, path: Path) -> LoadedImage:
        """Decode and squash one image (raises ImageLoadError for a bad file)."""
        img = load_image(path, min_short_side=self.encoder.preprocess.size)
        return LoadedImage(self.encoder.preprocess.to_uint8(img), img.size)

    def describe_batch(
        self, paths: Sequence[Path], images: Sequence[LoadedImage], levels: Sequence[str]
    ) -> DescribedBatch:
        feats = self.encoder.encode_batch(torch.stack([im.pixels for im in images]))
        h, w = feats.grid_hw
        cams = (feats.grid @ self._weight.T + self._bias).transpose(1, 2)  # (B, 1000, N)
        cams = cams.reshape(len(images), -1, h, w)  # (B, 1000, h, w)
        out = []
        with _one_thread():
            for path, image, cam in zip(paths, images, cams.contiguous(), strict=True):
                facts = self.facts(image, cam)
                texts = {level: verbalize(facts, level) for level in levels}
                out.append(Description(Path(path), facts, texts, _confidence(facts, levels)))
        return DescribedBatch(feats, out)

    def facts(self, image: LoadedImage, cam: torch.Tensor) -> SceneFacts:
        """One image's pixels and (1000, h, w) class-activation maps → its SceneFacts."""
        rgb = image.pixels.permute(1, 2, 0).numpy()  # (S, S, 3)
        found = detect_regions(cam, self._related, self._settings, self.config.regions)
        setting = self._setting(cam)
        guessed = not found and setting is None
        if guessed:  # nothing confident: the whole image's best class, said as a guess ("perhaps ...")
            found = best_guess(cam, self._related, self._settings, self.config.regions)
        objects = [self._object(d, rgb) for d in found]
        for obj in objects if guessed else ():
            obj.attributes["certainty"] = GUESS
        if setting is not None and setting.confidence > max((o.confidence for o in objects), default=0.0):
            objects.insert(0, self._object(setting, rgb))  # a landscape: the place is what it shows
        attrs = image_colour_attributes(rgb)
        width, height = image.size
        ratio = width / height
        attrs["orientation"] = "landscape" if ratio > 1.05 else "portrait" if ratio < 1 / 1.05 else "square"
        if setting is not None:
            attrs["setting"] = self._concepts[setting.cls].name
        return SceneFacts(objects, chain_relations(objects, next_to_gap=PHOTO_NEXT_TO_GAP), attrs)

    def _object(self, det: Detection, rgb: np.ndarray) -> SceneObject:
        concept = self._concepts[det.cls]
        colours = object_colours(rgb, det.mask)  # contrasted with the image outside the CAM region
        attributes = {
            "colour": " and ".join(name for name, _ in colours),
            "size": size_of(det.box),
            "position": position_of(det.box),
            "wnid": concept.wnid,
            "tags": ", ".join(concept.tags),
        }
        box = tuple(round(v, 4) for v in det.box)
        return SceneObject(concept.name, round(det.confidence, 4), box, attributes)  # type: ignore[arg-type]

    def _setting(self, cam: torch.Tensor) -> Detection | None:
        """The most probable place class of the whole image (boxed where its CAM is), if confident enough."""
        probs = torch.softmax(cam.mean(dim=(1, 2)), dim=-1) * self._settings  # (1000,)
        group = probs @ self._related  # settings pool with related places (seashore, sandbar)
        group = group * self._settings
        p, k = float(group.max()), int(group.argmax())
        if p < self.config.setting_confidence:
            return None
        best = int((probs * self._related[k]).argmax())  # the group's most probable member names it
        h, w = cam.shape[1:]
        mask = np.ones((h * self.config.regions.upsample, w * self.config.regions.upsample), dtype=bool)
        return Detection(best, p, (0.0, 0.0, 1.0, 1.0), mask)


def _confidence(facts: SceneFacts, levels: Sequence[str]) -> dict[str, float]:
    """Each level's confidence: the mean of the objects' (none when nothing was recognised)."""
    if not facts.objects:
        return {}
    mean = round(float(np.mean([o.confidence for o in facts.objects])), 4)
    return {level: mean for level in levels}


def grounded_describer(
    *,
    device: str = "cpu",
    encoder: str | None = None,
    top_k: int | None = None,
    min_confidence: float | None = None,
) -> GroundedDescriber:
    """The default grounded describer, with the CLI's `--encoder`, `--top-k` and `--min-confidence` where
    given (an encoder without an ImageNet classifier is refused)."""
    config = GroundedConfig() if encoder is None else GroundedConfig(encoder=encoder)
    regions = config.regions
    if top_k is not None:
        regions = replace(regions, top_k=top_k)
    if min_confidence is not None:
        regions = replace(regions, min_confidence=min_confidence)
    return GroundedDescriber(replace(config, regions=regions), device=device)
