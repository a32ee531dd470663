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
    token_logprobs: np.ndarray | None = None  # (T,) each token's log-probability where the search chose it
    ended: bool = True  # False: the search reached its length limit and `<eos>` was forced (a runaway)
    unlike_training: bool = False  # set where its image is unlike the bundle's (`captioning.domain`)


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
    seqs, alphas, outputs, cumulative, lengths = _beam(model, values, keys, start, vocab, config)
    captions = []
    for b, level in enumerate(levels):
        n = int(lengths[b])  # tokens including <eos>
        words = vocab.decode(seqs[b, :n].tolist())
        token_logprobs = torch.diff(cumulative[b, :n], prepend=cumulative.new_zeros(1))  # (n,)
        captions.append(
            Caption(
                text=detokenize(words),
                tokens=words,
                logprob=float(cumulative[b, n - 1]) / max(n, 1),
                attention=alphas[b, :n].cpu().numpy(),
                level=level,
                outputs=outputs[b, :n].cpu().numpy(),
                token_logprobs=token_logprobs.cpu().numpy(),
                ended=n - 1 < config.max_len,  # at max_len words `<eos>` is forced, not chosen
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
    lengths, not B times the longest, without copying the cells at every step where one image ends. Each
    step records its tokens, back-pointers, attention and outputs in place (no copy of the growing
    history); the best beam of each image is read back at the end. Returns, for the best beam of each
    image: token ids (B, T), attention (B, T, N), outputs (B, T, E), the log-prob summed up to each step
    (B, T), length (B,).
    """
    B, N, _ = values.shape
    K, T, E = max(1, config.beam_size), config.max_len + 1, model.config.embed_dim
    search = _Search(B, K, T, N, E, vocab, config, values.device)
    state = model.init_state(values, start).select(search.image_of_row())  # beams share their image's cells
    weights = model.step_weights()  # the words' shares of the LSTM gates (a table) and [W_iz W_hh], once
    for step in range(search.T):
        logits, state, alpha, out = model.step(state, values, keys, weights)  # (b·K, vocab), ..., (b·K, E)
        logp = _mask_logprobs(torch.log_softmax(logits.float(), dim=-1), step, search.seqs, vocab, config)
        beam, token = search.advance(logp, step, alpha, out)
        state = state.select(beam)
        if state.where is not None:  # the object memory of the last two objects named
            state = model.remember(state, alpha[beam], token)
        state.prev = token
        if search.record_finished(step):
            break
        # Finished images leave the batch once they are a quarter of it: each departure copies the cells
        # of every image still decoding, and with mixed lengths images finish at many different steps.
        # Until then a finished image's beams run on <pad> at no cost; its result is already recorded.
        kept = search.retire_finished()
        if kept is not None:
            images, rows = kept
            values, keys, state = values[images], keys[images], state.select(rows)
    return search.best()


class _Search:
    """The bookkeeping of a batched beam search: scores, finished beams, the images still decoding, and
    every beam's history by global row (image b's beam k is row b·K + k) and step."""

    def __init__(
        self,
        B: int,
        K: int,
        T: int,
        N: int,
        E: int,
        vocab: Vocabulary,
        config: DecodeConfig,
        dev: torch.device,
    ) -> None:
        self.B, self.K, self.T, self.vocab, self.config, self.dev = B, K, T, vocab, config, dev
        self.score = torch.full((B, K), _NEG, device=dev)
        self.score[:, 0] = 0.0  # all beams start identical: keep one
        self.tokens = torch.full((B * K, T), vocab.pad_id, dtype=torch.long, device=dev)
        self.parents = torch.zeros(B * K, T, dtype=torch.long, device=dev)  # the beam (0..K-1) each came from
        self.alphas = torch.zeros(B * K, T, N, device=dev)
        self.outs = torch.zeros(B * K, T, E, device=dev)
        self.cumulative = torch.zeros(B * K, T, device=dev)  # each beam's summed log-prob after each step
        self.final_score = torch.zeros(B, K, device=dev)
        self.final_length = torch.ones(B, K, dtype=torch.long, device=dev)
        self.last_step = torch.zeros(B, dtype=torch.long, device=dev)
        self.active = torch.arange(B, device=dev)  # images still decoding
        self.within = torch.arange(K, device=dev)
        self.seqs = torch.zeros(B * K, 0, dtype=torch.long, device=dev)  # active rows' tokens so far
        self.done = torch.zeros(B * K, dtype=torch.bool, device=dev)
        self.length = torch.zeros(B * K, dtype=torch.long, device=dev)
        self.recorded = torch.zeros(B, dtype=torch.bool, device=dev)  # active images whose result is kept
        self.finished = torch.zeros(B, dtype=torch.bool, device=dev)  # active images whose beams all ended

    def image_of_row(self) -> torch.Tensor:
        """(B·K,) the image of each beam row."""
        return torch.arange(self.B, device=self.dev).repeat_interleave(self.K)

    def advance(
        self, logp: torch.Tensor, step: int, alpha: torch.Tensor, out: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Extend every beam by the K best of its image's (b·K, vocab) log-probabilities; record the step.
        Returns the local row each new beam continues (b·K,) and its token (b·K,)."""
        K, pad, eos = self.K, self.vocab.pad_id, self.vocab.eos_id
        logp[self.done] = _NEG
        logp[self.done, pad] = 0.0  # a finished beam continues with <pad> at no cost
        b, V = len(self.active), logp.shape[-1]
        cand = (self.score.view(-1, 1) + logp).view(b, K * V)  # (b, K·vocab)
        self.score, flat = cand.topk(K, dim=-1)  # (b, K)
        parent = flat // V  # (b, K)
        beam = (parent + torch.arange(b, device=self.dev).unsqueeze(1) * K).view(-1)  # (b·K,) local rows
        token = (flat % V).view(-1)  # (b·K,)
        grow = (self.active.unsqueeze(1) * K + self.within).view(-1)  # (b·K,) global rows
        self.tokens[grow, step] = token
        self.parents[grow, step] = parent.view(-1)
        self.alphas[grow, step] = alpha[beam]
        self.outs[grow, step] = out[beam]
        self.cumulative[grow, step] = self.score.view(-1)
        if self.config.no_repeat_ngram > 0:
            self.seqs = torch.cat([self.seqs[beam], token.unsqueeze(1)], dim=1)
        was_done = self.done[beam]
        self.length = self.length[beam] + (~was_done).long()
        self.done = was_done | (token == eos)
        return beam, token

    def record_finished(self, step: int) -> bool:
        """Keep the result of each image whose beams have all just ended; whether every image has."""
        b = len(self.active)
        self.finished = self.done.view(b, self.K).all(dim=1)  # (b,)
        ending = self.finished & ~self.recorded
        if bool(ending.any()):
            ended = self.active[ending]
            self.final_score[ended] = self.score[ending]
            self.final_length[ended] = self.length.view(b, self.K)[ending]
            self.last_step[ended] = step
            self.recorded |= ending
        return bool(self.finished.all())

    def retire_finished(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Drop the finished images once they are a quarter of the batch: (which local images stay, a (b,)
        mask; their beam rows (b'·K,)) for the caller's cells and state, or None while they all stay."""
        if int(self.finished.sum()) * 4 < len(self.active):
            return None
        keep = ~self.finished
        rows = keep.repeat_interleave(self.K).nonzero().squeeze(1)
        self.active, self.score, self.recorded = self.active[keep], self.score[keep], self.recorded[keep]
        self.done, self.length = self.done[rows], self.length[rows]
        if self.config.no_repeat_ngram > 0:
            self.seqs = self.seqs[rows]
        return keep, rows

    def best(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The best beam of each image by length-normalised score, read back from its last step."""
        norm = self.final_score / self.final_length.clamp_min(1).float() ** self.config.length_penalty
        best_k = norm.argmax(dim=-1)  # (B,)
        histories = (self.alphas, self.outs, self.cumulative)
        seq, (alpha, out, cumulative) = _backtrack(
            best_k, self.last_step, self.K, self.tokens, self.parents, histories, self.vocab.pad_id
        )
        images = torch.arange(self.B, device=self.dev)
        return seq, alpha, out, cumulative, self.final_length[images, best_k]


def _backtrack(
    best_k: torch.Tensor,
    last_step: torch.Tensor,
    K: int,
    tokens: torch.Tensor,
    parents: torch.Tensor,
    histories: tuple[torch.Tensor, ...],
    pad_id: int,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Follow the back-pointers of beam `best_k` (B,) of each image from its `last_step` (B,) to step 0.

    `tokens`, `parents` (B·K, T) and each of `histories` (B·K, T, ...) hold every beam's record by global
    row (image b's beam k is row b·K + k). Returns the chosen beams' tokens (B, T) and histories (B, T, ...).
    """
    B, T, dev = len(best_k), tokens.shape[1], best_k.device
    k = best_k.clone()
    seq = torch.full((B, T), pad_id, dtype=torch.long, device=dev)
    chosen = [h.new_zeros((B, *h.shape[1:])) for h in histories]
    for t in range(int(last_step.max()), -1, -1):
        live = (last_step >= t).nonzero().squeeze(1)
        row = live * K + k[live]
        seq[live, t] = tokens[row, t]
        for out, h in zip(chosen, histories, strict=True):
            out[live, t] = h[row, t]
        k[live] = parents[row, t]
    return seq, chosen
