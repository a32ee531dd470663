"""Batched greedy and beam-search decoding: many images (and beams) advance together, one step at a time.

Every caption comes back with its words, its mean log-probability per token (a confidence), its attention
maps (T, N) and the decoder's output vectors (T, E), so callers can draw where each word looked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from multicap.captioning.model import Captioner
from multicap.text import Vocabulary, detokenize

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

    All images and levels decode together; an image leaves the batch when its beams have all ended, so
    short object-level captions cost no more beside long layout-level ones.
    """
    model.eval()
    start = torch.tensor([vocab.level_id(lv) for lv in levels], dtype=torch.long, device=features.device)
    values, keys = model.encode_grid(features)  # (B, N, V), (B, N, A)
    seqs, alphas, outputs, scores, lengths = _beam(model, values, keys, start, vocab, config)
    captions = []
    for b, level in enumerate(levels):
        n = int(lengths[b])  # tokens including <eos>
        words = vocab.decode(seqs[b, :n].tolist())
        captions.append(
            Caption(
                text=detokenize(words),
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

    Finished beams stay in their slot with a frozen score; images whose K beams have all finished leave
    the batch together once they are a quarter of it, so a batch costs about the sum of its captions'
    lengths, not B times the longest, without copying the cells at every step where one image ends. Each step
    records its tokens, back-pointers, attention and outputs in place (no copy of the growing history);
    the best beam of each image is read back at the end. Returns, for the best beam of each image:
    token ids (B, T), attention (B, T, N), outputs (B, T, E), summed log-prob (B,), length (B,).
    """
    B, N, _ = values.shape
    K, T, dev = max(1, config.beam_size), config.max_len + 1, values.device
    rows = torch.arange(B, device=dev).repeat_interleave(K)  # (B·K,) image of each beam
    state = model.init_state(values, start).select(rows)  # the beams share their image's cells
    score = torch.full((B, K), _NEG, device=dev)
    score[:, 0] = 0.0  # all beams start identical: keep one
    # History by global row (image b's beam k is row b·K + k) and step.
    tokens = torch.full((B * K, T), vocab.pad_id, dtype=torch.long, device=dev)
    parents = torch.zeros(B * K, T, dtype=torch.long, device=dev)  # the beam (0..K-1) each came from
    alphas = torch.zeros(B * K, T, N, device=dev)
    outs = torch.zeros(B * K, T, model.config.embed_dim, device=dev)
    final_score = torch.zeros(B, K, device=dev)
    final_length = torch.ones(B, K, dtype=torch.long, device=dev)
    last_step = torch.zeros(B, dtype=torch.long, device=dev)
    active = torch.arange(B, device=dev)  # images still decoding
    within = torch.arange(K, device=dev)
    seqs = torch.zeros(B * K, 0, dtype=torch.long, device=dev)  # active rows' tokens so far
    done = torch.zeros(B * K, dtype=torch.bool, device=dev)
    length = torch.zeros(B * K, dtype=torch.long, device=dev)
    recorded = torch.zeros(B, dtype=torch.bool, device=dev)  # active images whose result is recorded
    weights = model.step_weights()  # the words' shares of the LSTM gates (a table) and [W_iz W_hh], once
    for step in range(T):
        logits, state, alpha, out = model.step(state, values, keys, weights)  # (b·K, vocab), ..., (b·K, E)
        logp = _mask_logprobs(torch.log_softmax(logits.float(), dim=-1), step, seqs, vocab, config)
        logp[done] = _NEG
        logp[done, vocab.pad_id] = 0.0  # a finished beam continues with <pad> at no cost
        b, V = len(active), logp.shape[-1]
        cand = (score.view(-1, 1) + logp).view(b, K * V)  # (b, K·vocab)
        score, flat = cand.topk(K, dim=-1)  # (b, K)
        parent = flat // V  # (b, K)
        beam = (parent + torch.arange(b, device=dev).unsqueeze(1) * K).view(-1)  # (b·K,) local rows
        token = (flat % V).view(-1)  # (b·K,)
        grow = (active.unsqueeze(1) * K + within).view(-1)  # (b·K,) global rows
        tokens[grow, step] = token
        parents[grow, step] = parent.view(-1)
        alphas[grow, step] = alpha[beam]
        outs[grow, step] = out[beam]
        if config.no_repeat_ngram > 0:
            seqs = torch.cat([seqs[beam], token.unsqueeze(1)], dim=1)
        was_done = done[beam]
        length = length[beam] + (~was_done).long()
        done = was_done | (token == vocab.eos_id)
        state = state.select(beam)
        state.prev = token
        finished = done.view(b, K).all(dim=1)  # (b,)
        ending = finished & ~recorded
        if bool(ending.any()):
            ended = active[ending]
            final_score[ended] = score[ending]
            final_length[ended] = length.view(b, K)[ending]
            last_step[ended] = step
            recorded |= ending
            if bool(finished.all()):
                break
        # Finished images leave the batch once they are a quarter of it: each departure copies the cells
        # of every image still decoding, and with mixed lengths images finish at many different steps.
        # Until then a finished image's beams run on <pad> at no cost; its result is already recorded.
        if int(finished.sum()) * 4 >= b:
            keep = ~finished
            keep_rows = keep.repeat_interleave(K).nonzero().squeeze(1)
            active, score, recorded = active[keep], score[keep], recorded[keep]
            values, keys, state = values[keep], keys[keep], state.select(keep_rows)
            done, length = done[keep_rows], length[keep_rows]
            if config.no_repeat_ngram > 0:
                seqs = seqs[keep_rows]
    norm = final_score / final_length.clamp_min(1).float() ** config.length_penalty
    best_k = norm.argmax(dim=-1)  # (B,) the best beam of each image at its last step
    seq, alpha_out, out_out = _backtrack(best_k, last_step, K, tokens, parents, alphas, outs, vocab.pad_id)
    images = torch.arange(B, device=dev)
    return seq, alpha_out, out_out, final_score[images, best_k], final_length[images, best_k]


def _backtrack(
    best_k: torch.Tensor,
    last_step: torch.Tensor,
    K: int,
    tokens: torch.Tensor,
    parents: torch.Tensor,
    alphas: torch.Tensor,
    outs: torch.Tensor,
    pad_id: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Follow the back-pointers of beam `best_k` (B,) of each image from its `last_step` (B,) to step 0.

    `tokens`, `parents` (B·K, T), `alphas` (B·K, T, N) and `outs` (B·K, T, E) hold every beam's history by
    global row (image b's beam k is row b·K + k). Returns the chosen beams' tokens, attention and outputs.
    """
    B, (_, T, N), dev = len(best_k), alphas.shape, best_k.device
    k = best_k.clone()
    seq = torch.full((B, T), pad_id, dtype=torch.long, device=dev)
    alpha_out = torch.zeros(B, T, N, device=dev)
    out_out = torch.zeros(B, T, outs.shape[-1], device=dev)
    for t in range(int(last_step.max()), -1, -1):
        live = (last_step >= t).nonzero().squeeze(1)
        row = live * K + k[live]
        seq[live, t] = tokens[row, t]
        alpha_out[live, t] = alphas[row, t]
        out_out[live, t] = outs[row, t]
        k[live] = parents[row, t]
    return seq, alpha_out, out_out
