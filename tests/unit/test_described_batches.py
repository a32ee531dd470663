"""The describing pipeline: a describer in two stages says each batch in a thread of its own (while the
next is seen: benchmarks/describe_quality.py --speed measures what that gains), in order, and a failure
while saying reaches the caller."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from multicap.describe.describer import described_batches
from multicap.describe.description import DescribedBatch, Description


class Staged:
    """Records the thread each stage runs in."""

    name, levels, version = "staged", ("object",), "staged 1"

    def __init__(self, fail_at: int | None = None) -> None:
        self.threads: set[str] = set()
        self.fail_at = fail_at

    def see(self, paths: Sequence[Path], loaded: Sequence[Any]) -> list[Path]:
        self.threads.add(threading.current_thread().name)
        return list(paths)

    def say(self, seen: list[Path], levels: Sequence[str]) -> DescribedBatch:
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and str(seen[0]) == str(self.fail_at):
            raise ValueError("say failed")
        return DescribedBatch(None, [Description(p, texts={"object": str(p)}) for p in seen])  # type: ignore[arg-type]

    def describe_batch(
        self, paths: Sequence[Path], loaded: Sequence[Any], levels: Sequence[str]
    ) -> DescribedBatch:
        raise AssertionError("a staged describer is described in two stages")


def _batches(n: int) -> list[tuple[list[Path], list[Any]]]:
    return [([Path(str(k))], [k]) for k in range(n)]


def test_a_staged_describer_says_each_batch_in_its_own_thread_in_order() -> None:
    describer = Staged()
    out = [
        d.texts["object"]
        for b in described_batches(describer, _batches(4), ["object"])
        for d in b.descriptions
    ]  # type: ignore[arg-type]
    assert out == ["0", "1", "2", "3"]
    assert any(name.startswith("multicap-say") for name in describer.threads)
    assert threading.current_thread().name in describer.threads


def test_a_failure_while_saying_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="say failed"):
        list(described_batches(Staged(fail_at=1), _batches(3), ["object"]))  # type: ignore[arg-type]
