"""The app factory: security middleware, JSON API routers, media, pages and static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from celvault.catalog.decisions import NothingToUndo
from celvault.catalog.duplicates import NotADuplicate, UnknownFrame
from celvault.catalog.identity_edits import UnknownLayer
from celvault.errors import CatalogBusy, CelvaultError, UnknownCharacter, UnknownEpisode

from . import (api_decisions, api_duplicates, api_export, api_frames, api_identities, api_overview, api_search, media,
               pages)
from .security import Guard
from .state import AppState, BadId

STATIC = Path(__file__).parent / "static"


class NotFound(CelvaultError):
    """A row the request names is not in the catalogue."""


def _status(exc: CelvaultError) -> int:
    if isinstance(exc, (BadId,)):
        return 400
    if isinstance(exc, (NotFound, UnknownCharacter, UnknownEpisode, UnknownLayer, UnknownFrame)):
        return 404
    if isinstance(exc, (CatalogBusy, NothingToUndo, NotADuplicate, api_decisions.StaleSelection)):
        return 409
    return 400


def create_app(catalog_path, config, token: str | None = None, hosts: tuple[str, ...] | None = None) -> FastAPI:
    """The review app over the catalogue at `catalog_path`. `token`: every request must carry it.
    `hosts`: the Host names accepted (None: any; `celvault serve` passes the bound ones)."""
    app = FastAPI(title="celvault", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.cv = AppState(catalog_path, config, token)
    app.add_middleware(Guard, token=token, hosts=hosts)

    @app.exception_handler(CelvaultError)
    async def library_error(request: Request, exc: CelvaultError):
        return JSONResponse({"error": str(exc)}, status_code=_status(exc))

    for module in (api_overview, api_identities, api_decisions, api_frames, api_duplicates, api_search, api_export,
                   media, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
