"""Writing synthetic episodes: real video files (PyAV) and frame folders."""

from __future__ import annotations

import re
import threading
from fractions import Fraction
from pathlib import Path

import av
import cv2
from av.video.frame import PictureType

from .episode import iter_frames
from .plan import plan_shots
from .prefetch import prefetch
from .truth import EpisodeSpec, EpisodeTruth

PIX_FMT = {"libx264": "yuv420p", "mpeg4": "yuv420p", "ffv1": "bgr0"}
FRAME_NAME = re.compile(r"scene(\d{4,})_frame(\d{6,})_t(\d+\.\d{2})s\.\w+$")


def frame_rate(fps: float) -> Fraction:
    """Exact rational frame rate (29.97 -> 30000/1001, 12.0 -> 12)."""
    return Fraction(fps).limit_denominator(1001)


def _check(spec: EpisodeSpec) -> None:
    if spec.codec not in PIX_FMT:
        raise ValueError(f"unsupported codec {spec.codec!r}; use one of {sorted(PIX_FMT)}")
    if PIX_FMT[spec.codec] == "yuv420p" and (spec.width % 2 or spec.height % 2):
        raise ValueError("width and height must be even for yuv420p")


def _open_stream(container, spec: EpisodeSpec):
    codec = spec.codec
    rate = frame_rate(spec.fps)
    stream = container.add_stream(codec, rate=rate)
    stream.width, stream.height = spec.width, spec.height
    stream.pix_fmt = PIX_FMT[codec]
    stream.time_base = 1 / rate
    stream.codec_context.time_base = 1 / rate
    if codec == "libx264":
        # mbtree=0 + a keyframe at every cut: the opening encodes to identical bits in every episode
        stream.options = {"crf": str(int(spec.crf)), "preset": "veryfast", "x264-params": "mbtree=0"}
    elif codec == "mpeg4":
        stream.bit_rate = int(spec.width * spec.height * float(spec.fps) * 1.2)
        stream.options = {"qmin": "2", "qmax": "6"}
    return stream


def _converted(truth: EpisodeTruth, pix_fmt: str, stop: threading.Event):
    """Rendered frames as VideoFrames in the stream's pixel format, converted
    once per distinct frame (held frames reuse the object)."""
    vf, last = None, None
    for i, rgb in iter_frames(truth):
        if stop.is_set():
            return
        if rgb is not last:
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
            last = rgb
        yield i, vf


def write_video(path, truth: EpisodeTruth) -> EpisodeTruth:
    """Encode every frame of `truth` into `path` (container from the suffix).

    Frames get pts = frame index in a 1/fps time base; held frames re-send the
    converted frame of their predecessor. The truth's bboxes are filled in
    while rendering.
    """
    spec = truth.spec
    _check(spec)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = _open_stream(container, spec)
        tb = stream.codec_context.time_base
        stop = threading.Event()
        starts = set(truth.shot_boundaries())
        for i, vf in prefetch(_converted(truth, stream.pix_fmt, stop), stop):
            vf.pts = i
            # a keyframe at every cut keeps the opening's encoding independent of what follows
            vf.pict_type = PictureType.I if i in starts else PictureType.NONE
            vf.time_base = tb
            container.mux(stream.encode(vf))
        container.mux(stream.encode(None))
    return truth


def make_episode(path, spec: EpisodeSpec) -> EpisodeTruth:
    """Render and encode an episode to `path` (.mp4 or .mkv); returns its truth."""
    return write_video(path, plan_shots(spec))


def frame_name(shot: int, frame: int, time_s: float, ext: str = "png") -> str:
    """``scene0042_frame002156_t847.25s.png``."""
    return f"scene{shot:04d}_frame{frame:06d}_t{time_s:.2f}s.{ext.lstrip('.')}"


def parse_frame_name(name) -> tuple[int, int, float]:
    """Inverse of :func:`frame_name`: ``(shot, frame, time_s)``."""
    m = FRAME_NAME.search(Path(name).name)
    if not m:
        raise ValueError(f"not a synthetic frame name: {name!r}")
    return int(m.group(1)), int(m.group(2)), float(m.group(3))


def write_frame_folder(folder, spec: EpisodeSpec, named: bool = True, ext: str = "png") -> EpisodeTruth:
    """Write every distinct (non-held) frame as an image into `folder`.

    ``named=True``: ``scene{shot:04d}_frame{index:06d}_t{time:.2f}s.{ext}``;
    ``named=False``: ``img_0001.{ext}``, ... in frame order (more digits when
    there are more than 9999 images).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truth = plan_shots(spec)
    ext = ext.lstrip(".")
    digits = max(4, len(str(len(truth.distinct_frames()))))
    n = 0
    for i, rgb in iter_frames(truth):
        fr = truth.frames[i]
        if fr.held:
            continue
        n += 1
        name = frame_name(fr.shot, i, fr.time_s, ext) if named else f"img_{n:0{digits}d}.{ext}"
        if not cv2.imwrite(str(folder / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {folder / name}")
    return truth
