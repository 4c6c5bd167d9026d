"""One writer at a time: a catalogue-level writer lock.

An OS file lock (`flock`) on `<catalogue>/celvault-writer.lock`. The kernel releases it when
the holding process ends, however it ends (SIGKILL included), so a crash never leaves the
catalogue locked. Every command that writes takes it; readers (query, status, export) never
do: Lance gives them a consistent snapshot whatever a writer is doing.

The lock is re-entrant within a process (a library call that takes it inside a command
that already holds it just goes on). Before locking, the catalogue is checked for write
permission, so a read-only catalogue fails at once with one line naming it, instead of a
Lance I/O error halfway through a commit.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from celvault.errors import CatalogBusy, CatalogError, CatalogNotFound, CatalogReadOnly

LOCK_NAME = "celvault-writer.lock"
_LANCE_DIRS = ("_versions", "data", "_transactions", "_indices", "_deletions")

_held: dict[str, int] = {}  # resolved catalogue path -> nesting depth in this process


def lock_path(catalog_path: str | Path) -> Path:
    return Path(catalog_path) / LOCK_NAME


def read_only_reason(catalog_path: str | Path) -> str | None:
    """Why this process cannot write the catalogue (None when it can): the first folder of
    it that lacks write permission."""
    root = Path(catalog_path)
    dirs = [root]
    for table in sorted(root.glob("*.lance")):
        dirs += [table] + [table / d for d in _LANCE_DIRS if (table / d).is_dir()]
    for d in dirs:
        if not os.access(d, os.W_OK | os.X_OK):
            where = "" if d == root else f" ({d.relative_to(root)})"
            return f"no write permission on {root}{where}"
    lock = lock_path(root)
    if lock.exists() and not os.access(lock, os.W_OK):
        return f"no write permission on {lock}"
    return None


def holder(catalog_path: str | Path) -> str:
    """'celvault run (pid 123)' for the process holding the lock, as it wrote itself down."""
    try:
        text = lock_path(catalog_path).read_text().strip()
    except OSError:
        text = ""
    pid, _, command = text.partition(" ")
    if not pid.isdigit():
        return "celvault process"
    return f"celvault {command or 'command'} (pid {pid})"


@contextmanager
def writer_lock(catalog_path: str | Path, command: str = "command", *, wait: bool = True,
                on_wait: Callable[[str], None] | None = None, create: bool = False) -> Iterator[None]:
    """Hold the catalogue's writer lock for the block.

    `wait`: block until the other writer is done (calling `on_wait(who)` once first);
    otherwise raise CatalogBusy at once. `create`: make the catalogue folder if missing
    (init); otherwise a folder that is not a catalogue raises CatalogNotFound.
    """
    root = Path(catalog_path)
    key = str(root.resolve())
    if key in _held:  # re-entrant: this process is the writer already
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogError(f"cannot create a catalogue at {root}: {exc.strerror or exc}") from None
    elif not (root / "episodes.lance").is_dir():
        raise CatalogNotFound(root)
    reason = read_only_reason(root)
    if reason:
        raise CatalogReadOnly(root, command, reason)
    try:
        fd = os.open(lock_path(root), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CatalogReadOnly(root, command, f"cannot open {lock_path(root)}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = holder(root)
            if not wait:
                raise CatalogBusy(root, who) from None
            if on_wait:
                on_wait(who)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


def holds_writer_lock(catalog_path: str | Path) -> bool:
    """Whether this process holds the catalogue's writer lock."""
    return str(Path(catalog_path).resolve()) in _held
