"""Tokenizer and vocabulary."""

from multicap.text.vocab import EOS, PAD, UNK, Vocabulary, level_token, tokenize

__all__ = ["EOS", "PAD", "UNK", "Vocabulary", "level_token", "tokenize"]
