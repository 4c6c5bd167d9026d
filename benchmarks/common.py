"""Helpers shared by the benchmark scripts (not part of the test suite)."""

from __future__ import annotations

import platform
import time
from contextlib import contextmanager

import os


@contextmanager
def timed(label: str, results: dict):
    t0 = time.perf_counter()
    yield
    results[label] = time.perf_counter() - t0
    print(f"  {label}: {results[label]:.3f} s", flush=True)


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def print_results(script: str, title: str, context: str, table: list[list[str]]) -> None:
    """A plain table for the terminal, then the same as a RESULTS.md section (the first row
    of `table` is the header; `context` goes after the command line)."""
    import sys

    head, rows = table[0], table[1:]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    print()
    for row in table:
        print("  ".join(c.ljust(wd) for c, wd in zip(row, widths)).rstrip())
    cmd = " ".join(["python", f"benchmarks/{script}", *sys.argv[1:]])
    print(f"\n## {title}\n\n`{cmd}` ({context})\n")
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
