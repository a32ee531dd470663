"""Process-level CPU tuning for inference: glibc malloc settings and thread counts.

glibc returns large freed buffers to the kernel (munmap) and maps them again on the next call; for
convolution activations that churn costs more than the arithmetic here (docs/architecture.md, decision 12).
Raising the mmap and trim thresholds keeps those buffers in the heap. `tune_malloc()` does what the
environment variables MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / MALLOC_TOP_PAD_ would, from inside
the process; benchmarks/encoder_throughput.py measures its effect.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["tune_malloc"]

# mallopt parameter numbers from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

_done: dict[str, bool] = {}


def tune_malloc(
    mmap_threshold: int = 32 * 1024 * 1024,
    trim_threshold: int = 100_000_000_000,
    top_pad: int = 1_000_000_000,
) -> bool:
    """Apply the malloc settings once per process; returns whether they are in effect.

    A no-op (False) where the C library is not glibc, or when MULTICAP_NO_MALLOC_TUNING is set.
    """
    if "result" in _done:
        return _done["result"]
    ok = False
    if not os.environ.get("MULTICAP_NO_MALLOC_TUNING"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
            mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            ok = all(
                mallopt(param, value) == 1
                for param, value in (
                    (_M_MMAP_THRESHOLD, mmap_threshold),
                    (_M_TRIM_THRESHOLD, min(trim_threshold, 2**31 - 1)),
                    (_M_TOP_PAD, min(top_pad, 2**31 - 1)),
                )
            )
        except (OSError, AttributeError):
            ok = False
    _done["result"] = ok
    return ok
