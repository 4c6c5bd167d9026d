"""Ingest of many episodes on a Ray cluster: one episode per task.

A task runs the local ingest of its episode (hashing, decoding, shot detection, encoding:
the same code as `ingest_paths`) against a catalogue whose appends write Lance data files
that no version refers to yet (`stages.ray_writes.write_rows`) and whose deletes wait for
the driver. The driver then commits the episodes one at a time, in the order given, in
ingest's own order: the episode's leftovers of an interrupted ingest out, its frame_media,
its episodes row, its frames last. Frames are what stages and queries read, so an episode
becomes visible at its frames commit and never half; a driver stopped between two commits
leaves a partial episode that the next ingest removes and ingests again. A worker that
dies is retried by Ray; the files of its first try are never committed.

Every node must reach the inputs and the catalogue at the same paths (docs/scale-out.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.store import sql_str
from celvault.config import Config
from celvault.errors import CelvaultError
from celvault.progress import Progress

from .ingest import IngestReport, IngestSettings, ingest_one

ORDER = ("frame_media", "episodes", "frames")  # commit order; frames make the episode visible


class _StagedCatalog(Catalog):
    """Reads the catalogue; writes only uncommitted fragments, kept for the driver."""

    def __init__(self, path: str, rows_per_fragment: int):
        super().__init__(path, rows_per_fragment)
        self.staged: dict[str, list] = {}

    def append(self, table: str, data: pa.Table | None) -> int:
        from celvault.stages.ray_writes import write_rows

        if data is None or data.num_rows == 0:
            return 0
        self.staged.setdefault(table, []).append(write_rows(self, table, data))
        return data.num_rows

    def delete(self, table: str, where: str) -> None:
        pass  # the driver removes an episode's leftovers just before committing it


@dataclass
class StagedEpisode:
    report: IngestReport
    staged: dict[str, list] = field(default_factory=dict)  # table -> [NewRows]


def ingest_task(catalog_path: str, rows_per_fragment: int, path: str, series: str | None,
                config_data: dict, kill_marker: str | None = None) -> StagedEpisode:
    """Ingest one input into uncommitted fragments (on a Ray worker)."""
    from celvault.stages.ray_executor import die_once

    settings = IngestSettings.from_config(Config(config_data))
    catalog = _StagedCatalog(catalog_path, rows_per_fragment)
    try:
        report = ingest_one(catalog, Path(path), series, settings, Progress(quiet=True))
    except CelvaultError as exc:
        return StagedEpisode(IngestReport(path=path, status="error", error=str(exc)))
    die_once(kill_marker, "ingest")
    return StagedEpisode(report, catalog.staged if report.status == "ingested" else {})


def ingest_paths_ray(catalog: Catalog, paths: list[str | Path], series: str | None = None,
                     config: Config | None = None, progress: Progress | None = None,
                     address: str | None = None) -> list[IngestReport]:
    """`ingest_paths` with one Ray task per input; the same reports, the same catalogue."""
    import os

    from celvault.stages.ray_executor import KILL_MARKER, RETRIES, connect

    ray = connect(address)
    config = config or Config.load()
    IngestSettings.from_config(config)  # a settings mistake fails here, not on every worker
    progress = progress or Progress(quiet=True)
    root = str(Path(catalog.path).resolve())
    task = ray.remote(num_cpus=1, max_retries=RETRIES)(ingest_task)
    # inputs resolved here: a worker's working folder is not the caller's
    refs = [task.remote(root, catalog.rows_per_fragment, str(Path(p).resolve()), series, config.data,
                        os.environ.get(KILL_MARKER)) for p in paths]
    progress.start("ingest", len(refs))
    reports = []
    try:
        for given, ref in zip(paths, refs):
            try:
                staged = ray.get(ref)
            except Exception as exc:  # its worker died on every try: the others still go in
                cause = getattr(exc, "cause", None) or exc
                reports.append(IngestReport(path=str(given), status="error",
                                            error=f"{given}: failed on the Ray cluster ({type(cause).__name__})"))
            else:
                staged.report.path = str(given)
                reports.append(_commit(catalog, staged))
            progress.advance(1)
    finally:
        progress.finish()
    return reports


def _commit(catalog: Catalog, staged: StagedEpisode) -> IngestReport:
    from celvault.stages.ray_writes import commit_rows

    report = staged.report
    if report.status != "ingested":
        return report
    eid = report.episode_id
    if _complete(catalog, eid):  # the same content twice in one call: the first one went in
        return _already(catalog, report)
    where = f"episode_id = {sql_str(eid)}"
    for table in ("frames", "frame_media", "episodes"):  # leftovers of an interrupted ingest
        catalog.delete(table, where)
    for table in ORDER:
        for rows in staged.staged.get(table, []):
            commit_rows(catalog, table, rows)
    return report


def _complete(catalog: Catalog, eid: str) -> bool:
    row = catalog.read("episodes", ["frames_kept"], f"episode_id = {sql_str(eid)}")
    return row.num_rows > 0 and catalog.count("frames", f"episode_id = {sql_str(eid)}") == row.column(0)[0].as_py()


def _already(catalog: Catalog, report: IngestReport) -> IngestReport:
    row = catalog.read("episodes", ["frames_kept", "frame_count", "shots"],
                       f"episode_id = {sql_str(report.episode_id)}").to_pylist()[0]
    return IngestReport(path=report.path, status="already-ingested", episode_id=report.episode_id, name=report.name,
                        frames_kept=row["frames_kept"], frame_count=row["frame_count"], shots=row["shots"])
