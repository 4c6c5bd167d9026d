"""Checks before a stage writes: outputs of two models never share a column."""

from __future__ import annotations

from celvault.catalog import Catalog
from celvault.errors import ConfigError

from .base import Stage


def refuse_mixing(catalog: Catalog, stage: Stage, recompute: bool, episode_ids) -> None:
    """Outputs of another model must not sit beside this one's (vectors of two embedding
    models are not comparable): only --redo/--force over every episode replaces them."""
    foreign = stage.foreign_filter()
    ds = catalog.dataset(stage.table)
    if not foreign or stage.marker not in ds.schema.names or (recompute and not episode_ids):
        return
    other = ds.count_rows(foreign)
    if other:
        column, mine = stage.model_column()
        theirs = ds.to_table(columns=[column], filter=foreign, limit=1).column(column)[0].as_py()
        raise ConfigError(f"{stage.table}.{stage.marker} holds values of {theirs} ({other} rows); {stage.name} "
                          f"[{stage.backend}] makes {mine}: run `celvault run {stage.name} --redo` (every episode) "
                          "to recompute them all")


def replace_conflicting_columns(catalog: Catalog, stage: Stage, recompute: bool, episode_ids) -> bool:
    """An output column whose type changed (another embedding model: another vector size)
    can only be replaced whole: with --redo/--force over every episode, else a clear error.
    Returns whether columns were dropped."""
    schema = catalog.dataset(stage.table).schema
    clash = [f for f in stage.declared_columns() if f.name in schema.names and schema.field(f.name).type != f.type]
    if not clash:
        return False
    f = clash[0]
    if not recompute or episode_ids:
        raise ConfigError(
            f"{stage.table}.{f.name} holds {schema.field(f.name).type} values; {stage.name} [{stage.backend}] makes "
            f"{f.type}: run `celvault run {stage.name} --redo` (every episode) to recompute them all")
    catalog.dataset(stage.table).drop_columns([c.name for c in stage.declared_columns() if c.name in schema.names])
    return True
