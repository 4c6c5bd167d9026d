"""The `catalog` section of the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from celvault.settings import setting


@dataclass(frozen=True)
class CatalogSettings:
    rows_per_fragment: int = setting(1024, "unit of work and of commit: a crash loses at most one", min=1)
    cleanup_after_s: float = setting(60, "old versions kept this long after a stage compacts", min=0)
