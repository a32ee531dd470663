"""Batched greedy and beam-search decoding: many images (and beams) advance together, one step at a time.

Every caption comes back with its words, its mean log-probability per token (a confidence), its attention
maps (T, N) and the decoder's output vectors (T, E), so callers can draw where each word looked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from multicap.captioning.model import Captioner
from multicap.text import Vocabulary

__all__ = ["Caption", "DecodeConfig", "decode"]

_NEG = -1e9


@dataclass(frozen=True)
class DecodeConfig:
    beam_size: int = 3  # 1 = greedy
    max_len: int = 30  # words at most; `<eos>` is forced after this many
    min_len: int = 1  # words at least before `<eos>` is allowed
    length_penalty: float = 1.0  # final beam ranking: sum log p / length ** length_penalty
    no_repeat_ngram: int = 0  # forbid repeating any n-gram of this size (0 = allowed)
    suppress_unk: bool = True  # never emit `<unk>`


@dataclass
class Caption:
    text: str
    tokens: list[str]
    logprob: float  # mean log-probability per generated token, `<eos>` included: a confidence in (-inf, 0]
    attention: np.ndarray | None  # (T, N): where each generated token looked (T counts `<eos>`)
    level: str
    outputs: np.ndarray | None = None  # (T, E) decoder output vectors, for the word-to-word similarity map


@torch.no_grad()
def decode(
    model: Captioner, features: torch.Tensor, levels: list[str], vocab: Vocabulary, config: DecodeConfig
) -> list[Caption]:
    """Caption each image of `features` (B, N, D) at the level given for it (never teacher-forced).

    Images are decoded together one level at a time: a batch runs until its longest caption ends, and
    captions of one level are of similar length (object-level ones are a third as long as layout ones).
    """
    model.eval()
    captions: list[Caption | None] = [None] * len(levels)
    for level in dict.fromkeys(levels):
        index = [i for i, lv in enumerate(levels) if lv == level]
        for i, caption in zip(
            index, _decode_level(model, features[index], level, vocab, config), strict=True
        ):
            captions[i] = caption
    return [c for c in captions if c is not None]


def _decode_level(
    model: Captioner, features: torch.Tensor, level: str, vocab: Vocabulary, config: DecodeConfig
) -> list[Caption]:
    start = torch.full((len(features),), vocab.level_id(level), dtype=torch.long, device=features.device)
    values, keys = model.encode_grid(features)  # (B, N, V), (B, N, A)
    seqs, alphas, outputs, scores, lengths = _beam(model, values, keys, start, vocab, config)
    captions = []
    for b in range(len(features)):
        n = int(lengths[b])  # tokens including <eos>
        words = vocab.decode(seqs[b, :n].tolist())
        captions.append(
            Caption(
                text=" ".join(words),
                tokens=words,
                logprob=float(scores[b]) / max(n, 1),
                attention=alphas[b, :n].cpu().numpy(),
                level=level,
                outputs=outputs[b, :n].cpu().numpy(),
            )
        )
    return captions


def _mask_logprobs(
    logp: torch.Tensor, step: int, history: torch.Tensor, vocab: Vocabulary, config: DecodeConfig
) -> torch.Tensor:
    """Apply the decoding constraints to (rows, vocab) log-probabilities at `step` (0-based word index)."""
    if step >= config.max_len:  # at the maximum length, nothing but <eos>
        logp.fill_(_NEG)
        logp[:, vocab.eos_id] = 0.0
        return logp
    eos, unk = logp[:, vocab.eos_id].clone(), logp[:, vocab.unk_id].clone()
    logp[:, : vocab.num_special] = _NEG  # never <pad> or a level token
    if step >= config.min_len:
        logp[:, vocab.eos_id] = eos
    if not config.suppress_unk:
        logp[:, vocab.unk_id] = unk
    if config.no_repeat_ngram > 0 and step + 1 >= config.no_repeat_ngram:
        _ban_repeats(logp, history, config.no_repeat_ngram)
    return logp


def _ban_repeats(logp: torch.Tensor, history: torch.Tensor, n: int) -> None:
    """Forbid tokens that would complete an n-gram already in the row's history (rows, t)."""
    t = history.shape[1]
    for row in range(history.shape[0]):
        seq = history[row].tolist()
        prefix = tuple(seq[t - n + 1 :]) if n > 1 else ()
        for i in range(t - n + 1):
            if tuple(seq[i : i + n - 1]) == prefix:
                logp[row, seq[i + n - 1]] = _NEG


def _beam(
    model: Captioner,
    values: torch.Tensor,
    keys: torch.Tensor,
    start: torch.Tensor,
    vocab: Vocabulary,
    config: DecodeConfig,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Beam search over B images × K beams at once (K = 1 is greedy).

    Finished beams stay in their slot with a frozen score. Returns, for the best beam of each image:
    token ids (B, T), attention (B, T, N), outputs (B, T, E), summed log-prob (B,), length (B,).
    """
    B, N, _ = values.shape
    K = max(1, config.beam_size)
    rows = torch.arange(B, device=values.device).repeat_interleave(K)  # (B·K,) image of each beam
    values, keys = values[rows], keys[rows]
    state = model.init_state(values, start[rows])
    score = torch.full((B, K), _NEG, device=values.device)
    score[:, 0] = 0.0  # all beams start identical: keep one
    seqs = torch.zeros(B * K, 0, dtype=torch.long, device=values.device)
    alphas = torch.zeros(B * K, 0, N, device=values.device)
    outs = torch.zeros(B * K, 0, model.config.embed_dim, device=values.device)
    done = torch.zeros(B * K, dtype=torch.bool, device=values.device)
    length = torch.zeros(B * K, dtype=torch.long, device=values.device)
    for step in range(config.max_len + 1):
        logits, state, alpha, out = model.step(state, values, keys)  # (B·K, vocab), ..., (B·K, N), (B·K, E)
        logp = _mask_logprobs(torch.log_softmax(logits.float(), dim=-1), step, seqs, vocab, config)
        logp[done] = _NEG
        logp[done, vocab.pad_id] = 0.0  # a finished beam continues with <pad> at no cost
        V = logp.shape[-1]
        cand = (score.view(-1, 1) + logp).view(B, K * V)  # (B, K·vocab)
        score, flat = cand.topk(K, dim=-1)  # (B, K)
        beam = (flat // V + torch.arange(B, device=values.device).unsqueeze(1) * K).view(-1)  # (B·K,)
        token = (flat % V).view(-1)  # (B·K,)
        seqs = torch.cat([seqs[beam], token.unsqueeze(1)], dim=1)
        alphas = torch.cat([alphas[beam], alpha[beam].unsqueeze(1)], dim=1)
        outs = torch.cat([outs[beam], out[beam].unsqueeze(1)], dim=1)
        was_done = done[beam]
        length = length[beam] + (~was_done).long()
        done = was_done | (token == vocab.eos_id)
        state = state.select(beam)
        state.prev = token
        if bool(done.all()):
            break
    norm = score / length.view(B, K).clamp_min(1).float() ** config.length_penalty
    best = norm.argmax(dim=-1) + torch.arange(B, device=values.device) * K  # (B,)
    return seqs[best], alphas[best], outs[best], score.view(-1)[best], length[best]
