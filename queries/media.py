"""Images of query results: files on disk (`--format paths`) and contact sheets (`--sheet`)."""

from __future__ import annotations

import os
from pathlib import Path

from celvault.catalog import Catalog
from celvault.catalog.store import sql_in
from celvault.safe_paths import check_image_folder, make_folder, writing

from .search import QueryResult


def _media(catalog: Catalog, result: QueryResult) -> tuple[str, dict[str, tuple[bytes, str]]]:
    key = "layer_id" if result.kind == "layers" else "frame_id"
    table = "layer_media" if result.kind == "layers" else "frame_media"
    ids = [r[key] for r in result.rows]
    got = catalog.read(table, [key, "format", "data"], sql_in(key, ids)) if ids else None
    media = {}
    if got is not None:
        for k, fmt, data in zip(*(got.column(c).to_pylist() for c in (key, "format", "data"))):
            media[k] = (data, fmt or "png")
    return key, media


def write_images(catalog: Catalog, result: QueryResult, out_dir: str | Path) -> list[Path]:
    """Each result's image as `<id>.<format>` in `out_dir` (written whole, then renamed); never
    inside a catalogue (celvault.safe_paths)."""
    check_image_folder(out_dir)
    out = make_folder(out_dir)
    key, media = _media(catalog, result)
    paths = []
    with writing(out):
        for r in result.rows:
            data, fmt = media[r[key]]
            path = out / f"{r[key]}.{fmt}"
            if not path.exists() or path.stat().st_size != len(data):
                tmp = path.with_name(f".{path.name}.partial")
                tmp.write_bytes(data)
                os.replace(tmp, path)
            paths.append(path)
    return paths


def result_sheet(catalog: Catalog, result: QueryResult, out: str | Path, title: str | None = None) -> Path:
    """A contact sheet of the results, each labelled with its id and time."""
    from celvault.media.contact_sheet import contact_sheet
    from celvault.media.codec import decode_png

    key, media = _media(catalog, result)
    items = []
    for r in result.rows:
        t = f" t={r['time_s']:.1f}s" if r.get("time_s") is not None else ""
        short = r[key].split("-", 1)[-1]  # the episode hash is in the title, not in every label
        items.append((decode_png(media[r[key]][0]), f"{short}{t}"))
    return contact_sheet(items, out, thumb=160, title=title)
