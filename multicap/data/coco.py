"""COCO captions (`captions_*.json`) and the object- and layout-level references derived from COCO
instances (`instances_*.json`).

Captions: every annotation is a reference of its image at level "caption" (or at the annotation's own
`level`, as the scenes generator's `coco_captions_{split}.json` writes). The split is the word after
"captions_" in the file name without its year (`captions_val2014.json` -> "val"), "train" when there is
none. Image paths are `image_root / file_name`; by default `image_root` is the folder holding the file,
or, for COCO's own layout (`annotations/captions_val2014.json` beside `val2014/`), that image folder.

Rules for instances (one object-level and one layout-level reference per image that has objects):
1. Objects: the image's boxes, skipping crowd regions (`iscrowd`) and boxes smaller than `MIN_AREA` of the
   image; largest first.
2. Object level: the count per category, most frequent first (ties: larger total box area first, then
   name), at most `MAX_CATEGORIES` categories, counts in words ("a", "two" ... "ten", then "many"),
   joined with commas and "and": "two dogs, a person and a frisbee".
3. Layout level: the `MAX_PLACED` largest objects, each placed by the cell of a 3x3 grid holding its box
   centre ("a dog on the left", "a frisbee at the top right", "a cake in the middle"); then, with two or
   more objects, where the second largest lies relative to the largest, on the axis of the larger centre
   offset: "; the frisbee is above the dog" (same category: "the smaller dog is to the left of the larger
   dog").
4. Facts: every object of rule 1 as a `SceneObject` (COCO category name, box normalised to 0..1,
   attribute "position" = the grid cell name), and the relation of rule 3.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from multicap.data.corpus import Corpus, CorpusImage
from multicap.errors import DataError
from multicap.facts.geometry import position_of
from multicap.facts.scene import Relation, SceneFacts, SceneObject
from multicap.text.articles import indefinite

__all__ = [
    "MAX_CATEGORIES",
    "MAX_PLACED",
    "MIN_AREA",
    "CocoObject",
    "derive_references",
    "read_coco_captions",
    "read_coco_instances",
    "with_instances",
]

MIN_AREA = 0.005  # boxes covering less of the image than this are left out
MAX_CATEGORIES = 4  # categories named at the object level
MAX_PLACED = 3  # objects placed at the layout level

_SPLIT = re.compile(r"captions_([a-z_]+?)(?:\d{4})?\.json$")
_NUMBERS = ("", "a", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_PLURALS = {"person": "people", "mouse": "mice", "knife": "knives", "sheep": "sheep", "skis": "skis"}
_PLURALS |= {"scissors": "scissors", "broccoli": "broccoli"}
_PLACES = {
    "top left": "at the top left",
    "top": "at the top",
    "top right": "at the top right",
    "left": "on the left",
    "center": "in the middle",
    "right": "on the right",
    "bottom left": "at the bottom left",
    "bottom": "at the bottom",
    "bottom right": "at the bottom right",
}
_PREDICATE_WORDS = {
    "left of": "to the left of",
    "right of": "to the right of",
    "above": "above",
    "below": "below",
}


@dataclass(frozen=True)
class CocoObject:
    label: str  # COCO category name
    box: tuple[float, float, float, float]  # (x0, y0, x1, y1) in 0..1

    @property
    def area(self) -> float:
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])


# -------------------------------------------------------------------------------------------- reading
def _load(path: Path, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; give the path of a COCO {what} file") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(doc, dict) and doc.get("images") == [] and "annotations" not in doc:
        raise DataError(f"{path}: its 'images' list is empty: no image to read captions of")
    if not isinstance(doc, dict) or not isinstance(doc.get("annotations"), list):
        raise DataError(
            f"{path}: no 'annotations' list; expected COCO {what} JSON, Karpathy split JSON, "
            "or a folder with captions.jsonl"
        )
    if not isinstance(doc.get("images"), list):
        raise DataError(f"{path}: no 'images' list; is this a COCO {what} file?")
    return doc


def _default_root(path: Path) -> Path:
    """The folder holding the file, or COCO's sibling image folder (`annotations/../val2014`)."""
    match = re.search(r"captions_([a-z]+\d{4})\.json$", path.name)
    if path.parent.name == "annotations" and match and (path.parent.parent / match.group(1)).is_dir():
        return path.parent.parent / match.group(1)
    return path.parent


def read_coco_captions(path: str | Path, *, image_root: Path | None = None) -> Corpus:
    """A COCO captions file as a corpus (see the module docstring for splits and image paths).

    Raises:
        DataError: the file is missing, not JSON, not COCO captions, or an entry lacks its keys.
    """
    path = Path(path)
    doc = _load(path, "captions")
    match = _SPLIT.search(path.name)
    split = match.group(1) if match else "train"
    root = image_root if image_root is not None else _default_root(path)
    captions: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for i, ann in enumerate(doc["annotations"]):
        if not isinstance(ann, dict) or "image_id" not in ann or not isinstance(ann.get("caption"), str):
            raise DataError(f"{path}: annotation {i} needs an 'image_id' and a 'caption' string")
        level = str(ann.get("level", "caption"))
        captions[str(ann["image_id"])].setdefault(level, []).append(ann["caption"].strip())
    images = []
    for i, img in enumerate(doc["images"]):
        if not isinstance(img, dict) or "id" not in img or "file_name" not in img:
            raise DataError(f"{path}: image {i} needs an 'id' and a 'file_name'")
        image_id = str(img["id"])
        images.append(
            CorpusImage(root / str(img["file_name"]), split, captions.get(image_id, {}), None, image_id)
        )
    info = doc.get("info")
    name = "coco" if not isinstance(info, dict) else str(info.get("description") or "coco")
    return Corpus(name, images)


def read_coco_instances(path: str | Path) -> dict[str, list[CocoObject]]:
    """image id -> the objects that rule 1 keeps, largest first.

    Raises:
        DataError: the file is missing, not JSON, or not COCO instances.
    """
    path = Path(path)
    doc = _load(path, "instances")
    try:
        names = {int(c["id"]): str(c["name"]) for c in doc.get("categories", [])}
        sizes = {str(im["id"]): (float(im["width"]), float(im["height"])) for im in doc["images"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"{path}: categories need 'id' and 'name', images 'id', 'width', 'height' ({exc})"
        ) from None
    objects: dict[str, list[CocoObject]] = defaultdict(list)
    for i, ann in enumerate(doc["annotations"]):
        try:
            if ann.get("iscrowd"):
                continue
            image_id = str(ann["image_id"])
            w, h = sizes[image_id]
            x, y, bw, bh = (float(v) for v in ann["bbox"])
            label = names[int(ann["category_id"])]
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"{path}: annotation {i} needs image_id, category_id and bbox [x, y, w, h] ({exc})"
            ) from None
        box = (_clip(x / w), _clip(y / h), _clip((x + bw) / w), _clip((y + bh) / h))
        obj = CocoObject(label, box)
        if obj.area >= MIN_AREA:
            objects[image_id].append(obj)
    for found in objects.values():
        found.sort(key=lambda o: -o.area)
    return dict(objects)


def _clip(v: float) -> float:
    return round(min(max(v, 0.0), 1.0), 4)


# -------------------------------------------------------------------------------------------- rules
def derive_references(objects: Sequence[CocoObject]) -> tuple[str, str, SceneFacts]:
    """(object-level sentence, layout-level sentence, facts) for one image's objects, largest first.

    Raises:
        ValueError: no objects (an image without kept objects gets no derived references).
    """
    if not objects:
        raise ValueError("derive_references needs at least one object")
    return _object_sentence(objects), _layout_sentence(objects), _facts(objects)


def _object_sentence(objects: Sequence[CocoObject]) -> str:
    counts = Counter(o.label for o in objects)
    area: dict[str, float] = defaultdict(float)
    for o in objects:
        area[o.label] += o.area
    order = sorted(counts, key=lambda lb: (-counts[lb], -area[lb], lb))[:MAX_CATEGORIES]
    return _join([_counted(label, counts[label]) for label in order])


def _layout_sentence(objects: Sequence[CocoObject]) -> str:
    placed = objects[:MAX_PLACED]
    text = _join([f"{_counted(o.label, 1)} {_PLACES[position_of(o.box)]}" for o in placed])
    if len(objects) < 2:
        return text
    big, second = objects[0], objects[1]
    if big.label == second.label:
        subject, obj = f"the smaller {second.label}", f"the larger {big.label}"
    else:
        subject, obj = f"the {second.label}", f"the {big.label}"
    return f"{text}; {subject} is {_PREDICATE_WORDS[_relation(second.box, big.box)]} {obj}"


def _facts(objects: Sequence[CocoObject]) -> SceneFacts:
    scene_objects = [SceneObject(o.label, 1.0, o.box, {"position": position_of(o.box)}) for o in objects]
    relations = []
    if len(objects) >= 2:
        relations.append(Relation(1, _relation(objects[1].box, objects[0].box), 0))
    return SceneFacts(scene_objects, relations, {})


def _relation(a: tuple[float, ...], b: tuple[float, ...]) -> str:
    """Where box `a` lies relative to box `b`: the axis of the larger centre offset decides."""
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    if abs(dx) >= abs(dy):
        return "right of" if dx > 0 else "left of"
    return "below" if dy > 0 else "above"


def _counted(label: str, count: int) -> str:
    if count == 1:
        return f"{indefinite(label)} {label}"
    number = _NUMBERS[count] if count < len(_NUMBERS) else "many"
    return f"{number} {_plural(label)}"


def _plural(label: str) -> str:
    head, _, last = label.rpartition(" ")  # "wine glass" -> "wine glasses"
    if last in _PLURALS:
        word = _PLURALS[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        word = last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# -------------------------------------------------------------------------------------------- joining
def with_instances(corpus: Corpus, instances: str | Path | Sequence[str | Path]) -> Corpus:
    """`corpus` with object- and layout-level references and facts from COCO instances, by image id.

    Levels the corpus already has for an image are kept; images without kept objects are unchanged.
    """
    paths = [instances] if isinstance(instances, str | Path) else list(instances)
    objects: dict[str, list[CocoObject]] = {}
    for p in paths:
        objects.update(read_coco_instances(p))
    images = []
    for im in corpus.images:
        found = objects.get(im.image_id)
        if not found:
            images.append(im)
            continue
        object_text, layout_text, facts = derive_references(found)
        captions = {"object": [object_text], "layout": [layout_text], **im.captions}
        images.append(replace(im, captions=captions, facts=im.facts or facts))
    return Corpus(corpus.name, images)
