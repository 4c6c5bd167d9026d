"""The catalogue directory: one Lance dataset per table (`<db>/<table>.lance`, LanceDB's layout)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import lance
import pyarrow as pa
import pyarrow.compute as pc

from celvault.errors import CatalogError, CatalogNotFound

from .schema import KEYS, TABLES


# Test only: CELVAULT_TEST_KILL_AFTER_COMMITS=N makes this process SIGKILL itself right after
# its Nth Lance commit (any table), so crash tests can stop a run at every commit point.
KILL_AFTER_COMMITS = "CELVAULT_TEST_KILL_AFTER_COMMITS"


def _install_kill_hook(limit: int) -> None:
    from lance.dataset import DatasetOptimizer, LanceDataset, MergeInsertBuilder

    done = [0]

    def counted(fn):
        def wrapper(*args, **kwargs):
            result = fn(*args, **kwargs)
            done[0] += 1
            if done[0] >= limit:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapper

    lance.write_dataset = counted(lance.write_dataset)
    for cls, names in ((LanceDataset, ("delete", "add_columns", "drop_columns", "create_scalar_index", "create_index")),
                       (MergeInsertBuilder, ("execute",)), (DatasetOptimizer, ("compact_files", "optimize_indices"))):
        for name in names:
            setattr(cls, name, counted(getattr(cls, name)))


if os.environ.get(KILL_AFTER_COMMITS):
    _install_kill_hook(int(os.environ[KILL_AFTER_COMMITS]))


def sql_str(value: str) -> str:
    """A string literal for a Lance filter, quoted safely."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_in(column: str, values) -> str:
    return f"{column} IN ({', '.join(sql_str(v) for v in values)})"


INDEX_CACHE_BYTES = 1 << 30
METADATA_CACHE_BYTES = 256 << 20


class Catalog:
    def __init__(self, path: str | Path, rows_per_fragment: int = 1024):
        self.path = Path(path)
        self.rows_per_fragment = rows_per_fragment
        # one cache of opened indexes and file metadata for every table this object opens:
        # each `dataset()` is the latest version, but a query no longer reloads the indexes
        self._session = lance.Session(index_cache_size_bytes=INDEX_CACHE_BYTES,
                                      metadata_cache_size_bytes=METADATA_CACHE_BYTES)
        self._memo: dict = {}

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, **kw) -> tuple["Catalog", bool]:
        cat = cls(path, **kw)
        if cat.path.exists() and not cat.path.is_dir():
            raise CatalogError(f"{cat.path} exists and is not a catalogue directory")
        created = False
        try:
            cat.path.mkdir(parents=True, exist_ok=True)
            for name, schema in TABLES.items():
                if not cat.exists(name):
                    lance.write_dataset(schema.empty_table(), cat.uri(name))
                    created = True
        except OSError as exc:
            raise CatalogError(f"cannot create a catalogue at {cat.path}: {exc.strerror or exc}") from None
        return cat, created

    @classmethod
    def open(cls, path: str | Path, **kw) -> "Catalog":
        cat = cls(path, **kw)
        if not cat.exists("episodes") or not cat.exists("frames"):
            raise CatalogNotFound(cat.path)
        cat._add_new_tables()
        cat._add_new_columns("layers")
        return cat

    def _add_new_tables(self) -> None:
        """Tables added by a later celvault version start empty in an older catalogue."""
        for name, schema in TABLES.items():
            if not self.exists(name):
                try:
                    lance.write_dataset(schema.empty_table(), self.uri(name))
                except OSError as exc:
                    raise CatalogError(f"cannot add table {name} to {self.path}: {exc}") from None

    def _add_new_columns(self, table: str) -> None:
        """Base columns added by a later celvault version (layers: effect, prompt, score) are
        declared in an older catalogue's table (metadata only, all null); a catalogue that
        cannot be written stays as it is (appends then leave those columns out)."""
        ds = self.dataset(table)
        missing = [f for f in TABLES[table] if f.name not in ds.schema.names]
        if missing:
            try:
                ds.add_columns(missing)
            except (OSError, ValueError, RuntimeError):
                pass

    # -- tables --------------------------------------------------------------------------
    def uri(self, table: str) -> str:
        return str(self.path / f"{table}.lance")

    def exists(self, table: str) -> bool:
        return (self.path / f"{table}.lance" / "_versions").is_dir()

    def dataset(self, table: str) -> lance.LanceDataset:
        try:
            return lance.dataset(self.uri(table), session=self._session)
        except (ValueError, OSError) as exc:
            if not self.exists(table):
                raise CatalogNotFound(self.path) from None
            raise CatalogError(f"cannot open table {table}: {exc}") from None

    def memo(self, table: str, what: str, make):
        """`make(dataset)` of the table's current version, made once per version (small tables
        every query reads: identities, episode names)."""
        ds = self.dataset(table)
        key = (table, what, ds.version)
        if key not in self._memo:
            self._memo = {k: v for k, v in self._memo.items() if k[:2] != (table, what)}
            self._memo[key] = make(ds)
        return self._memo[key]

    def conform(self, table: str, data: pa.Table) -> pa.Table:
        """Reorder data to the table's schema, adding all-null columns it lacks."""
        schema = self.dataset(table).schema
        cols = []
        for field in schema:
            if field.name in data.column_names:
                cols.append(data.column(field.name).cast(field.type))
            else:
                cols.append(pa.nulls(data.num_rows, field.type))
        return pa.Table.from_arrays(cols, schema=schema)

    def append(self, table: str, data: pa.Table | None) -> int:
        """Append the rows whose key is not in the table yet (one row per key): appending
        the same rows twice, from a rerun or a second process, never duplicates a key.
        Returns the rows appended."""
        if data is None or data.num_rows == 0:
            return 0
        key = KEYS.get(table)
        if key and key in data.column_names:
            data = self._new_keys_only(table, key, data)
            if data.num_rows == 0:
                return 0
        lance.write_dataset(
            self.conform(table, data), self.uri(table), mode="append",
            max_rows_per_file=self.rows_per_fragment,
        )
        return data.num_rows

    def _new_keys_only(self, table: str, key: str, data: pa.Table) -> pa.Table:
        keys = data.column(key).to_pylist()
        if len(set(keys)) != len(keys):
            first: dict = {}
            for i, k in enumerate(keys):
                first.setdefault(k, i)
            data = data.take(pa.array(sorted(first.values())))
        present = self.present_keys(table, key, data.column(key))
        if len(present) == 0:
            return data
        return data.filter(pc.invert(pc.is_in(data.column(key), value_set=present)))

    def present_keys(self, table: str, key: str, keys: pa.ChunkedArray | pa.Array) -> pa.Array:
        """Which of `keys` the table holds already. With a BTree index on the key (or a large
        table and few keys): an indexed IN lookup per 1000 keys; otherwise one scan of the
        key column (fast: the key column only, never the blobs)."""
        ds = self.dataset(table)
        rows = ds.count_rows()
        keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
        if rows == 0 or len(keys) == 0:
            return pa.array([], keys.type)
        indexed = any(list(ix.field_names) == [key] for ix in ds.describe_indices())
        if indexed or (rows > 20 * len(keys) and len(keys) <= 1000):
            found = []
            values = keys.to_pylist()
            for start in range(0, len(values), 1000):
                where = sql_in(key, values[start:start + 1000])
                found.append(ds.to_table(columns=[key], filter=where).column(key).combine_chunks())
            return pa.concat_arrays(found).cast(keys.type)
        have = ds.to_table(columns=[key]).column(key).combine_chunks()
        return pc.filter(keys, pc.is_in(keys, value_set=have.cast(keys.type)))

    def ensure_columns(self, table: str, fields: list[pa.Field]) -> None:
        """Declare output columns up front: a metadata-only all-null column each."""
        ds = self.dataset(table)
        missing = [f for f in fields if f.name not in ds.schema.names]
        if missing:
            ds.add_columns(missing)

    def delete(self, table: str, where: str) -> None:
        ds = self.dataset(table)
        if ds.count_rows(where):
            ds.delete(where)

    def read(self, table: str, columns: list[str] | None = None, where: str | None = None) -> pa.Table:
        return self.dataset(table).to_table(columns=columns, filter=where)

    def count(self, table: str, where: str | None = None) -> int:
        return self.dataset(table).count_rows(where)

    def versions(self) -> dict[str, int]:
        """Each table's Lance version: what an export or a report was made from."""
        return {name: self.dataset(name).version for name in sorted(set(TABLES) | {"characters"}) if self.exists(name)}
