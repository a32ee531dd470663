"""Similarity, near-duplicates, clusters and differences of image sets, and their HTML report.

images = collect_images(paths, index_root=resolve_index("photos"))   # reuses the index where it can
result = compare_set(images)                                           # duplicates, clusters, pairs
write_report(result, "report.html")
compare_pair(desc_a, desc_b).text("layout")                           # "the red circle moved …"
"""

from multicap.compare.clusters import Clustering, choose_k, cluster_vectors
from multicap.compare.collect import ImageSet, collect_images
from multicap.compare.duplicates import DEFAULT_THRESHOLD, DuplicateGroup, duplicate_groups, similar_pairs
from multicap.compare.pairs import Difference, PairComparison, compare_facts, compare_pair
from multicap.compare.report import render_report, write_report
from multicap.compare.sets import ClusterSummary, SetComparison, compare_copy, compare_in_set, compare_set
from multicap.compare.signature import pixel_signature, signature

__all__ = [
    "DEFAULT_THRESHOLD",
    "ClusterSummary",
    "Clustering",
    "Difference",
    "DuplicateGroup",
    "ImageSet",
    "PairComparison",
    "SetComparison",
    "choose_k",
    "cluster_vectors",
    "collect_images",
    "compare_copy",
    "compare_facts",
    "compare_in_set",
    "compare_pair",
    "compare_set",
    "duplicate_groups",
    "pixel_signature",
    "render_report",
    "signature",
    "similar_pairs",
    "write_report",
]
