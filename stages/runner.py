"""Runs stages over the catalogue: missing rows, batching, commits, provenance, compaction."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import pyarrow as pa

from celvault import registry
from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters, fill_missing, pending_by_fragment, write_columns
from celvault.catalog.maintenance import compact
from celvault.catalog.provenance import now_iso, record_run
from celvault.catalog.store import sql_in, sql_str
from celvault.config import Config
from celvault.errors import UnknownStage
from celvault.progress import Progress

from . import ORDER
from .base import Stage


@dataclass
class StageReport:
    stage: str
    backend: str
    status: str  # done | nothing-to-do
    rows: int = 0
    fragments: int = 0
    linked: int = 0
    seconds: float = 0.0
    fill_seconds: float = 0.0
    link_seconds: float = 0.0
    run_id: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def available_stages() -> list[str]:
    known = set(registry.names("stage"))
    return [s for s in ORDER if s in known]


def build_stage(name: str, config: Config, device: str = "auto") -> Stage:
    if name not in available_stages():
        raise UnknownStage(name, available_stages())
    cls = registry.load("stage", name)
    settings = config.stage(name)
    settings["_download"] = bool(config.section("models").get("download", True))
    return cls(settings, device=device)


def _selection(stage: Stage, scope: str | None, force: bool, redo: bool) -> str | None:
    if force:
        return scope
    missing = f"{stage.marker} IS NULL"
    if redo:
        cfg = stage.config_column
        missing = f"{missing} OR {cfg} IS NULL OR {cfg} != {sql_str(stage.config_id())}"
    return and_filters(scope, missing)


def _compute_fn(catalog: Catalog, stage: Stage, batch_size: int, progress: Progress):
    cid = stage.config_id()
    schema = catalog.dataset(stage.table).schema
    resets = [schema.field(c) for c in stage.resets if c in schema.names]

    def compute(rows: pa.Table) -> pa.Table:
        _drop_owned(catalog, stage, rows.column(stage.key).to_pylist())
        parts = []
        for start in range(0, rows.num_rows, batch_size):
            batch = rows.slice(start, batch_size)
            if stage.media:
                batch = _with_media(catalog, stage, batch)
            cols = stage.run(batch)
            for table in stage.owns:  # media first, then the rows that point at it
                catalog.append(table, cols.get(table))
            arrays = {stage.key: batch.column(stage.key)}
            for f in stage.outputs:
                arrays[f.name] = pa.array(cols[f.name], type=f.type)
            arrays[stage.config_column] = pa.array([cid] * batch.num_rows, pa.string())
            for f in resets:
                arrays[f.name] = pa.nulls(batch.num_rows, f.type)
            parts.append(pa.table(arrays))
            progress.advance(batch.num_rows)
        return pa.concat_tables(parts)

    return compute


def _drop_owned(catalog: Catalog, stage: Stage, keys: list[str]) -> None:
    """Rows this stage made earlier for these keys (a rerun, or a crash's leftovers)."""
    for table, where in reversed(list(stage.owns.items())):  # pointers first, then media
        catalog.delete(table, and_filters(sql_in(stage.key, keys), where))


def _with_media(catalog: Catalog, stage: Stage, rows: pa.Table) -> pa.Table:
    keys = rows.column(stage.key).to_pylist()
    media = catalog.read(stage.media, [stage.key, "data"], sql_in(stage.key, keys))
    by_key = dict(zip(media.column(stage.key).to_pylist(), media.column("data").to_pylist()))
    return rows.append_column("image", pa.array([by_key.get(k) for k in keys], pa.large_binary()))


def _link(catalog: Catalog, stage: Stage, scope: str | None, force: bool, progress: Progress) -> tuple[int, int]:
    """Cross-row pass over rows that have per-row outputs but no link outputs yet."""
    need = and_filters(scope, f"{stage.marker} IS NOT NULL")
    if not force:
        need = and_filters(need, f"{stage.link_marker} IS NULL")
    ds = catalog.dataset(stage.table)
    cols = [stage.key] + [c for c in stage.link_inputs if c != stage.key]
    parts = [rows for _, rows in pending_by_fragment(ds, cols, need)]
    if not parts:
        return 0, 0
    by_fragment = [rows.column(stage.key) for rows in parts]
    pending = pa.concat_tables(parts)
    result = stage.link(catalog, pending)
    index = {k: i for i, k in enumerate(result.column(stage.key).to_pylist())}
    progress.start(f"{stage.name}: link", len(by_fragment))
    for keys in by_fragment:
        take = [index[k] for k in keys.to_pylist() if k in index]
        if take:
            write_columns(catalog.dataset(stage.table), stage.key, result.take(pa.array(take)))
        progress.advance(1)
    return pending.num_rows, len(by_fragment)


def run_stage(catalog: Catalog, stage: Stage, *, episode_ids: list[str] | None = None,
              force: bool = False, redo: bool = False, batch_size: int | None = None,
              progress: Progress | None = None, cleanup_after_s: float = 60.0) -> StageReport:
    progress = progress or Progress(quiet=True)
    t0 = time.perf_counter()
    report = StageReport(stage=stage.name, backend=stage.backend, status="nothing-to-do")
    scope = and_filters(stage.where, sql_in("episode_id", episode_ids) if episode_ids else None)
    ds = catalog.dataset(stage.table)
    lacking = [c for c in stage.requires if c not in ds.schema.names]
    if lacking:
        report.notes.append(f"waits for {', '.join(lacking)} (run the stage that makes it first)")
        report.seconds = time.perf_counter() - t0
        return report
    declared = {f.name for f in stage.declared_columns()}
    fresh = not declared <= set(ds.schema.names)
    select = _selection(stage, scope, force, redo)
    todo = ds.count_rows(select) if not fresh else ds.count_rows(scope)
    link_todo = 0
    if stage.link_outputs and not fresh:
        link_todo = ds.count_rows(and_filters(scope, f"{stage.link_marker} IS NULL"))
    if todo == 0 and link_todo == 0:  # with --force, todo already counts every row in scope
        report.seconds = time.perf_counter() - t0
        return report

    stage.bind(catalog)
    if todo:
        stage.prepare()  # weights fetched or a clear error, before anything is written
    started = now_iso()
    catalog.ensure_columns(stage.table, stage.declared_columns())
    t_fill = time.perf_counter()
    if todo:
        progress.start(stage.name, todo)
        filled = fill_missing(catalog, stage.table, stage.key, stage.inputs, select,
                              _compute_fn(catalog, stage, batch_size or stage.default_batch_size, progress))
        report.rows, report.fragments = filled.rows, filled.fragments
    t_link = time.perf_counter()
    report.fill_seconds = t_link - t_fill
    if stage.link_outputs:
        # recomputed rows (--force, --redo) are regrouped too: new settings mean new groups
        report.linked, frags = _link(catalog, stage, scope, force or (redo and report.rows > 0), progress)
        report.fragments += frags
    report.link_seconds = time.perf_counter() - t_link
    progress.finish()
    for table in [stage.table, *stage.owns]:
        compact(catalog, table, cleanup_after_s)
    report.status = "done"
    report.notes += stage.summary()
    report.run_id = record_run(
        catalog, stage=stage.name, version=stage.version, backend=stage.backend, params=stage.params(),
        weights_sha=stage.weights_sha(), config_id=stage.config_id(), rows=report.rows,
        fragments=report.fragments, started=started,
    )
    report.seconds = time.perf_counter() - t0
    return report


def run_pipeline(catalog: Catalog, config: Config, names: list[str] | None = None, **kw) -> list[StageReport]:
    device = kw.pop("device", "auto")
    chosen = names or available_stages()
    for n in chosen:
        if n not in available_stages():
            raise UnknownStage(n, available_stages())
    stages = [build_stage(n, config, device) for n in sorted(chosen, key=ORDER.index)]
    cleanup = float(config.section("catalog").get("cleanup_after_s", 60))
    return [run_stage(catalog, s, cleanup_after_s=cleanup, **kw) for s in stages]
