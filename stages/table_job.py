"""Whole-table jobs: a stage whose every output depends on all rows at once (cluster: an
identity is a cluster of the whole season's layers). The job selects its rows, computes, and
writes through the catalogue the runner hands it, calling `begin(rows)` before its first
commit so that the run is on record; the runner compacts, indexes and finishes the record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Stage


@dataclass
class WholeTableResult:
    rows: int = 0  # rows written
    commits: int = 0
    tables: tuple[str, ...] = ()  # tables written (compacted afterwards)
    notes: list[str] | None = None

    def __post_init__(self):
        self.notes = list(self.notes or [])


class TableJob(Stage):
    table: ClassVar[str]
    key: ClassVar[str]
    where: ClassVar[str | None] = None
    requires: ClassVar[list[str]] = []

    def apply(self, catalog, *, scope: str | None, progress, begin) -> WholeTableResult:
        """The whole work: select, compute and commit (force/redo/recluster in `run_options`)."""
        raise NotImplementedError
