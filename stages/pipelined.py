"""The pipelined local executor: a row stage's batches computed by worker processes while the
driver commits, so every core works (and a GPU model is fed by several processes at once).

Each worker process (started with `spawn`) rebuilds the stage part once from its description
(stages/work_unit.py: registry, configuration, config id checked, weights located) and then
computes batches: it fetches the batch's media from the catalogue, decodes, runs the stage
and its backend, and encodes the new layers; it hands back the batch's result, the counts
behind the stage's report and the seconds per phase. The driver reads only keys and small
input columns, keeps at most `2 x workers` batches in flight (memory stays flat whatever the
episode's length), puts a unit's batch results back in order and commits the unit exactly as
the serial path does: same batches, same ids, same rows, same media bytes.

A unit (one fragment's pending rows) is committed before the next unit's batches start, so a
kill loses at most the unit in flight, as with the serial path.
"""

from __future__ import annotations

import os
import pickle
from collections import deque
from concurrent.futures import ProcessPoolExecutor

from celvault.errors import CelvaultError
from celvault.timing import PhaseClock, active

from .row_errors import ErrorTally, message
from .work_unit import WorkUnit, commit, compute, describe, fetch_rows, merge

_PARTS: dict = {}  # in a worker: (catalogue, stage part) per unit description, built on first use
_POOL: dict = {}  # in the driver: the worker pool, kept across the stage parts of a run


class WorkerFailed(CelvaultError):
    """A worker process raised something that cannot cross a process boundary as itself, or died."""


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_count(requested: int | None, rows: int, batch_size: int) -> int:
    """Processes to use: `requested`, or one per core when there are enough batches to share
    (a couple of batches run serially: starting processes would cost more than they save)."""
    if requested is not None:
        return max(1, requested)
    n = cores()
    return n if rows >= 4 * n * batch_size else 1


def _exit_with(parent: int) -> None:
    """Watch the driver: a worker whose driver died (kill -9) exits instead of lingering."""
    import threading
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="celvault-driver-watch", daemon=True).start()


def _start(threads: int, parent: int) -> None:
    """Worker initializer: native libraries (OpenCV, torch and BLAS through OMP_NUM_THREADS,
    onnxruntime through CELVAULT_THREADS) get this process's share of the cores."""
    _exit_with(parent)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CELVAULT_THREADS"):
        os.environ[var] = str(threads)
    import cv2

    cv2.setNumThreads(threads)
    import importlib

    importlib.import_module(f"{__package__}.work_unit")  # what every batch needs, imported once per process


def _part(unit: WorkUnit, token: str):
    """The stage part a unit describes, rebuilt once per process and stage run (`token`): its
    model loads once, and what it caches never outlives the run."""
    key = (token, unit.catalog_path, unit.stage, unit.table, unit.backend, unit.config_id)
    if key not in _PARTS:
        from .work_unit import open_part

        _PARTS.clear()  # one part at a time: the previous part's model is let go
        _PARTS[key] = open_part(unit)
    return _PARTS[key]


def _batch(unit: WorkUnit, token: str, rows, batch_size: int):
    """One batch, computed in a worker: (result, report counts, seconds per phase)."""
    try:
        catalog, stage = _part(unit, token)
        with PhaseClock() as clock:
            result = compute(catalog, stage, rows, batch_size)
        return result, stage.take_tallies(), dict(clock.seconds)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - an exception the driver could not unpickle
            raise WorkerFailed(message(exc)) from None
        raise


def _pool(workers: int) -> ProcessPoolExecutor:
    """The worker pool: started once (spawn) and kept for the next stage parts and runs of
    this process, so a run pays for starting its workers once, not once per stage (they exit
    with the process, or with `shutdown`)."""
    import atexit
    import multiprocessing

    if _POOL.get("workers") != workers:
        shutdown()
        if not _POOL.get("at_exit"):
            _POOL["at_exit"] = atexit.register(shutdown)
        threads = max(1, cores() // workers)
        _POOL["pool"] = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start, initargs=(threads, os.getpid()))
        _POOL["workers"] = workers
    return _POOL["pool"]


def shutdown() -> None:
    """Stop the worker pool (the runner calls it when a run ends)."""
    pool = _POOL.pop("pool", None)
    _POOL.pop("workers", None)  # "at_exit" stays: registered once
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def fill_rows_pipelined(catalog, stage, units, batch_size: int, workers: int, progress,
                        tally: ErrorTally) -> tuple[int, int]:
    """Compute `units` ((fragment id, rows) pairs, in order) on `workers` processes and commit
    each unit in the driver; (rows, units)."""
    from concurrent.futures.process import BrokenProcessPool

    unit = describe(catalog.path, stage)
    token = f"{os.getpid()}:{id(stage)}"  # this stage run: workers rebuild the part for each run
    rows_done = done = 0
    clock = active()
    pool = _pool(workers)
    try:
        for _fragment, rows in units:
            step = fetch_rows(batch_size)  # a task: the batches whose inputs are read at once
            batches = deque(rows.slice(s, step) for s in range(0, rows.num_rows, step))
            running, results = deque(), []
            while batches or running:
                while batches and len(running) < 2 * workers:
                    running.append(pool.submit(_batch, unit, token, batches.popleft(), batch_size))
                result, counts, seconds = running.popleft().result()
                stage.add_tallies(counts)
                if clock is not None:
                    clock.add(seconds)
                results.append(result)
                progress.advance(len(result.keys))
            merged = merge(results)
            tally.add(merged.failed)
            commit(catalog, stage, merged)
            rows_done += rows.num_rows
            done += 1
    except BrokenProcessPool:
        shutdown()
        raise WorkerFailed("a worker process died (out of memory, or killed); what was committed is kept and "
                           "`celvault run` resumes (--workers 1 runs in one process)") from None
    except BaseException:
        shutdown()  # nothing half-done is left running behind an error
        raise
    return rows_done, done
