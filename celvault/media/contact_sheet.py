"""Contact sheets: a grid of thumbnails with a label under each, written as one PNG.

Cut-outs (RGBA) are shown over a light checkerboard so their alpha is visible. Used by
`characters show --sheet` and `query --sheet`. A sheet never lands inside a catalogue and
replaces only a PNG file (celvault.safe_paths).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from celvault.errors import CelvaultError
from celvault.safe_paths import check_sheet_file, make_folder, writing

LABEL_H = 14
PAD = 4


def _checker(h: int, w: int, cell: int = 8) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    light = ((yy // cell + xx // cell) % 2).astype(np.uint8)
    return np.where(light[..., None] == 1, 236, 204).astype(np.uint8).repeat(3, axis=2)


def _thumb(img: np.ndarray, size: int):
    from PIL import Image

    h, w = img.shape[:2]
    scale = min(size / w, size / h)
    tw, th = max(1, round(w * scale)), max(1, round(h * scale))
    pil = Image.fromarray(img).resize((tw, th), Image.LANCZOS)
    arr = np.asarray(pil)
    if arr.ndim == 3 and arr.shape[2] == 4:
        a = arr[..., 3:4].astype(np.float32) / 255.0
        arr = (arr[..., :3] * a + _checker(th, tw) * (1 - a)).astype(np.uint8)
    return Image.fromarray(arr[..., :3] if arr.ndim == 3 else arr).convert("RGB")


def contact_sheet(items: list[tuple[np.ndarray, str]], out: str | Path, thumb: int = 160,
                  columns: int | None = None, title: str | None = None) -> Path:
    """Write `items` (RGB or RGBA image, label) as a grid PNG at `out`; returns the path."""
    from PIL import Image, ImageDraw, ImageFont

    if not items:
        raise CelvaultError("nothing to put on the contact sheet")
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise CelvaultError(f"{out}: the contact sheet is a PNG file (name it *.png)")
    check_sheet_file(out)
    cols = columns or min(8, max(1, math.ceil(math.sqrt(len(items)))))
    rows = math.ceil(len(items) / cols)
    cell_w, cell_h = thumb + PAD, thumb + LABEL_H + PAD
    top = LABEL_H + PAD if title else 0
    sheet = Image.new("RGB", (cols * cell_w + PAD, rows * cell_h + PAD + top), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    if title:
        draw.text((PAD, PAD // 2), title, fill=(0, 0, 0), font=font)
    for i, (img, label) in enumerate(items):
        r, c = divmod(i, cols)
        x, y = PAD + c * cell_w, top + PAD + r * cell_h
        t = _thumb(img, thumb)
        sheet.paste(t, (x + (thumb - t.width) // 2, y + (thumb - t.height) // 2))
        draw.text((x, y + thumb + 1), label[-max(8, thumb // 6):], fill=(40, 40, 40), font=font)
    make_folder(out.parent)
    tmp = out.with_name(f".{out.name}.partial")
    with writing(out):
        sheet.save(tmp, format="PNG")
        os.replace(tmp, out)
    return out
