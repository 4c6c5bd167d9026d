"""Encoding a hard episode: H.264 (libx264, yuv420p, crf from the spec), exact frame rate."""

from __future__ import annotations

from pathlib import Path

from celvault.synthetic.prefetch import prefetch
from celvault.synthetic.writer import frame_rate


def write_episode(ep, path, preset: str = "veryfast") -> None:
    """Encode every frame of `ep` to `path` (.mkv or .mp4); `preset`: libx264 speed preset."""
    import av
    import cv2

    spec = ep.spec
    path = Path(path)
    if path.suffix.lower() not in (".mkv", ".mp4"):
        raise ValueError(f"{path}: use .mkv or .mp4")
    if spec.width % 2 or spec.height % 2:
        raise ValueError("width and height must be even for yuv420p")
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = frame_rate(spec.fps)

    def converted():
        last, vf = None, None
        for rgb in ep.iter_rgb():
            if rgb is not last:  # held frames reuse the converted frame
                # OpenCV's I420 conversion (BT.601, limited range like swscale's default) is
                # about ten times faster than swscale's here
                vf = av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
                last = rgb
            yield vf

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = 1 / rate
        stream.codec_context.time_base = 1 / rate
        stream.options = {"crf": str(int(spec.crf)), "preset": preset}
        tb = stream.codec_context.time_base
        for i, vf in enumerate(prefetch(converted(), depth=16)):
            vf.pts = i
            vf.time_base = tb
            container.mux(stream.encode(vf))
        container.mux(stream.encode(None))
