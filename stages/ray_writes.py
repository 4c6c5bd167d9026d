"""Distributed writes: workers write Lance data files, the driver commits them.

A worker (any process, any machine that reaches the catalogue) writes what a unit made as
data files that no version of the table refers to yet, and hands back their metadata:
- new rows (layers, layer_media, ingest's frames and media): `lance.fragment.write_fragments`
  -> new `FragmentMetadata`, committed with `LanceOperation.Append`;
- the unit's output columns of its own fragment: `LanceFragment.update_columns` (a join on
  the table's key that writes new column files for that fragment only) -> the fragment's new
  metadata and the field ids it changed, committed with `LanceOperation.Update(...,
  update_mode="rewrite_columns")`: what `merge_insert(...).write_mode("rewrite_columns")`
  does in one process, split in two.

Only the driver commits, one unit at a time, in a fixed order. Files a worker wrote but the
driver never committed (a worker killed after writing, a retried unit) belong to no version:
they are invisible and the stage's compaction and cleanup of old versions delete them.
Nothing here imports Ray.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lance
import pyarrow as pa
from lance import LanceOperation
from lance.fragment import write_fragments

from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters
from celvault.catalog.schema import KEYS
from celvault.catalog.store import sql_in
from celvault.errors import CatalogConflict


@dataclass
class NewRows:
    """Rows written as uncommitted fragments of one table."""

    fragments: list  # FragmentMetadata
    keys: list[str] = field(default_factory=list)  # the table's key of every row written


@dataclass
class WrittenUnit:
    """What a worker wrote for one unit: all of it still uncommitted."""

    keys: list[str]  # the unit's rows (the stage table's key)
    owned: dict[str, NewRows] = field(default_factory=dict)  # table -> new rows (layers, media)
    columns: tuple | None = None  # (fragment metadata, modified field ids, version it was read at)
    failed: list[tuple[str, str]] = field(default_factory=list)
    tallies: dict = field(default_factory=dict)  # the stage's report counts (Stage.take_tallies)


def write_rows(catalog: Catalog, table: str, data: pa.Table) -> NewRows:
    """Write `data` as new fragments of `table` (the table's schema, its fragment size); uncommitted."""
    ds = catalog.dataset(table)
    frags = write_fragments(catalog.conform(table, data), catalog.uri(table), schema=ds.schema,
                            max_rows_per_file=catalog.rows_per_fragment,
                            data_storage_version=ds.data_storage_version)
    key = KEYS.get(table)
    return NewRows(frags, data.column(key).to_pylist() if key in data.column_names else [])


def write_unit(catalog: Catalog, stage, fragment_id: int, result) -> WrittenUnit:
    """Write a computed `UnitResult` of `stage` for the fragment `fragment_id`; uncommitted."""
    written = WrittenUnit(result.keys, failed=result.failed)
    for table in stage.owns:
        made = result.owned.get(table)
        if made:
            written.owned[table] = write_rows(catalog, table, pa.concat_tables(made))
    if result.columns.num_rows:
        ds = catalog.dataset(stage.table)
        meta, fields = ds.get_fragment(fragment_id).update_columns(result.columns, left_on=stage.key,
                                                                   right_on=stage.key)
        written.columns = (meta, list(fields), ds.version)
    return written


def commit_rows(catalog: Catalog, table: str, rows: NewRows) -> None:
    """Make written fragments part of `table` (one Append commit), refusing to duplicate a key."""
    if not rows.fragments:
        return
    key = KEYS.get(table)
    if key and rows.keys and len(catalog.present_keys(table, key, pa.array(rows.keys, pa.string()))):
        raise CatalogConflict(f"{table}: rows written on a worker are in the table already; "
                              "another writer changed it during the run")
    lance.LanceDataset.commit(catalog.uri(table), LanceOperation.Append(rows.fragments),
                              read_version=catalog.dataset(table).version)


def commit_unit(catalog: Catalog, stage, written: WrittenUnit) -> None:
    """The driver's commit of one unit, in the order `work_unit.commit` writes: what the stage
    made before for these keys out (pointers first), the new owned rows in (media first),
    then the columns (one commit each)."""
    for table, where in reversed(list(stage.owns.items())):
        catalog.delete(table, and_filters(sql_in(stage.key, written.keys), where))
    for table in stage.owns:
        if table in written.owned:
            commit_rows(catalog, table, written.owned[table])
    if written.columns:
        meta, fields, read_version = written.columns
        op = LanceOperation.Update(updated_fragments=[meta], fields_modified=fields, update_mode="rewrite_columns")
        lance.LanceDataset.commit(catalog.uri(stage.table), op, read_version=read_version)
