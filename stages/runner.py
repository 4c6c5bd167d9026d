"""Runs stages over the catalogue: missing rows, batching, commits, provenance, compaction."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field

from celvault import registry
from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters
from celvault.catalog.indexes import ensure_scalar_index, ensure_vector_index
from celvault.catalog.maintenance import compact
from celvault.catalog.settings import CatalogSettings
from celvault.catalog.provenance import begin_run, finish_run, now_iso, unfinished_run
from celvault.catalog.store import sql_in
from celvault.config import Config
from celvault.errors import UnknownStage
from celvault.progress import Progress
from celvault.run_options import RunOptions

from .base import Stage
from .guards import refuse_mixing, replace_conflicting_columns
from .row_errors import ErrorTally
from .row_runner import fill_rows, link_rows, selection
from .stage_settings import check_config, stage_settings
from .table_job import TableJob


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
    """Every registered stage, in pipeline order."""
    return registry.stage_order()


def build_stages(name: str, config: Config, run: RunOptions | None = None) -> list[Stage]:
    """The runnable parts of a stage: one per backend (caption may list several) and per
    target table (embed, caption: frames and character layers). None when it is off."""
    if name not in available_stages():
        raise UnknownStage(name, available_stages())
    run = run or RunOptions(download=download_allowed(config))
    settings = stage_settings(name, config)
    if not settings.enabled:
        return []
    cls = registry.load("stage", name)
    uses = {used: stage_settings(used, config) for used in cls.uses}  # tag embeds with embed's model
    backends = settings.backend if isinstance(settings.backend, list) else [settings.backend]
    parts: list[Stage] = []
    for backend in backends:
        one = dataclasses.replace(settings, backend=backend)
        stage = cls(one, run, uses)
        parts += stage.parts() if hasattr(stage, "parts") else [stage]
    for part in parts:
        part.config_data = config.data  # what a worker process or machine rebuilds the part from
    return parts


def download_allowed(config: Config) -> bool:
    from celvault.config import ModelsSettings

    return config.typed("models", ModelsSettings).download


def build_stage(name: str, config: Config, run: RunOptions | None = None) -> Stage | None:
    """The stage's first part (its main table), or None when the profile turns it off."""
    parts = build_stages(name, config, run)
    return parts[0] if parts else None


def run_stage(catalog: Catalog, stage: Stage, *, progress: Progress | None = None,
              cleanup_after_s: float = 60.0) -> StageReport:
    """Run one stage part with the run options it was built with."""
    progress = progress or Progress(quiet=True)
    opts = stage.run_options
    t0 = time.perf_counter()
    report = StageReport(stage=stage.name, backend=stage.backend, status="nothing-to-do", table=stage.table)
    scope = and_filters(stage.where, sql_in("episode_id", list(opts.episode_ids)) if opts.episode_ids else None)
    ds = catalog.dataset(stage.table)
    lacking = [c for c in stage.requires if c not in ds.schema.names]
    reason = None if lacking else stage.skip_reason()
    if lacking or reason:
        report.status = "skipped" if reason else report.status
        report.notes.append(reason or f"waits for {', '.join(lacking)} (run the stage that makes it first)")
        report.seconds = time.perf_counter() - t0
        return report
    if isinstance(stage, TableJob):
        return _run_job(catalog, stage, report, scope, progress, cleanup_after_s, t0)
    return _run_rows(catalog, stage, report, scope, progress, cleanup_after_s, t0)


def _run_rows(catalog, stage, report, scope, progress, cleanup_after_s, t0) -> StageReport:
    opts = stage.run_options
    episodes = list(opts.episode_ids) if opts.episode_ids else None
    recompute = opts.force or opts.redo
    refuse_mixing(catalog, stage, recompute, episodes)
    ds = catalog.dataset(stage.table)
    fresh = not set(stage.declared_names()) <= set(ds.schema.names)
    has_errors = stage.error_column in ds.schema.names
    select = selection(stage, scope, opts.force, opts.redo, has_errors)
    todo = ds.count_rows(select) if not fresh else ds.count_rows(scope)
    linked = hasattr(stage, "link")
    link_todo = 0
    if linked and not fresh:
        link_todo = ds.count_rows(and_filters(scope, f"{stage.marker} IS NOT NULL AND {stage.link_marker} IS NULL"))
    killed = unfinished_run(catalog, stage=stage.name, config_id=stage.config_id(), target=stage.table)
    if todo == 0 and link_todo == 0:  # with --force, todo already counts every row in scope
        if killed:  # its work is all committed; what it did not get to: compaction, indexes, its runs row
            report.status = "done"
            report.notes.append("completed an interrupted run (compaction, indexes, provenance)")
            return _finish(catalog, stage, report, [stage.table, *stage.owns], killed, cleanup_after_s, t0)
        report.seconds = time.perf_counter() - t0
        return report
    if replace_conflicting_columns(catalog, stage, recompute, episodes):
        todo = catalog.dataset(stage.table).count_rows(scope)
    if todo:
        stage.prepare()  # weights fetched or a clear error, before anything is written
    run = killed or _begin(catalog, stage, todo)
    catalog.ensure_columns(stage.table, stage.declared_columns() + [stage.error_field()])
    t_fill = time.perf_counter()
    tally = ErrorTally()
    if todo:
        progress.start(stage.name, todo)
        report.rows, report.fragments = fill_rows(catalog, stage, select, opts.batch_size or stage.default_batch_size,
                                                  progress, tally, todo)
    t_link = time.perf_counter()
    report.fill_seconds = t_link - t_fill
    if linked:
        # recomputed rows (--force, --redo) are regrouped too: new settings mean new groups
        report.linked, frags = link_rows(catalog, stage, scope, opts.force or (opts.redo and report.rows > 0), progress)
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


def keep_indexes(catalog: Catalog, stage: Stage) -> list[str]:
    """The indexes the stage declares, created or brought up to date; report lines."""
    lines = []
    for spec in stage.indexes():
        if spec.kind == "VECTOR":
            line = ensure_vector_index(catalog, spec.table, spec.column, spec.min_rows, spec.index_type)
            lines += [line] if line else []
        else:
            ensure_scalar_index(catalog, spec.table, spec.column, spec.kind)
    return lines


def _finish(catalog, stage, report, tables, run, cleanup_after_s, t0) -> StageReport:
    """After a stage wrote: compact what it wrote, keep indexes current, complete its runs row."""
    for table in tables:
        compact(catalog, table, cleanup_after_s)
    report.notes += keep_indexes(catalog, stage)
    report.run_id = finish_run(catalog, run, report.fragments)
    report.seconds = time.perf_counter() - t0
    return report


def _run_job(catalog, stage: TableJob, report, scope, progress, cleanup_after_s, t0) -> StageReport:
    """A stage that works on a table as a whole (cluster): it finds its own work."""
    run = unfinished_run(catalog, stage=stage.name, config_id=stage.config_id(), target=stage.table)
    resumed = run is not None

    def begin(rows: int) -> None:
        nonlocal run
        run = run or _begin(catalog, stage, rows)

    done = stage.apply(catalog, scope=scope, progress=progress, begin=begin)
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


def run_pipeline(catalog: Catalog, config: Config, names: list[str] | None = None, run: RunOptions | None = None,
                 progress: Progress | None = None, on_report=None) -> list[StageReport]:
    run = run or RunOptions(download=download_allowed(config))
    order = available_stages()
    chosen = names or order
    for n in chosen:
        if n not in order:
            raise UnknownStage(n, order)
    check_config(config)
    cleanup = config.typed("catalog", CatalogSettings).cleanup_after_s
    # every stage and backend is built (settings checked) before any of them runs: a typo
    # in the last stage's settings fails now, not after hours of the first ones
    planned = [(name, build_stages(name, config, run)) for name in sorted(chosen, key=order.index)]
    for _, parts in planned:
        for part in parts:
            part.check_settings()
    on_report = on_report or (lambda report: None)
    reports = []
    for name, parts in planned:
        if not parts:
            reports.append(StageReport(stage=name, backend="-", status="off",
                                       notes=[f"off in this profile (stages.{name}.enabled: false)"]))
            on_report(reports[-1])
        for part in parts:
            try:
                reports.append(run_stage(catalog, part, progress=progress, cleanup_after_s=cleanup))
            except Exception as exc:
                exc.celvault_stage = name  # for the one-line error after the stages that completed
                raise
            on_report(reports[-1])
    return reports
