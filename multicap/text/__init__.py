"""Tokenizer and vocabulary."""
