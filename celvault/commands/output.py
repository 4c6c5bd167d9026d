"""The one way commands print results: JSON, CSV or a table (with lines of text after it).

A command builds its result (a dict or list, the same one `--json` prints), and, for people,
a `Table` and/or lines; `emit` picks what the chosen format needs. CSV cells are one line:
a table cell of several lines is joined with "; ".
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

import click


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    right_aligned: tuple[str, ...] = ()


def emit(result, fmt: str = "table", *, as_json: bool = False, table: Table | None = None,
         lines: Iterable[str] = ()) -> None:
    """Print `result` as JSON (`fmt` json or `as_json`), `table` as CSV (`fmt` csv), or `table`
    then `lines` for people."""
    if as_json or fmt == "json":
        emit_json(result)
    elif fmt == "csv":
        sys.stdout.write(table_csv(table) if table else "")
    else:
        if table is not None:
            _print_table(table)
        for line in lines:
            click.echo(line)


def emit_json(payload) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def table_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["; ".join(str(cell).splitlines()) for cell in row])
    return buf.getvalue()


def _print_table(table: Table) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    shown = RichTable(title=table.title)
    for col in table.columns:
        shown.add_column(col, justify="right" if col in table.right_aligned else "left", overflow="fold")
    for row in table.rows:
        shown.add_row(*(str(cell) for cell in row))
    Console().print(shown)
