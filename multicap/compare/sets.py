"""Compare a set of images: near-duplicate groups, clusters, outliers, distinguishing facts, pairs.

    result = compare_set(collect_images(paths))
    for line in result.json_lines(): ...

Duplicates come from the near-duplicate signatures (`duplicates`); clusters and outliers from the image
embeddings (`clusters`; a copy is clustered as the photo it copies), with one more outlier where a set has
a theme: the odd ones out by what the photos show (`_odd_ones_out`); what a cluster shares from
`multicap.describe.summary.summarize_set` over its members, what sets a cluster apart from the features
most of its members have and few other images do (for a set of one cluster: what it shares), and what
sets an image apart from the set summary of the whole set. Pairs: each duplicate's keeper
against the other members (what, if anything, differs), and each cluster's representative against its
nearest members.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from multicap.compare.align import align_pair, shown_share
from multicap.compare.change import changed_cells, file_pixels
from multicap.compare.clusters import JOINED_FROM, PCA_FROM, Clustering, cluster_vectors
from multicap.compare.collect import ImageSet
from multicap.compare.copies import made_by_file, prefer_originals
from multicap.compare.duplicates import DEFAULT_THRESHOLD, DuplicateGroup, duplicate_groups
from multicap.compare.folders import FolderSummary, folder_of, folder_summaries, groups_across
from multicap.compare.labels import (
    FEW,
    FEW_LIFT,
    LABEL_FEATURES,
    LIFT,
    MOST,
    SOME,
    SOME_FEATURES,
    counted,
    over_represented,
    readable,
)
from multicap.compare.pairs import PairComparison, compare_facts, compare_pair, only_in, read_surely
from multicap.compare.verify import SIDE as VERIFY_SIDE
from multicap.compare.verify import PairCheck, alignment, how_copied, looks_grey, relit
from multicap.describe.description import Description
from multicap.describe.summary import ancestors, concepts, image_features, looks, summarize_set
from multicap.errors import ImageLoadError
from multicap.facts import SceneFacts
from multicap.io import load_image

__all__ = [
    "ClusterSummary",
    "SetComparison",
    "compare_copy",
    "compare_in_set",
    "compare_set",
    "shown_vectors",
]

_EVERYWHERE = 0.7  # a feature this share of the whole set holds is left out of a cluster's label
_RECOLOURED = ("colour", "background")  # what a grey, brighter or darker copy changes everywhere
_RELIT = 1.06  # a copy this many times brighter or darker has its colours changed everywhere (a 1.3 gain
#                that clips at white can measure under 1.12, where `how_copied` says "brighter": 4 of 40)
_NEAREST_PAIRS = 3  # pairs per cluster: its representative against this many nearest members
_MAX_PAIRS = 200  # pairs in all
_ODD_Z = 0.5  # the farthest photo, at least this many robust deviations beyond the median distance …
_ODD_MARGIN = 0.05  # … and this much cosine distance (a tight burst of shots spreads little) …
_ODD_SHARING = 0.5  # … shows nothing any other photo shows, where the others' median photo shares some
#                     concept (any) with at least this share of the set: the odd one out by what it shows
_ODD_SAMPLE = 500  # photos the median is taken over in a larger set (every pair of them is compared)
_SHOWN_CONCEPTS = 256  # concepts a set's clusters are also found in (`shown_vectors`): the most shown


@dataclass
class ClusterSummary:
    index: int
    members: list[int]  # indices into the set: the representative, then the rest nearest the others first
    representative: int  # the member nearest the others (`Clustering.distances`) that has the label's first
    shared: list[str]  # features every member has (summarize_set)
    distinguishing: list[str]  # features most members have and few other images do
    text: str


@dataclass
class SetComparison:
    images: ImageSet
    level: str
    threshold: float
    duplicates: list[DuplicateGroup]
    clustering: Clustering
    clusters: list[ClusterSummary]
    distinct: list[list[str]]  # per image, the features no other image has
    pairs: list[tuple[int, int, PairComparison]] = field(default_factory=list)
    odd: list[int] = field(default_factory=list)  # the outliers by what they show (a photo and its copies)
    folders: list[FolderSummary] = field(default_factory=list)  # a set given as two or more folders
    across: int = 0  # near-duplicate groups that hold photos of two or more of those folders

    def outlier_by(self, i: int) -> str | None:
        """Why image `i` is an outlier: "what it shows" (nothing the other photos show), "distance" (far
        from the other images), or None where it is not one."""
        if i in self.odd:
            return "what it shows"
        return "distance" if i in self.clustering.outliers else None

    def json_lines(self) -> list[dict[str, Any]]:
        """The documented JSON objects (cli/compare.py): images, duplicates, clusters, pairs, summary."""
        paths = [str(p) for p in self.images.paths]
        c = self.clustering
        out: list[dict[str, Any]] = []
        for i, path in enumerate(paths):
            desc = self.images.descriptions[i]
            out.append({
                "type": "image", "path": path, "cluster": int(c.labels[i]) + 1,
                "outlier": i in set(c.outliers), "outlier_by": self.outlier_by(i),
                "distance": round(float(c.distances[i]), 4),
                "distinct": self.distinct[i], "texts": dict(desc.texts),
            })  # fmt: skip
        for g in self.duplicates:
            out.append({
                "type": "duplicates", "keeper": paths[g.keeper], "members": [paths[m] for m in g.members],
                "similarity": g.similarity,
            })  # fmt: skip
        for cl in self.clusters:
            out.append({
                "type": "cluster", "cluster": cl.index + 1, "size": len(cl.members),
                "representative": paths[cl.representative], "members": [paths[m] for m in cl.members],
                "shared": cl.shared, "distinguishing": cl.distinguishing, "text": cl.text,
            })  # fmt: skip
        for f in self.folders:
            out.append({
                "type": "folder", "folder": f.folder, "size": len(f.members),
                "distinguishing": f.distinguishing, "text": f.text,
            })  # fmt: skip
        out.extend({**pair.to_dict(), "a": paths[i], "b": paths[j]} for i, j, pair in self.pairs)
        out.append(self.summary())
        return out

    def summary(self) -> dict[str, Any]:
        c = self.clustering
        return {
            "type": "summary", "n_images": len(self.images), "from_index": self.images.from_index,
            "failed": len(self.images.failed), "threshold": self.threshold,
            "duplicate_groups": len(self.duplicates),
            "duplicates": sum(len(g.members) - 1 for g in self.duplicates), "clusters": c.k,
            "silhouettes": {str(k): v for k, v in c.silhouettes.items()},
            "principal_components": c.principal, "gaps": {str(k): v for k, v in c.gaps.items()},
            "with_what_they_show": c.with_shown,
            "outliers": [str(self.images.paths[i]) for i in c.outliers],
            "folders": len(self.folders), "duplicate_groups_across_folders": self.across,
        }  # fmt: skip


def compare_set(
    images: ImageSet,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    clusters: int | None = None,
    level: str = "caption",
    seed: int = 0,
    folders: Sequence[Path] = (),
) -> SetComparison:
    """Everything `multicap compare FOLDER` reports about a collected set (see the module docstring); given
    two or more `folders` it was collected from, what sets each apart (`folders.folder_summaries`)."""
    check = PairCheck.of_paths(images.paths)
    keep_order = images.keep_order()
    groups = duplicate_groups(
        images.signatures,
        threshold,
        embeddings=images.embeddings,
        keep_order=keep_order,
        same=check,
        share=check.share,
    )
    groups = prefer_originals(groups, images.paths, images.pixels, keep_order)  # not a PNG conversion
    stands_for = np.arange(len(images))
    for g in groups:  # a copy is clustered as the photo it copies
        stands_for[g.members] = g.keeper
    photos = len(np.unique(stands_for))  # what each shows: only where the clusters may be found with it
    wanted = clusters is None and JOINED_FROM <= photos < PCA_FROM
    shown = shown_vectors(images.descriptions, stands_for) if wanted else None
    clustering = cluster_vectors(images.embeddings, clusters, seed=seed, stands_for=stands_for, shown=shown)
    odd = _odd_ones_out(clustering, images.descriptions, stands_for)  # each with its copies
    shows_nothing = [
        i for o in odd for i in (o, *(int(j) for j in np.flatnonzero(stands_for == o) if j != o))
    ]
    clustering = replace(clustering, outliers=[*shows_nothing, *clustering.outliers])  # first: the farthest
    feats = [image_features(d.facts, level) if d.facts else set() for d in images.descriptions]
    above = ancestors(images.descriptions, level)
    summaries = [
        _cluster_summary(images, clustering, c, feats, above, level, stands_for) for c in range(clustering.k)
    ]
    summaries = [s for s in summaries if s.members]
    whole = summarize_set(images.descriptions, level) if len(images) > 1 else None
    distinct = [whole.distinct.get(str(p), []) if whole else [] for p in images.paths]
    result = SetComparison(
        images, level, threshold, groups, clustering, summaries, distinct, odd=shows_nothing
    )
    if len(folders) > 1:
        names = {o.label for d in images.descriptions if d.facts is not None for o in d.facts.objects}
        where = folder_of(images.paths, folders)
        result.folders = folder_summaries(where, folders, feats, above, names, stands_for)
        result.across = groups_across(groups, where) if result.folders else 0
    result.pairs = _pairs(images, groups, summaries)
    return result


def shown_vectors(descriptions: Sequence[Description], stands_for: np.ndarray) -> np.ndarray | None:
    """What each image shows, as the unit vector of the concepts it shows (its objects' labels and their
    hypernyms, `summary.concepts`) that some but not all photos of the set show, each weighted by how
    rare it is among them (its inverse document frequency; at most the `_SHOWN_CONCEPTS` most shown), or
    None where a photo's facts are not known or no concept is shared.

    A set of 18 to 47 photos whose embeddings show no clusters is looked at again with these joined to
    them (`clusters.cluster_vectors`): the pooled features of varied photos spread so evenly that a
    walkthrough's 36 photos of animals and of people, and 24 of its animals, had each been one cluster. Each
    photo counts once: its copies take its concepts."""
    photos = [i for i in range(len(stands_for)) if stands_for[i] == i]
    facts = [d.facts for d in descriptions]
    if any(facts[i] is None for i in photos):
        return None
    shown = [concepts(f) if f is not None else set() for f in facts]
    held = Counter(c for i in photos for c in shown[i])
    telling = [c for c, n in held.most_common() if 2 <= n < len(photos)][:_SHOWN_CONCEPTS]
    if not telling:
        return None
    column = {c: j for j, c in enumerate(telling)}
    weight = np.array([np.log(len(photos) / held[c]) for c in telling], np.float32)
    out = np.zeros((len(descriptions), len(telling)), np.float32)
    for i in range(len(descriptions)):
        cols = [column[c] for c in shown[int(stands_for[i])] if c in column]
        out[i, cols] = weight[cols]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def _odd_ones_out(
    clustering: Clustering, descriptions: Sequence[Description], stands_for: np.ndarray
) -> list[int]:
    """The farthest photos of a set with a theme, each showing nothing that any other photo shows.

    The embedding's distances alone flag only photos far beyond the set's spread, and a folder of varied
    nature photos spreads nearly as wide as anything: the Moon among twelve of them was the farthest, at
    1.2 robust deviations and 0.10 beyond the median (`clusters.OUTLIER_Z` is 3.5). What the photos show
    tells it apart: the median nature photo shares a concept (a mountain, grass, the sky, a plant, an
    insect) with 7 of the 12 others, the Moon ("a bubble": a sphere, a shape) with none. On 40 sets of
    twelve photos of one theme (animals, monuments, fish, tools, renewable energy) with one photo of
    another planted and 40 without (`benchmarks/compare_photos.py --planted 80`), the distances alone
    flagged 9 of the 40 planted photos, and with this rule 20, for 18 false flags among 960 other photos
    against 13 (half a deviation, not one: the same 20, one false flag more, and a hammer among twelve
    animals, 0.7 deviations out, flagged in a walkthrough). The photos are looked at farthest first, up to
    a fifth of the set (past any that is an outlier by its distance already), until one is not so far or
    shows what another shows: an espresso, a hammer and a rocket among 16 zoo animals had been only the
    hammer (a walkthrough); on 30 sets of twelve with three photos of other themes planted (`--several
    30`), 16 of the 90 are flagged against 13, for 1 false flag among 360 against none, and on the
    one-planted sets 21 of 40 against 20, for 23 false flags of 960 against 18 (a second tool among tools
    that shares no concept). Stopping at a distance outlier instead flagged 20 of 40 for 22. A set where a
    photo has no facts (an index that holds none for it) calls none odd: what that photo shows is not
    known. The first of equally far photos is the one looked at first."""
    photos = [i for i in range(len(stands_for)) if stands_for[i] == i]  # each photo once, not its copies
    if len(photos) < 5 or any(descriptions[i].facts is None for i in photos):
        return []
    shown = {i: concepts(facts) for i in photos if (facts := descriptions[i].facts) is not None}
    d = clustering.distances[photos]
    median = float(np.median(d))
    spread = 1.4826 * float(np.median(np.abs(d - median)))
    held = Counter(c for i in photos for c in shown[i])  # how many photos show each concept
    odd: list[int] = []
    for k in np.argsort(-d, kind="stable")[: max(1, len(photos) // 5)].tolist():
        far = photos[k]
        beyond = float(clustering.distances[far]) - median
        if far in clustering.outliers:  # said already by its distance alone: the next is looked at
            continue
        if (
            not shown[far]
            or beyond < max(_ODD_Z * spread, _ODD_MARGIN)
            or any(held[c] > 1 for c in shown[far])
        ):
            break
        odd.append(far)
    if not odd:
        return []
    rest = [i for i in photos if i not in odd]
    pool = rest  # the photos the others' sharing is counted among (in a large set, a sample)
    if len(rest) > _ODD_SAMPLE:
        picked = np.random.default_rng(0).choice(len(rest), _ODD_SAMPLE, replace=False)
        pool = sorted(rest[int(k)] for k in picked)
    sharing = [
        sum(1 for j in pool if j != i and shown[i] & shown[j]) / (len(pool) - 1 + len(odd)) for i in pool
    ]
    return odd if float(np.median(sharing)) >= _ODD_SHARING else []


def _cluster_summary(
    images: ImageSet,
    clustering: Clustering,
    c: int,
    feats: list[set[str]],
    above: dict[str, set[str]],
    level: str,
    stands_for: np.ndarray,
) -> ClusterSummary:
    """A cluster's members and its label: what sets it apart, each photo counted once (a photo's copies
    say nothing more of it: eight copies of a dog had labelled a cluster of a dog and a pagoda "German
    shepherd")."""
    members = np.flatnonzero(clustering.labels == c)
    if len(members) == 0:
        return ClusterSummary(c, [], -1, [], [], "")
    order = members[np.argsort(clustering.distances[members], kind="stable")]
    ids = [int(i) for i in order]
    rep = clustering.representatives[c]
    ids = [rep, *(i for i in ids if i != rep)]
    photos = [i for i in ids if stands_for[i] == i] or ids  # each photo once: its copies left out
    summary = summarize_set([images.descriptions[i] for i in photos], level) if len(photos) > 1 else None
    shared = summary.shared if summary else sorted(feats[rep])
    others = (clustering.labels != c) & (stands_for == np.arange(len(stands_for)))
    distinguishing = over_represented(photos, others, feats, above)
    originals = [fs for i, fs in enumerate(feats) if stands_for[i] == i]
    everywhere = Counter(f for fs in originals for f in fs)
    telling = [f for f in shared if everywhere[f] < _EVERYWHERE * len(originals) and f not in distinguishing]
    facts = [images.descriptions[i].facts for i in photos]
    names = {o.label for f in facts if f is not None for o in f.objects}
    counts = Counter(f for i in photos for f in feats[i])
    shown = readable(distinguishing + telling, names, above)[:LABEL_FEATURES]  # the label's features
    label = counted(shown, counts, len(photos))
    if clustering.k == 1 and len(photos) > 1:  # the whole set: what its images share (no rest to differ from)
        seen_as = set().union(*(looks(images.descriptions[i].facts or SceneFacts(), level) for i in photos))
        things = [f for f in shared if f not in seen_as]  # what they show, before how they look
        shown = label = readable(things, names, above)[:LABEL_FEATURES]
        for share in (MOST, SOME, FEW):  # one odd photo shares nothing: the things most show, counted; else
            if label or len(photos) <= 2:  # what a third, then a fifth show (eleven varied photos had read
                break  # "11 images" and nothing more)
            most = [f for f, n in counts.most_common() if n > share * len(photos) and n >= 2]
            implied = {
                a for f in most for a in above.get(f, ()) if counts[a] == counts[f]
            }  # "animal": "mammal"
            most = [f for f in most if f not in implied and (f in names or f in above)]  # things, not looks
            shown = readable(most, names, above)[:SOME_FEATURES]
            label = counted(shown, counts, len(photos))
        if not label:  # no thing several show: how they all look ("12 images: moderately bright" had come
            shown = label = readable(shared, names, above)[:LABEL_FEATURES]  # before "animal (4 of 12)")
    # nothing most share: what a third or more of them do, counted; else what a fifth do, half as often
    # again as the rest (four of the 346 real photos' 15 clusters had had no label)
    for share, lift in ((SOME, LIFT), (FEW, FEW_LIFT)):
        if not label and len(photos) > 2:
            some = over_represented(photos, others, feats, above, most=share, lift=lift)
            shown = readable(some, names, above)[:SOME_FEATURES]
            label = counted(shown, counts, len(photos))
    if not label and shared:  # nothing sets it apart (a pair, say): what its photos share, as a set's one
        shown = label = readable(shared, names, above)[:LABEL_FEATURES]  # cluster says it (had been bare)
    if shown and shown[0] not in feats[rep]:  # the example shows what the label says first: a walkthrough's
        # "animal (4 of 7)" had been shown by a cup of coffee, the member nearest the others
        rep = next((i for i in photos if shown[0] in feats[i]), rep)
        ids = [rep, *(i for i in ids if i != rep)]
    text = f"{len(ids)} image{'s' if len(ids) != 1 else ''}"
    text += f" ({_photos(len(photos))} and copies)" if len(photos) < len(ids) else ""
    text += f": {', '.join(label)}" if label else ""
    return ClusterSummary(c, ids, rep, shared, distinguishing, text)


def _photos(n: int) -> str:
    """ "1 photo", "2 photos"."""
    return f"{n} photo{'s' if n != 1 else ''}"


def compare_copy(
    images: ImageSet, i: int, j: int, cache: dict[int, np.ndarray | None] | None = None
) -> PairComparison:
    """`compare_in_set` of images i and j where j is a copy of i or i of j (a near-duplicate): both in
    the frame of the one that shows more (`multicap.compare.align`), so that what a crop, a turn or a
    grey copy made the describer read differently is not said, and what a crop cut away is, whichever
    is named first; a copy flipped left to right is flipped back. As `compare_in_set` where the
    keypoints fit no transform."""
    compared = compare_in_set(images, i, j, cache)
    try:
        a, b = (load_image(images.paths[k], min_short_side=VERIFY_SIDE) for k in (i, j))
    except ImageLoadError:  # gone since it was described
        return compared
    matrix = alignment(a, b)  # how b was made (the report's pairs had said a crop "no meaningful difference")
    copied = how_copied(a, b, (images.pixels[i], images.pixels[j]), matrix)
    if not copied and len(images.nbytes) == len(images.paths):  # the pixels tell nothing: the files may
        sizes = (images.nbytes[i], images.nbytes[j])  # (a re-encoding, a conversion had said nothing)
        copied = made_by_file(images.paths[i], images.paths[j], sizes, images.pixels[j])
    compared = replace(compared, copied=copied)
    if matrix is None:
        return compared
    grey = looks_grey(a) or looks_grey(b)
    desc_a, desc_b = images.descriptions[i], images.descriptions[j]
    names = (compared.a, compared.b)
    back = cv2.invertAffineTransform(matrix)  # b's points onto a's
    if shown_share(matrix, a.size, b.size) <= shown_share(back, b.size, a.size):  # a shows more
        al = align_pair((a, b), (desc_a, desc_b), matrix, grey=grey)
        in_a, in_b, only_a, only_b = al.a, al.b, al.only_a, al.only_b
    else:  # b shows more: in b's frame
        al = align_pair((b, a), (desc_b, desc_a), back, grey=grey)
        in_b, in_a, only_b, only_a = al.a, al.b, al.only_a, al.only_b
    left = [only_in(o, names[0]) for o in only_a if read_surely(o)]  # what the other left out
    left += [only_in(o, names[1], removed=False) for o in only_b if read_surely(o)]
    said = compare_facts(
        in_a.facts or SceneFacts(),
        in_b.facts or SceneFacts(),
        names=names,
        changed=al.changed,
        compared=al.compared,
    )
    if grey or relit(a, b, matrix, _RELIT):  # the edit changed every colour: the describer's colours say
        # nothing of what changed in the photo (a ladybird brightened had read "green and yellow in a,
        # yellow in b")
        said = [d for d in said if d.kind not in _RECOLOURED]
    return replace(compared, differences=left + said)


def _pairs(
    images: ImageSet, groups: list[DuplicateGroup], clusters: list[ClusterSummary]
) -> list[tuple[int, int, PairComparison]]:
    copies = {(g.keeper, m) for g in groups for m in g.members if m != g.keeper}
    wanted: list[tuple[int, int]] = [(g.keeper, m) for g in groups for m in g.members if m != g.keeper]
    in_group = {m for g in groups for m in g.members}
    for cl in clusters:
        near = [m for m in cl.members[1:] if m not in in_group][:_NEAREST_PAIRS]
        wanted += [(cl.representative, m) for m in near]
    cache: dict[int, np.ndarray | None] = {}  # an image in several pairs is read once
    return [
        (i, j, (compare_copy if (i, j) in copies else compare_in_set)(images, i, j, cache))
        for i, j in list(dict.fromkeys(wanted))[:_MAX_PAIRS]
    ]


def compare_in_set(
    images: ImageSet, i: int, j: int, cache: dict[int, np.ndarray | None] | None = None
) -> PairComparison:
    """Images i and j of a collected set: their differences (where their pixels changed), embedding and
    signature similarities. They are named by file name in the texts, with as many folders as tell it from
    another image of the set of the same name (`ImageSet.names`: "A/img1.jpg"; a pair within one folder had
    been "img1.jpg" where two folders hold one), by full path where the two share it. `cache` keeps each
    image's pixels for the next pair that needs them."""
    names = (images.names[i], images.names[j])
    if names[0] == names[1]:
        names = (str(images.paths[i]), str(images.paths[j]))
    sim = round(float(images.embeddings[i] @ images.embeddings[j]), 4)
    cache = {} if cache is None else cache
    for k in (i, j):
        if k not in cache:
            cache[k] = file_pixels(images.paths[k])
    pa, pb = cache[i], cache[j]
    changed = changed_cells(pa, pb) if pa is not None and pb is not None else None
    pair = compare_pair(
        images.descriptions[i], images.descriptions[j], similarity=sim, names=names, changed=changed
    )
    pair.signature_similarity = round(float(images.signatures[i] @ images.signatures[j]), 4)
    return pair
