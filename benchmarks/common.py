"""Helpers shared by the benchmark scripts (not part of the test suite)."""

from __future__ import annotations

import math
import os
import platform
import time
from contextlib import contextmanager


@contextmanager
def timed(label: str, results: dict):
    t0 = time.perf_counter()
    yield
    results[label] = time.perf_counter() - t0
    print(f"  {label}: {results[label]:.3f} s", flush=True)


def backend(kind: str, name: str, options: dict | None = None, device: str = "cpu"):
    """A backend built outside a stage (`options`: {section: mapping as in YAML}) on `device`,
    downloads off: the benchmarks make their own random-weight files."""
    from celvault import registry
    from celvault.run_options import RunOptions

    return registry.build(kind, name, options, run=RunOptions(device=device, download=False))


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


def _busy_cpu_s() -> float | None:
    """CPU seconds all processes have spent busy since boot (Linux /proc/stat), else None."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


class Others:
    """How many cores other processes kept busy while this one ran (they slow every figure)."""

    def __init__(self):
        self.busy, self.own, self.wall = _busy_cpu_s(), time.process_time(), time.perf_counter()

    def __str__(self):
        busy = _busy_cpu_s()
        if busy is None or self.busy is None:
            return "other processes: unknown (no /proc/stat)"
        cores = (busy - self.busy - (time.process_time() - self.own)) / max(time.perf_counter() - self.wall, 1e-9)
        return f"other processes kept {max(cores, 0.0):.2f} of {os.cpu_count()} cores busy meanwhile"


def measure(fn, repeats: int, warmup: int = 3) -> tuple[list[float], object]:
    """`warmup` untimed calls, then `repeats` timed ones: (seconds of each, the last answer)."""
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def p90(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"
