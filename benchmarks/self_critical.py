"""Self-critical fine-tuning (Rennie et al., 2017) of a trained scenes bundle, rewarded by fact F1.

Does a few minutes of self-critical training after cross-entropy raise the validation fact F1 that the
recipe's 20-minute budget reaches? ruotianluo's self-critical.pytorch trains this way after cross-entropy,
rewarded by CIDEr-D. Here the reward is the fact F1 of each sampled sentence against its scene's true facts
(the measure the issue's targets are on), and the baseline is the mean reward of the image's other samples
(Luo, 2020: "a better variant of self-critical sequence training"), so no greedy decode is needed.

Each step takes `--images` training scenes at one level (levels in turn) and samples `--samples` sentences
from each (dropout on, temperature 1, never `<unk>` or a level token); the loss is -(r - b) · log p(sentence),
averaged per token. After `--minutes`, the bundle is validated exactly as training validates an epoch (the
recipe's 200 validation scenes, beam search), and the score is printed beside the bundle's own validation
score.

    .venv/bin/python benchmarks/self_critical.py --bundle runs/canon4-20min/best --minutes 4 --lr 1e-4
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from multicap.captioning.batches import build_examples
from multicap.captioning.bundle import Bundle, load_bundle
from multicap.captioning.model import DecoderState
from multicap.captioning.recipe import load_recipe
from multicap.captioning.scoring import fact_f1
from multicap.captioning.validate import validate
from multicap.data.loading import load_corpus
from multicap.text import detokenize

LEVELS = ("object", "attribute", "layout", "caption")


def sample(
    bundle: Bundle, values: torch.Tensor, keys: torch.Tensor, start: torch.Tensor, k: int, max_len: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """k sentences per image, sampled with gradients → tokens (B·k, T) and their log-probabilities."""
    model, vocab = bundle.model, bundle.vocab
    rows = values.shape[0] * k
    state = model.init_state(values, start).select(torch.arange(values.shape[0]).repeat_interleave(k))
    weights = model.step_weights()
    alive = torch.ones(rows, dtype=torch.bool)
    banned = torch.zeros(len(vocab), dtype=torch.bool)
    banned[: vocab.num_special] = True  # <pad>, <unk>, level tokens: as decoding bans them
    banned[vocab.eos_id] = False
    tokens, logps = [], []
    for t in range(max_len + 1):
        logits, state, _, _ = model.step(state, values, keys, weights)
        mask = banned if t < max_len else torch.arange(len(vocab)) != vocab.eos_id
        logp = F.log_softmax(logits.masked_fill(mask, -1e9), dim=-1)  # (rows, vocab)
        with torch.no_grad():
            y = torch.multinomial(logp.exp(), 1).squeeze(1)
        y = torch.where(alive, y, torch.full_like(y, vocab.pad_id))
        logps.append(logp.gather(1, y[:, None]).squeeze(1) * alive)
        tokens.append(y)
        alive = alive & (y != vocab.eos_id)
        state = DecoderState(state.h, state.c, y)
        if not alive.any():
            break
    return torch.stack(tokens, 1), torch.stack(logps, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", required=True, help="a bundle trained by the scenes recipe")
    ap.add_argument("--config", default="scenes")
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--images", type=int, default=16, help="scenes per step")
    ap.add_argument("--samples", type=int, default=4, help="sentences sampled per scene")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="", help="save the fine-tuned bundle here")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.samples < 2:
        ap.error("--samples must be at least 2: each sample's baseline is the mean of the others")
    torch.manual_seed(args.seed)
    recipe = load_recipe(args.config, ["loss.alpha_g=0"])  # no grounding targets needed here
    data = build_examples(recipe)
    train = load_corpus(recipe.data.corpus).split(recipe.data.train_split)
    rows = data.store.rows_of([im.path for im in train])
    images = [
        (r, im.facts) for im, r in zip(train, rows, strict=True) if r is not None and im.facts is not None
    ]
    bundle = load_bundle(args.bundle)
    model, vocab = bundle.model, bundle.vocab
    before = bundle.metrics.get("selection_score")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    rng = np.random.default_rng(args.seed)
    rewards: dict[str, list[float]] = {lv: [] for lv in LEVELS}
    tick, steps = time.perf_counter(), 0
    while time.perf_counter() - tick < args.minutes * 60:
        model.train()
        level = LEVELS[steps % len(LEVELS)]
        pick = rng.choice(len(images), args.images, replace=False)
        grid = torch.from_numpy(data.store.grid(np.asarray([images[i][0] for i in pick])).astype(np.float32))
        values, keys = model.encode_grid(grid)
        start = torch.full((len(pick),), vocab.level_id(level), dtype=torch.long)
        tokens, logps = sample(bundle, values, keys, start, args.samples, recipe.decoding.max_len)
        texts = [detokenize(vocab.decode(t.tolist())) for t in tokens]
        r = torch.tensor(
            [fact_f1([text], [images[pick[j // args.samples]][1]], level) for j, text in enumerate(texts)]
        ).view(len(pick), args.samples)
        baseline = (r.sum(1, keepdim=True) - r) / (args.samples - 1)  # the mean of the other samples
        advantage = (r - baseline).view(-1, 1)
        loss = -(advantage * logps).sum() / (tokens != vocab.pad_id).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.train.grad_clip)
        optimizer.step()
        rewards[level].append(float(r.mean()))
        steps += 1
    seconds = time.perf_counter() - tick
    scores = validate(model, data, recipe, torch.device("cpu"))
    after = {lv: s.fact_f1 for lv, s in scores.items()}
    result = {
        "bundle": args.bundle,
        "minutes": args.minutes,
        "lr": args.lr,
        "steps": steps,
        "s_per_step": seconds / max(steps, 1),
        "sample_reward_first_last": {
            lv: [statistics.mean(v[:10]), statistics.mean(v[-10:])] for lv, v in rewards.items() if v
        },
        "validation_before": before,
        "validation_after": after,
        "validation_after_mean": statistics.mean(v for v in after.values() if v is not None),
    }
    if args.out:
        bundle.save(args.out)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{steps} steps in {seconds:.0f} s ({result['s_per_step']:.2f} s a step)")
    print("sample reward, first 10 steps → last 10, per level:", result["sample_reward_first_last"])
    print(f"validation mean before {before:.4f}, after {result['validation_after_mean']:.4f}: {after}")


if __name__ == "__main__":
    main()
