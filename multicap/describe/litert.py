"""LiteRT interpreters for the TFLite models the people detector runs (BlazeFace, the Open Images SSD).

`ai-edge-litert` (Google's TFLite runtime with its XNNPACK CPU kernels) is a dependency; `Interpreter` is None
where it is absent, and each caller says what stands in for it. An interpreter is not safe to share between
threads: callers make one per thread.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # a dependency; without it OpenCV runs BlazeFace, at twice the CPU
    Interpreter = None

__all__ = ["Interpreter", "interpreter", "quiet_interpreter"]


def interpreter(path: Path) -> Interpreter:
    """An interpreter of the model at `path`, its tensors allocated, on one thread (the decoding threads
    that call the detectors already run side by side)."""
    made = Interpreter(model_path=str(path), num_threads=1)
    made.allocate_tensors()
    return made


def quiet_interpreter(path: Path) -> Interpreter:
    """`interpreter(path)` made with stderr (fd 2) pointed at /dev/null: LiteRT prints "INFO: Created
    TensorFlow Lite XNNPACK delegate for CPU." there once per process, in the middle of a command's own
    output, and no setting turns it off. For the process's first interpreter, made when a detector loads."""
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (closed by a service manager): nothing to keep quiet
        return interpreter(path)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            return interpreter(path)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
