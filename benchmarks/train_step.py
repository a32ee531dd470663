"""Seconds per training step of the scenes captioner: the readout in the loop or after it, same process.

    .venv/bin/python benchmarks/train_step.py --data data/scenes --steps 8 --rounds 3

Two ways to run the teacher-forced step over a batch of captions (the model, batches and weights are the
same; both compute only the captions still running at each step, sgrvinod's batch_size_t):
- `everything in the loop` (the baseline, as the tutorials write it, and as `forward` was until
  2026-11-27): every step embeds its token, runs `nn.LSTMCell` on [embedding; context] and the deep output
  layer and vocabulary projection, on its running rows;
- `recurrence only` (`Captioner.forward`): the loop runs only what the next step needs (attention, gate,
  LSTM on the context); the words' share of the LSTM gates is one product before the loop and the output
  layer one product after it.
Both give the same loss (checked on the first batch, dropout off). A third variant, `levels together`
(`train.levels_together`), is `recurrence only` on batches of 64 captions that hold all four levels of 16
images, each image's grid encoded once (`image_of`); its batches differ, so its loss is checked against
the same batch with each caption's grid copied instead. A fourth, `levels together + object memory`, adds the
recipe's `model.object_memory` (the offset between the last two objects named; its loss differs). Medians over
rounds, interleaved.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

import torch
import torch.nn.functional as F

from multicap.captioning.batches import Batch, build_examples
from multicap.captioning.model import Captioner, DecoderState
from multicap.captioning.recipe import load_recipe
from multicap.text.vocab import PAD_ID


def everything_in_loop(model: Captioner, grid: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
    """The baseline: the whole step (nn.LSTMCell, readout) per time step over the running rows → the loss."""
    values, keys = model.encode_grid(grid)
    B, T = captions.shape
    lengths = (captions != PAD_ID).sum(dim=1)
    order = lengths.argsort(descending=True, stable=True)
    captions, values, keys, lengths = captions[order], values[order], keys[order], lengths[order]
    state = model.init_state(values, captions[:, 0])
    all_logits, all_alpha = [], []
    for t in range(T - 1):
        b = int((lengths > t + 1).sum())
        emb = model.drop(model.embed(captions[:b, t]))  # (b, E)
        context, alpha = model.attention(values[:b], keys[:b], state.h[:b])
        z = torch.sigmoid(model.f_beta(state.h[:b])) * context
        h, c = model.lstm(torch.cat([emb, z], dim=-1), (state.h[:b], state.c[:b]))
        _, logits = model.readout(emb, h, z)
        state = DecoderState(h, c, captions[:b, t])
        all_logits.append(F.pad(logits, (0, 0, 0, B - b)))
        all_alpha.append(F.pad(alpha, (0, 0, 0, B - b)))
    logits, alphas = torch.stack(all_logits, dim=1), torch.stack(all_alpha, dim=1)
    return model.loss(logits, alphas, captions[:, 1:])


def recurrence_only(model: Captioner, batch: Batch) -> torch.Tensor:
    loss = model(batch.grid, batch.captions, image_of=batch.image_of)[1]
    assert loss is not None
    return loss


def in_the_loop(model: Captioner, batch: Batch) -> torch.Tensor:
    return everything_in_loop(model, batch.grid, batch.captions)


def copied_grids(model: Captioner, batch: Batch) -> torch.Tensor:
    """A together batch as the other variants see theirs: each caption with its own copy of the grid."""
    assert batch.image_of is not None
    loss = model(batch.grid[batch.image_of], batch.captions)[1]
    assert loss is not None
    return loss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", default="data/scenes", help="a scenes corpus (features are cached on first use)"
    )
    ap.add_argument("--steps", type=int, default=8, help="timed steps per round and variant")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    recipe = load_recipe("scenes", [f"data.corpus={args.data}", "data.val_images=1"])
    data = build_examples(recipe)
    cfg = dataclasses.replace(
        recipe.model,
        vocab_size=len(data.vocab),
        feature_dim=data.store.grid_shape[-1],
        grid_hw=data.grid_hw,
        object_memory=False,
    )
    configs = {False: cfg, True: dataclasses.replace(cfg, object_memory=True)}
    streams = {
        together: data.train.batches(64, torch.Generator().manual_seed(0), together=together)
        for together in (False, True)
    }
    batches = {together: [next(stream) for _ in range(args.steps)] for together, stream in streams.items()}
    variants = {  # (step, batches, with the object memory of the last two objects named)
        "everything in the loop": (in_the_loop, batches[False], False),
        "recurrence only": (recurrence_only, batches[False], False),
        "levels together": (recurrence_only, batches[True], False),
        "levels together + object memory": (recurrence_only, batches[True], True),
    }
    base_name = "everything in the loop"
    times: dict[str, list[float]] = {name: [] for name in variants}
    losses: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, (run, chosen, memory) in variants.items():
            torch.manual_seed(0)
            model = Captioner(configs[memory], data.vocab.object_ids)
            model.eval()  # dropout off: the first batch's loss must not depend on the variant
            with torch.no_grad():
                losses[name] = float(run(model, chosen[0]))
                if name == "levels together":
                    losses["levels together, grids copied"] = float(copied_grids(model, chosen[0]))
            model.train()
            optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
            start = time.perf_counter()
            for batch in chosen:
                loss = run(model, batch)
                optim.zero_grad()
                loss.backward()
                optim.step()
            times[name].append((time.perf_counter() - start) / len(chosen))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians[base_name]
    same = (
        abs(losses["everything in the loop"] - losses["recurrence only"]) < 1e-4
        and abs(losses["levels together"] - losses["levels together, grids copied"]) < 1e-4
    )
    result = {
        "s_per_step": {k: round(v, 3) for k, v in medians.items()},
        "speedup": {k: round(base / v, 2) for k, v in medians.items()},
        "same_loss": same,
        "threads": torch.get_num_threads(),
    }
    if args.json:
        print(json.dumps(result))
        return
    for name, m in medians.items():
        print(f"{name:26s} {m:.3f} s/step  ({base / m:.2f}x)")
    print(f"same first-batch loss: {same} ({losses})")


if __name__ == "__main__":
    main()
