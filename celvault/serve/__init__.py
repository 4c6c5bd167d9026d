"""`celvault serve`: a local review app over the catalogue (identities, frames, duplicates,
search, export), reading and writing through the same library calls as the CLI.

fastapi and uvicorn are imported only here, never by `celvault --help`."""

from __future__ import annotations


def create_app(catalog_path, config, token=None, hosts=None):
    from .app import create_app as make

    return make(catalog_path, config, token=token, hosts=hosts)


__all__ = ["create_app"]
