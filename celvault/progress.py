"""Progress bars on stderr (rich); silent with --quiet or --json."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, quiet: bool = False):
        self.quiet = quiet or not sys.stderr
        self._bar = None
        self._task = None

    def start(self, label: str, total: int) -> None:
        if self.quiet:
            return
        self.finish()
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def note(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr)
