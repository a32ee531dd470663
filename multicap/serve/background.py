"""Work that one server runs once, in a thread, while it goes on answering: loading the model, comparing
the whole index. Each request that needs the result either waits for it or says it is not ready yet."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Job", "NotReady"]


class NotReady(Exception):
    """The result is still being made (the message says what and how far it got)."""


class Job:
    """`make(progress)` run once in a daemon thread, from the first `start`; its result or error kept.

    `progress(n)` adds n to the count done, which `state` reports beside `total` (set by the job)."""

    def __init__(self, name: str, make: Callable[[Job], Any]) -> None:
        self.name = name
        self._make = make
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._result: Any = None
        self._error: BaseException | None = None
        self.count = 0
        self.total = 0
        self.seconds: float | None = None

    def start(self) -> Job:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"multicap-{self.name}", daemon=True)
                self._thread.start()
        return self

    def settle(self, wait: float) -> None:
        """Wait up to `wait` seconds for a started job to end (a server stopping: its thread still inside
        torch's import or a model's loading had aborted the exiting interpreter, SIGABRT)."""
        if self._thread is not None:
            self._done.wait(wait)

    def progress(self, n: int) -> None:
        self.count += n

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            self._result = self._make(self)
        except BaseException as exc:  # kept and raised to every caller that asks for the result
            self._error = exc
        finally:
            self.seconds = time.perf_counter() - start
            self._done.set()

    def result(self, wait: float | None = None) -> Any:
        """The result, waiting up to `wait` seconds (None: as long as it takes) after starting the job.

        Raises:
            NotReady: not done within `wait`.
            the job's own error, if it failed.
        """
        self.start()
        if not self._done.wait(wait):
            raise NotReady(self.describe())
        if self._error is not None:
            raise self._error
        return self._result

    def state(self) -> dict[str, Any]:
        if self._thread is None:
            status = "not started"
        elif not self._done.is_set():
            status = "running"
        else:
            status = "failed" if self._error is not None else "ready"
        out: dict[str, Any] = {"status": status, "done": self.count, "total": self.total}
        if self._error is not None:
            out["error"] = str(self._error)
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 2)
        return out

    def describe(self) -> str:
        shown = f" ({self.count} of {self.total})" if self.total else ""
        return f"{self.name} is still running{shown}; try again in a few seconds"
