"""Runs stages over the catalogue: missing rows, batching, commits, provenance, compaction."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import pyarrow as pa

from celvault import registry
from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters, fill_missing, pending_by_fragment, write_columns
from celvault.catalog.maintenance import compact
from celvault.catalog.provenance import begin_run, finish_run, now_iso, unfinished_run
from celvault.catalog.store import sql_in, sql_str
from celvault.config import Config
from celvault.errors import UnknownStage
from celvault.progress import Progress

from . import ORDER
from .base import Stage
from .guards import refuse_mixing, replace_conflicting_columns
from .row_errors import ErrorTally, error_rows, run_isolated


@dataclass
class StageReport:
    stage: str
    backend: str
    status: str  # done | nothing-to-do | off | skipped
    table: str = "frames"
    rows: int = 0
    fragments: int = 0
    linked: int = 0
    errors: int = 0  # rows whose run raised (recorded in <stage>_error)
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


def _stage_settings(name: str, config: Config) -> dict:
    settings = config.stage(name)
    settings["_download"] = bool(config.section("models").get("download", True))
    return settings


def stage_enabled(name: str, config: Config) -> bool:
    return config.stage(name).get("enabled", True) is not False


def build_stages(name: str, config: Config, device: str = "auto") -> list[Stage]:
    """The runnable parts of a stage: one per backend (caption may list several) and per
    target table (embed, caption: frames and character layers). None when it is off."""
    if name not in available_stages():
        raise UnknownStage(name, available_stages())
    if not stage_enabled(name, config):
        return []
    cls = registry.load("stage", name)
    settings = _stage_settings(name, config)
    for used in cls.uses:  # e.g. tag embeds its vocabulary with embed's model
        settings[f"_{used}"] = _stage_settings(used, config)
    backends = settings.get("backend")
    parts: list[Stage] = []
    for backend in backends if isinstance(backends, list) else [backends]:
        one = dict(settings)
        if backend is not None:
            one["backend"] = backend
        parts += cls(one, device=device).parts()
    return parts


def build_stage(name: str, config: Config, device: str = "auto") -> Stage | None:
    """The stage's first part (its main table), or None when the profile turns it off."""
    parts = build_stages(name, config, device)
    return parts[0] if parts else None


def _selection(stage: Stage, scope: str | None, force: bool, redo: bool, has_errors: bool) -> str | None:
    if force:
        return scope
    missing = f"{stage.marker} IS NULL"
    if has_errors and not redo:  # a row that failed is done (its error says why) until --redo
        missing = f"{missing} AND {stage.error_column} IS NULL"
    if redo:
        cfg = stage.config_column
        missing = f"{missing} OR {cfg} IS NULL OR {cfg} != {sql_str(stage.config_id())}"
    return and_filters(scope, missing)


def _compute_fn(catalog: Catalog, stage: Stage, batch_size: int, progress: Progress, tally: ErrorTally):
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
            worked, failed = run_isolated(stage, batch)
            for done, cols in worked:
                parts.append(_outputs(catalog, stage, done, cols, cid, resets))
            if failed:
                tally.add(failed)
                parts.append(error_rows(stage, failed, cid, resets))
            progress.advance(batch.num_rows)
        return pa.concat_tables([p.select(parts[0].column_names) for p in parts])

    return compute


def _outputs(catalog: Catalog, stage: Stage, batch: pa.Table, cols: dict, cid: str, resets) -> pa.Table:
    for table in stage.owns:  # media first, then the rows that point at it
        catalog.append(table, cols.get(table))
    arrays = {stage.key: batch.column(stage.key)}
    for f in stage.outputs:
        v = cols[f.name]
        arrays[f.name] = v.cast(f.type) if isinstance(v, pa.Array) else pa.array(v, type=f.type)
    arrays[stage.config_column] = pa.array([cid] * batch.num_rows, pa.string())
    arrays[stage.error_column] = pa.nulls(batch.num_rows, pa.string())
    for f in resets:
        arrays[f.name] = pa.nulls(batch.num_rows, f.type)
    return pa.table(arrays)


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
    report = StageReport(stage=stage.name, backend=stage.backend, status="nothing-to-do", table=stage.table)
    scope = and_filters(stage.where, sql_in("episode_id", episode_ids) if episode_ids else None)
    ds = catalog.dataset(stage.table)
    lacking = [c for c in stage.requires if c not in ds.schema.names]
    reason = None if lacking else stage.skip_reason()
    if lacking or reason:
        report.status = "skipped" if reason else report.status
        report.notes.append(reason or f"waits for {', '.join(lacking)} (run the stage that makes it first)")
        report.seconds = time.perf_counter() - t0
        return report
    if stage.whole_table:
        return _run_whole(catalog, stage, report, scope, force, redo, progress, cleanup_after_s, t0)
    refuse_mixing(catalog, stage, force or redo, episode_ids)
    fresh = not set(stage.declared_names()) <= set(ds.schema.names)
    has_errors = stage.error_column in ds.schema.names
    select = _selection(stage, scope, force, redo, has_errors)
    todo = ds.count_rows(select) if not fresh else ds.count_rows(scope)
    link_todo = 0
    if stage.link_outputs and not fresh:
        link_todo = ds.count_rows(and_filters(scope, f"{stage.marker} IS NOT NULL AND {stage.link_marker} IS NULL"))
    killed = unfinished_run(catalog, stage=stage.name, config_id=stage.config_id(), target=stage.table)
    if todo == 0 and link_todo == 0:  # with --force, todo already counts every row in scope
        if killed:  # its work is all committed; what it did not get to: compaction, indexes, its runs row
            report.status = "done"
            report.notes.append("completed an interrupted run (compaction, indexes, provenance)")
            return _finish(catalog, stage, report, [stage.table, *stage.owns], killed, cleanup_after_s, t0)
        report.seconds = time.perf_counter() - t0
        return report
    if replace_conflicting_columns(catalog, stage, force or redo, episode_ids):
        todo = catalog.dataset(stage.table).count_rows(scope)

    stage.bind(catalog)
    if todo:
        stage.prepare()  # weights fetched or a clear error, before anything is written
    run = killed or _begin(catalog, stage, todo)
    catalog.ensure_columns(stage.table, stage.declared_columns() + [stage.error_field()])
    t_fill = time.perf_counter()
    tally = ErrorTally()
    if todo:
        progress.start(stage.name, todo)
        filled = fill_missing(catalog, stage.table, stage.key, stage.inputs, select,
                              _compute_fn(catalog, stage, batch_size or stage.default_batch_size, progress, tally))
        report.rows, report.fragments = filled.rows, filled.fragments
    t_link = time.perf_counter()
    report.fill_seconds = t_link - t_fill
    if stage.link_outputs:
        # recomputed rows (--force, --redo) are regrouped too: new settings mean new groups
        report.linked, frags = _link(catalog, stage, scope, force or (redo and report.rows > 0), progress)
        report.fragments += frags
    report.link_seconds = time.perf_counter() - t_link
    progress.finish()
    report.status = "done"
    report.errors = tally.count
    report.notes += stage.summary() + tally.notes(stage)
    return _finish(catalog, stage, report, [stage.table, *stage.owns], run, cleanup_after_s, t0)


def _begin(catalog: Catalog, stage: Stage, rows: int) -> dict:
    """The run's `runs` row, written before its first data commit (see catalog.provenance)."""
    return begin_run(catalog, stage=stage.name, version=stage.version, backend=stage.backend, params=stage.params(),
                     weights_sha=stage.weights_sha(), config_id=stage.config_id(), rows=rows, target=stage.table,
                     started=now_iso())


def _finish(catalog, stage, report, tables, run, cleanup_after_s, t0) -> StageReport:
    """After a stage wrote: compact what it wrote, keep indexes current, complete its runs row."""
    for table in tables:
        compact(catalog, table, cleanup_after_s)
    report.notes += stage.after(catalog)
    report.run_id = finish_run(catalog, run, report.fragments)
    report.seconds = time.perf_counter() - t0
    return report


def _run_whole(catalog, stage, report, scope, force, redo, progress, cleanup_after_s, t0) -> StageReport:
    """A stage that works on a table as a whole (cluster): it finds its own work."""
    stage.bind(catalog)
    run = unfinished_run(catalog, stage=stage.name, config_id=stage.config_id(), target=stage.table)
    resumed = run is not None

    def begin(rows: int) -> None:
        nonlocal run
        run = run or _begin(catalog, stage, rows)

    done = stage.apply(catalog, scope=scope, force=force, redo=redo, progress=progress, begin=begin)
    progress.finish()
    report.notes += done.notes
    if done.rows == 0 and not resumed:
        report.seconds = time.perf_counter() - t0
        return report
    if done.rows == 0:
        report.notes.append("completed an interrupted run (compaction, indexes, provenance)")
    report.status, report.rows, report.fragments = "done", done.rows, done.commits
    begin(done.rows)  # a stage that did not call it still gets its runs row
    return _finish(catalog, stage, report, done.tables or (stage.table,), run, cleanup_after_s, t0)


def run_pipeline(catalog: Catalog, config: Config, names: list[str] | None = None, **kw) -> list[StageReport]:
    device = kw.pop("device", "auto")
    chosen = names or available_stages()
    for n in chosen:
        if n not in available_stages():
            raise UnknownStage(n, available_stages())
    cleanup = float(config.section("catalog").get("cleanup_after_s", 60))
    # every stage and backend is built (settings checked) before any of them runs: a typo
    # in the last stage's settings fails now, not after hours of the first ones
    planned = [(name, build_stages(name, config, device)) for name in sorted(chosen, key=ORDER.index)]
    for _, parts in planned:
        for part in parts:
            part.check_settings()
    on_report = kw.pop("on_report", None) or (lambda report: None)
    reports = []
    for name, parts in planned:
        if not parts:
            reports.append(StageReport(stage=name, backend="-", status="off",
                                       notes=[f"off in this profile (stages.{name}.enabled: false)"]))
            on_report(reports[-1])
        for part in parts:
            try:
                reports.append(run_stage(catalog, part, cleanup_after_s=cleanup, **kw))
            except Exception as exc:
                exc.celvault_stage = name  # for the one-line error after the stages that completed
                raise
            on_report(reports[-1])
    return reports
