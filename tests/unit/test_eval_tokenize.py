"""The pure-Python tokenizer against hand-worked cases and, with Java, against coco-caption's PTB jar."""

from __future__ import annotations

import random
import shutil

import pytest

from multicap.text.tokenize import ptb_tokenize, tokenize_captions

SUBJECTS = [
    "a man", "A woman", "the dog", "Two children", "a group of people", "A young girl", "an old man",
    "The cat", "a baseball player", "Several cows", "a chef", "The skateboarder", "a toddler", "two zebras",
    "A surfer", "the players", "a couple", "an elephant", "Three teenagers", "a police officer",
]  # fmt: skip
VERBS = [
    "is riding", "holding", "sitting on", "standing next to", "eating", "walks along", "looking at",
    "plays with", "is flying", "jumping over", "carrying", "leaning against", "is cutting", "waits by",
]  # fmt: skip
OBJECTS = [
    "a red bike", "a slice of pizza", "the kite", "a wooden bench", "a laptop computer", "a frisbee",
    "a large white truck", "an umbrella", "the surfboard", "a plate of food", "a black-and-white cat",
    "a fire hydrant", "a stop sign", "a bowl of fruit", "the tennis racket", "a cell phone",
]  # fmt: skip
PLACES = [
    "on a sunny day", "in the park", "near the ocean", "at the beach", "on a city street", "in a kitchen",
    "in front of a building", "on the snow-covered hill", "at night", "inside a train station",
]  # fmt: skip

# Phenomena spliced into the sentences: each is something real captions hold.
INSERTS = [
    "a man's hat", "the dog's toy", "the players' uniforms", "women's shoes", "James's car",
    "it's raining", "there's a clock", "it isn't clear", "he doesn't know", "they can't see", "it won't fit",
    "they're happy", "I'm here", "you'll see", "we've been", "she'd like", "it’s sunny", "don’t walk",
    "cannot see", "gonna jump", "wanna play", "o'clock", "'til dawn", "the '90s", "the 1990s",
    "2 dogs", "3.5 inches", "1,000 people", "at 10:30", "the 1st place", "2nd floor", "50% off",
    "$20 bills", "€5 coin", "£3 tea", "-5 degrees", "10-15 cars", "1/2 sandwich", "½ pizza", "24/7 store",
    "5-year-old boy", "1.5-liter bottle", "a 4x4 truck", "100s of birds", "No. 5 jersey", "room 101",
    "t-shirt", "well-known", "self-driving", "x-ray", "e-mail", "- and", "a -- b", "dash—dash", "one – two",
    '"STOP" sign', "'open' sign", "“curly” quotes", "‘single’ quotes", "(left)", "[sic]", "{braces}",
    "Mr. Smith", "Dr. Jones", "St. Patrick's Day", "the U.S. flag", "U.K. bus", "7 a.m.", "at 5 p.m.",
    "etc.", "cats vs. dogs", "Mt. Fuji", "J. Smith", "Jan. 5", "Washington, D.C.", "e.g. apples",
    "wait...", "and so…", "wow!!", "what?!", "hmm;", "note:", "yes, no",
    "café", "naïve", "jalapeño", "crème brûlée", "Zürich", "São Paulo", "résumé", "façade", "CAFÉ",
    "smörgåsbord", "piñata", "🐶 dog", "pizza 🍕", "😀", "20°C", "3×4 grid", "TM™",
    "AT&T store", "R&B", "black & white", "salt&pepper", "and/or", "w/ cheese", "dog/cat",
    "STOP sign", "NEW YORK", "x²", "tab\there", "two  spaces", "#1 fan", "@home",
    "a dog 's bone", "can't've", "O'Neill's boat", "Mr.Smith", "ca. 1900", "Jr.'s car", "1,000's of birds",
    "rock 'n roll", "w/o a hat", "a t.v. stand", "a b&w photo", "3 1/2 cups", "Q&A", "wi-fi", "covid-19",
    "a 12\" pizza", "5'10\" tall", "a 747 jet", "DVD/CD player", "the tv's screen", "e.g., this",
    # scripts with combining marks, invisible characters and HTML entities (each had been split or glued)
    "कुत्ता बैठा", "แมวนั่ง", "cafe\u0301 sign", "❤️ heart", "👨\u200d👩\u200d👧 family", "cat😺sleeping",
    "zero\u200bwidth", "soft\u00adware", "\ufeffbom", "salt &amp; pepper", "AT&amp;T", "a &lt;b&gt; tag",
    "&quot;quoted&quot;", "the dog&#39;s ball", "50&#37; off", "it&#x27;s", "#beach2024 sunset", "#a1b",
    "&QUOT;hi&QUOT;", "del\x7fchar",
    # URLs, e-mail addresses and emoticons: one token each to the jar (they had been split; a walkthrough)
    "see https://coco.org/ now", "http://x.com/a?b=c", "(see http://x.org)", "a.b@c.com", "mail bob@x.org.",
    "www.example.com/path here", "hi :)", "a :-) b", "wink ;)", "sad :(", "smile =)", "grumpy >:(", "yay :D",
    "note:Done", "Re:Port", "https://a", "dog;Playing", "tears :'(", "dog:cat.com", "10/20.com", "P!:P3",
    "HTTP://EXAMPLE.COM/PATH", "Http://x.org/a", "Example.com/path", "WWW.EXAMPLE.COM/PATH", "a :)3 b",
    # a captioner's special tokens: one token each to the jar (they had been "< unk >")
    "a <unk>", "<UNK> sign", "the <pad> <pad>", "</s>", "<s> start", "a <br/> tag", "dog<unk>cat",
    "<unk>'s hat", "letter j. <unk> sign", "a j.<b> k", "a </s x> b",
    # apostrophes inside words, which the lexer joins or splits by its own rules (all had been kept whole)
    "the Qur'an", "pick'em up", "fo'c'sle", "gov't office", "int'l airport", "ma'am", "l'eau", "j'ai faim",
    "D'Angelo", "N'Sync", "b'day cake", "B'day", "cap'n", "rock'n roll", "somethin' else", "y'all'd",
    "o'er", "Xi'an", "bo'sun", "O'Reilly", "ta'ziyeh", "jo'burg", "i'ma", "qu'il", "d' art",
]  # fmt: skip


def caption_corpus(n: int, seed: int = 0) -> list[str]:
    """Deterministic caption-style sentences with punctuation, contractions, numbers, hyphens, unicode."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)]
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            words.insert(rng.randint(0, len(words)), rng.choice(INSERTS))
        if rng.random() < 0.6:
            words.append(rng.choice(PLACES))
        text = " ".join(words)
        if rng.random() < 0.3:
            text = text.replace(" ", ", ", 1)
        text += rng.choice([".", ".", "", " .", "!", "?", " ", "..."])
        out.append(text[0].upper() + text[1:] if rng.random() < 0.7 else text)
    return out


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("A man's dog isn't running.", "a man 's dog is n't running"),
        ("I can't, won't; cannot!", "i ca n't wo n't can not"),
        ("It costs $5.50 -- 50% off (really)", "it costs $ 5.50 50 % off -lrb- really -rrb-"),
        ("Mr. Smith, the U.S. and St. Louis at 10:30 a.m.", "mr. smith the u.s. and st. louis at 10:30 a.m."),
        ("a 5-year-old in a t-shirt, 1,000 times", "a 5-year-old in a t-shirt 1,000 times"),
        ("“Café” naïve … ½ pizza 🍕", "café naïve 1/2 pizza"),
        (
            "कुत्ता cafe\u0301 cat😺dog ❤️ soft\u00adware &amp; x\u200by",
            "कुत्ता cafe\u0301 cat dog ❤ software & x y",
        ),
        ("a <unk> on a <UNK>. </s> <br /> &lt;b&gt; 5 < 6", "a <unk> on a <unk> </s> <br\xa0/> < b > 5 < 6"),
        (
            "The Qur'an, O'Brien's ma'am and a gov't fo'c'sle",
            "the qur an o'brien 's ma'am and a gov t fo c sle",
        ),
        ("pick'em, rock'n roll, j'ai, l'eau, cap'n", "pick 'em rock 'n roll j' ai l'eau cap'n"),
        ("go to https://coco.org/ or a.b@c.com :) now", "go to https://coco.org/ or a.b@c.com :-rrb- now"),
        ("a note:Done, https://a", "a note done https / / a"),
        ("", ""),
        ("...", ""),
    ],
)
def test_hand_worked_cases(text: str, tokens: str) -> None:
    assert " ".join(ptb_tokenize(text)) == tokens


def test_tokenize_captions_shapes() -> None:
    out = tokenize_captions({1: "A Dog.", "b": ["Two cats!", "a  cat"]})
    assert out == {1: ["a dog"], "b": ["two cats", "a cat"]}


def test_corpus_is_varied() -> None:
    corpus = caption_corpus(3000, seed=1)
    assert len(set(corpus)) > 1150
    for phenomenon in ("'s", "n't", ",", "-", "%", "$", "(", "é", "…", "U.S.", "\U0001f436"):
        assert any(phenomenon in c for c in corpus), phenomenon


@pytest.mark.skipif(shutil.which("java") is None, reason="the PTB reference tokenizer needs Java")
def test_identical_to_coco_caption_ptb_tokenizer() -> None:
    ptb = pytest.importorskip("pycocoevalcap.tokenizer.ptbtokenizer")
    corpus = caption_corpus(3000, seed=1)
    reference = ptb.PTBTokenizer().tokenize({i: [{"caption": c}] for i, c in enumerate(corpus)})
    ours = tokenize_captions(dict(enumerate(corpus)))
    mismatches = [
        (corpus[i], reference[i][0], ours[i][0]) for i in range(len(corpus)) if reference[i] != ours[i]
    ]
    assert not mismatches, f"{len(mismatches)} differ, e.g. {mismatches[:3]}"
