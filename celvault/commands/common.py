"""The few helpers commands use to reach the library: the writer lock, config, catalogue, progress.
Options are in options.py, printing in output.py."""

from __future__ import annotations

import contextlib
import functools
import os

import click

from .output import echo_err, emit_json  # noqa: F401  (commands/models.py imports emit_json from here)


def writes_catalog(command: str, create: bool = False):
    """A command that writes the catalogue: it holds the catalogue's writer lock while it runs
    (waiting for another writer unless --no-wait), and Lance's permission and commit-conflict
    errors become one-line errors. Readers never use this."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, no_wait=False, **kwargs):
            with catalog_writer(kwargs["catalog_path"], command, wait=not no_wait, create=create):
                return fn(*args, **kwargs)

        return click.option("--no-wait", is_flag=True,
                            help="Fail at once if another celvault command is writing this catalogue "
                                 "(default: wait for it).")(wrapper)

    return decorate


@contextlib.contextmanager
def catalog_writer(catalog_path, command: str, wait: bool = True, create: bool = False):
    """The writer lock of the catalogue at `catalog_path`, with Lance errors made one line."""
    from celvault.catalog.lock import writer_lock

    def waiting(who: str) -> None:
        echo_err(f"another {who} is writing this catalogue; waiting... (--no-wait to fail at once)")

    with writer_lock(catalog_path, command, wait=wait, on_wait=waiting, create=create):
        try:
            yield
        except (OSError, ValueError, RuntimeError) as exc:
            raise lance_error(exc, catalog_path, command) from None


def lance_error(exc: Exception, catalog_path, command: str) -> Exception:
    """A one-line library error for Lance's own failures while writing; others unchanged."""
    import errno

    from celvault.errors import CatalogConflict, CatalogReadOnly

    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    filename = getattr(exc, "filename", None)
    if filename and not os.path.abspath(filename).startswith(os.path.abspath(catalog_path)):
        return exc  # about some other file (an input, an output): the command's own business
    if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS) \
            or "Permission denied" in text or "Read-only file system" in text:
        return CatalogReadOnly(catalog_path, command, text.split(", /")[0][:200])
    if type(exc).__name__ == "CommitConflictError" or "commit conflict" in text.lower() \
            or "Ambiguous merge" in text or ("Not found" in text and "manifest" in text):
        return CatalogConflict(
            f"catalogue {catalog_path} was changed by another process while celvault {command} wrote it "
            f"({text.split(', /')[0][:160]}); run the command again, and `celvault check` to find leftovers")
    return exc


def load_config(config_path, profile, overrides=None):
    from celvault.config import Config

    return Config.load(profile=profile, path=config_path, overrides=overrides)


def open_catalog(path, config=None):
    from celvault.catalog import Catalog

    rows = int(config.section("catalog").get("rows_per_fragment", 1024)) if config else 1024
    return Catalog.open(path, rows_per_fragment=rows)


def progress(quiet: bool, as_json: bool):
    from celvault.progress import Progress

    return Progress(quiet=quiet or as_json or bool(os.environ.get("CELVAULT_NO_PROGRESS")))
