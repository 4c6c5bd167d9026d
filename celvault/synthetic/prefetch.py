"""Run a generator in a worker thread, so that rendering frames overlaps encoding them."""

from __future__ import annotations

import queue
import threading


def prefetch(gen, stop: threading.Event | None = None, depth: int = 24):
    """Yield what `gen` yields, produced ahead by a worker thread (at most `depth` waiting).
    `stop` (set when the consumer is done) also stops the worker; an exception in `gen` is
    raised in the consumer."""
    stop = stop or threading.Event()
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def work():
        try:
            for item in gen:
                if stop.is_set():
                    return
                q.put(item)
            q.put(done)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    th = threading.Thread(target=work, name="celvault-synthetic-render", daemon=True)
    th.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while th.is_alive():  # unblock a worker waiting on a full queue
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        th.join()
