"""The captioner model, decoding and bundles, on tiny synthetic grids (no encoder needed)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch

from multicap.captioning.bundle import Bundle, EncoderSettings, load_bundle
from multicap.captioning.decoding import DecodeConfig, decode
from multicap.captioning.model import Captioner, CaptionerConfig, LossConfig
from multicap.captioning.recipe import load_recipe
from multicap.errors import ConfigError, DataError
from multicap.text import Vocabulary, tokenize

SENTENCES = [
    "a red circle",
    "two blue squares",
    "a green star left of a red circle",
    "a small yellow triangle",
    "three purple hearts",
    "a large red square above a blue circle",
]


SHAPES = ("circle", "squares", "star", "triangle", "hearts", "square")  # the words that name an object


def _vocab() -> Vocabulary:
    return Vocabulary.build((tokenize(s) for s in SENTENCES), objects=SHAPES)


def _model(vocab: Vocabulary, **kw: object) -> Captioner:
    """The recipe's captioner (coordinates, three conv blocks, the object memory), small."""
    torch.manual_seed(0)
    cfg = CaptionerConfig(
        feature_dim=16,
        grid_hw=(2, 3),
        vocab_size=len(vocab),
        embed_dim=32,
        value_dim=32,
        attention_dim=16,
        hidden_dim=64,
        dropout=0.0,
        **kw,  # type: ignore[arg-type]
    )
    return Captioner(cfg, vocab.object_ids)


def _batch(vocab: Vocabulary, level: str = "caption") -> tuple[torch.Tensor, torch.Tensor]:
    seqs = [[vocab.level_id(level), *vocab.encode(tokenize(s)), vocab.eos_id] for s in SENTENCES]
    caps = torch.zeros(len(seqs), max(map(len, seqs)), dtype=torch.long)
    for i, s in enumerate(seqs):
        caps[i, : len(s)] = torch.tensor(s)
    grid = torch.randn(len(seqs), 6, 16, generator=torch.Generator().manual_seed(1))
    return grid, caps


def test_the_defaults_are_the_scenes_recipe() -> None:
    """configs/scenes.yaml states the defaults for what each measured; they must not drift apart."""
    recipe = load_recipe("scenes")
    assert recipe.model == CaptionerConfig() and recipe.loss == LossConfig()


def test_forward_shapes_and_loss_ignores_padding() -> None:
    vocab = _vocab()
    model = _model(vocab)
    grid, caps = _batch(vocab)
    logits, loss = model(grid, caps)
    assert logits.shape == (len(SENTENCES), caps.shape[1] - 1, len(vocab))
    assert loss is not None and torch.isfinite(loss)
    # Extra padding changes nothing.
    padded = torch.cat([caps, torch.zeros(len(caps), 3, dtype=torch.long)], dim=1)
    _, loss2 = model(grid, padded)
    assert loss2 is not None and abs(loss.item() - loss2.item()) < 1e-5
    first, none = model(grid, levels=caps[:, 0])
    assert first.shape == (len(SENTENCES), 1, len(vocab)) and none is None


def test_packed_steps_match_running_every_caption_to_the_end() -> None:
    """forward runs each step on the captions still going and the readout once after the loop; the loss and
    gradients are those of every row stepped to the end with step() (and the object memory's `remember`)."""
    vocab = _vocab()
    model = _model(vocab)
    objective = LossConfig(alpha_c=1.0)  # the attention penalty too
    grid, caps = _batch(vocab)
    _, loss = model(grid, caps, objective=objective)
    assert loss is not None
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    # Reference: teacher-force every row for every step with the public step(), no packing.
    model.zero_grad()
    values, keys = model.encode_grid(grid)
    state = model.init_state(values, caps[:, 0])
    logits, alphas = [], []
    for t in range(caps.shape[1] - 1):
        state.prev = caps[:, t]
        step_logits, state, alpha, _ = model.step(state, values, keys)
        state = model.remember(state, alpha, caps[:, t + 1])
        logits.append(step_logits)
        alphas.append(alpha)
    ref = model.loss(torch.stack(logits, 1), torch.stack(alphas, 1), caps[:, 1:], objective=objective)
    ref.backward()
    assert abs(loss.item() - ref.item()) < 1e-5
    ref_grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(grads, ref_grads, strict=True))


def test_decoding_weights_give_the_same_step_as_nn_lstmcell() -> None:
    """step() with the precomputed weights of a decode (the words' gate table, [W_iz W_hh]) and without
    them both equal the step written with torch's own nn.LSTMCell, whose parameters the model keeps."""
    vocab = _vocab()
    model = _model(vocab).eval()
    grid, caps = _batch(vocab)
    with torch.no_grad():
        values, keys = model.encode_grid(grid)
        state = model.init_state(values, caps[:, 0])
        state.prev = caps[:, 1]
        plain = model.step(state, values, keys)
        cached = model.step(state, values, keys, model.step_weights())
        emb = model.embed(state.prev)
        context, _ = model.attention(values, keys, state.h)
        assert state.where is not None
        offset = state.where[:, :2] - state.where[:, 2:]  # the object memory's input beside the context
        z = torch.cat([torch.sigmoid(model.f_beta(state.h)) * context, offset], dim=-1)
        h, c = model.lstm(torch.cat([emb, z], dim=-1), (state.h, state.c))
        _, logits = model.readout(emb, h, z)
    for got in (plain, cached):
        assert torch.allclose(got[1].h, h, atol=1e-6) and torch.allclose(got[1].c, c, atol=1e-6)
        assert torch.allclose(got[0], logits, atol=1e-5)


def test_coordinates_append_each_cells_centre_to_its_value() -> None:
    vocab = _vocab()
    model = _model(vocab).eval()
    grid, caps = _batch(vocab)
    values, keys = model.encode_grid(grid)
    assert values.shape == (len(grid), 6, 32 + 2) and keys.shape == (len(grid), 6, 16)
    assert values[0, :, 32:].tolist() == [[-1, -1], [0, -1], [1, -1], [-1, 1], [0, 1], [1, 1]]  # x, y
    assert _model(vocab, coordinates=False).encode_grid(grid)[0].shape == (len(grid), 6, 32)
    _, loss = model(grid, caps)
    assert loss is not None and torch.isfinite(loss)
    assert len(decode(model, grid[:2], ["caption", "caption"], vocab, DecodeConfig(max_len=5))) == 2


def _corner_changed(grid: torch.Tensor) -> torch.Tensor:
    """`grid` with its top right cell (of the 2 x 3 grid) drawn afresh."""
    changed = grid.clone()
    changed[:, 2] = torch.randn(len(grid), grid.shape[-1])
    return changed


def _moved(model: Captioner, grid: torch.Tensor, changed: torch.Tensor) -> torch.Tensor:
    """(B, N): how far each cell's value moved when the grid changed."""
    with torch.no_grad():
        return (model.encode_grid(changed)[0] - model.encode_grid(grid)[0]).abs().amax(dim=-1)


def test_grid_conv_gives_each_cell_its_neighbours_and_starts_as_the_identity() -> None:
    """With `grid_conv=1`, a residual 3x3 convolution runs over the projected cells: at first (its last layer
    is zero) the values are those of the model without it; once trained, a cell's value changes when a
    neighbouring cell changes and not when a cell two columns away does. A second block reaches that far."""
    vocab = _vocab()
    grid, caps = _batch(vocab)
    plain, conv = _model(vocab, grid_conv=0).eval(), _model(vocab, grid_conv=1).eval()
    conv.load_state_dict(plain.state_dict(), strict=False)
    with torch.no_grad():
        assert torch.equal(conv.encode_grid(grid)[0], plain.encode_grid(grid)[0])  # the identity at first
    changed = _corner_changed(grid)
    with torch.no_grad():
        torch.nn.init.normal_(conv.grid_conv[0][2].weight)  # as if trained
    moved = _moved(conv, grid, changed)
    assert (moved[:, [1, 2, 4, 5]] > 1e-4).all()  # the cell itself and its neighbours
    assert (moved[:, [0, 3]] == 0).all()  # the left column is two cells away
    two = _model(vocab, grid_conv=2).eval()
    with torch.no_grad():
        for block in two.grid_conv:
            torch.nn.init.normal_(block[2].weight)
    assert (_moved(two, grid, changed) > 1e-4).all()  # 5 x 5 reach: every cell of the 2 x 3 grid
    conv.train()
    _, loss = conv(grid, caps)
    assert loss is not None
    loss.backward()
    assert conv.grid_conv[0][0].weight.grad is not None


def test_captions_sharing_a_grid_through_image_of_give_the_loss_of_copied_grids() -> None:
    """Several levels of one image in a batch: the grid once and `image_of`, or a copy per caption."""
    vocab = _vocab()
    model = _model(vocab).eval()
    grid, caps = _batch(vocab)
    image_of = torch.tensor([0, 1, 0, 2, 1, 0])
    with torch.no_grad():
        logits, loss = model(grid[:3], caps, image_of=image_of)
        copied_logits, copied = model(grid[image_of], caps)
    assert loss is not None and copied is not None
    assert torch.allclose(logits, copied_logits, atol=1e-5) and abs(float(loss) - float(copied)) < 1e-5


def test_attention_is_bahdanaus_and_beams_share_their_images_cells() -> None:
    """e = w·tanh(W_v v + W_h h) + b, softmax, weighted sum (tanh in place); K rows per image (beams)
    over its shared cells give what K copies of the cells give."""
    vocab = _vocab()
    model = _model(vocab).eval()
    att = model.attention
    grid, _ = _batch(vocab)
    values, keys = model.encode_grid(grid)
    h = torch.randn(len(grid) * 3, 64, generator=torch.Generator().manual_seed(2))
    rows = torch.arange(len(grid)).repeat_interleave(3)
    with torch.no_grad():
        shared = att(values, keys, h)
        copied = att(values[rows], keys[rows], h)
        e = att.energy(torch.tanh(att.value_proj(values[rows]) + att.hidden_proj(h).unsqueeze(1))).squeeze(-1)
        alpha = torch.softmax(e, dim=-1)
        by_hand = (torch.bmm(alpha.unsqueeze(1), values[rows]).squeeze(1), alpha)
    for a, b, c in zip(shared, copied, by_hand, strict=True):
        assert a.shape == b.shape == c.shape
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(a, c, atol=1e-5, rtol=1e-5)


def test_wrong_grid_shape_is_a_clear_error() -> None:
    vocab = _vocab()
    with pytest.raises(ConfigError, match="expects 2×3 cells × 16"):
        _model(vocab)(torch.randn(2, 5, 16), torch.zeros(2, 3, dtype=torch.long))


def _overfit(vocab: Vocabulary, steps: int = 80) -> tuple[Captioner, torch.Tensor]:
    model = _model(vocab)
    grid, caps = _batch(vocab)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        _, loss = model(grid, caps, objective=LossConfig(label_smoothing=0.0))
        assert loss is not None
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1
    return model, grid


@pytest.fixture(scope="module")
def trained() -> tuple[Captioner, torch.Tensor, Vocabulary]:
    vocab = _vocab()
    model, grid = _overfit(vocab)
    return model, grid, vocab


@pytest.mark.parametrize("beam", [1, 3])
def test_overfit_model_decodes_its_captions(trained, beam: int) -> None:
    model, grid, vocab = trained
    caps = decode(model, grid, ["caption"] * len(grid), vocab, DecodeConfig(beam_size=beam, max_len=12))
    assert [c.text for c in caps] == SENTENCES
    for c in caps:
        assert c.attention is not None and c.attention.shape == (len(c.tokens) + 1, 6)
        assert abs(c.attention.sum(axis=1) - 1).max() < 1e-5
        assert -0.1 < c.logprob <= 0
        assert c.outputs is not None and c.outputs.shape[0] == len(c.tokens) + 1


def test_batched_decoding_equals_one_image_at_a_time(trained) -> None:
    model, grid, vocab = trained
    cfg = DecodeConfig(beam_size=3, max_len=8)
    levels = ["caption", "object", "layout", "caption", "attribute", "caption"]
    together = decode(model, grid, levels, vocab, cfg)
    alone = [decode(model, grid[i : i + 1], [levels[i]], vocab, cfg)[0] for i in range(len(grid))]
    assert [c.text for c in together] == [c.text for c in alone]
    assert [round(c.logprob, 5) for c in together] == [round(c.logprob, 5) for c in alone]


def test_object_memory_keeps_the_centres_of_the_last_two_objects_named(tmp_path: Path) -> None:
    """model.object_memory: after a step that says an object word, the memory's last centre is where that
    step looked and the centre before is the previous last; other words leave it. The offset between the
    two is part of the next step's input, beams carry their own memory, and bundles keep the words."""
    vocab = _vocab()
    model = _model(vocab)
    assert model.object_ids.tolist() == sorted(vocab.stoi[w] for w in SHAPES)
    grid, caps = _batch(vocab)
    state = model.init_state(model.encode_grid(grid)[0], caps[:, 0])
    assert state.where is not None and not state.where.any()
    alpha = torch.zeros(len(grid), 6)
    alpha[:, 4] = 1.0  # every row looked at cell 4: row 1, column 1 of the 2 × 3 grid
    said = torch.tensor([vocab.stoi[w] for w in ("circle", "red", "star", "a", "hearts", "square")])
    after = model.remember(state, alpha, said)
    assert after.where is not None
    named = torch.tensor([True, False, True, False, True, True])
    assert torch.equal(after.where[named, :2], model.centres[4].expand(4, 2))
    assert not after.where[~named].any() and not after.where[:, 2:].any()
    alpha = torch.zeros(len(grid), 6)
    alpha[:, 0] = 1.0
    again = model.remember(after, alpha, said)
    assert again.where is not None
    assert torch.equal(
        again.where[named, 2:], model.centres[4].expand(4, 2)
    )  # the last became the one before
    assert torch.equal(again.where[named, :2], model.centres[0].expand(4, 2))
    with torch.no_grad():
        moved = model.recur(
            again, torch.zeros(len(grid), 4 * 64), model.recurrent_weights(), *model.encode_grid(grid)
        )
        still = model.recur(
            state, torch.zeros(len(grid), 4 * 64), model.recurrent_weights(), *model.encode_grid(grid)
        )
    assert torch.equal(moved[2][:, -2:][named], (model.centres[0] - model.centres[4]).expand(4, 2))
    assert not torch.allclose(moved[0][named], still[0][named])  # the offset reaches the LSTM
    _, loss = model(grid, caps)
    assert loss is not None and torch.isfinite(loss)
    cfg = DecodeConfig(beam_size=3, max_len=8)
    levels = ["caption", "object", "layout", "caption", "attribute", "caption"]
    together = [c.text for c in decode(model, grid, levels, vocab, cfg)]
    assert together == [decode(model, grid[i : i + 1], [levels[i]], vocab, cfg)[0].text for i in range(6)]
    folder = Bundle(model, vocab, EncoderSettings("tiny", 64, True), cfg, {}).save(tmp_path / "b")
    loaded = load_bundle(folder)
    assert loaded.vocab.objects == vocab.objects and torch.equal(loaded.model.object_ids, model.object_ids)
    assert [c.text for c in loaded.caption(grid, levels)] == together


def test_beam_search_finds_the_best_sequence_exhaustively() -> None:
    """With a beam as wide as every prefix, beam search (no length penalty) returns the exact optimum."""
    vocab = Vocabulary(["a", "b", "c"])
    model = _model(vocab)
    grid = torch.randn(2, 6, 16, generator=torch.Generator().manual_seed(5))
    max_len = 3
    got = decode(
        model,
        grid,
        ["caption", "object"],
        vocab,
        DecodeConfig(beam_size=27, max_len=max_len, length_penalty=0.0),
    )
    words = [vocab.stoi[w] for w in "abc"]
    for b, level in enumerate(["caption", "object"]):
        best, best_seq, best_tokens = -1e9, None, None
        for n in range(1, max_len + 1):
            for seq in itertools.product(words, repeat=n):
                full = torch.tensor([[vocab.level_id(level), *seq, vocab.eos_id]])
                with torch.no_grad():
                    logits, _ = model(grid[b : b + 1], full)
                logp = torch.log_softmax(logits, -1)[0]
                # score only what decoding allows: words, then <eos>
                per_token = [float(logp[t, full[0, t + 1]]) for t in range(len(seq) + 1)]
                if sum(per_token) > best:
                    best, best_seq, best_tokens = sum(per_token), [vocab.itos[i] for i in seq], per_token
        assert got[b].tokens == best_seq
        assert got[b].logprob * (len(best_seq) + 1) == pytest.approx(best, abs=1e-4)
        assert got[b].token_logprobs == pytest.approx(best_tokens, abs=1e-4)  # each word's own, <eos> last


def test_constraints_min_max_length_unk_and_repeats(trained) -> None:
    model, grid, vocab = trained
    short = decode(model, grid, ["caption"] * 6, vocab, DecodeConfig(beam_size=2, max_len=2))
    assert all(len(c.tokens) <= 2 for c in short)
    assert all(c.attention is not None and c.attention.shape[0] == len(c.tokens) + 1 for c in short)
    long = decode(model, grid, ["caption"] * 6, vocab, DecodeConfig(beam_size=1, max_len=12, min_len=6))
    assert all(len(c.tokens) >= 6 for c in long)
    untrained = _model(vocab)
    caps = decode(
        untrained, grid, ["caption"] * 6, vocab, DecodeConfig(beam_size=2, max_len=10, no_repeat_ngram=1)
    )
    for c in caps:
        assert "<unk>" not in c.tokens
        assert len(set(c.tokens)) == len(c.tokens)  # no repeated unigram


def test_bundle_round_trip_gives_identical_captions(trained, tmp_path: Path) -> None:
    model, grid, vocab = trained
    bundle = Bundle(
        model, vocab, EncoderSettings("tiny", 64, True), DecodeConfig(beam_size=2), {"command": "test"}
    )
    folder = bundle.save(tmp_path / "b")
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "metrics.json",
        "model.safetensors",
        "vocab.json",
    ]
    modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}  # the weights, as the rest: not 0600
    assert modes["model.safetensors"] == modes["config.json"], modes
    loaded = load_bundle(folder)
    levels = ["caption"] * len(grid)
    assert [c.text for c in loaded.caption(grid, levels)] == [c.text for c in bundle.caption(grid, levels)]
    assert loaded.metrics["command"] == "test" and loaded.decoding.beam_size == 2
    half = bundle.save(tmp_path / "half", half=True)
    assert (half / "model.safetensors").stat().st_size < 0.6 * (folder / "model.safetensors").stat().st_size
    assert [c.text for c in load_bundle(half).caption(grid, levels)] == [
        c.text for c in bundle.caption(grid, levels)
    ]


def test_pickles_older_and_newer_formats_are_refused(trained, tmp_path: Path) -> None:
    model, _, vocab = trained
    pickled = tmp_path / "model.pt"
    torch.save(model, pickled)
    with pytest.raises(DataError, match="refusing to unpickle"):
        load_bundle(pickled)
    folder = tmp_path / "pickled_bundle"
    folder.mkdir()
    (folder / "model.pth").write_bytes(pickled.read_bytes())
    with pytest.raises(DataError, match="pickled files are never loaded"):
        load_bundle(folder)
    good = Bundle(model, vocab, EncoderSettings("tiny", 64, True)).save(tmp_path / "newer")
    cfg = json.loads((good / "config.json").read_text())
    cfg["format"] = 99
    (good / "config.json").write_text(json.dumps(cfg))
    run = tmp_path / "run"  # a training run's folder: its best/ is the bundle
    Bundle(model, vocab, EncoderSettings("tiny", 64, True)).save(run / "best")
    with pytest.raises(DataError, match=rf"is not a bundle: .* \(a training run: give {run / 'best'}\)"):
        load_bundle(run)
    with pytest.raises(DataError, match=rf"is a file of a bundle: give its folder, {good}"):
        load_bundle(good / "model.safetensors")  # had been "no bundle folder or registered name"
    with pytest.raises(DataError, match="newer multicap"):
        load_bundle(good)
    (good / "config.json").write_text("{}")
    with pytest.raises(DataError, match="no 'format': not a config multicap writes"):
        load_bundle(good)
    cfg["format"] = 1
    (good / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DataError, match=r"written by multicap bundle format 1, .*: retrain it"):
        load_bundle(good)
    with pytest.raises(ConfigError, match=r"unknown captioner config key\(s\): grid_lstm"):
        CaptionerConfig.from_dict({**cfg["captioner"], "grid_lstm": False})


def test_vocabulary_json_round_trip(tmp_path: Path) -> None:
    objects = ("rare", "star", "circle")
    vocab = Vocabulary.build([tokenize(s) for s in SENTENCES] * 2 + [["rare"]], min_freq=2, objects=objects)
    assert "rare" not in vocab.stoi and vocab.encode(["rare"]) == [vocab.unk_id]
    assert vocab.objects == ("circle", "star")  # the words it holds, in id order
    assert vocab.object_ids == (vocab.stoi["circle"], vocab.stoi["star"])
    vocab.save(tmp_path / "v.json")
    again = Vocabulary.load(tmp_path / "v.json")
    assert again.itos == vocab.itos and again.levels == vocab.levels and again.objects == vocab.objects
    assert vocab.decode([*vocab.encode(["a", "red", "circle"]), vocab.eos_id, vocab.stoi["star"]]) == [
        "a",
        "red",
        "circle",
    ]
