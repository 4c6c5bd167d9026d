"""What the app holds between requests: the catalogue, its config, the writer lock, caches
made once per table version, and the background export jobs."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from pathlib import Path

from celvault.errors import CelvaultError

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")  # frame, layer and episode ids: no paths


class BadId(CelvaultError):
    """A media or row id that is not an id (a path, a quote, ...)."""


def check_id(value: str, what: str = "id") -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise BadId(f"{what} {str(value)[:60]!r} is not a celvault id")
    return value


class AppState:
    def __init__(self, catalog_path, config, token: str | None = None):
        from celvault.commands.common import open_catalog

        self.catalog_path = Path(catalog_path)
        self.config = config
        self.token = token
        self.catalog = open_catalog(self.catalog_path, config)
        self._write = threading.Lock()  # the writer lock is per process: one app write at a time
        self._cache: dict = {}
        self._cache_lock = threading.Lock()
        self.jobs: dict = {}

    def cached(self, what: str, tables: tuple[str, ...], make):
        """`make()` once per version of `tables` (a change by the pipeline or the app redoes it)."""
        versions = tuple(self.catalog.dataset(t).version if self.catalog.exists(t) else -1 for t in tables)
        key = (what, versions)
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._cache_lock:
            self._cache = {k: v for k, v in self._cache.items() if k[0] != what}
            self._cache[key] = value
        return value

    @contextmanager
    def writing(self, command: str):
        """The catalogue writer lock, as `celvault characters ...` takes it; never waits for a
        running pipeline (CatalogBusy: 409, try again) so a request does not hang."""
        from celvault.commands.common import catalog_writer

        with self._write, catalog_writer(self.catalog_path, f"serve: {command}", wait=False):
            yield
