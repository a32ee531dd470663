"""The indefinite article a phrase takes, by how its first word sounds: "a unicycle", "an hourglass".

By the first letter alone the describer had said "an unicycle", "an European fire salamander" and "a
hourglass". `inflect` (PyPI) knows these rules and more, but importing it takes about a second (its
run-time type checks), a third of a cold `describe`; this rule gives the same article as inflect 7.6 for
all 1,000 ImageNet class names and for all but 190 of WordNet's 117,798 noun lemmas (initials in
people's names, abbreviations such as "UFO"; compared once, not kept as a dependency).
"""

from __future__ import annotations

import re

__all__ = ["indefinite"]

_SILENT_H = ("hour", "honest", "honor", "honour", "heir")  # "an hourglass"
# "a unicycle", "a ewe"; but "an unidentified", "an uninhabited", "an unmade"
_SAID_YOU = re.compile(r"(uni(?![nmd])|use|usa|usu|uti|ure|uri|uro|ura|uvu|ubiq|eu|ewe|uk|u-)")
_SAID_WON = ("one", "once")  # "a one-piece"
_LETTER_SAID_WITH_A_VOWEL = frozenset("aefhilmnorsx")  # "an X-ray", "an F clef"; "a T-shirt", "a U-boat"


def indefinite(phrase: str) -> str:
    """ "a" or "an" for the phrase: by the sound of its first word, or the name of a letter said alone."""
    first = phrase.split(" ", 1)[0]
    word = first.lower()
    if re.match(r"[a-z](-|$)", word):  # a letter said by its name
        return "an" if word[0] in _LETTER_SAID_WITH_A_VOWEL else "a"
    if word.startswith(_SILENT_H):
        return "an"
    if word.startswith(_SAID_WON) or _SAID_YOU.match(word):
        return "a"
    return "an" if word[:1] in "aeiou" else "a"
