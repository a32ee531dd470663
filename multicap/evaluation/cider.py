"""CIDEr-D (Vedantam et al., 2015) with the semantics of coco-caption's scorer, vectorised with numpy.

For each n in 1..4, every sentence becomes a tf-idf vector over its n-grams, with document frequencies
counted over the *evaluated* references (an n-gram's df is the number of images whose references hold it)
and idf = log(#images) - log(max(1, df)). The score of a candidate against one reference is

    sum_g min(c_g, r_g) * r_g / (|c| |r|) * exp(-(l_c - l_r)^2 / (2 sigma^2))

(the clipping and the Gaussian length penalty are the "-D"), averaged over n and over the references,
then multiplied by 10. As in coco-caption, the lengths l are the number of *bigrams* of each sentence
(one less than the number of words, 0 for an empty sentence), and a cosine whose norm is 0 stays 0.

Instead of dictionaries per sentence, all n-grams of the corpus get integer ids at once (an n-gram id is
the id of its (n-1)-gram prefix combined with its last word) and every sum above is a `np.bincount`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from multicap.evaluation.metric import MetricResult, check_inputs

__all__ = ["cider_d"]


def cider_d(
    candidates: Mapping[Any, str], references: Mapping[Any, Sequence[str]], n: int = 4, sigma: float = 6.0
) -> MetricResult:
    """CIDEr-D of tokenised candidates against tokenised references (see `multicap.evaluation.metric`).

    Args:
        candidates: image id -> one tokenised caption.
        references: image id -> tokenised reference captions.
        n: the longest n-gram.
        sigma: width of the Gaussian length penalty.

    Returns:
        `MetricResult` named "CIDEr-D" with the corpus mean and per-image scores.
    """
    ids = check_inputs(candidates, references)
    sentences = [candidates[k] for k in ids]
    image_of = list(range(len(ids)))  # sentence -> image; candidates first, then every reference
    for i, k in enumerate(ids):
        sentences.extend(references[k])
        image_of.extend([i] * len(references[k]))
    per_image = _cider_d_scores(sentences, np.asarray(image_of, dtype=np.int64), len(ids), n, sigma)
    return MetricResult(
        name="CIDEr-D",
        scores={"CIDEr-D": float(per_image.mean())},
        per_image={"CIDEr-D": per_image.tolist()},
        image_ids=ids,
    )


def _cider_d_scores(
    sentences: list[str], image_of: np.ndarray, n_images: int, n: int, sigma: float
) -> np.ndarray:
    """Per-image CIDEr-D; sentences[:n_images] are the candidates, the rest references of image_of[i]."""
    words, sent_of, n_words = _encode(sentences)
    n_sents = len(sentences)
    is_ref = np.arange(n_sents) >= n_images
    log_n_images = np.log(float(n_images))
    n_bigrams = np.maximum(n_words - 1, 0).astype(np.float64)
    delta = n_bigrams[n_images:] - n_bigrams[image_of[n_images:]]  # (R,) candidate length - reference
    penalty = np.exp(-(delta**2) / (2 * sigma**2))

    sim_sum = np.zeros(n_sents - n_images)  # (R,) sum over n of the penalised cosine of each reference
    gram = np.full(len(words), -1, dtype=np.int64)
    for k in range(1, n + 1):
        gram, valid = _extend_ngrams(gram, words, sent_of, k)
        sent, gid, tf = _term_frequencies(sent_of[valid], gram[valid])
        in_ref = is_ref[sent]
        df = _document_frequencies(image_of[sent[in_ref]], gid[in_ref], int(gid.max(initial=-1)) + 1)
        weight = tf * (log_n_images - np.log(np.maximum(1.0, df[gid])))
        norm = np.sqrt(np.bincount(sent, weights=weight**2, minlength=n_sents).astype(float))

        dot = _clipped_dots(sent, gid, weight, image_of, n_images)  # (R,)
        norm_ref = norm[n_images:]
        norm_cand = norm[image_of[n_images:]]
        both = (norm_ref != 0) & (norm_cand != 0)
        dot[both] /= norm_ref[both] * norm_cand[both]
        sim_sum += dot * penalty

    refs_per_image = np.bincount(image_of[n_images:], minlength=n_images)
    per_image = np.bincount(image_of[n_images:], weights=sim_sum, minlength=n_images)
    return per_image / n / refs_per_image * 10.0


def _clipped_dots(
    sent: np.ndarray, gid: np.ndarray, weight: np.ndarray, image_of: np.ndarray, n_images: int
) -> np.ndarray:
    """For each reference, sum_g min(c_g, r_g) * r_g against its image's candidate (before normalising).

    `sent`, `gid`, `weight` list the (sentence, n-gram, tf-idf) entries of all sentences; each reference
    entry is paired with the candidate entry of the same image and n-gram by a sorted search.
    """
    cand = sent < n_images
    width = int(gid.max(initial=0)) + 1
    cand_key = image_of[sent[cand]] * width + gid[cand]
    order = np.argsort(cand_key)
    cand_key, cand_weight = cand_key[order], weight[cand][order]
    ref = ~cand
    ref_key = image_of[sent[ref]] * width + gid[ref]
    if len(cand_key) == 0:
        return np.zeros(len(image_of) - n_images)
    pos = np.minimum(np.searchsorted(cand_key, ref_key), len(cand_key) - 1)
    hit = cand_key[pos] == ref_key
    ref_weight = weight[ref][hit]
    clipped = np.minimum(cand_weight[pos[hit]], ref_weight) * ref_weight
    n_refs = len(image_of) - n_images
    return np.bincount(sent[ref][hit] - n_images, weights=clipped, minlength=n_refs).astype(np.float64)


def _encode(sentences: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word ids of all sentences laid end to end, the sentence of each position, and sentence lengths."""
    vocab: dict[str, int] = {}
    tokens = [s.split() for s in sentences]
    n_words = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    words = np.fromiter(
        (vocab.setdefault(w, len(vocab)) for t in tokens for w in t), dtype=np.int64, count=int(n_words.sum())
    )
    sent_of = np.repeat(np.arange(len(sentences), dtype=np.int64), n_words)
    return words, sent_of, n_words


def _extend_ngrams(
    prev: np.ndarray, words: np.ndarray, sent_of: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the k-grams starting at each position (from the (k-1)-gram ids) and where one exists."""
    total = len(words)
    if k == 1:
        return np.unique(words, return_inverse=True)[1].astype(np.int64), np.ones(total, dtype=bool)
    valid = np.zeros(total, dtype=bool)
    if total >= k:
        valid[: total - k + 1] = sent_of[: total - k + 1] == sent_of[k - 1 :]
    gram = np.full(total, -1, dtype=np.int64)
    if valid.any():
        start = np.flatnonzero(valid)
        key = prev[start] * (int(words.max()) + 1) + words[start + k - 1]
        gram[start] = np.unique(key, return_inverse=True)[1]
    return gram, valid


def _term_frequencies(sent: np.ndarray, gid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique (sentence, n-gram) pairs and how often each occurs."""
    width = int(gid.max(initial=0)) + 1
    pairs, tf = np.unique(sent * width + gid, return_counts=True)
    return pairs // width, pairs % width, tf.astype(np.float64)


def _document_frequencies(image: np.ndarray, gid: np.ndarray, n_grams: int) -> np.ndarray:
    """For each n-gram, the number of images among whose references it occurs."""
    width = max(n_grams, 1)
    pairs = np.sort(image * width + gid)  # sort + neighbour test: faster here than np.unique's hashing
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return np.bincount(pairs[first] % width, minlength=n_grams).astype(np.float64)
