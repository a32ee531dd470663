"""A transient rich progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from multicap.cli import console


@contextmanager
def progress_bar(description: str, total: int, then: str | None = None) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; shows images/s and ETA; silent when stderr is not a terminal. `then`: what is
    said once all `total` are done, with the time it has taken (compare's grouping after its images: a
    walkthrough's bar had stood at 100% for 19 of a run's 23 seconds)."""
    if not console.progress_enabled() or total <= 1:
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console.err, transient=True) as progress:
        task = progress.add_task(description, total=total, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{speed:.1f} img/s" if speed else "")
            if then is not None and progress.tasks[task].completed >= total:
                progress.update(task, description=then, rate="")

        yield advance
