"""BLEU, ROUGE-L, CIDEr-D and METEOR against pycocoevalcap's scorers on the same tokenised inputs."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest

from multicap.evaluation import bleu, cider_d, meteor, rouge_l

pytest.importorskip("pycocoevalcap")
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge


def _words(text: str) -> list[str]:
    return text.split()


# A vocabulary of a few hundred words, most of them rare, like the tail of real caption vocabularies.
STEMS = _words("dog cat man woman car bus tree kite ball train bike plate")
NOUNS = [f"{stem}{suffix}" for stem in STEMS for suffix in ("", "s")] + [f"thing{i}" for i in range(200)]
ADJECTIVES = _words("red blue green small large old young white black wooden bright shiny")
VERBS = _words("sits stands runs holds rides eats flies plays walks looks carries")
PREPOSITIONS = _words("on in near under over beside behind with at of")
DETERMINERS = _words("a the two some an three")


def _phrase(rng: random.Random) -> list[str]:
    words = [rng.choice(DETERMINERS)]
    words += [rng.choice(ADJECTIVES) for _ in range(rng.choice([0, 0, 1, 2]))]
    return [*words, rng.choice(NOUNS)]


def _sentence(rng: random.Random) -> str:
    words = [*_phrase(rng), rng.choice(VERBS)]
    for _ in range(rng.choice([0, 1, 1, 2])):
        words += [rng.choice(PREPOSITIONS), *_phrase(rng)]
    return " ".join(words)


def parity_corpus(n_images: int = 500, seed: int = 0) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Seeded caption-like candidates and 5 references per image, then the adversarial cases."""
    rng = random.Random(seed)
    refs = {i: [_sentence(rng) for _ in range(5)] for i in range(n_images)}
    cands = {i: rng.choice(refs[i][:2]) if rng.random() < 0.1 else _sentence(rng) for i in range(n_images)}
    longest = max(len(r.split()) for rs in refs.values() for r in rs)
    adversarial = [
        "",  # empty candidate
        "dog",  # one word
        "the",  # one word that every reference holds
        "a dog a dog a dog a dog a dog a dog",  # repeated n-grams
        "the the the the the the the the",
        " ".join(rng.choice(NOUNS) for _ in range(longest + 7)),  # longer than any reference
        refs[0][0] + " " + refs[0][1] + " " + refs[0][2],  # longer, and full of matches
    ]
    for j, cand in enumerate(adversarial):
        k = n_images + j
        refs[k] = [_sentence(rng) for _ in range(5)]
        if j == 6:
            refs[k] = list(refs[0])
        cands[k] = cand
    refs[n_images + len(adversarial)] = ["a dog"]  # a single reference
    cands[n_images + len(adversarial)] = "a dog runs on the grass"
    return cands, refs


@pytest.fixture(scope="module")
def corpus() -> tuple[dict[int, str], dict[int, list[str]]]:
    return parity_corpus()


def _coco(cands: dict[int, str]) -> dict[int, list[str]]:
    return {k: [v] for k, v in cands.items()}


def test_bleu_matches_pycocoevalcap(corpus: tuple[dict[int, str], dict[int, list[str]]]) -> None:
    cands, refs = corpus
    ours = bleu(cands, refs)
    score, per_image = Bleu(4).compute_score(refs, _coco(cands), verbose=0)
    for k in range(4):
        assert ours.scores[f"BLEU-{k + 1}"] == pytest.approx(score[k], abs=1e-6)
        np.testing.assert_allclose(ours.per_image[f"BLEU-{k + 1}"], per_image[k], rtol=0, atol=1e-6)
    assert 0.05 < ours.scores["BLEU-4"] < ours.scores["BLEU-1"] < 1  # a corpus that exercises the metric


def test_rouge_l_matches_pycocoevalcap(corpus: tuple[dict[int, str], dict[int, list[str]]]) -> None:
    cands, refs = corpus
    ours = rouge_l(cands, refs)
    score, per_image = Rouge().compute_score(refs, _coco(cands))
    assert ours.scores["ROUGE-L"] == pytest.approx(score, abs=1e-6)
    np.testing.assert_allclose(ours.per_image["ROUGE-L"], per_image, rtol=0, atol=1e-6)


def test_cider_d_matches_pycocoevalcap(corpus: tuple[dict[int, str], dict[int, list[str]]]) -> None:
    cands, refs = corpus
    ours = cider_d(cands, refs)
    score, per_image = Cider().compute_score(refs, _coco(cands))
    assert ours.scores["CIDEr-D"] == pytest.approx(score, abs=1e-6)
    np.testing.assert_allclose(ours.per_image["CIDEr-D"], per_image, rtol=0, atol=1e-6)
    assert ours.scores["CIDEr-D"] > 0.1


METEOR_REFS = {
    1: ["a man is riding a red bike down the street", "a person rides a bicycle on the road"],
    2: ["two dogs playing with a ball in the park", "a couple of dogs chase a ball on the grass"],
    3: ["a plate of food with broccoli and rice", "a dish of rice and vegetables"],
    4: ["a cat sitting on a wooden bench", "a small cat sits on the bench"],
    5: ["a train at the station", "a train waiting at a platform"],
}
METEOR_CANDS = {
    1: "a man riding a bike on the street",  # stems and synonyms
    2: "dogs running with balls",
    3: "",  # empty
    4: "cat",  # one word
    5: "a trains trains trains at the stations station",  # repeated words
}
# pycocoevalcap 1.2 `Meteor().compute_score` on METEOR_REFS / METEOR_CANDS (the live comparison on the
# whole parity corpus is test_meteor_matches_pycocoevalcap, marked slow: two JVMs load the paraphrase table).
METEOR_CORPUS = 0.2225413188468163
METEOR_PER_IMAGE = [0.7375, 0.20799200017810118, 0.0, 0.09090909090909091, 0.3453642016643486]


@pytest.mark.skipif(shutil.which("java") is None, reason="METEOR 1.5 needs Java")
def test_meteor_jar_gives_the_reference_numbers() -> None:
    ours = meteor(METEOR_CANDS, METEOR_REFS)
    assert ours.available, ours.unavailable
    assert ours.scores["METEOR"] == pytest.approx(METEOR_CORPUS, abs=1e-6)
    np.testing.assert_allclose(ours.per_image["METEOR"], METEOR_PER_IMAGE, rtol=0, atol=1e-6)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="METEOR 1.5 needs Java")
def test_meteor_matches_pycocoevalcap(corpus: tuple[dict[int, str], dict[int, list[str]]]) -> None:
    from pycocoevalcap.meteor.meteor import Meteor

    cands, refs = corpus
    reference = Meteor()  # starts its JVM now, so that the two load their tables side by side
    ours = meteor(cands, refs)
    score, per_image = reference.compute_score(refs, _coco(cands))
    assert ours.available, ours.unavailable
    assert ours.scores["METEOR"] == pytest.approx(score, abs=1e-3)
    np.testing.assert_allclose(ours.per_image["METEOR"], per_image, rtol=0, atol=1e-3)


@pytest.mark.skipif(shutil.which("java") is None, reason="the PTB reference tokenizer needs Java")
def test_raw_captions_end_to_end_match_coco_caption_pipeline(
    corpus: tuple[dict[int, str], dict[int, list[str]]],
) -> None:
    """Raw text in: PTB jar + pycocoevalcap scorers (coco-caption's pipeline) against evaluate_captions."""
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    from multicap.evaluation import evaluate_captions

    rng = random.Random(1)

    def raw(text: str) -> str:  # what people type: capitals, commas, a final period, a possessive
        words = text.split()
        if len(words) > 3 and rng.random() < 0.3:
            words[1] += ","
        if words and rng.random() < 0.2:
            words[-1] += "'s"
        sentence = " ".join(words)
        return (sentence[:1].upper() + sentence[1:] + rng.choice([".", "", "!"])) if sentence else sentence

    cands, refs = corpus
    raw_cands = {k: raw(v) for k, v in list(cands.items())[:200]}
    raw_refs = {k: [raw(r) for r in refs[k]] for k in raw_cands}
    tok = PTBTokenizer()
    coco_res = tok.tokenize({k: [{"caption": v}] for k, v in raw_cands.items()})
    coco_gts = tok.tokenize({k: [{"caption": r} for r in v] for k, v in raw_refs.items()})
    ours = evaluate_captions(raw_cands, raw_refs, metrics=("bleu", "rouge", "cider")).scores
    assert ours["BLEU-4"] == pytest.approx(
        Bleu(4).compute_score(coco_gts, coco_res, verbose=0)[0][3], abs=1e-6
    )
    assert ours["ROUGE-L"] == pytest.approx(Rouge().compute_score(coco_gts, coco_res)[0], abs=1e-6)
    assert ours["CIDEr-D"] == pytest.approx(Cider().compute_score(coco_gts, coco_res)[0], abs=1e-6)


@pytest.mark.skipif(shutil.which("java") is None, reason="METEOR 1.5 needs Java")
def test_meteor_of_several_groups_in_one_jar_run_gives_each_groups_numbers() -> None:
    """`meteor_groups` (every level of an evaluation in one start of the jar, seconds each) scores each
    group as a run of its own would, whatever came before it in the jar."""
    from multicap.evaluation.meteor import meteor_groups

    keys = list(METEOR_CANDS)
    flipped = {k: METEOR_CANDS[k] for k in reversed(keys)}
    first, second = meteor_groups([(METEOR_CANDS, METEOR_REFS), (flipped, METEOR_REFS)])
    assert first.scores["METEOR"] == pytest.approx(METEOR_CORPUS, abs=1e-6)
    np.testing.assert_allclose(first.per_image["METEOR"], METEOR_PER_IMAGE, rtol=0, atol=1e-6)
    assert second.scores["METEOR"] == pytest.approx(METEOR_CORPUS, abs=1e-6)
    by_key = dict(zip(second.image_ids, second.per_image["METEOR"], strict=True))
    np.testing.assert_allclose([by_key[k] for k in keys], METEOR_PER_IMAGE, rtol=0, atol=1e-6)
