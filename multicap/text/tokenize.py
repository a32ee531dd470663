"""English caption tokenisation equivalent to coco-caption's, in pure Python (no Java).

coco-caption runs the Stanford PTB tokenizer (CoreNLP 3.4.1, `-preserveLines -lowerCase`) and then drops
the tokens that are punctuation: '' ' `` ` . ? ! , : - -- ... ; (and the upper-case bracket names, which
never match because the text is already lower-cased, so "-lrb-" and friends *stay*). This module follows
the tokenizer's behaviour on the text captions hold, rule by rule:

- lower-casing; curly quotes are quotes, "…" is "...", en and em dashes are "--" (all dropped later);
- brackets become -lrb- -rrb- -lsb- -rsb- -lcb- -rcb- (kept, as in coco-caption);
- clitics split off: "dog's" -> dog 's, "isn't" -> is n't, "can't" -> ca n't, "cannot" -> can not,
  "gonna" -> gon na, "pick'em" -> pick 'em, "rock'n roll" -> rock 'n roll; "o'clock", "'til", "'90s"
  stay whole;
- an apostrophe inside a word joins it where the lexer's rules do (a vowel before it and a vowel or a
  capital after: "ma'am", "xi'an"; an initial: "O'Brien", "N'Sync", "l'eau") and splits it elsewhere
  ("qur'an" -> qur an, "gov't" -> gov t, "j'ai" -> j' ai);
- numbers keep their inner separators ("1,000", "3.5", "10:30", "1/2", "10-15"), a sign before a digit is
  part of the number, currency symbols stand alone ("$ 5"; "€" reads "$" and "£" "#");
- hyphenated and slashed words stay whole ("t-shirt", "5-year-old", "and/or"); a leading or trailing
  hyphen, or "--", splits;
- a period stays on known abbreviations ("mr.", "st.", "etc.", "u.s.", "a.m.", single letters "j."),
  on "no." and "ca." before a number, on any word before a comma, semicolon or colon ("fig.,") and
  inside words ("mr.smith"); elsewhere it is split off (then dropped);
- characters outside the Basic Multilingual Plane (emoji), controls and invisible format characters
  (zero-width joiners and spaces, variation selectors) separate words, as the Java lexer's untokenisable
  characters do; a soft hyphen is deleted; combining marks belong to their word (Hindi, Thai, a decomposed
  "é"); the HTML entities &amp; &lt; &gt; &quot; &apos; &nbsp; are read as their characters.

SGML tags stay whole ("<unk>", "</s>", "<br/>": a captioner's unknown word is one token, as the jar keeps it).
URLs with their scheme, e-mail addresses and emoticons (":)" -> ":-rrb-") are one token each, as the
lexer's rules make them. Known differences, outside what captions hold: a URL without its scheme,
run-together sentences ("bird!the"), a tag's rarer forms ("<_x>"), "c++", "50¢", "5'10" (feet and inches
without the inches' mark), "rock'n." and "rock'n'," before punctuation.
tests/unit/test_eval_tokenize.py checks identity with the jar on a corpus of over a thousand caption-style
sentences.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PUNCTUATION", "ptb_tokenize", "tokenize_captions"]

# Tokens coco-caption removes after tokenising (it lists the bracket names in upper case, so they survive).
PUNCTUATION = frozenset({"''", "'", "``", "`", ".", "?", "!", ",", ":", "-", "--", "...", ";"})


def _words(text: str) -> list[str]:
    return text.split()


# Abbreviations that keep their period, in any of lower, Capitalised or UPPER case.
_ABBREV_ANY_CASE = _words(
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri "
    "mr mrs ms messrs dr prof gen rep sen gov pres rev hon st sr jr lt col maj capt cmdr adm sgt cpl pvt ens "
    "inc co corp ltd plc bros assn dept univ ave rd blvd mt ft sq etc vs al cf ph "
    "ala ariz calif colo conn fla ga ind kan ky md mich minn mo mont neb nev okla tenn va vt wis wyo"
)
# Abbreviations that keep their period only when Capitalised or UPPER ("Mass." but "mass .").
_ABBREV_CAPITALISED = _words("ark del ill la mass miss ore pa tex wash")

_ABBREV_FORMS = sorted(
    {f for w in _ABBREV_ANY_CASE for f in (w, w.capitalize(), w.upper())}
    | {f for w in _ABBREV_CAPITALISED for f in (w.capitalize(), w.upper())},
    key=len,
    reverse=True,
)

# Whole words the tokenizer splits in two (case is kept from the input and lowered later).
_SPLIT_WORDS = {
    "cannot": 3,
    "gonna": 3,
    "gotta": 3,
    "wanna": 3,
    "lemme": 3,
    "gimme": 3,
    "'tis": 2,
    "'twas": 2,
}
_CLITICS = ("n't", "'s", "'m", "'d", "'ll", "'re", "'ve", "'n", "'em")
# Words the lexer keeps whole although its rules for an apostrophe inside a word would split them.
_KEPT_WHOLE = frozenset(_words("o'clock c'mon e'er o'er nat'l li'l ev'ry s'mores nor'easter cap'n"))
# A letter that, alone before an apostrophe, starts a name with it ("O'Brien", "D'Angelo", "N'Sync"): the
# lexer's capitals but I and Y, and a lower-case n and o; lower-case d and l are French articles.
_INITIALS = frozenset("ABCDEFGHJKLMNOPQRSTUVWXZno")
_ARTICLES = frozenset("dlDLjJ")  # kept with their apostrophe where what follows is not joined: "l' a"

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": " ... ",
        "\u2013": " -- ",
        "\u2014": " -- ",
        "\u00bd": " 1/2",  # the space keeps "3 ½" from reading as the fraction token "3 1/2"
        "\u00bc": " 1/4",
        "\u00be": " 3/4",
        "\u20ac": "$",
        "\u00a3": "#",
    }
)
_BRACKETS = {"(": "-lrb-", ")": "-rrb-", "[": "-lsb-", "]": "-rsb-", "{": "-lcb-", "}": "-rcb-"}

# Capitalised words that make the lexer read "x." before them as a letter ending a sentence ("b. The").
_FOLLOWER_WORDS = _words(
    "A An The This That These There Their They He She Her It We You Our In At As If But So Some Many One "
    "What When While After Then Now Here About Once However Since Such Other More"
)
_FOLLOWERS = rf"(?:{'|'.join(_FOLLOWER_WORDS)})(?=\s)"
_FOLLOWER_START = re.compile(rf"\s+{_FOLLOWERS}|{_FOLLOWERS}")


def _class_of(categories: tuple[str, ...], but: str = "") -> str:
    """A regex character class body of the Basic Multilingual Plane's characters in these categories (not
    those in `but`); ASCII has none."""
    points = [
        c for c in range(0x80, 0x10000) if unicodedata.category(chr(c)) in categories and chr(c) not in but
    ]
    ranges: list[tuple[int, int]] = []
    for c in points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "".join(re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges)


# Characters the lexer cannot tokenise; each separates the words around it ("cat😺sleeping" is two words):
# outside the Basic Multilingual Plane (emoji), non-space controls, and the invisible format characters
# (zero-width joiners and spaces, variation selectors, the byte-order mark, direction marks), the
# private-use area and enclosing marks. The soft hyphen is deleted instead ("soft\u00adware" is one word).
_SOFT_HYPHEN = "\u00ad"
_CONTROL_CHARS = "".join(re.escape(chr(c)) for c in [*range(32), 127] if not chr(c).isspace())
_CONTROLS = re.compile(f"[{_CONTROL_CHARS}]")
# The HTML entities the lexer reads as their characters ("salt &amp; pepper" is "salt & pepper"); it reads
# "&QUOT;" and "&APOS;" in capitals as they stand.
_ENTITY = re.compile(r"&((?i:amp|lt|gt|nbsp)|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": " "}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _token_pattern(letter: str) -> re.Pattern[str]:
    """The lexer's tokens, in order of precedence, with `letter` the regex of one letter of a word."""
    # One piece of a word: a number with inner separators ("1,000.5"), digits and letters ("10am", "5x5"),
    # or letters with inner apostrophes ("o'clock", "dog's"; clitics are split off afterwards).
    word = rf"(?:{letter}|\d)+(?:'{letter}+)*"
    part = rf"(?:[-+]?\d+(?:[.,:/]\d+)+|\.\d+|[-+]?\d(?:{letter}|\d)*(?:'{letter}+)*|{word})"
    return re.compile(
        "|".join(
            [
                r"(?P<no>(?i:no|nos|ca|fig|pp|art|op|tel|ext)\.(?=\s*\d))",  # "no. 5", "ca. 1900"
                r"(?P<ncr>&#\d+;|&(?:QUOT|APOS);)",  # kept whole: dog&#39;s -> dog &#39; s
                rf"(?P<dotted>{letter}+\.(?=[,;:]))",  # "fig.," keeps its period before , ; or :
                r"(?P<acronym>[A-Za-z](?:\.[A-Za-z])+\.?|[A-Za-z]\.)",
                rf"(?P<dotword>{letter}+(?:\.{letter}+)+)",  # "mr.smith", "dog.cat": no space, one token
                rf"(?P<abbrev>(?:{'|'.join(re.escape(f) for f in _ABBREV_FORMS)})\.)",
                r"(?P<apos>'(?:til|cause|em|n'|tis|twas|\d\ds)(?![\w'])|(?i:ol|somethin|dunkin|[dlj])'(?!\w)"
                r"|'(?i:s|m|d|ll|re|ve)(?!\w)|'(?i:n)(?=\s|$))",  # a clitic alone: "dog 's", "rock 'n roll"
                r"(?P<fraction>\d+ \d+/\d+)",  # "3 1/2" is one token, joined by a no-break space
                r"(?P<amp>[A-Z]+&[A-Z]+(?![a-z]))",
                rf"(?P<hashtag>#{letter}+|@{letter}\w*)",  # "#abc123" is #abc 123, "@home2" one
                rf"(?P<word>{part}(?:[-/]{part})*)",
                r"(?P<dots>\.{3,})",
                r"(?P<dashes>-{2,})",
                r"(?P<excl>[!?]+)",
                r"(?P<other>\S)",
            ]
        )
    )


# A letter (superscript digits and the like are split off before matching), or, beyond ASCII, a combining
# mark, which belongs to the word it is in: Hindi's vowel signs, Thai's tone marks, a decomposed "é" ("e" +
# U+0301). ASCII text, nearly every caption, is read without the marks' class (17% faster).
_TOKEN_ASCII = _token_pattern(r"[^\W\d_]")


@functools.cache
def _beyond_ascii() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(the untokenisable characters, the tokens with combining marks) for text beyond ASCII, built at first
    use: the Unicode categories they need take 15 ms to gather, which a search's start-up never needs."""
    invisible = _class_of(("Cf", "Co", "Me"), but=_SOFT_HYPHEN)
    untokenizable = re.compile(f"[\U00010000-\U0010ffff\ufe00-\ufe0f{_CONTROL_CHARS}{invisible}]")
    return untokenizable, _token_pattern(rf"(?:[^\W\d_]|[{_class_of(('Mn', 'Mc'))}])")


# An SGML tag, one token to the lexer, its spaces made no-break ("<unk>", "</s>", "<br />"; a value in an
# attribute quoted); "<" and ">" elsewhere are tokens of their own. Found before the entities are read, as
# the lexer reads them: "&lt;b&gt;" is three tokens.
_SGML = re.compile(
    r"<[A-Za-z][A-Za-z0-9_:.\-]*(?: +[A-Za-z][A-Za-z0-9_:.\-]*(?: *= *(?:'[^']*'|\"[^\"]*\"))?)* */?>"
    r"|</[A-Za-z][A-Za-z0-9_:.\-]* *>|<[!?][A-Za-z\-][^>\r\n]*>"  # a closing tag has no attributes
)


# Tokens the lexer keeps whole, as its own rules define them (CoreNLP 3.4.1's PTBLexer): a URL with its
# scheme, ending on no period or other closing punctuation; an e-mail address; an emoticon, its brackets
# named ("go to https://coco.org/" had been "https / / coco.org /", "bob@x.org" "bob @x org", ":)" "-rrb-").
_NOT_IN_URL = r"\s\"<>|()"
_URL_END = rf"[^{_NOT_IN_URL}.!?{{}},\-]"
_URL = (
    rf"(?i:https?)://[^{_NOT_IN_URL}]+{_URL_END}"  # the scheme and "www" in any case, as the lexer reads them
    # a label of a likely URL: the lexer's class [^...,-_$] leaves out the range from "," to "_" (digits,
    # capitals, ":", "/", "@"), not three characters: "dog:cat.com" is "dog" and "cat.com"
    r"|(?<!\w)(?:(?i:www)\.(?:[^\s\"<>|.!?(){},]+\.)+[a-zA-Z]{2,4}|(?:[^\s\"`'<>|.!?(){}\x2c-\x5f$]+\.)+(?:com|net|org|edu))"
    rf"(?:/[^{_NOT_IN_URL}]+{_URL_END})?"
)
_NOT_IN_EMAIL = r"\s\"<>|(){}\u00a0"
_EMAIL = rf"[a-zA-Z0-9][^{_NOT_IN_EMAIL}]*@(?:[^{_NOT_IN_EMAIL}.]+\.)*[^{_NOT_IN_EMAIL}.]+"
_SMILEY = r"[<>]?[:;=][\-o*']?[()DPdpO\\{@|\[\]](?![A-Za-z0-9])"  # "note:Done" is no ":D" and "one"
_WHOLE = re.compile(f"{_SGML.pattern}|{_URL}|{_EMAIL}|{_SMILEY}")  # where one starts; the lexer takes the
_EACH = {kind: re.compile(p) for kind, p in (("sgml", _SGML.pattern), ("url", _URL), ("email", _EMAIL),
                                              ("smiley", _SMILEY))}  # fmt: skip  # longest there
_MAY_BE_WHOLE = re.compile(r"[<@:;=/]")  # a caption without these holds none (most: no search needed)


def ptb_tokenize(text: str, following: str = "", keep: frozenset[str] = frozenset()) -> list[str]:
    """Tokens of one caption as coco-caption's PTB tokenizer writes them, punctuation removed.

    Args:
        text: one caption.
        following: the caption after it in the batch coco-caption tokenises. Its lexer reads across lines,
            so a caption ending in a lone letter and a period ("... letter b.") loses the period when the
            next one starts with a word like "The" or "A"; pass it to reproduce that.
        keep: punctuation tokens to keep (the captioner keeps "," ";" ":", which mark clauses).
    """
    tokens: list[str] = []
    start = 0
    while _MAY_BE_WHOLE.search(text, start) and (found := _WHOLE.search(text, start)):  # "a <unk> on" had
        kind, token = _longest(text, found.start())  # been "a < unk > on"
        before = text[start : found.start()]  # a tag after "j. " ends a sentence, as "The" does; "j.<b>" not
        tokens += _tokens(before, "The " if before[-1:].isspace() else "")
        start = found.start() + len(token)
        if kind == "smiley":
            token = token.replace("(", "-lrb-").replace(")", "-rrb-")
        tokens.append(token.replace(" ", "\u00a0"))
    after = "The " if _SGML.match(following.lstrip()) else following  # the next caption's tag, as here
    tokens += _tokens(text[start:], after)
    drop = PUNCTUATION - keep
    return [t for t in (t.lower() for t in tokens) if t not in drop]


def _longest(text: str, at: int) -> tuple[str, str]:
    """The kind and text of the longest whole token starting at `at` (as the lexer, which takes the longest
    match: "a.b@c.com," is an e-mail address, comma and all, not the URL "a.b@c.com")."""
    found = [(kind, m.group()) for kind, pattern in _EACH.items() if (m := pattern.match(text, at))]
    return max(found, key=lambda kt: len(kt[1]))


def _tokens(text: str, following: str) -> list[str]:
    """`ptb_tokenize`'s tokens of text without SGML tags, in their case, punctuation kept."""
    tokens: list[str] = []
    normalised = _normalise(text)
    for match in (_TOKEN_ASCII if normalised.isascii() else _beyond_ascii()[1]).finditer(normalised):
        kind, token = match.lastgroup, match.group()
        if kind in ("word", "apos"):
            tokens.extend(_split_clitics(token, spaced=not normalised[match.end() : match.end() + 1].strip()))
        elif kind == "dots":
            tokens.append("...")
        elif kind == "dashes":
            tokens.append("--")
        elif kind == "other" and token in _BRACKETS:
            tokens.append(_BRACKETS[token])
        elif kind == "other" and token == '"':
            continue  # a straight double quote becomes `` or '', both dropped
        elif kind == "fraction":
            tokens.append(token.replace(" ", "\u00a0"))
        elif kind == "acronym" and _ends_sentence(normalised, match, following):
            tokens.append(token[0])
        else:
            tokens.append(token)
    return tokens


def tokenize_captions(captions: Mapping[Any, Sequence[str] | str]) -> dict[Any, list[str]]:
    """Tokenise every caption of a mapping; each becomes its tokens joined by single spaces.

    Args:
        captions: image id -> one caption or a list of captions, in the order coco-caption would see them
            (its lexer reads across captions; see `ptb_tokenize`).

    Returns:
        image id -> list of tokenised captions (a single caption becomes a list of one).
    """
    flat = [
        (key, text)
        for key, value in captions.items()
        for text in ([value] if isinstance(value, str) else value)
    ]
    out: dict[Any, list[str]] = {key: [] for key in captions}
    for i, (key, text) in enumerate(flat):
        following = flat[i + 1][1] if i + 1 < len(flat) else ""  # coco-caption tokenises them as one stream
        out[key].append(" ".join(ptb_tokenize(text, following)))
    return out


def _ends_sentence(text: str, match: re.Match[str], following: str) -> bool:
    """Whether a lone letter and period ("b.") ends a sentence: a word of its own before a word like "The"."""
    if len(match.group()) != 2 or (match.start() > 0 and text[match.start() - 1].isalnum()):
        return False
    rest = text[match.end() :]
    return bool(_FOLLOWER_START.match(rest if rest.strip() else following))


def _normalise(text: str) -> str:
    """Map the characters and entities the lexer rewrites, separate words at those it cannot tokenise,
    isolate odd 'digits'."""
    text = text.translate(_CHAR_MAP)
    if "&" in text:
        text = _ENTITY.sub(lambda m: _ENTITIES[m.group(1).lower()], text)
    if text.isascii():
        return _CONTROLS.sub(" ", text)
    text = _beyond_ascii()[0].sub(" ", text.replace(_SOFT_HYPHEN, ""))  # emoji, controls, zero-width
    return _NON_ASCII.sub(_isolate_odd_digit, text)


def _isolate_odd_digit(match: re.Match[str]) -> str:
    ch = match.group()
    # Superscripts, circled numbers and the like are alphanumeric to Python but tokens of their own.
    return f" {ch} " if ch.isalnum() and not ch.isalpha() else ch


def _split_clitics(word: str, spaced: bool = True) -> list[str]:
    """Split "isn't" -> is n't, "dog's" -> dog 's, "gonna" -> gon na, "y'all" -> y' all; "rock'n" ->
    rock 'n only where a space or the end follows (`spaced`: "rock'n," is rock n)."""
    lower = word.lower()
    if lower in _SPLIT_WORDS:
        cut = _SPLIT_WORDS[lower]
        return [word[:cut], word[cut:]]
    if "'" not in lower:
        return [word]
    if lower.startswith("y'") and len(lower) > 2:
        return [word[:2], *_split_clitics(word[2:], spaced)]
    if "'n'" in lower and "-" not in lower:
        head, _, tail = lower.partition("'n'")
        return [t for t in (head, "'n'", tail) if t]
    peeled: list[str] = []  # clitics off the end: "can't've" -> ca n't 've, "o'neill's" -> o'neill 's
    while lower not in _KEPT_WHOLE and (
        clitic := next(
            (c for c in _CLITICS if lower.endswith(c) and len(lower) > len(c) and (spaced or c != "'n")), None
        )
    ):
        peeled.insert(0, word[-len(clitic) :])
        word, lower = word[: -len(clitic)], lower[: -len(clitic)]
    return [*_inner_apostrophes(word), *peeled]


def _inner_apostrophes(word: str) -> list[str]:
    """A word with apostrophes inside as the lexer reads it: whole where a rule of its joins the letters
    each side ("ma'am", "qu'il", "xi'an": a vowel before, a vowel or a capital after; "O'Brien", "N'Sync",
    "l'eau": an initial or an article, then two letters or more), else in pieces, the apostrophe a token of
    its own (dropped later: "qur'an" is qur an, "gov't" gov t, "fo'c'sle" fo c sle), or kept on an article
    ("j'ai" is j' ai). At most one apostrophe is joined ("ma'am'a" is ma'am a)."""
    if "'" not in word or word.startswith("'") or word.endswith("'") or word.lower() in _KEPT_WHOLE:
        return [word]
    head, *rest = word.split("'")
    out: list[str] = []
    for piece in rest:
        if "'" not in head and _joined(head, piece):
            head = f"{head}'{piece}"
            continue
        out += [f"{head}'"] if head in _ARTICLES else [head, "'"]
        head = piece
    return [*out, head]


def _joined(before: str, after: str) -> bool:
    """Whether the lexer reads the letters `before` and `after` an apostrophe as one word."""
    if len(before) == 1:
        return len(after) >= 2 and (before in _INITIALS or before in "dl")
    return before[-1] in "aeiouyAEIOUY" and (after[0] in "aeiou" or "A" <= after[0] <= "Z")
