"""Video source: threaded PyAV decode, shot detection on small probes, lossless kept frames.

Detectors look ahead (a few distinct frames for `adaptive`, up to ~125 frames for
`transnetv2`), so decoded frames wait in a small delay buffer until their label is known.
Only frames the detector says might be kept hold their decoded picture, and at most
`MAX_WAITING` of them (the oldest is let go first): memory stays bounded on any input. A
shot whose first frame was let go keeps its next available clean frame instead.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from celvault.errors import IngestError

from .encode import encode_rgb
from .shots import KeepPolicy, ShotParams, make_detector
from .sources import KeptFrame, SourceSummary


def _open(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise IngestError(path, f"not a readable video file ({exc.__class__.__name__})") from None
    if not container.streams.video:
        container.close()
        raise IngestError(path, "contains no video stream")
    return container


def _plane(frame, i: int, w: int, h: int) -> np.ndarray:
    plane = frame.planes[i]
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:h, :w]


def probe_rgb(frame, size: tuple[int, int]) -> np.ndarray:
    """A small RGB image of `frame` for cut and hold detection.

    For 8-bit 4:2:0 frames (nearly all anime releases) the Y, U and V planes are shrunk
    straight from the decoder's buffers and converted at probe size, which costs a fraction
    of swscale's full-size conversion; anything else goes through swscale.
    """
    fmt = frame.format.name
    if fmt not in ("yuv420p", "yuvj420p"):
        return frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
    w, h = frame.width, frame.height
    y = cv2.resize(_plane(frame, 0, w, h), size, interpolation=cv2.INTER_AREA).astype(np.float32)
    u = cv2.resize(_plane(frame, 1, (w + 1) // 2, (h + 1) // 2), size, interpolation=cv2.INTER_AREA).astype(np.float32)
    v = cv2.resize(_plane(frame, 2, (w + 1) // 2, (h + 1) // 2), size, interpolation=cv2.INTER_AREA).astype(np.float32)
    if fmt == "yuv420p" and frame.color_range != 2:  # limited (TV) range to full
        y = (y - 16.0) * (255.0 / 219.0)
        u = (u - 128.0) * (255.0 / 224.0) + 128.0
        v = (v - 128.0) * (255.0 / 224.0) + 128.0
    ycrcb = np.clip(np.dstack([y, v, u]), 0, 255).astype(np.uint8)
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)


MAX_WAITING = 40  # decoded frames held while their label is pending


def read_video(path: Path, params: ShotParams, fmt: str, png_level: int, probe_size=(160, 90),
               summary: SourceSummary | None = None, on_frame=None, on_total=None) -> Iterator[KeptFrame]:
    """Decode `path`, yielding kept frames; fills `summary` as it goes."""
    import av

    summary = summary if summary is not None else SourceSummary("video")
    container = _open(path)
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else None
    declared = stream.frames or 0
    declared_s = container.duration / 1e6 if container.duration else None
    summary.fps = fps
    if on_total:
        on_total(declared or (int(declared_s * fps) if declared_s and fps else 0))
    detector = make_detector(params)
    policy = KeepPolicy(params.interval)
    pw, ph = probe_size
    index = -1
    last_t = 0.0
    workers = max(1, (os.cpu_count() or 2) - 1)
    pool = ThreadPoolExecutor(max_workers=workers)
    pending: deque = deque()
    waiting: dict[int, object] = {}  # frame index -> decoded frame, while its label is pending

    def kept(labels):
        for label in labels:
            frame = waiting.pop(label.index, None)
            if not policy.decide(label, frame is not None):
                continue
            rgb = frame.to_ndarray(format="rgb24")
            job = pool.submit(encode_rgb, rgb, fmt, png_level)
            pending.append(job)
            while len(pending) > 2 * workers:  # bound the raw frames waiting in memory
                pending.popleft().result()
            yield KeptFrame(label.index, round(label.t, 4), label.shot, frame.width, frame.height, fmt, job)

    try:
        try:
            for frame in container.decode(stream):
                index += 1
                t = float(frame.time) if frame.time is not None else index / (fps or 24.0)
                last_t = t
                if index == 0:
                    summary.width, summary.height = frame.width, frame.height
                labels = detector.push(probe_rgb(frame, (pw, ph)), t)
                if detector.want_frame:
                    waiting[index] = frame
                    if len(waiting) > MAX_WAITING:
                        del waiting[min(waiting)]
                if on_frame:
                    on_frame()
                yield from kept(labels)
            yield from kept(detector.finish())
        except av.error.FFmpegError as exc:
            raise IngestError(path, f"video is corrupt or truncated at frame {index + 1} ({exc.__class__.__name__})") from None
    finally:
        pool.shutdown(wait=True)
        container.close()
    if index < 0:
        raise IngestError(path, "no frame could be decoded (truncated or corrupt video)")
    frame_count = index + 1
    if declared and frame_count < 0.98 * declared:
        raise IngestError(path, f"truncated: decoded {frame_count} of {declared} frames")
    step = 1.0 / fps if fps else 0.0
    if declared_s and last_t + step < 0.95 * declared_s - 0.5:
        raise IngestError(path, f"truncated: video stops at {last_t:.1f}s of {declared_s:.1f}s")
    summary.frame_count = frame_count
    summary.duration_s = round(last_t + step, 4)
    summary.shots = detector.shot + 1
