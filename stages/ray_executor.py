"""`celvault run --executor ray`: a row stage's units of work on a Ray cluster.

The units are the local executor's (`work_unit.plan_units`: one Lance fragment's pending
rows each). Where they run:
- a stage whose work is a model backend (`ModelStage`: segment, inpaint, embed, caption,
  tag) runs in a pool of Ray actors that build the stage, and so load its model, once each:
  `num_gpus=1` per actor when the run's device is cuda or auto and the cluster has GPUs
  (one actor per GPU), else `num_cpus=1` (one actor per CPU);
- any other row stage (dedup) runs as plain CPU tasks, one per unit.
A worker computes its unit, writes the result as Lance data files no version refers to yet
(`ray_writes.write_unit`) and returns their metadata; the driver commits units one at a
time in plan order (`ray_writes.commit_unit`), never two writers at once on a table. A
worker that dies is retried by Ray (task retries, actor restarts): the files its first try
wrote are never committed, the commit deletes what the stage made before for the unit's
keys, so nothing is duplicated. The catalogue must be reachable at the same path from
every node (see docs/scale-out.md).
"""

from __future__ import annotations

import logging
import os
import signal
import warnings
from collections import deque
from pathlib import Path

from celvault.catalog import Catalog
from celvault.errors import CelvaultError, ConfigError
from celvault.progress import Progress

from .model_stage import ModelStage
from .ray_writes import WrittenUnit, commit_unit, write_unit
from .row_errors import ErrorTally
from .work_unit import WorkUnit, compute, plan_units, read_unit, rebuild

INSTALL_HINT = 'pip install -e ".[ray]"'
# Test only: a folder. A worker SIGKILLs itself right after writing a unit (before the driver
# sees it) when the folder has no file named after the unit's stage part yet, creating it
# first: one worker of every stage part (and of an ingest) dies once.
KILL_MARKER = "CELVAULT_TEST_RAY_KILL_MARKER"
RETRIES = 3  # tries of a unit whose worker died, after the first


class RayNotInstalled(ConfigError):
    def __init__(self):
        super().__init__(f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}")


class RayUnitFailed(CelvaultError):
    """A unit failed on the cluster after its retries; what was committed before stays."""


def require_ray():
    """The `ray` module, or the one-line error that says how to install it."""
    try:
        import ray
    except ImportError:
        raise RayNotInstalled() from None
    return ray


def connect(address: str | None):
    """Ray, connected: to `address` (`auto`, `ray://head:10001`, host:port), to RAY_ADDRESS,
    or to a Ray started on this machine for the run. A process connects once."""
    ray = require_ray()
    if not ray.is_initialized():
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        try:
            with warnings.catch_warnings():  # Ray's processes exec at once: Lance's fork warning does not apply
                warnings.filterwarnings("ignore", "lance is not fork-safe")
                if address:
                    ray.init(address=address, **quiet)
                else:
                    ray.init(include_dashboard=False, **quiet)
        except ConnectionError as exc:
            raise ConfigError(f"cannot reach the Ray cluster at {address or 'RAY_ADDRESS'}: {exc}") from None
    return ray


# -- the worker side ---------------------------------------------------------------------


class UnitWorker:
    """Computes and writes units of one stage part; builds the stage (and its model) once."""

    def __init__(self, rows_per_fragment: int, kill_marker: str | None = None):
        self.rows_per_fragment = rows_per_fragment
        self.kill_marker = kill_marker
        self.stage = None

    def run(self, unit: WorkUnit) -> WrittenUnit:
        catalog = Catalog.open(unit.catalog_path, rows_per_fragment=self.rows_per_fragment)
        stage = self._stage(unit, catalog)
        rows = read_unit(catalog, stage, unit)
        result = compute(catalog, stage, rows, unit.run.batch_size or stage.default_batch_size)
        written = write_unit(catalog, stage, unit.fragment_id, result)
        written.tallies = stage.take_tallies()  # the counts behind the run report, for the driver
        die_once(self.kill_marker, f"{unit.stage}.{unit.table}")
        return written

    def _stage(self, unit: WorkUnit, catalog: Catalog):
        if self.stage is None:
            self.stage = rebuild(unit)
            self.stage.prepare()  # weights found (or pulled when allowed) on this node
        if self.stage.shot_frames_needed:
            from .inputs import ShotFrames

            self.stage.shot_frames = ShotFrames(catalog)
        return self.stage


def die_once(folder: str | None, name: str) -> None:
    """The KILL_MARKER test hook."""
    if not folder:
        return
    try:
        os.close(os.open(os.path.join(folder, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


def run_unit_task(unit: WorkUnit, rows_per_fragment: int, kill_marker: str | None) -> WrittenUnit:
    """One unit as a plain task (a stage without a model: nothing worth keeping loaded)."""
    return UnitWorker(rows_per_fragment, kill_marker).run(unit)


# -- the driver side ---------------------------------------------------------------------


def fill_rows_ray(catalog: Catalog, stage, select: str | None, batch_size: int, progress: Progress,
                  tally: ErrorTally) -> tuple[int, int]:
    """Compute every pending unit of `stage` on Ray and commit each; (rows, units).

    Same contract as `row_runner.fill_rows`. `stage.run_options.address` names the cluster.
    """
    from dataclasses import replace

    from celvault.config import Config

    require_ray()
    ray = connect(stage.run_options.address)
    path = str(Path(catalog.path).resolve())  # workers have their own working folders
    units = plan_units(catalog, path, stage, Config(stage.config_data), select)
    if not units:
        return 0, 0
    if stage.run_options.batch_size != batch_size:  # the batch size the runner chose travels with the unit
        units = [replace(u, run=replace(u.run, batch_size=batch_size)) for u in units]
    pool = _Pool(ray, stage, len(units), catalog.rows_per_fragment, os.environ.get(KILL_MARKER))
    rows = done = 0
    try:
        queue = deque()
        todo = iter(units)
        for unit in todo:
            queue.append((unit, pool.submit(unit)))
            if len(queue) >= pool.window:
                break
        while queue:
            unit, ref = queue.popleft()
            written = _result(ray, stage, unit, ref)
            commit_unit(catalog, stage, written)  # in plan order, one unit at a time
            tally.add(written.failed)
            stage.add_tallies(written.tallies)
            progress.advance(len(written.keys))
            rows, done = rows + len(written.keys), done + 1
            nxt = next(todo, None)
            if nxt is not None:
                queue.append((nxt, pool.submit(nxt)))
    finally:
        pool.close()
    return rows, done


class _Pool:
    """Where units go: model stages to actors (round robin), others to tasks."""

    def __init__(self, ray, stage, units: int, rows_per_fragment: int, kill_marker: str | None):
        self.ray = ray
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 1)), int(resources.get("GPU", 0))
        self.actors = []
        self.next = 0
        if isinstance(stage, ModelStage):
            device = stage.run_options.device
            if device == "cuda" and gpus == 0:
                raise ConfigError("--device cuda: the Ray cluster has no GPUs (use --device auto or cpu)")
            use_gpu = device in ("auto", "cuda") and gpus > 0
            size = max(1, min(units, gpus if use_gpu else cpus))
            opts = {"num_gpus": 1, "num_cpus": 1} if use_gpu else {"num_cpus": 1}
            cls = ray.remote(max_restarts=RETRIES, max_task_retries=RETRIES, **opts)(UnitWorker)
            self.actors = [cls.remote(rows_per_fragment, kill_marker) for _ in range(size)]
            self.window = 2 * size  # one running and one queued per actor
        else:
            self.task = ray.remote(num_cpus=1, max_retries=RETRIES)(run_unit_task)
            self.args = (rows_per_fragment, kill_marker)
            self.window = 2 * max(1, cpus)

    def submit(self, unit: WorkUnit):
        if self.actors:
            actor = self.actors[self.next % len(self.actors)]
            self.next += 1
            return actor.run.remote(unit)
        return self.task.remote(unit, *self.args)

    def close(self) -> None:
        for actor in self.actors:  # frees their CPUs and GPUs for the next stage
            self.ray.kill(actor)
        self.actors = []


def _result(ray, stage, unit: WorkUnit, ref) -> WrittenUnit:
    try:
        return ray.get(ref)
    except Exception as exc:  # RayTaskError wraps the worker's own exception as its cause
        cause = getattr(exc, "cause", None) or exc
        if isinstance(cause, CelvaultError):
            raise cause from None
        first = str(cause).strip().splitlines()
        raise RayUnitFailed(f"{stage.name}: fragment {unit.fragment_id} of {stage.table} failed on the Ray cluster "
                            f"after {RETRIES} retries ({type(cause).__name__}: {first[0] if first else ''}); "
                            "what was committed stays: run again to resume") from None
