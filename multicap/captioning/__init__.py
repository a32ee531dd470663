"""The attention captioner (Show, Attend and Tell)."""
