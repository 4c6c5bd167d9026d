"""Where a stage's time goes: fetch, decode, pre, model, post, encode, commit.

Call sites mark their work with `with phase("decode"):`. Nothing is recorded unless a
`PhaseClock` is active in the thread (`with PhaseClock() as clock:`), so marking costs one
attribute lookup in normal runs. Phases nest and time is exclusive: the seconds spent in
`model` inside `pre` count for `model` only, so the phases of a run add up to its wall time.
Benchmarks (benchmarks/bench_throughput.py) and the executors' worker processes use it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager

PHASES = ("fetch", "decode", "pre", "model", "post", "encode", "commit")

_local = threading.local()


class PhaseClock:
    """Seconds per phase, exclusive, for the work done in this thread while it is active."""

    def __init__(self):
        self.seconds: Counter = Counter()
        self._stack: list[str] = []
        self._since = 0.0

    def __enter__(self) -> "PhaseClock":
        self._outer = getattr(_local, "clock", None)
        _local.clock = self
        return self

    def __exit__(self, *exc) -> None:
        _local.clock = self._outer

    def _switch(self, now: float) -> None:
        if self._stack:
            self.seconds[self._stack[-1]] += now - self._since
        self._since = now

    def add(self, other: dict) -> None:
        """Add phase seconds measured elsewhere (a worker process's batch)."""
        self.seconds.update({k: v for k, v in other.items() if v})


@contextmanager
def phase(name: str):
    clock = getattr(_local, "clock", None)
    if clock is None:
        yield
        return
    clock._switch(time.perf_counter())
    clock._stack.append(name)
    try:
        yield
    finally:
        clock._switch(time.perf_counter())
        clock._stack.pop()


def active() -> PhaseClock | None:
    return getattr(_local, "clock", None)
