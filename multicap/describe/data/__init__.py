"""Data files of the grounded describer (README.md says where each came from)."""
