"""Progress bars (rich) behind a tiny interface, so the runner does not depend on a UI."""

from __future__ import annotations


class _Task:
    def __init__(self, bar, task_id):
        self._bar, self._id = bar, task_id

    def advance(self, n: int) -> None:
        if self._bar is not None and n:
            self._bar.advance(self._id, n)


class Progress:
    def __init__(self, *, enabled: bool = True):
        self._bar = None
        if enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)

            self._bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TimeRemainingColumn(), transient=False,
            )
            self._bar.start()

    def task(self, description: str, *, total: int) -> _Task:
        task_id = self._bar.add_task(description, total=total) if self._bar else None
        return _Task(self._bar, task_id)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
