"""Data files of multicap.text: the ImageNet classes and their WordNet synsets (README.md: provenance)."""
