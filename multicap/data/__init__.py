"""Datasets: caption readers, feature caches, and the synthetic scenes generator."""
