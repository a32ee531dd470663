"""Model bundles (docs/architecture.md, decision 5): a trained captioner is a folder that describes itself.

    NAME/config.json        captioner config, encoder settings, default decoding, reader, format version
    NAME/vocab.json         the vocabulary, with the words that name an object
    NAME/model.safetensors  the weights (safetensors: never unpickled)
    NAME/metrics.json       validation/test scores and the command that produced them

`load_bundle(path_or_name)` needs nothing else. Names resolve through `list_bundles()`: the bundles shipped
inside the package (`multicap/captioning/bundles/`), then folders in `MULTICAP_BUNDLES` (colon-separated).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from multicap.captioning.decoding import Caption, DecodeConfig, decode
from multicap.captioning.model import Captioner, CaptionerConfig
from multicap.encoders import Encoder, create_encoder
from multicap.errors import DataError, UnknownNameError
from multicap.text import Vocabulary

__all__ = ["BUNDLE_FORMAT", "Bundle", "EncoderSettings", "list_bundles", "load_bundle"]

BUNDLE_FORMAT = 2  # 2: object words in vocab.json, loss weights in metrics.json's recipe only
_PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt")


@dataclass(frozen=True)
class EncoderSettings:
    name: str = "efficientnet_lite0_ms"  # a registered encoder
    image_size: int = 224  # input side
    squash: bool = True  # whole image resized to a square (nothing cropped away)

    def create(self, device: str | torch.device | None = None) -> Encoder:
        return create_encoder(self.name, device=device, image_size=self.image_size, squash=self.squash)


@dataclass
class Bundle:
    model: Captioner
    vocab: Vocabulary
    encoder: EncoderSettings
    decoding: DecodeConfig = field(default_factory=DecodeConfig)
    metrics: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None  # where it was loaded from or saved to
    reader: str | None = None  # how its text reads back into facts (multicap.facts.get_reader); None: none

    @property
    def levels(self) -> tuple[str, ...]:
        return self.vocab.levels

    def caption(
        self, features: torch.Tensor, levels: list[str], decoding: DecodeConfig | None = None
    ) -> list[Caption]:
        """Caption a (B, N, D) grid, image b at `levels[b]`."""
        device = next(self.model.parameters()).device
        return decode(self.model, features.to(device), levels, self.vocab, decoding or self.decoding)

    def word_vector(self, words: Sequence[str]) -> np.ndarray | None:
        """The mean of the learned embeddings of the `words` it knows (special tokens left out), float32;
        None when it knows none of them: the bundle's own text space."""
        ids = [i for i in self.vocab.encode(list(words)) if i >= self.vocab.num_special]
        if not ids:
            return None
        return self.model.embed.weight[ids].detach().float().mean(dim=0).cpu().numpy()

    def save(self, path: str | Path, half: bool = False) -> Path:
        """Write the bundle folder; `half` stores weights as float16 (half the size, loaded as float32)."""
        if self.model.object_ids.tolist() != list(self.vocab.object_ids):
            raise ValueError("the captioner's object words are not its vocabulary's: load would change them")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "format": BUNDLE_FORMAT,
            "captioner": self.model.config.to_dict(),
            "encoder": asdict(self.encoder),
            "decoding": asdict(self.decoding),
            "reader": self.reader,
        }
        _write_json(folder / "config.json", config)
        self.vocab.save(folder / "vocab.json")
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        save_file(state, str(folder / "model.safetensors"))
        _write_json(folder / "metrics.json", self.metrics)
        self.path = folder
        return folder


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def _bundle_dirs() -> list[Path]:
    shipped = Path(str(resources.files("multicap.captioning").joinpath("bundles")))
    extra = [Path(p) for p in os.environ.get("MULTICAP_BUNDLES", "").split(os.pathsep) if p]
    return [shipped, *extra]


def list_bundles() -> dict[str, Path]:
    """Registered bundle names → folders (shipped first; a later folder does not shadow a name)."""
    found: dict[str, Path] = {}
    for root in _bundle_dirs():
        if root.is_dir():
            for cfg in sorted(root.glob("*/config.json")):
                found.setdefault(cfg.parent.name, cfg.parent)
    return found


def load_bundle(path_or_name: str | Path, device: str | torch.device | None = None) -> Bundle:
    """Load a bundle folder, or a registered name; pickled model files are refused."""
    folder = Path(path_or_name)
    if folder.suffix in _PICKLE_SUFFIXES and not folder.is_dir():
        raise DataError(
            f"{folder}: refusing to unpickle a model file; a bundle is a folder with model.safetensors"
        )
    if not folder.is_dir():
        known = list_bundles()
        if str(path_or_name) not in known:
            names = ", ".join(known) or "none installed"
            raise UnknownNameError(
                f"no bundle folder or registered name {str(path_or_name)!r} (registered: {names})"
            )
        folder = known[str(path_or_name)]
    weights = folder / "model.safetensors"
    if not weights.is_file():
        pickles = [p.name for p in folder.iterdir() if p.suffix in _PICKLE_SUFFIXES]
        hint = f" (found {', '.join(pickles)}: pickled files are never loaded)" if pickles else ""
        raise DataError(f"{folder} is not a bundle: model.safetensors is missing{hint}")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        metrics_file = folder / "metrics.json"
        metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder}: unreadable bundle config ({exc})") from None
    found = int(config.get("format", 0))
    if found > BUNDLE_FORMAT:
        raise DataError(f"{folder} was written by a newer multicap (format {found}): upgrade multicap")
    if found < BUNDLE_FORMAT:
        raise DataError(
            f"{folder} was written by multicap bundle format {found}, which this multicap no longer reads "
            f"(it reads format {BUNDLE_FORMAT}): retrain it with `multicap train`"
        )
    vocab = Vocabulary.load(folder / "vocab.json")
    model = Captioner(CaptionerConfig.from_dict(config["captioner"]), vocab.object_ids)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(weights)).items()}
    model.load_state_dict(state, strict=True)
    model.eval().to(device or "cpu")
    return Bundle(
        model=model,
        vocab=vocab,
        encoder=EncoderSettings(**config["encoder"]),
        decoding=DecodeConfig(**config.get("decoding", {})),
        metrics=metrics,
        path=folder,
        reader=config.get("reader"),
    )
