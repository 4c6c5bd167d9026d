"""Running a row stage: the pending rows, unit by unit (one fragment each), then its
cross-row pass when it has one."""

from __future__ import annotations

import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters, pending_by_fragment, write_columns
from celvault.catalog.store import sql_str
from celvault.progress import Progress

from .inputs import ReadOnlyView, ShotFrames
from .pipelined import fill_rows_pipelined, worker_count
from .row_errors import ErrorTally
from .work_unit import commit, compute


def selection(stage, scope: str | None, force: bool, redo: bool, has_errors: bool) -> str | None:
    """The rows of `scope` this run computes."""
    if force:
        return scope
    missing = f"{stage.marker} IS NULL"
    if has_errors and not redo:  # a row that failed is done (its error says why) until --redo
        missing = f"{missing} AND {stage.error_column} IS NULL"
    if redo:
        cfg = stage.config_column
        missing = f"{missing} OR {cfg} IS NULL OR {cfg} != {sql_str(stage.config_id())}"
    return and_filters(scope, missing)


def fill_rows(catalog: Catalog, stage, select: str | None, batch_size: int, progress: Progress,
              tally: ErrorTally, todo: int = 0) -> tuple[int, int]:
    """Compute and commit every pending unit; (rows, units). The run options choose where:
    Ray (`executor: ray`), worker processes on this machine (`workers`, by default one per core
    when there are `todo` rows enough to share), or this process."""
    opts = stage.run_options
    if opts.executor == "ray":
        from .ray_executor import fill_rows_ray

        return fill_rows_ray(catalog, stage, select, batch_size, progress, tally)
    cols = [stage.key] + [c for c in stage.inputs if c != stage.key]
    units = pending_by_fragment(catalog.dataset(stage.table), cols, select)
    workers = worker_count(opts.workers, todo, batch_size) if stage.config_data is not None else 1
    if workers > 1:
        return fill_rows_pipelined(catalog, stage, units, batch_size, workers, progress, tally)
    if stage.shot_frames_needed:
        stage.shot_frames = ShotFrames(catalog)
    rows_done = done = 0
    for _fragment, rows in units:
        result = compute(catalog, stage, rows, batch_size, progress.advance)
        tally.add(result.failed)
        commit(catalog, stage, result)
        rows_done += rows.num_rows
        done += 1
    return rows_done, done


def pending_fragments(catalog: Catalog, stage, select: str | None) -> list[int]:
    """Ids of the fragments holding rows `select` picks."""
    return [fragment for fragment, _ in pending_by_fragment(catalog.dataset(stage.table), [stage.key], select)]


def link_rows(catalog: Catalog, stage, scope: str | None, force: bool, progress: Progress) -> tuple[int, int]:
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
    result = stage.link(pending, ReadOnlyView(catalog))
    index = {k: i for i, k in enumerate(result.column(stage.key).to_pylist())}
    progress.start(f"{stage.name}: link", len(by_fragment))
    for keys in by_fragment:
        take = [index[k] for k in keys.to_pylist() if k in index]
        if take:
            write_columns(catalog.dataset(stage.table), stage.key, result.take(pa.array(take)))
        progress.advance(1)
    return pending.num_rows, len(by_fragment)
