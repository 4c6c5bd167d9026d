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
