"""open_clip models as multicap encoders: image and text into one space, and CoCa's captions.

Imported only when such a model is built (`multicap.encoders.clip_models` names it by string): it imports
open_clip, the `clip` extra. Nothing here downloads: the weights are a file or folder already on this
machine (`clip_models.find_weights`), and the Hugging Face hub is put offline before open_clip loads, so a
tokenizer that is not cached is an error, never a download (docs/architecture.md, decision 11).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before open_clip imports huggingface_hub

import numpy as np
import open_clip
import torch
from torch import nn

from multicap.encoders.clip_models import (
    CLIP_MODELS,
    OPEN_CLIP_CONFIG,
    WEIGHT_FILES,
    find_weights,
    folder_weights,
    is_open_clip_folder,
    open_clip_config_problem,
    pull_command,
)
from multicap.encoders.encoder import Encoder, Features
from multicap.encoders.preprocess import Preprocess
from multicap.encoders.runtime import tune_malloc
from multicap.errors import ConfigError, WeightsNotFoundError

__all__ = ["VisionLanguageEncoder", "build_encoder"]

_TEXT_BATCH = 64  # prompts per text-tower pass
_MIN_CAPTION_TOKENS = 5  # CoCa: the end token is refused before this many words (as open_clip's generate)


class VisionLanguageEncoder(Encoder):
    """An open_clip model: `encode_batch` gives its unit image embeddings as `pooled` (and as a 1×1 grid),
    `embed_text` its unit text embeddings in the same space, `caption` (CoCa only) a sentence per image."""

    def __init__(
        self,
        name: str,
        model: nn.Module,
        preprocess: Preprocess,
        tokenizer_source: str,
        *,
        family: str,
        weights: str,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__(name, model.requires_grad_(False), preprocess, weights=weights, device=device)
        self.model: Any = self.backbone  # the whole open_clip model (towers and, for CoCa, the text decoder)
        self._tokenizer_source = tokenizer_source  # open_clip's name for it: loaded on the first text
        self._tokenizer: Any = None
        self.family = family

    @property
    def tokenizer(self) -> Any:
        """open_clip's tokenizer for the model, loaded on first use (SigLIP's needs `transformers` and its
        files in the Hugging Face cache; the image side never does)."""
        if self._tokenizer is None:
            try:
                self._tokenizer = open_clip.get_tokenizer(self._tokenizer_source)
            except (ImportError, OSError, ValueError) as exc:
                raise ConfigError(
                    f"{self.name}: its text tokenizer cannot load ({str(exc).splitlines()[0][:200]}); "
                    "SigLIP's needs `pip install transformers` and its tokenizer files in the HF cache"
                ) from None
        return self._tokenizer

    @property
    def captions(self) -> bool:
        return self.family == "coca"

    def encode_batch(self, pixels: torch.Tensor) -> Features:
        """(B, 3, H, W) uint8 → `Features`: pooled (B, E) unit image embeddings, grid (B, 1, E), no logits."""
        with torch.inference_mode():
            x = self.preprocess.normalize(pixels.to(self.device))  # (B, 3, H, W)
            emb = self.model.encode_image(x, normalize=True).float().cpu()  # (B, E)
        return Features(emb[:, None, :].contiguous(), emb, None, (1, 1))

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """Texts → (N, E) float32 unit embeddings, in the image embeddings' space."""
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), _TEXT_BATCH):
                tokens = self.tokenizer(list(texts[start : start + _TEXT_BATCH])).to(self.device)  # (n, L)
                out.append(self.model.encode_text(tokens, normalize=True).float().cpu())  # (n, E)
        dim = int(getattr(self.model.visual, "output_dim", 0) or 0)
        return torch.cat(out).numpy() if out else np.zeros((0, dim), np.float32)

    def caption(self, pixels: torch.Tensor, max_tokens: int = 20) -> list[str]:
        """CoCa: a sentence per image by greedy decoding of its text decoder (open_clip's own `generate`
        needs `transformers`; greedy needs nothing more than the model's forward)."""
        if not self.captions:
            raise ConfigError(f"{self.name} is not a captioning model: choose a CoCa model")
        sot, eot = self.tokenizer.sot_token_id, self.tokenizer.eot_token_id
        with torch.inference_mode():
            x = self.preprocess.normalize(pixels.to(self.device))  # (B, 3, H, W)
            latent, embs = self.model._encode_image(x)  # (B, E), (B, T_img, D)
            tokens = torch.full((len(x), 1), sot, dtype=torch.long, device=self.device)  # (B, 1)
            done = torch.zeros(len(x), dtype=torch.bool, device=self.device)
            room = int(getattr(self.model.text, "context_length", 77)) - 1  # its positions, less the SOT
            for step in range(min(max_tokens, room)):
                out = self.model(x, tokens, image_latent=latent, image_embs=embs, output_labels=False)
                logits = out["logits"][:, -1].float()  # (B, V)
                if step < _MIN_CAPTION_TOKENS:
                    logits[:, eot] = -torch.inf
                nxt = torch.where(done, eot, logits.argmax(dim=-1))  # (B,)
                tokens = torch.cat([tokens, nxt[:, None]], dim=1)  # (B, t + 1)
                done |= nxt == eot
                if bool(done.all()):
                    break
        return [_detokenize(self.tokenizer, row) for row in tokens[:, 1:].tolist()]


def _detokenize(tokenizer: Any, ids: list[int]) -> str:
    cut = ids.index(tokenizer.eot_token_id) if tokenizer.eot_token_id in ids else len(ids)
    text = str(tokenizer.decode(ids[:cut])).strip()
    text = text[:1].upper() + text[1:]
    return text if not text or text.endswith(".") else text.rstrip(" ,") + "."


def _preprocess(model: nn.Module) -> Preprocess:
    """The input the model's weights expect, from open_clip's preprocess config (resize + centre crop at
    the model's size, or the whole image squashed)."""
    cfg = open_clip.get_model_preprocess_cfg(model)
    size = cfg.get("size", 224)
    side = int(size if isinstance(size, int) else size[0])
    mean, std = tuple(cfg.get("mean", (0.5,) * 3)), tuple(cfg.get("std", (0.5,) * 3))
    squash = cfg.get("resize_mode") == "squash"
    return Preprocess(size=side, resize=side, mean=mean, std=std, squash=squash)


def _family(model: nn.Module) -> str:
    if hasattr(model, "text_decoder"):
        return "coca"
    return "siglip" if getattr(model, "logit_bias", None) is not None else "clip"


def _create(source: str, weights: Path | None, pretrained: bool) -> nn.Module:
    """open_clip's model: `source` a config name or "local-dir:FOLDER"; `weights` a file."""
    try:
        model = open_clip.create_model(
            source,
            pretrained=str(weights) if weights is not None and pretrained else None,
            load_weights=pretrained,
            pretrained_text=False,  # no tower downloads its own base weights
            weights_only=True,  # a `.bin` is read as tensors only, never unpickled
        )
    except Exception as exc:  # open_clip's and safetensors' own: an AssertionError, a SafetensorError
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        said = lines[0] + (f" {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else "")
        said = f"its config has no {exc}" if isinstance(exc, KeyError) else said
        where = source.removeprefix("local-dir:") if weights is None else str(weights)
        raise WeightsNotFoundError(
            f"cannot build the model from {where}: {said[:300]} (not weights of the architecture its "
            "config names, or not a whole safetensors file)"
        ) from None
    return model


def _weights_in(folder: Path, what: str) -> Path:
    """The weights file of an open_clip folder, or WeightsNotFoundError: open_clip would build the model
    with random weights and say so only in a log line (an index had been filled with them, exit 0)."""
    found = folder_weights(folder)
    if found is None:
        raise WeightsNotFoundError(
            f"{folder} holds no weights ({' or '.join(WEIGHT_FILES)} beside {OPEN_CLIP_CONFIG}): {what}"
        )
    return found


def build_encoder(
    model: str,
    *,
    weights: Path | None = None,
    pretrained: bool = True,
    device: str | torch.device | None = None,
) -> VisionLanguageEncoder:
    """A registered name (`clip_models.CLIP_MODELS`) or an open_clip folder → its encoder.

    Raises:
        WeightsNotFoundError: pretrained weights asked for and not on this machine (the message names the
            command that fetches them), or a file that does not hold them.
    """
    tune_malloc()
    entry = CLIP_MODELS.get(model)
    if entry is None:
        if not is_open_clip_folder(model):  # a config there, unreadable, had been said to be missing
            problem = open_clip_config_problem(model)
            raise ConfigError(
                problem or f"{model} is neither a registered model nor a folder with {OPEN_CLIP_CONFIG}"
            )
        folder = Path(model).resolve()
        if pretrained:
            _weights_in(folder, "a missing file is an error, never a random init")
        tokenizer = f"local-dir:{folder}"
        net = _create(tokenizer, None, pretrained)
        name, source = str(folder), str(folder)
    else:
        found = weights or find_weights(entry)
        if pretrained and found is None:
            raise WeightsNotFoundError(
                f"{model} weights are not on this machine: fetch them with `{pull_command(model)}` "
                "(nothing is downloaded otherwise), or name an open_clip folder as the model"
            )
        if found is not None and pretrained and found.is_dir():
            _weights_in(found, f"fetch them again with `{pull_command(model)}`")
            tokenizer = f"local-dir:{found}"
            net = _create(tokenizer, None, True)
        else:
            tokenizer = entry.architecture
            net = _create(tokenizer, found, pretrained)
        name, source = model, str(found) if pretrained else "random init (asked for)"
    family = _family(net)
    return VisionLanguageEncoder(
        name, net, _preprocess(net), tokenizer, family=family, weights=source, device=device
    )
