"""Similarity, near-duplicates, clusters and differences of image sets."""
