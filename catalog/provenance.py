"""Provenance: one `runs` row for every stage run that did work.

The row is written before the run's first data commit (status `running`) and completed
after its last (`finished`): a run killed in between leaves its row `running`, and the next
run of the same stage, configuration and table takes it over and completes it, so a killed
and rerun stage leaves the same `runs` row as an uninterrupted one (`rows_done` is what the
run set out to do; `fragments_done` counts commits, a physical measure).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pyarrow as pa

from .store import Catalog, sql_str

RUNNING, FINISHED = "running", "finished"
TARGET = pa.field("target", pa.string())  # the table the run filled (stages such as embed fill two)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def unfinished_run(catalog: Catalog, *, stage: str, config_id: str, target: str) -> dict | None:
    """The `running` row of a run of this stage, configuration and table that was killed."""
    ds = catalog.dataset("runs")
    if TARGET.name not in ds.schema.names:
        return None
    where = (f"status = '{RUNNING}' AND stage = {sql_str(stage)} AND config_id = {sql_str(config_id)} "
             f"AND {TARGET.name} = {sql_str(target)}")
    rows = ds.to_table(filter=where).to_pylist()
    return max(rows, key=lambda r: r["started"]) if rows else None


def begin_run(catalog: Catalog, *, stage: str, version: int, backend: str, params: dict,
              weights_sha: str | None, config_id: str, rows: int, target: str, started: str) -> dict:
    # A run is an event: its id is the configuration plus when it started.
    run_id = hashlib.sha256(f"{config_id}|{started}".encode()).hexdigest()[:16]
    row = {
        "run_id": run_id, "stage": stage, "stage_version": version, "backend": backend,
        "params": json.dumps(params, sort_keys=True, default=str), "weights_sha": weights_sha,
        "config_id": config_id, "rows_done": rows, "fragments_done": 0,
        "started": started, "finished": None, "status": RUNNING, TARGET.name: target,
    }
    catalog.ensure_columns("runs", [TARGET])
    catalog.append("runs", pa.Table.from_pylist([row]))
    return row


def finish_run(catalog: Catalog, run: dict, fragments: int) -> str:
    from .fill import write_columns

    done = pa.table({"run_id": [run["run_id"]], "fragments_done": pa.array([run["fragments_done"] + fragments], pa.int32()),
                     "finished": [now_iso()], "status": [FINISHED]})
    write_columns(catalog.dataset("runs"), "run_id", done)
    return run["run_id"]
