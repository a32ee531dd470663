"""Generate multicap/describe/data/class_colours.json: the colours WordNet says each ImageNet class has.

Run once; the output is committed (multicap/describe/data/README.md says where the input came from):

    apt-get install wordnet-base    # WordNet 3.0 in /usr/share/wordnet (`make` installs it)
    python scripts/make_class_colours.py

A class's colours are the basic colour names (the describer's palette, `multicap/describe/colours.py`) that
its WordNet 3.0 synset says: in its lemmas ("grey whale", "ice bear" has none) and in its gloss's
definition, the part before the first ";" or quoted example ("white bear of Arctic regions"; "large
migratory American butterfly having deep orange wings with black and white markings"). A colour that
names a part, not the thing, is left out: one followed by a part's noun ("with black and white markings",
"blue-black tongues") or by a hyphen and an -ed word ("red-breasted", "blue-eyed"; "black-coated" stays,
the coat being the dog). Words for shades map to the palette: "tawny" to orange and brown, "golden" to
yellow and orange, "greyish" to gray.

The grounded describer uses them as a prior (`object_colours(expected=...)`): where its pixels support
one of the class's colours, the object is said in it.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "multicap" / "describe" / "data" / "class_colours.json"
CLASSES = ROOT / "multicap" / "text" / "data" / "imagenet_wordnet.json"

# a word for a colour → the palette's names for it
SHADES: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in ("black", "white", "gray", "red", "orange", "yellow", "green", "blue")},
    **{name: (name,) for name in ("purple", "pink", "brown")},
    "grey": ("gray",), "greyish": ("gray",), "grayish": ("gray",), "silver": ("gray",), "silvery": ("gray",),
    "reddish": ("red",), "scarlet": ("red",), "crimson": ("red",),
    "brownish": ("brown",), "tan": ("brown",), "russet": ("brown",), "chestnut": ("brown",),
    "liver": ("brown",), "tawny": ("orange", "brown"),
    "yellowish": ("yellow",), "golden": ("yellow", "orange"), "gold": ("yellow", "orange"),
    "greenish": ("green",), "bluish": ("blue",), "blackish": ("black",), "whitish": ("white",),
    "violet": ("purple",),
}  # fmt: skip
# what joins colour words into one phrase ("black-and-white", "red or grey", "pink to scarlet")
_JOINS = {"and", "or", "to", "-"}
# a part of the thing: a colour before it is the part's, not the thing's
_PARTS = {
    "tongue", "tongues", "flesh", "pulp", "eye", "eyes", "bill", "beak", "tail", "face", "throat",
    "marking", "markings", "muzzle", "mane", "crest", "breast", "belly", "legs", "feet", "head", "spots",
    "stripes", "stripe", "patch", "patches", "band", "bands", "underparts", "tip", "tips", "ring", "lip",
}  # fmt: skip
_WHOLE = {"coated", "colored", "coloured"}  # "black-coated": the coat is what is seen


def colours_said(text: str) -> list[str]:
    """The palette's names for the colours `text` gives the thing itself, in order of mention: not a
    part's ("with black and white markings", "tail barred with black") nor another thing's ("green phase
    of the black mamba")."""
    tokens = re.findall(r"[a-z]+|-", text.lower())
    out: list[str] = []
    k = 0
    while k < len(tokens):
        if tokens[k] not in SHADES:
            k += 1
            continue
        before = tokens[max(0, k - 3) : k]
        if before[-2:] == ["of", "the"] or ("with" in before and _PARTS & set(before)):
            k += 1
            continue
        group: list[str] = []
        while k < len(tokens) and (tokens[k] in SHADES or tokens[k] in _JOINS):
            group += SHADES.get(tokens[k], ())
            part_word = tokens[k] == "-" and k + 1 < len(tokens) and tokens[k + 1] not in SHADES
            if part_word and tokens[k + 1].endswith("ed") and tokens[k + 1] not in _WHOLE:
                group = []  # "red-breasted", "blue-eyed": a part's colour
                break
            k += 1
        after = tokens[k] if k < len(tokens) else ""
        if after not in _PARTS:
            out += [c for c in group if c not in out]
    return out


def synset_line(data_noun: bytes, wnid: str) -> tuple[list[str], str]:
    """The lemmas and the gloss of noun synset `wnid` ("n" + its byte offset in data.noun)."""
    offset = int(wnid[1:])
    line = data_noun[offset : data_noun.index(b"\n", offset)].decode("latin-1")
    fields = line.split(" | ")[0].split()
    n_words = int(fields[3], 16)
    lemmas = [w.replace("_", " ") for w in fields[4 : 4 + 2 * n_words : 2]]
    return lemmas, line.split(" | ", 1)[1].strip()


def class_colours(lemmas: list[str], gloss: str, nouns: set[str]) -> list[str]:
    """A class's colours: those its lemmas say, then those its definition says (not its examples). A lemma
    says one where it names a kind by its colour, a lowercase colour and noun ("grey whale", "black
    swan"), not in an idiom ("red hot" for a hot dog, "black Maria" for a police van)."""
    definition = re.split(r';|"', gloss)[0]
    named = [w for w in lemmas if w == w.lower() and w.split()[-1] in nouns and w.split()[-1] not in SHADES]
    out = [c for lemma in named for c in colours_said(lemma)]
    return list(dict.fromkeys(out + colours_said(definition)))


def noun_lemmas(index_noun: bytes) -> set[str]:
    """Every single-word noun lemma of WordNet's index.noun."""
    lemmas = (line.split(" ", 1)[0] for line in index_noun.decode("latin-1").splitlines())
    return {lemma for lemma in lemmas if lemma and "_" not in lemma}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"), help="WordNet 3.0 folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data_noun = (args.wordnet / "data.noun").read_bytes()
    nouns = noun_lemmas((args.wordnet / "index.noun").read_bytes())
    wnids = json.loads(CLASSES.read_text())["classes"]
    colours = {}
    for wnid in wnids:
        said = class_colours(*synset_line(data_noun, wnid), nouns)
        if said:
            colours[wnid] = said
    doc = {
        "source": "WordNet 3.0 (Princeton University; WordNet 3.0 licence) data.noun, as Debian's "
        "wordnet-base ships it; the lemmas and gloss definitions of the ImageNet-1k classes "
        "(multicap/text/data/imagenet_wordnet.json). Generated by scripts/make_class_colours.py.",
        "colours": colours,
    }
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(colours)} of {len(wnids)} classes say a colour → {args.out}")


if __name__ == "__main__":
    main()
