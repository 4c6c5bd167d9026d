"""One bad row never stops a stage.

When a stage's `run(batch)` raises, the batch is split in halves until each failing row is
alone; the other rows get their outputs as usual. A failing row gets its outputs null, its
configuration column set (so a plain rerun does not retry it forever) and the error in
`<stage>_error`; `--redo` retries it, `celvault status` lists it. Errors a user causes or
fixes for the whole stage (missing weights, bad settings, a catalogue that cannot be
written: CelvaultError subclasses) still stop it; a plain CatalogError is about the row's
own stored data (an image that cannot be decoded) and stays with that row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from celvault.errors import CatalogError, CelvaultError

MAX_MESSAGE = 300


def stops_the_stage(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or (isinstance(exc, CelvaultError) and type(exc) is not CatalogError)


def message(exc: BaseException) -> str:
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}"[:MAX_MESSAGE]


def run_isolated(stage, batch: pa.Table) -> tuple[list[tuple[pa.Table, dict]], list[tuple[str, str]]]:
    """([(rows, stage.run(rows))] for the rows that worked, [(key, error)] for those that did not)."""
    try:
        return [(batch, stage.run(batch))], []
    except Exception as exc:  # noqa: BLE001 - any failure of one row is recorded on that row
        if stops_the_stage(exc):
            raise
        if batch.num_rows <= 1:
            return [], [(batch.column(stage.key)[0].as_py(), message(exc))]
    half = (batch.num_rows + 1) // 2
    good, bad = run_isolated(stage, batch.slice(0, half))
    good2, bad2 = run_isolated(stage, batch.slice(half))
    return good + good2, bad + bad2


def error_rows(stage, failed: list[tuple[str, str]], config: str, resets: list[pa.Field]) -> pa.Table:
    """Rows for the failed keys: outputs null, configuration set, the error recorded."""
    n = len(failed)
    arrays = {stage.key: pa.array([k for k, _ in failed], pa.string())}
    for f in stage.outputs:
        arrays[f.name] = pa.nulls(n, f.type)
    arrays[stage.config_column] = pa.array([config] * n, pa.string())
    arrays[stage.error_column] = pa.array([m for _, m in failed], pa.string())
    for f in resets:
        arrays[f.name] = pa.nulls(n, f.type)
    return pa.table(arrays)


@dataclass
class ErrorTally:
    count: int = 0
    sample: list[str] = field(default_factory=list)

    def add(self, failed: list[tuple[str, str]]) -> None:
        self.count += len(failed)
        if failed and not self.sample:
            self.sample = [f"{failed[0][0]}: {failed[0][1]}"]

    def notes(self, stage) -> list[str]:
        if not self.count:
            return []
        return [f"{self.count} rows failed ({stage.table}.{stage.error_column}; `celvault run {stage.name} --redo` "
                f"retries them), e.g. {self.sample[0]}"]
