"""Keeping tables fast: compaction after a stage, and cleanup of old versions."""

from __future__ import annotations

from datetime import timedelta

from .store import Catalog

# Tables whose row order is the catalogue order (episodes as ingested, frames in time order:
# query pages scan in it). Lance's compaction puts every fragment it rewrites at the end of the
# list, so these are never compacted: ingest writes whole fragments (one partial one per
# episode) and stages rewrite columns in place, so they stay few and full anyway.
KEEP_ORDER = frozenset({"frames"})


def compact(catalog: Catalog, table: str, cleanup_after_s: float = 60.0) -> None:
    """Merge the small data files left by per-fragment commits; drop versions past the window.

    Fragments are kept at the catalogue's rows-per-fragment size so they stay the unit of
    work (a crash still loses at most one fragment).
    """
    ds = catalog.dataset(table)
    if len(ds.versions()) <= 1 and len(ds.get_fragments()) <= 1:
        return
    if table not in KEEP_ORDER:
        ds.optimize.compact_files(target_rows_per_fragment=catalog.rows_per_fragment, materialize_deletions=True)
    catalog.dataset(table).cleanup_old_versions(older_than=timedelta(seconds=cleanup_after_s))
