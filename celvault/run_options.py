"""How a run goes, as opposed to what a stage computes: never part of a stage's settings or
of its config id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    force: bool = False  # recompute every row in scope
    redo: bool = False  # recompute rows made with other settings or weights (and failed rows)
    recluster: bool = False  # cluster: refit every identity instead of placing new layers
    device: str = "auto"  # auto | cpu | cuda
    batch_size: int | None = None  # rows per model call (None: the stage's default)
    download: bool = True  # fetch missing weights through each library (models.download)
    episode_ids: tuple[str, ...] | None = None  # only these episodes (None: all)
    workers: int | None = None  # CPU worker processes for row stages (None: one per core; 1: serial in-process)
    executor: str = "local"  # local | ray
    address: str | None = None  # the Ray cluster (ray://host:10001, auto); None: a local Ray
