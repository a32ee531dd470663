"""Model bundles (docs/architecture.md, decision 5): a trained captioner is a folder that describes itself.

    NAME/config.json        captioner config, encoder settings, default decoding, reader, format version,
                            the vocabulary's SHA-256 (a vocab.json of another bundle is refused)
    NAME/vocab.json         the vocabulary, with the words that name an object
    NAME/model.safetensors  the weights (safetensors: never unpickled)
    NAME/metrics.json       validation/test scores and the command that produced them

`load_bundle(path_or_name)` needs nothing else. Names resolve through `list_bundles()`: the bundles shipped
inside the package (`multicap/captioning/bundles/`), then folders in `MULTICAP_BUNDLES` (colon-separated).

Before any tensor is allocated, config.json and vocab.json are checked against the schema at the end of
this file (every key known, every size bounded: a config cannot ask for terabytes; the vocabulary is as
long as the captioner's `vocab_size`), and the captioner the config describes is built on the `meta` device
(shapes, no memory) and compared tensor by tensor with the header of model.safetensors. Each error is one
line naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from multicap.captioning.decoding import Caption, DecodeConfig, decode
from multicap.captioning.domain import Domain, load_domain
from multicap.captioning.model import Captioner, CaptionerConfig
from multicap.encoders import Encoder, create_encoder, resolve_device
from multicap.errors import ConfigError, DataError, UnknownNameError
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
    domain: Domain | None = None  # what images it was trained on (captioning.domain); None: not checked

    @property
    def levels(self) -> tuple[str, ...]:
        return self.vocab.levels

    def caption(
        self, features: torch.Tensor, levels: list[str], decoding: DecodeConfig | None = None
    ) -> list[Caption]:
        """Caption a (B, N, D) grid, image b at `levels[b]`."""
        device = next(self.model.parameters()).device
        return decode(self.model, features.to(device), levels, self.vocab, decoding or self.decoding)

    def word_vectors(self) -> tuple[list[str], np.ndarray]:
        """Its words and their learned embeddings (V, E) float32, special tokens left out: the bundle's
        own text space (a text lands there as the mean of its known words' vectors)."""
        first = self.vocab.num_special
        return self.vocab.itos[first:], self.model.embed.weight[first:].detach().float().cpu().numpy()

    def save(self, path: str | Path, half: bool = False) -> Path:
        """Write the bundle folder; `half` stores weights as float16 (half the size, loaded as float32)."""
        if self.model.object_ids.tolist() != list(self.vocab.object_ids):
            raise ValueError("the captioner's object words are not its vocabulary's: load would change them")
        folder = Path(path)
        config = {
            "format": BUNDLE_FORMAT,
            "captioner": self.model.config.to_dict(),
            "encoder": asdict(self.encoder),
            "decoding": asdict(self.decoding),
            "reader": self.reader,
            "vocab_sha256": _vocab_digest(self.vocab.to_json()),
        }
        try:  # what load_bundle would refuse is never written
            _check_config(json.loads(json.dumps(config)), folder / "config.json")
            _check_vocab(self.vocab.to_json(), folder / "vocab.json", self.model.config.vocab_size)
        except _SchemaError as exc:
            raise ConfigError(
                f"not writing {exc.detail}: multicap could not load that bundle back; keep the recipe's "
                "sizes within the bounds in multicap/captioning/bundle.py"
            ) from None
        folder.mkdir(parents=True, exist_ok=True)
        _write_json(folder / "config.json", config)
        self.vocab.save(folder / "vocab.json")
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        save_file(state, str(folder / "model.safetensors"))
        _as_umask_allows(folder / "model.safetensors")  # safetensors writes it for its owner alone (0600)
        _write_json(folder / "metrics.json", self.metrics)
        if self.domain is not None:  # what images it knows travels with it
            self.domain.save(folder)
        self.path = folder
        return folder


def _as_umask_allows(path: Path) -> None:
    """Give `path` the permissions a new file gets here (0666 less the umask), as the bundle's other
    files have: a trained bundle's weights had been readable by their owner alone."""
    path.chmod(0o666 & ~_umask())


def _umask() -> int:
    """The process's umask, read without setting it (os.umask sets it, for every thread at once)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def _read_json(path: Path) -> Any:
    """A bundle's JSON file, refused past its size limit before it is read."""
    try:
        size = path.stat().st_size
        if size > _read_limit(path):
            raise DataError(
                f"{path}: {size:,} bytes, more than a bundle's {path.name} may hold ({_read_limit(path):,})"
            )
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path}: unreadable ({' '.join(str(exc).split())}); train or copy the bundle again"
        ) from None


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


def _what_is_there(folder: Path) -> str:
    """What a folder without model.safetensors holds that says what was meant: pickled files (never
    loaded), a training run's bundles, an open_clip folder's weights without its config."""
    pickles = [p.name for p in folder.iterdir() if p.suffix in _PICKLE_SUFFIXES]
    hint = f" (found {', '.join(pickles)}: pickled files are never loaded)" if pickles else ""
    runs = [name for name in ("best", "last") if (folder / name / "model.safetensors").is_file()]
    hint += f" (a training run: give {folder / runs[0]})" if runs else ""
    if any(p.name.startswith("open_clip_") for p in folder.iterdir()):  # its weights, not its config
        hint += " (an open_clip folder? its open_clip_config.json is missing)"
    return hint


def load_bundle(path_or_name: str | Path, device: str | torch.device | None = None) -> Bundle:
    """Load a bundle folder, or a registered name; pickled model files are refused."""
    folder = Path(path_or_name)
    if folder.suffix in _PICKLE_SUFFIXES and not folder.is_dir():
        raise DataError(
            f"{folder}: refusing to unpickle a model file; a bundle is a folder with model.safetensors"
        )
    if (
        folder.is_file() and (folder.parent / "config.json").is_file()
    ):  # a file of a bundle: its folder is meant
        raise DataError(f"{folder} is a file of a bundle: give its folder, {folder.parent}")
    if not folder.is_dir():
        known = list_bundles()
        if str(path_or_name) not in known:
            names = ", ".join(known) or "none installed"
            raise UnknownNameError(  # a CLIP user's checkpoint or name lands here too: say what else works
                f"no bundle folder or registered name {str(path_or_name)!r} (registered captioners: {names}; "
                "vision-language models: `multicap models` lists them, or name a folder holding "
                "open_clip_config.json and its weights)"
            )
        folder = known[str(path_or_name)]
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise DataError(f"{folder} is not a bundle: model.safetensors is missing{_what_is_there(folder)}")
    config = _read_json(folder / "config.json")
    if not isinstance(config, dict):
        _check_config(config, folder / "config.json")  # says what it must be
    if "format" not in config:  # "{}" had read as "written by multicap bundle format 0": retrain it
        raise DataError(f"{folder / 'config.json'}: no 'format': not a config multicap writes")
    found = config["format"]
    if not isinstance(found, int) or isinstance(found, bool):
        raise DataError(f"{folder / 'config.json'}: format must be a whole number, not {found!r}")
    if found > BUNDLE_FORMAT:
        raise DataError(f"{folder} was written by a newer multicap (format {found}): upgrade multicap")
    if found < BUNDLE_FORMAT:
        raise DataError(
            f"{folder} was written by multicap bundle format {found}, which this multicap no longer reads "
            f"(it reads format {BUNDLE_FORMAT}): retrain it with `multicap train`"
        )
    _check_config(config, folder / "config.json")  # before anything is allocated: sizes are bounded
    captioner = CaptionerConfig.from_dict(config["captioner"])
    vocab_json = _read_json(folder / "vocab.json")
    _check_vocab(vocab_json, folder / "vocab.json", captioner.vocab_size)
    recorded = config.get("vocab_sha256")  # absent from bundles written before it was recorded
    if recorded is not None and recorded != _vocab_digest(vocab_json):
        raise DataError(  # one of another bundle's, of the same size, had loaded and said nonsense
            f"{folder / 'vocab.json'} is not the vocabulary this bundle was trained with (its words or "
            "their order differ from those config.json records): copy the bundle's own vocab.json back"
        )
    try:
        vocab = Vocabulary.from_json(vocab_json)
    except DataError as exc:
        raise DataError(f"{folder / 'vocab.json'}: {exc}") from None
    _check_weights(captioner, vocab.object_ids, weights)
    metrics_file = folder / "metrics.json"
    metrics = _read_json(metrics_file) if metrics_file.is_file() else {}
    model = Captioner(captioner, vocab.object_ids)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(weights)).items()}
    broken = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if broken:  # a diverged run's (train stops one now): it had said "(nan)" of every image, unsaid
        raise DataError(
            f"{weights}: {len(broken)} of its tensors hold values that are not numbers (NaN or infinity, "
            f"e.g. {broken[0]}): the run that wrote it diverged; train again with a lower train.lr"
        )
    model.load_state_dict(state, strict=True)
    model.eval().to(resolve_device(device))  # an unknown or absent device: one clear line
    return Bundle(
        model=model,
        vocab=vocab,
        encoder=EncoderSettings(**config["encoder"]),
        decoding=DecodeConfig(**config.get("decoding", {})),
        metrics=metrics,
        path=folder,
        reader=config.get("reader"),
        domain=load_domain(folder, captioner.feature_dim),
    )


# ---------------------------------------------------------------------------------------------- validation
_MAX_PARAMETERS = 400_000_000  # 1.6 GB in float32: far above any captioner multicap trains (about 1M)
_MAX_JSON_BYTES = {"config.json": 1 << 20, "vocab.json": 64 << 20, "metrics.json": 64 << 20}

_Check = Callable[[Any], str | None]  # None when the value is fine, else what is wrong with it


def _int(lo: int, hi: int) -> _Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int):
            return f"must be a whole number, not {_shown(v)}"
        return None if lo <= v <= hi else f"is {v}, outside {lo}..{hi}"

    return check


def _float(lo: float, hi: float) -> _Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return f"must be a finite number, not {_shown(v)}"
        return None if lo <= v <= hi else f"is {v}, outside {lo}..{hi}"

    return check


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else f"must be true or false, not {_shown(v)}"


def _text(longest: int) -> _Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str) or not v:
            return f"must be a non-empty string, not {_shown(v)}"
        return None if len(v) <= longest else f"is {len(v)} characters long, more than {longest}"

    return check


def _optional_text(v: Any) -> str | None:
    return None if v is None else _text(100)(v)


def _grid(v: Any) -> str | None:
    if not isinstance(v, list | tuple) or len(v) != 2:
        return f"must be [rows, columns], not {_shown(v)}"
    return _int(1, 128)(v[0]) or _int(1, 128)(v[1])


# Each section: field -> check. Every field of the dataclass it fills is listed (a test keeps them in step).
_CAPTIONER: dict[str, _Check] = {
    "feature_dim": _int(1, 16_384),
    "grid_hw": _grid,
    "vocab_size": _int(4, 1_000_000),
    "embed_dim": _int(1, 4_096),
    "value_dim": _int(1, 4_096),
    "attention_dim": _int(1, 4_096),
    "hidden_dim": _int(1, 8_192),
    "dropout": _float(0.0, 1.0),
    "coordinates": _bool,
    "grid_conv": _int(0, 32),
    "object_memory": _bool,
}
_ENCODER: dict[str, _Check] = {"name": _text(100), "image_size": _int(16, 4_096), "squash": _bool}
_DECODING: dict[str, _Check] = {
    "beam_size": _int(1, 64),
    "max_len": _int(1, 1_024),
    "min_len": _int(0, 1_024),
    "length_penalty": _float(-10.0, 10.0),
    "no_repeat_ngram": _int(0, 16),
    "suppress_unk": _bool,
}
_TOP: dict[str, bool] = {
    "format": True,
    "captioner": True,
    "encoder": True,
    "decoding": False,
    "reader": False,
    "vocab_sha256": False,  # the vocabulary's digest (`_vocab_digest`): a vocab.json from another bundle
}


_FROM_DATA = frozenset({"feature_dim", "grid_hw", "vocab_size"})  # set from the encoder and corpus


def check_recipe_sections(model: dict[str, Any], encoder: dict[str, Any], decoding: dict[str, Any]) -> None:
    """Raise ConfigError naming the recipe key whose value no bundle may hold (the bounds `load_bundle`
    checks): "--set model.dropout=2" had failed in torch ("dropout probability has to be between 0 and
    1"), "--set model.hidden_dim=0" only when the bundle was written, pointing at this file."""
    for section, values, checks in (
        ("model", model, _CAPTIONER),
        ("encoder", encoder, _ENCODER),
        ("decoding", decoding, _DECODING),
    ):
        for key, check in checks.items():
            if key in values and key not in _FROM_DATA and (problem := check(values[key])):
                raise ConfigError(f"{section}.{key} {problem}")
    if decoding.get("min_len", 0) > decoding.get("max_len", DecodeConfig.max_len):
        raise ConfigError("decoding.min_len is more than decoding.max_len")


def _read_limit(path: Path) -> int:
    """The most bytes the bundle file `path` may hold."""
    return _MAX_JSON_BYTES.get(path.name, 1 << 20)


def _check_config(config: Any, path: Path) -> None:
    """Raise DataError naming `path` and the field when `config` is not a bundle config this multicap
    writes. The format version is checked by the caller (its message says what to do about it)."""
    if not isinstance(config, dict):
        raise _bad(path, "", f"must be a JSON object, not {_shown(config)}")
    for key, needed in _TOP.items():
        if needed and key not in config:
            raise _bad(path, key, "is missing")
    _known(config, _TOP, path, "")
    for key in ("reader", "vocab_sha256"):
        if key in config and (problem := _optional_text(config[key])):
            raise _bad(path, key, problem)
    _section(config, "captioner", _CAPTIONER, path, required=True)
    _section(config, "encoder", _ENCODER, path, required=False)
    _section(config, "decoding", _DECODING, path, required=False)
    decoding = config.get("decoding", {})
    if decoding.get("min_len", 0) > decoding.get("max_len", DecodeConfig.max_len):
        raise _bad(path, "decoding.min_len", "is more than decoding.max_len")
    hw = config["captioner"]["grid_hw"]
    if hw[0] * hw[1] > 4_096:
        raise _bad(path, "captioner.grid_hw", f"has {hw[0] * hw[1]} cells, more than 4096")


def _vocab_digest(vocab: dict[str, Any]) -> str:
    """SHA-256 of a vocabulary's levels, words in order and object words, as config.json records it."""
    canonical = json.dumps([vocab["levels"], vocab["itos"], vocab["objects"]], ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_vocab(vocab: Any, path: Path, vocab_size: int) -> None:
    """Raise DataError naming `path` and the field when `vocab` is not a vocabulary of `vocab_size` tokens."""
    if not isinstance(vocab, dict):
        raise _bad(path, "", f"must be a JSON object, not {_shown(vocab)}")
    for key in ("levels", "itos", "objects"):
        if key not in vocab:
            raise _bad(path, key, "is missing")
    _known(vocab, {"levels": True, "itos": True, "objects": True}, path, "")
    _strings(vocab["levels"], path, "levels", most=16, longest=32)
    _strings(vocab["itos"], path, "itos", most=1_000_000, longest=200)
    _strings(vocab["objects"], path, "objects", most=1_000_000, longest=200)
    if len(vocab["itos"]) != vocab_size:
        raise _bad(
            path,
            "itos",
            f"holds {len(vocab['itos'])} tokens but config.json's captioner.vocab_size is {vocab_size}",
        )


def _check_weights(config: CaptionerConfig, object_ids: Sequence[int], weights: Path) -> None:
    """Compare the tensors the captioner of `config` has (built on the meta device: no memory) with the
    header of `weights`; raise DataError naming the first tensor that differs."""
    with torch.device("meta"):
        expected = {k: list(v.shape) for k, v in Captioner(config, object_ids).state_dict().items()}
    count = sum(math.prod(s) for s in expected.values())
    if count > _MAX_PARAMETERS:
        raise _bad(
            weights.with_name("config.json"), "captioner",
            f"asks for {count:,} parameters, more than a bundle may hold ({_MAX_PARAMETERS:,})",
        )  # fmt: skip
    try:
        with safe_open(str(weights), framework="pt") as f:
            found = {k: list(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118 (not a dict)
    except (SafetensorError, OSError, ValueError) as exc:
        raise DataError(
            f"{weights}: not a readable safetensors file ({_one_line(exc)}); train or copy the bundle again"
        ) from None
    for key, shape in expected.items():
        if key not in found:
            raise DataError(f"{weights}: tensor {key!r} is missing (config.json's captioner has it)")
        if found[key] != shape:
            raise DataError(
                f"{weights}: tensor {key!r} has shape {found[key]}, but config.json's captioner makes it "
                f"{shape}: the weights and the config are from different bundles"
            )
    extra = sorted(set(found) - set(expected))
    if extra:
        raise DataError(f"{weights}: tensor {extra[0]!r} is not one config.json's captioner has")


# ---------------------------------------------------------------------------------------------- private
def _section(
    config: dict[str, Any], name: str, checks: dict[str, _Check], path: Path, required: bool
) -> None:
    section = config.get(name, {})
    if not isinstance(section, dict):
        raise _bad(path, name, f"must be a JSON object, not {_shown(section)}")
    _known(section, dict.fromkeys(checks, True), path, f"{name}.")
    for key, check in checks.items():
        if key not in section:
            if required:
                raise _bad(path, f"{name}.{key}", "is missing")
            continue
        problem = check(section[key])
        if problem is not None:
            raise _bad(path, f"{name}.{key}", problem)


def _known(section: dict[str, Any], allowed: dict[str, bool], path: Path, prefix: str) -> None:
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise _bad(path, prefix + str(unknown[0]), "is not a field a bundle holds")


def _strings(value: Any, path: Path, name: str, most: int, longest: int) -> None:
    if not isinstance(value, list):
        raise _bad(path, name, f"must be a list of strings, not {_shown(value)}")
    if len(value) > most:
        raise _bad(path, name, f"holds {len(value)} entries, more than {most}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or len(item) > longest:
            raise _bad(path, f"{name}[{i}]", f"must be a string of at most {longest} characters")


class _SchemaError(DataError):
    """A bundle file outside the schema; `detail` is the file, the field and what is wrong with it."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"{detail}; the bundle is damaged or not one multicap wrote: train or copy it again")


def _bad(path: Path, field: str, problem: str) -> _SchemaError:
    return _SchemaError(f"{path}: {field} {problem}" if field else f"{path}: it {problem}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
