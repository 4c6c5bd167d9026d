"""Frame-folder source: already extracted frames, kept byte for byte when they are 8-bit RGB
of the folder's size.

Others are normalised and stored as lossless PNG: 16-bit samples scaled to 8 bits, grey
expanded to RGB, alpha composited on white; a frame of another size than the folder's first
frame is resized to that size (the ingest report says how many). Names like `scene0042_frame002156_t847.25s.jpg` give shot, frame and time. Other names are
taken in natural order with no time, and shots are found with the same cut detector used
for video.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from celvault.errors import IngestError

from .encode import encode_rgb, fit_size, to_rgb8
from .shots import ShotParams, ShotTracker
from .sources import KeptFrame, SourceSummary

# a corrupt image is celvault's one-line IngestError; OpenCV's own [ WARN]/[ERROR] lines are noise
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
MAY_NEED_NORMALISING = {".png", ".webp", ".bmp"}  # 16-bit or alpha; JPEG is 8-bit colour (read with EXIF turns)
NAMED = re.compile(r"scene(\d+)_frame(\d+)_t(\d+(?:\.\d+)?)s$", re.IGNORECASE)


def _natural_key(p: Path):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def list_frames(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise IngestError(folder, "folder holds no frame images (.png, .jpg, .webp, .bmp)")
    return sorted(files, key=_natural_key)


def read_folder(folder: Path, files: list[Path], params: ShotParams, probe_size=(160, 90),
                summary: SourceSummary | None = None, on_frame=None) -> Iterator[KeptFrame]:
    """Yield the folder's frames one at a time (bytes as stored), filling `summary`."""
    summary = summary if summary is not None else SourceSummary("frames")
    parsed = [NAMED.search(p.stem) for p in files]
    named = all(parsed)
    if named:
        order = sorted(range(len(files)), key=lambda i: int(parsed[i].group(2)))
        files = [files[i] for i in order]
        parsed = [parsed[i] for i in order]
    tracker = ShotTracker(params, keep_policy=False)
    count, shots, times, resized = 0, set(), [], 0
    seen_index: set[int] = set()
    for pos, path in enumerate(files):
        data = path.read_bytes()
        fmt = path.suffix.lower().lstrip(".").replace("jpeg", "jpg")
        img, data, fmt, fitted = _normalised(path, data, fmt, (summary.width, summary.height))
        resized += fitted
        h, w = img.shape[:2]
        if named:
            m = parsed[pos]
            shot, index, t = int(m.group(1)), int(m.group(2)), float(m.group(3))
            if index in seen_index:
                raise IngestError(path, f"frame number {index} appears twice in the folder")
            seen_index.add(index)
        else:
            probe = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), probe_size, interpolation=cv2.INTER_AREA)
            d = tracker.push(probe, float(pos))
            shot, index, t = d.shot, pos, None
        summary.width, summary.height = summary.width or w, summary.height or h
        count += 1
        shots.add(max(shot, 0))
        if t is not None:
            times.append(t)
        if on_frame:
            on_frame()
        yield KeptFrame(index, t, max(shot, 0), w, h, fmt, data)
    summary.frame_count = count
    summary.shots = len(shots)
    summary.duration_s = max(times) if times else None
    if resized:
        summary.notes.append(f"{resized} frames resized to {summary.width}x{summary.height} (the folder's first frame)")


def _normalised(path: Path, data: bytes, fmt: str, size: tuple[int, int]) -> tuple[np.ndarray, bytes, str, bool]:
    """(8-bit BGR image, bytes to store, format, whether it was resized): the file's own bytes
    when it is 8-bit colour of the folder's `size` (the first frame's; (0, 0) before it), else
    the normalised image as lossless PNG."""
    flags = cv2.IMREAD_UNCHANGED if path.suffix.lower() in MAY_NEED_NORMALISING else cv2.IMREAD_COLOR
    img = cv2.imdecode(np.frombuffer(data, np.uint8), flags) if data else None
    if img is None or img.size == 0:
        raise IngestError(path, "cannot read image (empty, truncated or not an image)")
    img, changed = to_rgb8(img)
    h, w = img.shape[:2]
    resize = size[0] > 0 and (w, h) != size
    if resize:
        img = fit_size(img, *size)
    if changed or resize:
        data, fmt = encode_rgb(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), "png"), "png"
    return img, data, fmt, resize
