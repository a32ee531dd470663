"""Attention pictures: where each generated word looked (as in Show, Attend and Tell, fig. 3), and how the
decoder's output vectors at different steps resemble each other.

    caption, image = caption_image(bundle, "photo.jpg", level="layout")
    plot_attention(image, caption, bundle_grid_hw, "att.png")
    plot_step_similarity(caption, "matrix.png")
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from multicap.captioning.bundle import Bundle
from multicap.captioning.decoding import Caption
from multicap.captioning.domain import pooled
from multicap.encoders.preprocess import featureless
from multicap.io import load_image

__all__ = ["attention_overlay", "caption_image", "plot_attention", "plot_step_similarity"]


def caption_image(
    bundle: Bundle, path: str | Path, level: str, device: str = "cpu"
) -> tuple[Caption, Image.Image]:
    """Caption one image with `bundle` at `level`; also returns the image as the encoder saw it (an
    encoder that squashes the whole image to a square saw all of it: it is returned in its own shape, so
    that a circle stays round under the attention, which spreads back over it)."""
    encoder = bundle.encoder.create(device=device)
    image = load_image(path, min_short_side=encoder.preprocess.size)
    pixels = encoder.preprocess.to_uint8(image)
    features = encoder.encode_batch(pixels.unsqueeze(0))
    caption = bundle.caption(features.grid, [level])[0]
    caption.unlike_training = bool(featureless(pixels.unsqueeze(0))[0])  # a blank image, as describe says
    if bundle.domain is not None:  # a photo to a scenes captioner: said, as describe says it
        caption.unlike_training |= bool(bundle.domain.unlike(pooled(features.grid))[0])
    seen = Image.fromarray(pixels.permute(1, 2, 0).numpy())
    if encoder.preprocess.squash and image.width != image.height:
        scale = max(seen.size) / max(image.size)
        shape = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        seen = image.convert("RGB").resize(shape, Image.Resampling.BICUBIC)
    return caption, seen


def attention_overlay(alpha: np.ndarray, grid_hw: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """One step's attention (N,) → a smooth (H, W) map in 0..1 at the image's size."""
    gh, gw = grid_hw
    cells = alpha.reshape(gh, gw).astype(np.float32)
    cells = cells / cells.max() if cells.max() > 0 else cells
    small = Image.fromarray((cells * 255).astype(np.uint8), mode="L")
    big = small.resize(size, Image.Resampling.BICUBIC)
    radius = max(size) / max(gh, gw) / 3  # blur over about a third of a cell, as the paper's upsampling
    return np.asarray(big.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) / 255.0


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_attention(image: Image.Image, caption: Caption, grid_hw: tuple[int, int], out: str | Path) -> Path:
    """The image, then one panel per generated word (and `<eos>`) with its attention overlaid."""
    if caption.attention is None:
        raise ValueError("this caption carries no attention maps")
    plt = _pyplot()
    words = [*caption.tokens, "<end>"][: len(caption.attention)]
    panels = len(words) + 1
    cols = min(6, panels)
    rows = math.ceil(panels / cols)
    # constrained layout keeps each row's titles clear of the row above (tight_layout had let the second
    # row's words overlap the first row's panels) and makes room for the suptitle
    size = (2.4 * cols, 2.6 * rows)
    fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    axes.flat[0].imshow(image)
    axes.flat[0].set_title(f"[{caption.level}]", fontsize=9)
    for k, word in enumerate(words, start=1):
        ax = axes.flat[k]
        ax.imshow(image)
        ax.imshow(attention_overlay(caption.attention[k - 1], grid_hw, image.size), cmap="gray", alpha=0.6)
        ax.set_title(word, fontsize=10)
    title = textwrap.fill(caption.text, width=16 * cols)
    fig.suptitle(title, fontsize=10)
    return _save(fig, plt, out)


def plot_step_similarity(caption: Caption, out: str | Path) -> Path:
    """Cosine similarity of the decoder's output vectors between every pair of time steps."""
    if caption.outputs is None:
        raise ValueError("this caption carries no decoder outputs")
    plt = _pyplot()
    vecs = caption.outputs / np.maximum(np.linalg.norm(caption.outputs, axis=1, keepdims=True), 1e-8)
    sim = vecs @ vecs.T  # (T, T)
    words = [*caption.tokens, "<end>"][: len(sim)]
    fig, ax = plt.subplots(figsize=(1.0 + 0.35 * len(words), 0.8 + 0.35 * len(words)))
    im = ax.imshow(sim, cmap="viridis", vmin=-1, vmax=1)
    ax.set_xticks(range(len(words)), words, rotation=90, fontsize=8)
    ax.set_yticks(range(len(words)), words, fontsize=8)
    ax.set_title("decoder output similarity between steps", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return _save(fig, plt, out)


def _save(fig: Any, plt: Any, out: str | Path) -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
