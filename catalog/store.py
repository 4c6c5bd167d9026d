"""The catalogue directory: one Lance dataset per table (`<db>/<table>.lance`, LanceDB's layout)."""

from __future__ import annotations

from pathlib import Path

import lance
import pyarrow as pa

from celvault.errors import CatalogError, CatalogNotFound

from .schema import TABLES


def sql_str(value: str) -> str:
    """A string literal for a Lance filter, quoted safely."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_in(column: str, values) -> str:
    return f"{column} IN ({', '.join(sql_str(v) for v in values)})"


class Catalog:
    def __init__(self, path: str | Path, rows_per_fragment: int = 1024):
        self.path = Path(path)
        self.rows_per_fragment = rows_per_fragment

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
        return cat

    def _add_new_tables(self) -> None:
        """Tables added by a later celvault version start empty in an older catalogue."""
        for name, schema in TABLES.items():
            if not self.exists(name):
                try:
                    lance.write_dataset(schema.empty_table(), self.uri(name))
                except OSError as exc:
                    raise CatalogError(f"cannot add table {name} to {self.path}: {exc}") from None

    # -- tables --------------------------------------------------------------------------
    def uri(self, table: str) -> str:
        return str(self.path / f"{table}.lance")

    def exists(self, table: str) -> bool:
        return (self.path / f"{table}.lance" / "_versions").is_dir()

    def dataset(self, table: str) -> lance.LanceDataset:
        try:
            return lance.dataset(self.uri(table))
        except (ValueError, OSError) as exc:
            if not self.exists(table):
                raise CatalogNotFound(self.path) from None
            raise CatalogError(f"cannot open table {table}: {exc}") from None

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

    def append(self, table: str, data: pa.Table | None) -> None:
        if data is None or data.num_rows == 0:
            return
        lance.write_dataset(
            self.conform(table, data), self.uri(table), mode="append",
            max_rows_per_file=self.rows_per_fragment,
        )

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
