"""A unit of work: one fragment's pending rows for one stage part.

`WorkUnit` is a picklable description (catalogue path, stage, target table, backend, the
configuration, run options, fragment id, the selection and the config id it expects), so
another process or machine can rebuild the stage from the registry, compute the unit with
`execute(unit)`, and hand the `UnitResult` back. `compute` is the work: inputs fetched, the
stage run batch by batch with failing rows isolated; `commit` writes a result: what the
stage made before for these keys is deleted, the owned rows (layers, media) appended once,
then the columns written (one commit per table per unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters, write_columns
from celvault.catalog.store import sql_in
from celvault.run_options import RunOptions
from celvault.timing import phase

from .inputs import with_inputs
from .row_errors import error_rows, run_isolated


@dataclass(frozen=True)
class WorkUnit:
    catalog_path: str
    stage: str
    table: str  # the stage part (embed and caption have one per target table)
    backend: str | None
    config: dict  # the merged configuration (Config.data)
    run: RunOptions
    fragment_id: int
    select: str | None  # the rows of the fragment to compute
    config_id: str  # what the driver expects the rebuilt stage to write


@dataclass
class UnitResult:
    keys: list[str]
    columns: pa.Table  # key + outputs + config + error (+ reset columns)
    owned: dict[str, list[pa.Table]] = field(default_factory=dict)  # table -> new rows
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, error)


FETCH_ROWS = 32  # rows whose inputs are read from the catalogue at once (a whole number of batches)


def fetch_rows(batch_size: int) -> int:
    """Rows read at once for batches of `batch_size`: whole batches, about FETCH_ROWS."""
    return batch_size * max(1, -(-FETCH_ROWS // batch_size))


def compute(catalog: Catalog, stage, rows: pa.Table, batch_size: int, on_batch=None) -> UnitResult:
    """Run `stage` over `rows` (key + declared inputs) batch by batch; nothing is written."""
    cid = stage.config_id()
    schema = catalog.dataset(stage.table).schema
    resets = [schema.field(c) for c in stage.resets if c in schema.names]
    result = UnitResult(rows.column(stage.key).to_pylist(), pa.table({}))
    parts = []
    step = fetch_rows(batch_size)
    for start in range(0, rows.num_rows, batch_size):
        if start % step == 0:  # inputs are read for several batches at once: fewer, larger reads
            fetched = with_inputs(catalog, stage, rows.slice(start, step))
        batch = fetched.slice(start % step, batch_size)
        with phase("post"):  # what the stage does around its backend (which marks pre and model)
            worked, failed = run_isolated(stage, batch)
        for done, cols in worked:
            for table in stage.owns:
                made = cols.get(table)
                if made is not None and made.num_rows:
                    result.owned.setdefault(table, []).append(made)
            parts.append(_outputs(stage, done, cols, cid, resets))
        if failed:
            result.failed += failed
            parts.append(error_rows(stage, failed, cid, resets))
        if on_batch:
            on_batch(batch.num_rows)
    result.columns = pa.concat_tables([p.select(parts[0].column_names) for p in parts]) if parts else pa.table({})
    return result


def _outputs(stage, batch: pa.Table, cols: dict, cid: str, resets) -> pa.Table:
    arrays = {stage.key: batch.column(stage.key)}
    for f in stage.outputs:
        v = cols[f.name]
        arrays[f.name] = v.cast(f.type) if isinstance(v, pa.Array) else pa.array(v, type=f.type)
    arrays[stage.config_column] = pa.array([cid] * batch.num_rows, pa.string())
    arrays[stage.error_column] = pa.nulls(batch.num_rows, pa.string())
    for f in resets:
        arrays[f.name] = pa.nulls(batch.num_rows, f.type)
    return pa.table(arrays)


def commit(catalog: Catalog, stage, result: UnitResult) -> None:
    """Write one unit's result: old owned rows out, new owned rows in (media first), columns last."""
    with phase("commit"):
        _commit(catalog, stage, result)


def _commit(catalog: Catalog, stage, result: UnitResult) -> None:
    for table, where in reversed(list(stage.owns.items())):  # pointers first, then media
        catalog.delete(table, and_filters(sql_in(stage.key, result.keys), where))
    for table in stage.owns:
        made = result.owned.get(table)
        if made:
            catalog.append(table, pa.concat_tables(made))
    if result.columns.num_rows:
        write_columns(catalog.dataset(stage.table), stage.key, result.columns)


def read_unit(catalog: Catalog, stage, unit: WorkUnit) -> pa.Table:
    """The unit's pending rows (key + declared inputs), read from its fragment."""
    cols = [stage.key] + [c for c in stage.inputs if c != stage.key]
    return catalog.dataset(stage.table).get_fragment(unit.fragment_id).to_table(columns=cols, filter=unit.select)


def execute(unit: WorkUnit) -> UnitResult:
    """Compute a unit from its description alone (in another process or on another machine)."""
    catalog, stage = open_part(unit)
    rows = read_unit(catalog, stage, unit)
    return compute(catalog, stage, rows, unit.run.batch_size or stage.default_batch_size)


def rebuild(unit: WorkUnit):
    """The stage part a unit belongs to, rebuilt from its description; its config id must be
    the one the driver planned with (same celvault, same settings, same weights)."""
    from celvault.config import Config
    from celvault.errors import ConfigError

    from .runner import build_stages

    parts = [p for p in build_stages(unit.stage, Config(unit.config), unit.run)
             if p.table == unit.table and p.backend == (unit.backend or p.backend)]
    if not parts:
        raise ConfigError(f"stage {unit.stage} has no part for table {unit.table}")
    if parts[0].config_id() != unit.config_id:
        raise ConfigError(f"{unit.stage}: a worker's settings or weights give config {parts[0].config_id()}, the "
                          f"driver expects {unit.config_id} (the same celvault and weights are needed everywhere)")
    return parts[0]


def open_part(unit: WorkUnit):
    """(catalogue, stage part) rebuilt from a unit's description, weights checked: what a
    worker process or machine does once before computing units of that part."""
    catalog = Catalog.open(unit.catalog_path)
    stage = rebuild(unit)
    stage.shot_frames = _shot_reader(catalog, stage)
    stage.prepare()
    return catalog, stage


def describe(catalog_path: str, stage, fragment_id: int = -1, select: str | None = None) -> WorkUnit:
    """The unit description of `stage` (a built part) for one fragment (-1: none in particular)."""
    return WorkUnit(str(catalog_path), stage.name, stage.table, stage.backend, stage.config_data,
                    stage.run_options, fragment_id, select, stage.config_id())


def merge(results: list[UnitResult]) -> UnitResult:
    """Results of consecutive batches of one unit as one result, in order (as `compute` of
    the whole unit would have made it)."""
    merged = UnitResult([], pa.table({}))
    columns = []
    for r in results:
        merged.keys += r.keys
        merged.failed += r.failed
        for table, made in r.owned.items():
            merged.owned.setdefault(table, []).extend(made)
        if r.columns.num_rows:
            columns.append(r.columns)
    merged.columns = pa.concat_tables([c.select(columns[0].column_names) for c in columns]) if columns else pa.table({})
    return merged


def _shot_reader(catalog: Catalog, stage):
    from .inputs import ShotFrames

    return ShotFrames(catalog) if stage.shot_frames_needed else None


def plan_units(catalog: Catalog, catalog_path: str, stage, config, select: str | None) -> list[WorkUnit]:
    """One unit per fragment that holds rows matching `select`, in fragment order."""
    from .row_runner import pending_fragments

    return [WorkUnit(str(catalog_path), stage.name, stage.table, stage.backend, config.data, stage.run_options,
                     fragment, select, stage.config_id())
            for fragment in pending_fragments(catalog, stage, select)]
