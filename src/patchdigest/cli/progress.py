"""A progress bar on a terminal (rich), nothing otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ..indexing import Progress


@contextmanager
def progress_for(name: str, *, enabled: bool = True) -> Iterator[Progress | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),  # the indexer knows how many commits are new: a real bar
        TextColumn("{task.completed} messages"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"indexing {name}", total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
