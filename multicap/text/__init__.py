"""Tokenizer and vocabulary."""

from multicap.text.vocab import (
    CLAUSE_PUNCTUATION,
    EOS,
    PAD,
    UNK,
    Vocabulary,
    detokenize,
    level_token,
    tokenize,
)

__all__ = ["CLAUSE_PUNCTUATION", "EOS", "PAD", "UNK", "Vocabulary", "detokenize", "level_token", "tokenize"]
