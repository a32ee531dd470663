"""The one shared stderr console, result printing on stdout, and the error edge of the CLI."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

# Progress and warnings go to stderr; results to stdout (docs/architecture.md, decision 7).
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

_state = {"verbose": False}


def set_verbose(verbose: bool) -> None:
    _state["verbose"] = verbose


def is_verbose() -> bool:
    return _state["verbose"]


def warn(message: str) -> None:
    """One line on stderr, never markup-interpreted (paths may hold brackets)."""
    err.print(f"warning: {message}", markup=False)


def print_json_line(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def progress_enabled() -> bool:
    return err.is_terminal
