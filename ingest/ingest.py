"""Ingest orchestration: content-hash ids, idempotence, and crash-safe visibility.

Order of writes for one episode: frame_media in chunks, then the episodes row, then all of
the episode's frames rows in one commit. Frames are what stages and queries read, so an
episode becomes visible at that last commit and never half. A rerun after a crash finds the
episode incomplete (its frames missing), removes the leftovers and ingests it again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.ids import episode_id as make_episode_id
from celvault.catalog.ids import frame_id, sha256_file, sha256_files
from celvault.catalog.provenance import now_iso
from celvault.catalog.store import sql_str
from celvault.config import Config
from celvault.errors import CelvaultError, IngestError
from celvault.progress import Progress
from celvault.settings import parse, setting, to_dict

from .encode import FORMATS
from .folder import list_frames, read_folder
from .shots import ShotParams
from .sources import SourceSummary
from .video import read_video


MEDIA_ROWS_PER_APPEND = 256


@dataclass
class IngestReport:
    path: str
    status: str  # ingested | already-ingested | error
    episode_id: str | None = None
    name: str | None = None
    frames_kept: int = 0
    frame_count: int = 0
    shots: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _episode_state(catalog: Catalog, eid: str) -> str:
    """new | complete | partial"""
    rows = catalog.read("episodes", ["frames_kept"], f"episode_id = {sql_str(eid)}")
    if rows.num_rows == 0:
        leftovers = catalog.count("frame_media", f"episode_id = {sql_str(eid)}") + catalog.count(
            "frames", f"episode_id = {sql_str(eid)}")
        return "partial" if leftovers else "new"
    kept = rows.column("frames_kept")[0].as_py()
    have = catalog.count("frames", f"episode_id = {sql_str(eid)}")
    return "complete" if have == kept else "partial"


def _params_json(settings: "IngestSettings") -> str:
    return json.dumps(to_dict(settings), sort_keys=True)


def _remove_episode(catalog: Catalog, eid: str) -> None:
    where = f"episode_id = {sql_str(eid)}"
    for table in ("frames", "frame_media", "episodes"):
        catalog.delete(table, where)


@dataclass(frozen=True)
class IngestSettings(ShotParams):
    """The `ingest` section: how frames are stored, plus how shots are found (ShotParams)."""

    format: str = setting("png", "png (lossless, default) or webp (lossless)", choices=FORMATS)
    png_level: int = setting(1, "zlib level for PNG: 1 is fast and still lossless", min=0, max=9)
    probe_size: list[int] = setting([160, 90], "frames are compared at this size for cuts and holds")

    def check(self) -> str | None:
        if len(self.probe_size) != 2 or min(self.probe_size) < 8:
            return "probe_size: must be two sizes of at least 8 pixels"
        return None

    @property
    def fmt(self) -> str:
        return self.format

    @property
    def probe(self) -> tuple[int, int]:
        return tuple(self.probe_size)

    @property
    def shots(self) -> ShotParams:
        return self

    @classmethod
    def from_config(cls, config: Config) -> "IngestSettings":
        return parse(cls, config.section("ingest"), "ingest")


def ingest_one(catalog: Catalog, path: Path, series: str | None, settings: IngestSettings,
               progress: Progress) -> IngestReport:
    try:
        return _ingest_one(catalog, path, series, settings, progress)
    except OSError as exc:  # unreadable input (permissions, I/O error) or a full disk while writing
        where = f" {exc.filename}" if exc.filename and str(exc.filename) != str(path) else ""
        raise IngestError(path, f"{exc.strerror or exc.__class__.__name__}{where}") from None


def _ingest_one(catalog: Catalog, path: Path, series: str | None, settings: IngestSettings,
                progress: Progress) -> IngestReport:
    report = IngestReport(path=str(path), status="ingested",
                          name=path.stem if path.is_file() else path.resolve().name)
    if not path.exists():
        raise IngestError(path, "no such file or folder")
    if path.is_dir():
        files = list_frames(path)
        sha = sha256_files(path, files)
        kind = "frames"
    else:
        if path.stat().st_size == 0:
            raise IngestError(path, "file is empty (0 bytes)")
        sha = sha256_file(path)
        kind = "video"
    eid = make_episode_id(sha)
    report.episode_id = eid
    state = _episode_state(catalog, eid)
    if state == "complete":
        report.status = "already-ingested"
        row = catalog.read("episodes", ["name", "frames_kept", "frame_count", "shots", "ingest_params"],
                           f"episode_id = {sql_str(eid)}").to_pylist()[0]
        report.frames_kept, report.frame_count, report.shots = row["frames_kept"], row["frame_count"], row["shots"]
        if kind == "video" and row["ingest_params"] != _params_json(settings):
            report.notes.append("it was ingested with other settings; those stay (remove the catalogue "
                                "entry to ingest it again with these)")
        return report
    if state == "partial":
        report.notes.append("completed an earlier interrupted ingest")
        _remove_episode(catalog, eid)

    summary = SourceSummary(kind)
    label = f"ingest {report.name}"
    if kind == "video":
        kept_iter = read_video(path, settings.shots, settings.fmt, settings.png_level, settings.probe, summary,
                               progress.advance, on_total=lambda n: progress.start(label, n))
    else:
        progress.start(label, len(files))
        kept_iter = read_folder(path, files, settings.shots, settings.probe, summary, progress.advance)

    frames_rows: list[dict] = []
    media: list[dict] = []
    chunk = min(catalog.rows_per_fragment, MEDIA_ROWS_PER_APPEND)  # bounds the bytes held in memory
    try:
        for kf in kept_iter:
            fid = frame_id(eid, kf.frame_index)
            frames_rows.append({"frame_id": fid, "episode_id": eid, "shot_index": kf.shot_index,
                                "frame_index": kf.frame_index, "time_s": kf.time_s,
                                "width": kf.width, "height": kf.height})
            media.append({"frame_id": fid, "episode_id": eid, "format": kf.fmt, "data": kf})
            if len(media) >= chunk:
                _flush_media(catalog, media)
        _flush_media(catalog, media)
    except BaseException:
        progress.finish()
        _remove_episode(catalog, eid)  # nothing of a failed input stays behind
        raise
    progress.finish()

    ingest_params = _params_json(settings) if kind == "video" else json.dumps({"probe_size": list(settings.probe)})
    catalog.append("episodes", pa.Table.from_pylist([{
        "episode_id": eid, "name": report.name, "series": series, "source_path": str(path.resolve()),
        "source_kind": kind, "source_sha256": sha, "fps": summary.fps, "duration_s": summary.duration_s,
        "frame_count": summary.frame_count, "frames_kept": len(frames_rows), "shots": summary.shots,
        "width": summary.width, "height": summary.height,
        "ingest_params": ingest_params, "ingested_at": now_iso(),
    }]))
    catalog.append("frames", pa.Table.from_pylist(frames_rows))  # the visibility point
    report.frames_kept, report.frame_count, report.shots = len(frames_rows), summary.frame_count, summary.shots
    report.notes += summary.notes  # e.g. frames of a folder resized to its first frame's size
    return report


def _flush_media(catalog: Catalog, media: list[dict]) -> None:
    if not media:
        return
    rows = [{**m, "data": m["data"].payload()} for m in media]
    catalog.append("frame_media", pa.Table.from_pylist(rows))
    media.clear()


def ingest_paths(catalog: Catalog, paths: list[str | Path], series: str | None = None,
                 config: Config | None = None, progress: Progress | None = None) -> list[IngestReport]:
    """Ingest each path; one input's failure is reported and the others still go in."""
    settings = IngestSettings.from_config(config or Config.load())
    progress = progress or Progress(quiet=True)
    reports = []
    for p in paths:
        path = Path(p)
        try:
            reports.append(ingest_one(catalog, path, series, settings, progress))
        except CelvaultError as exc:
            reports.append(IngestReport(path=str(path), status="error", error=str(exc)))
    return reports
