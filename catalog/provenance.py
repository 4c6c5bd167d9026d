"""Provenance: one `runs` row for every stage run that did work."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pyarrow as pa

from .store import Catalog


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def record_run(catalog: Catalog, *, stage: str, version: int, backend: str, params: dict,
               weights_sha: str | None, config_id: str, rows: int, fragments: int,
               started: str, status: str = "finished") -> str:
    finished = now_iso()
    # A run is an event: its id is the configuration plus when it started.
    run_id = hashlib.sha256(f"{config_id}|{started}".encode()).hexdigest()[:16]
    row = {
        "run_id": run_id, "stage": stage, "stage_version": version, "backend": backend,
        "params": json.dumps(params, sort_keys=True, default=str), "weights_sha": weights_sha,
        "config_id": config_id, "rows_done": rows, "fragments_done": fragments,
        "started": started, "finished": finished, "status": status,
    }
    catalog.append("runs", pa.Table.from_pylist([row]))
    return run_id
