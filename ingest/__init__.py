"""Ingest: episodes (video files or frame folders) into the catalogue. A source, not a stage."""

from .ingest import IngestReport, ingest_paths

__all__ = ["IngestReport", "ingest_paths"]
