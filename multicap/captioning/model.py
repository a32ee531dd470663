"""Show, Attend and Tell (Xu et al., 2015), conditioned on the level of description.

An LSTM decoder reads the encoder's grid of cells through additive (Bahdanau) soft attention. At step t:

    e_ti    = w · tanh(W_v v_i + W_h h_{t-1})            attention energies over the N cells
    α_t     = softmax(e_t)                                  where to look
    z_t     = σ(f_β(h_{t-1})) · Σ_i α_ti v_i               the gated context vector (paper §4.2.1)
    h_t,c_t = LSTM([E y_{t-1}; z_t], (h_{t-1}, c_{t-1}))
    p(y_t)  ∝ exp(L_o(E y_{t-1} + L_h h_t + L_z z_t))       the deep output layer (paper eq. 7)

The first input token is a learned level token (`<object>`, `<attribute>`, `<layout>`, `<caption>`), and the
initial state is computed from the mean cell and that token, so one model describes an image at the level
asked for. The loss is the cross-entropy, plus the paper's doubly stochastic penalty λ Σ_i (1 - Σ_t α_ti)²,
plus a grounding term where the corpus knows which cells a word is about (`LossConfig`).

The values v_i are the cells projected, plus learned row and column embeddings (attention alone compares
cells by what they hold, not by where they are), passed through `grid_conv` residual blocks of depthwise
3x3 and pointwise convolution (each cell then also reads its neighbours: the rest of an object that spans
several cells); with `coordinates`, each cell's centre (x, y) is appended to its value, so that z_t itself
says where the attention looked, which is what layout words need.

With `object_memory`, the decoder keeps where it looked when it last said a word that names an object, and
where it looked at the object word before that (`remember`), and reads the offset between the two beside
z_t at every step: "to the right of it" compares the object just named with the one before, which otherwise
only the LSTM's state remembers. What each option bought is measured in benchmarks/RESULTS.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from multicap.captioning.modules import AdditiveAttention, conv_block
from multicap.errors import ConfigError
from multicap.text.vocab import PAD_ID

__all__ = ["Captioner", "CaptionerConfig", "DecoderState", "LossConfig", "StepWeights"]


@dataclass
class CaptionerConfig:
    """The network's shape. The defaults are the scenes recipe (configs/scenes.yaml says why each)."""

    feature_dim: int = 0  # D: channels of each encoder grid cell; set from the encoder's features
    grid_hw: tuple[int, int] = (0, 0)  # (H, W) of the grid, N = H·W cells; set from the encoder's features
    vocab_size: int = 0  # words and special tokens; set from the Vocabulary
    embed_dim: int = 128  # E: word (and level token) embedding size
    value_dim: int = 128  # cells are projected to this size before attention
    attention_dim: int = 32  # A: size of the additive attention's hidden layer
    hidden_dim: int = 256  # H: LSTM state size
    dropout: float = 0.1  # on cells, embeddings and the output layer
    coordinates: bool = True  # append each cell's centre (x, y) in [-1, 1] to its value, so the context
    #                           vector carries where the attention looked
    grid_conv: int = 3  # blocks of residual depthwise 3x3 + pointwise convolution over the projected
    #                     cells: each cell's value also reads its neighbours (three blocks reach 7x7)
    object_memory: bool = (
        True  # feed the decoder where the last object it named lies relative to the one named
    )
    #                        before it (the attended centres at those words; see `remember`)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaptionerConfig:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"unknown captioner config key(s): {', '.join(unknown)}")
        data = dict(data)
        if "grid_hw" in data:
            data["grid_hw"] = tuple(data["grid_hw"])  # a list in JSON
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LossConfig:
    """The training objective's weights: the recipe's `loss` section. They shape training, not the network,
    so a bundle's config.json does not keep them (its metrics.json keeps the whole recipe)."""

    label_smoothing: float = 0.1  # on the cross-entropy targets
    alpha_c: float = 0.0  # λ of the doubly stochastic attention penalty (paper eq. 14)
    alpha_g: float = 0.3  # weight of the grounding loss: -log of the attention mass on the cells of the
    #                       object a word names, where the corpus knows boxes (multicap.captioning.grounding)


class StepWeights(NamedTuple):
    token_gates: torch.Tensor  # (vocab, 4H) each word's share of the LSTM gates (Captioner.token_gates)
    recurrent: torch.Tensor  # (4H, V + H) Captioner.recurrent_weights


@dataclass
class DecoderState:
    h: torch.Tensor  # (B, H) LSTM hidden state
    c: torch.Tensor  # (B, H) LSTM cell state
    prev: torch.Tensor  # (B,) the token fed at this step
    where: torch.Tensor | None = None  # (B, 4) with `object_memory`: the attended centres (x, y) at the last
    #                                     object word and at the one before it

    def select(self, index: torch.Tensor) -> DecoderState:
        """Reorder / repeat along the batch axis (beam search bookkeeping)."""
        where = self.where[index] if self.where is not None else None
        return DecoderState(self.h[index], self.c[index], self.prev[index], where)

    def rows(self, b: int, prev: torch.Tensor) -> DecoderState:
        """The first b rows, reading `prev` next (training: the captions still running)."""
        return DecoderState(self.h[:b], self.c[:b], prev, self.where[:b] if self.where is not None else None)


class Captioner(nn.Module):
    centres: torch.Tensor  # (N, 2) each cell's centre (x, y) in [-1, 1], row-major
    object_ids: torch.Tensor  # (W,) the words that name an object (`Vocabulary.object_ids`)

    def __init__(self, config: CaptionerConfig, object_ids: Sequence[int] = ()):
        """`object_ids`: with `object_memory`, the ids of the words that name an object
        (`Vocabulary.object_ids`); without any, the object memory stays at zero."""
        super().__init__()
        c = self.config = config
        if c.vocab_size <= 0 or c.feature_dim <= 0 or min(c.grid_hw) <= 0:
            raise ConfigError(
                "CaptionerConfig.feature_dim, grid_hw and vocab_size must be set from the encoder's "
                "features and the vocabulary"
            )
        gh, gw = c.grid_hw
        V = c.value_dim + (2 if c.coordinates else 0)  # size of a value: projected cell (+ its centre)
        R = 2 if c.object_memory else 0  # the offset between the last two objects named, beside the context
        self.cell_proj = nn.Sequential(nn.LayerNorm(c.feature_dim), nn.Linear(c.feature_dim, c.value_dim))
        self.row_emb = nn.Parameter(torch.zeros(gh, c.value_dim))  # where each cell is: without them,
        self.col_emb = nn.Parameter(torch.zeros(gw, c.value_dim))  # layout F1 0.443 against 0.685 (RESULTS)
        self.grid_conv = nn.ModuleList(conv_block(c.value_dim) for _ in range(c.grid_conv))
        self.attention = AdditiveAttention(V, c.hidden_dim, c.attention_dim)
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD_ID)
        self.init_h = nn.Linear(V + c.embed_dim, c.hidden_dim)
        self.init_c = nn.Linear(V + c.embed_dim, c.hidden_dim)
        self.f_beta = nn.Linear(c.hidden_dim, V)  # the gating scalar's input (one gate per channel)
        self.lstm = nn.LSTMCell(c.embed_dim + V + R, c.hidden_dim)
        self.out_h = nn.Linear(c.hidden_dim, c.embed_dim)  # L_h
        self.out_z = nn.Linear(V + R, c.embed_dim)  # L_z
        self.out = nn.Linear(c.embed_dim, c.vocab_size)  # L_o
        self.drop = nn.Dropout(c.dropout)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, gh), torch.linspace(-1, 1, gw), indexing="ij")
        self.register_buffer("centres", torch.stack([xs, ys], dim=-1).reshape(gh * gw, 2), persistent=False)
        self.register_buffer("object_ids", torch.tensor(object_ids, dtype=torch.long), persistent=False)
        nn.init.normal_(self.row_emb, std=0.02)  # last, so a seed draws every other layer as it always has
        nn.init.normal_(self.col_emb, std=0.02)

    # ---------------------------------------------------------------------------------------------------
    def encode_grid(self, grid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """grid (B, N, D) → values (B, N, V) and attention keys (B, N, A), computed once per image."""
        B, N, D = grid.shape
        gh, gw = self.config.grid_hw
        if gh * gw != N or self.config.feature_dim != D:
            raise ConfigError(
                f"features are {N} cells × {D} channels but this captioner expects "
                f"{gh}×{gw} cells × {self.config.feature_dim}: encode with the bundle's encoder settings"
            )
        values = self.cell_proj(grid)  # (B, N, V)
        pos = (self.row_emb[:, None, :] + self.col_emb[None, :, :]).reshape(N, -1)  # (N, V), row-major
        values = values + pos
        for block in self.grid_conv:
            image = values.transpose(1, 2).reshape(B, -1, gh, gw)  # (B, V, H, W), channels-last in memory
            values = values + block(image).flatten(2).transpose(1, 2)  # (B, N, V)
        values = self.drop(values)
        if self.config.coordinates:
            values = torch.cat([values, self.centres.expand(B, N, 2)], dim=-1)  # (B, N, V + 2)
        return values, self.attention.keys(values)  # (B, N, V), (B, N, A)

    def init_state(self, values: torch.Tensor, start: torch.Tensor) -> DecoderState:
        """Initial LSTM state from the mean cell and the level token; `start` (B,) holds the level tokens."""
        summary = torch.cat([values.mean(dim=1), self.embed(start)], dim=-1)  # (B, V + E)
        where = values.new_zeros(len(start), 4) if self.config.object_memory else None
        return DecoderState(torch.tanh(self.init_h(summary)), torch.tanh(self.init_c(summary)), start, where)

    def remember(self, state: DecoderState, alpha: torch.Tensor, token: torch.Tensor) -> DecoderState:
        """After a step that said `token` (B,) looking with α (B, N): where a word that names an object was
        said, its attended centre becomes the last object's and the last becomes the one before. A relation
        word ("to the right of it") then reads the offset between the two from `recur`, instead of from
        the LSTM's memory of the earlier object (benchmarks/RESULTS.md)."""
        if state.where is None:
            return state
        named = torch.isin(token, self.object_ids).unsqueeze(1)  # (B, 1)
        moved = torch.cat([alpha @ self.centres, state.where[:, :2]], dim=1)  # (B, N) @ (N, 2) → (B, 4)
        return DecoderState(state.h, state.c, state.prev, torch.where(named, moved, state.where))

    def step(
        self,
        state: DecoderState,
        values: torch.Tensor,
        keys: torch.Tensor,
        weights: StepWeights | None = None,
    ) -> tuple[torch.Tensor, DecoderState, torch.Tensor, torch.Tensor]:
        """One decoding step of B·K rows over the cells of B images (values (B, N, V), keys (B, N, A); see
        AdditiveAttention) → (logits (B·K, vocab), next state without its token, α (B·K, N), output
        (B·K, E)). A loop of steps passes `step_weights()`, computed once (no dropout on the words then)."""
        emb = self.drop(self.embed(state.prev))  # (B·K, E)
        if weights is None:
            gates, recurrent = self.token_gates(emb), self.recurrent_weights()
        else:
            gates, recurrent = weights.token_gates[state.prev], weights.recurrent
        h, c, z, alpha = self.recur(state, gates, recurrent, values, keys)
        output, logits = self.readout(emb, h, z)
        return logits, DecoderState(h, c, state.prev, state.where), alpha, output

    def step_weights(self) -> StepWeights:
        """What every step of a decode reuses: each word's share of the LSTM gates and `recurrent_weights`."""
        return StepWeights(self.token_gates(self.embed.weight), self.recurrent_weights())

    def token_gates(self, emb: torch.Tensor) -> torch.Tensor:
        """The word's share of the LSTM's gates, W_ie E y + b_ih + b_hh: (..., E) → (..., 4H).

        The LSTM's input is [E y; z], so its input product splits in two: this half does not depend on the
        previous step and is computed outside the loop (training: all steps at once; decoding: a table)."""
        lstm, E = self.lstm, self.config.embed_dim
        return F.linear(emb, lstm.weight_ih[:, :E], lstm.bias_ih + lstm.bias_hh)

    def recurrent_weights(self) -> torch.Tensor:
        """[W_iz  W_hh] (4H, V (+ 2) + H): the LSTM's products with the context (and the object memory's
        offset) and with its state side by side, in one contiguous matrix, so that a step makes one product
        of [z; h] with it."""
        E = self.config.embed_dim
        return torch.cat([self.lstm.weight_ih[:, E:], self.lstm.weight_hh], dim=1)

    def recur(
        self,
        state: DecoderState,
        gates: torch.Tensor,
        recurrent: torch.Tensor,
        values: torch.Tensor,
        keys: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The recurrent half of a step: attend, gate, update the LSTM (nn.LSTMCell's parameters and gate
        order i, f, g, o) from the token's share of its gates (B·K, 4H) and `recurrent_weights` →
        (h, c (B·K, H), z (B·K, V; V + 2 with the object memory), α (B·K, N))."""
        context, alpha = self.attention(values, keys, state.h)  # (B·K, V), (B·K, N)
        z = torch.sigmoid(self.f_beta(state.h)) * context  # (B·K, V) gated context
        if state.where is not None:
            z = torch.cat([z, state.where[:, :2] - state.where[:, 2:]], dim=1)  # (B·K, V + 2)
        gates = torch.addmm(gates, torch.cat([z, state.h], dim=1), recurrent.t())  # (B·K, 4H)
        i, f, g, o = gates.chunk(4, dim=1)  # 4 × (B·K, H)
        c = torch.sigmoid(f) * state.c + torch.sigmoid(i) * torch.tanh(g)  # (B·K, H)
        h = torch.sigmoid(o) * torch.tanh(c)  # (B·K, H)
        return h, c, z, alpha

    def readout(
        self, emb: torch.Tensor, h: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The deep output layer (paper eq. 7) on (..., E), (..., H), (..., V) → (output (..., E), logits).

        Nothing in it feeds the next step, so training runs it once over every step after the loop."""
        output = torch.tanh(emb + self.out_h(self.drop(h)) + self.out_z(z))  # (..., E) deep output
        return output, self.out(self.drop(output))  # (..., vocab)

    # ---------------------------------------------------------------------------------------------------
    def forward(
        self,
        features: torch.Tensor,
        captions: torch.Tensor | None = None,
        levels: torch.Tensor | None = None,
        regions: torch.Tensor | None = None,
        image_of: torch.Tensor | None = None,
        objective: LossConfig | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher-forced logits and loss.

        Args:
            features: (B, N, D) encoder grid, or one row per image with `image_of`.
            captions: (B, T) token ids: a level token, the words, `<eos>`, then `<pad>`.
            levels: (B,) level tokens; only without captions, for the first word's distribution.
            regions: (B, T-1, N) optional: 1 on the cells the word predicted at each step is about (all 0
                where the word names no object); with `alpha_g`, the grounding loss pulls attention there.
            image_of: (B,) optional: the row of `features` each caption describes (levels of one image).
            objective: the loss's weights; the recipe's by default.

        Returns:
            (logits (B, T-1, vocab), loss) with captions; (logits (B, 1, vocab), None) without.
        """
        values, keys = self.encode_grid(features)  # (I, N, V), (I, N, A): once per image
        if image_of is not None:
            values, keys = values[image_of], keys[image_of]  # (B, N, V), (B, N, A): each caption's image
        if captions is None:
            if levels is None:
                raise ValueError("forward needs captions (training) or level tokens (first step)")
            logits, *_ = self.step(self.init_state(values, levels), values, keys)
            return logits.unsqueeze(1), None
        B, T = captions.shape
        # Longest caption first, so the captions still running at step t are the first b_t rows: each step
        # computes only those (sgrvinod's "batch_size_t"), not the padding of the shorter ones: 1.5x faster
        # than computing every row. Only the recurrence (attention, gate, LSTM) runs in the loop; the words'
        # share of the LSTM gates before it and the deep output layer after it run once over all steps, as
        # a few large matrix products instead of T small ones (benchmarks/train_step.py).
        lengths = (captions != PAD_ID).sum(dim=1)  # (B,) level token + words + <eos>
        order = lengths.argsort(descending=True, stable=True)
        captions, values, keys, lengths = captions[order], values[order], keys[order], lengths[order]
        emb = self.drop(self.embed(captions[:, :-1]))  # (B, T-1, E): the token read at each step
        gates_t = self.token_gates(emb).transpose(0, 1).unbind(0)  # T-1 × (B, 4H), one backward for all
        recurrent = self.recurrent_weights()  # (4H, V + H), one copy and one backward for all steps
        state = self.init_state(values, captions[:, 0])
        hs, zs, all_alpha = [], [], []
        rows, cells = B, (values, keys)
        for t in range(T - 1):
            b = int((lengths > t + 1).sum())  # rows with a target at t + 1
            if b != rows:
                rows, cells = b, (values[:b], keys[:b])
            state = state.rows(b, captions[:b, t])
            h, c, z, alpha = self.recur(state, gates_t[t][:b], recurrent, *cells)  # (b, H), ..., (b, N)
            state = self.remember(DecoderState(h, c, state.prev, state.where), alpha, captions[:b, t + 1])
            hs.append(F.pad(h, (0, 0, 0, B - b)))  # (B, H): zero on the captions that have ended
            zs.append(F.pad(z, (0, 0, 0, B - b)))  # (B, V)
            all_alpha.append(F.pad(alpha, (0, 0, 0, B - b)))  # (B, N)
        _, logits = self.readout(emb, torch.stack(hs, dim=1), torch.stack(zs, dim=1))  # (B, T-1, vocab)
        done = (captions[:, 1:] == PAD_ID).unsqueeze(-1)  # (B, T-1, 1): past the caption's end
        logits, alphas = logits.masked_fill(done, 0.0), torch.stack(all_alpha, dim=1)  # ..., (B, T-1, N)
        unsort = order.argsort()
        logits, alphas = logits[unsort], alphas[unsort]  # (B, T-1, vocab), (B, T-1, N); 0 past the end
        return logits, self.loss(logits, alphas, captions[unsort][:, 1:], regions, objective)

    def loss(
        self,
        logits: torch.Tensor,
        alphas: torch.Tensor,
        targets: torch.Tensor,
        regions: torch.Tensor | None = None,
        objective: LossConfig | None = None,
    ) -> torch.Tensor:
        """Cross-entropy over real tokens + alpha_c · Σ_i (1 - Σ_t α_ti)² (steps on padding not counted)
        + alpha_g · mean over grounded steps of -log(attention mass on the named object's cells).

        logits (B, T-1, vocab), alphas (B, T-1, N), targets (B, T-1), regions (B, T-1, N)."""
        w = objective or LossConfig()
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),  # (B·(T-1), vocab)
            targets.reshape(-1),  # (B·(T-1),)
            ignore_index=PAD_ID,
            label_smoothing=w.label_smoothing,
        )
        if w.alpha_c:
            mask = (targets != PAD_ID).unsqueeze(-1).float()  # (B, T-1, 1)
            coverage = (alphas * mask).sum(dim=1)  # (B, N): how much attention each cell received
            loss = loss + w.alpha_c * ((1.0 - coverage) ** 2).mean()
        if w.alpha_g and regions is not None:
            grounded = regions.any(dim=-1)  # (B, T-1): steps whose word names an object
            if grounded.any():
                mass = (alphas * regions).sum(dim=-1)[grounded]  # (G,) attention on the object's cells
                loss = loss - w.alpha_g * torch.log(mass.clamp_min(1e-6)).mean()
        return loss
