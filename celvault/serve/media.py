"""/media/frame/{id} and /media/layer/{id}: images from frame_media / layer_media by id only, at a
few fixed sizes, with ETag (catalogue + table + id + size: media rows are append-only and ids
are content ids, so the bytes behind an id never change), Cache-Control and 304."""

from __future__ import annotations

import hashlib
import io

from fastapi import APIRouter, Depends, Request, Response

from celvault.catalog.store import sql_str

from .state import AppState, BadId, check_id
from .deps import state

router = APIRouter()

SIZES = {"s": 128, "m": 256, "l": 512, "full": None}
CACHE = "private, max-age=86400"


def etag(st: AppState, table: str, row_id: str, size: str) -> str:
    digest = hashlib.sha1(f"{st.catalog_path.resolve()}|{table}|{row_id}|{size}".encode()).hexdigest()[:24]
    return f'"{digest}"'


def _image(st: AppState, table: str, key: str, row_id: str, column: str) -> tuple[bytes, str]:
    got = st.catalog.read(table, ["format", column], f"{key} = {sql_str(row_id)}").to_pylist()
    if not got or got[0][column] is None:
        from .app import NotFound

        raise NotFound(f"no image for {row_id!r}")
    return got[0][column], got[0]["format"] or "png"


def _resized(data: bytes, edge: int | None, rgba: bool) -> tuple[bytes, str]:
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    if edge is not None:
        img.thumbnail((edge, edge))
    buf = io.BytesIO()
    if rgba:  # cut-outs keep their alpha
        img.convert("RGBA").save(buf, "PNG", compress_level=1)
        return buf.getvalue(), "image/png"
    img.convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue(), "image/jpeg"


def _serve(request: Request, st: AppState, table: str, key: str, row_id: str, size: str, column: str = "data"):
    check_id(row_id, key.split("_")[0])
    if size not in SIZES:
        raise BadId(f"size {size[:20]!r}: one of {', '.join(SIZES)}")
    tag = etag(st, table + ("" if column == "data" else f".{column}"), row_id, size)
    headers = {"ETag": tag, "Cache-Control": CACHE}
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    data, fmt = _image(st, table, key, row_id, column)
    rgba = table == "layer_media"
    if SIZES[size] is None and (rgba or fmt in ("png", "jpg", "jpeg", "webp")):
        mime = "image/png" if rgba else {"jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}.get(fmt, "image/png")
        return Response(data, media_type=mime, headers=headers)
    body, mime = _resized(data, SIZES[size], rgba)
    return Response(body, media_type=mime, headers=headers)


@router.get("/media/frame/{frame_id}")
def frame_image(frame_id: str, request: Request, size: str = "m", st: AppState = Depends(state)):
    return _serve(request, st, "frame_media", "frame_id", frame_id, size)


@router.get("/media/layer/{layer_id}")
def layer_image(layer_id: str, request: Request, size: str = "m", st: AppState = Depends(state)):
    """A character cut-out (RGBA PNG) or an inpainted background."""
    return _serve(request, st, "layer_media", "layer_id", layer_id, size)


@router.get("/media/mask/{layer_id}")
def layer_mask(layer_id: str, request: Request, size: str = "full", st: AppState = Depends(state)):
    return _serve(request, st, "layer_media", "layer_id", layer_id, size, column="mask")
