"""Read a weights file safely: safetensors, or a state dict with `weights_only=True` (never unpickled)."""

from __future__ import annotations

from pathlib import Path

import torch

from multicap.errors import WeightsNotFoundError

__all__ = ["load_state_dict_file"]


def load_state_dict_file(path: Path) -> dict[str, torch.Tensor]:
    """Return the state dict in `path`; checkpoints that wrap it (`state_dict`, `model`) are unwrapped."""
    if not path.is_file():
        raise WeightsNotFoundError(f"weights file {path} does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any reader failure means the same thing to the user
        # torch's own message runs to paragraphs and suggests unpickling, which multicap never does
        if path.suffix == ".safetensors":
            why = f"not a safetensors file ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
        else:
            why = "not a torch file of tensors only (torch.load with weights_only)"
        raise WeightsNotFoundError(f"cannot read weights file {path}: {why}") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsNotFoundError(f"{path} does not hold a state dict of tensors")
    return state
