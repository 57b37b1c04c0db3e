"""Progress of long library calls: the library reports through a callback, the command line
draws the bar (tqdm, on stderr). A callback takes ``(stage, done, total)``: the stage's name and
how many of its steps (names, chunks, sections) are done."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
