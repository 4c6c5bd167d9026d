"""The LanceDB catalogue: schema, tables, the fill-missing primitive, provenance, maintenance."""

from .store import Catalog

__all__ = ["Catalog"]
