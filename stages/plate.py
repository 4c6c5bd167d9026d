"""Background plates: the per-pixel temporal median of a static shot's frames.

Inside a shot whose camera does not move, every pixel shows the background in most frames
as characters move about, so the median over the shot's frames is the background plate and
pixels that differ from it are foreground. Where this does not hold it says why: shots with
too few frames, moving cameras (most pixels of most frames disagree with the median), and
single frames that disagree (a fade). A character that never moves during the shot is part
of its plate: the plate cannot see behind it (the `seen` map tells where it could).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from celvault.catalog.store import sql_in, sql_str

from .layers import decode_frame


@dataclass
class Plate:
    frames: int
    image: np.ndarray | None = None  # HxWx3 uint8
    seen: np.ndarray | None = None  # HxW bool: most frames agree with the plate here
    reason: str | None = None  # why the shot has no usable plate
    agreement: dict[str, float] = field(default_factory=dict)


def difference(rgb: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """Largest per-channel absolute difference, HxW uint8."""
    return np.abs(rgb.astype(np.int16) - plate.astype(np.int16)).max(axis=2).astype(np.uint8)


def _matched(a: np.ndarray, b: np.ndarray, tolerance: int, margin: int) -> float:
    if margin:
        a, b = a[margin:-margin, margin:-margin], b[margin:-margin, margin:-margin]
    return float((np.abs(a.astype(np.int16) - b.astype(np.int16)) <= tolerance).mean())


def camera_moves(frames: list[np.ndarray], tolerance: int) -> bool:
    """Whether the camera pans or shakes: consecutive frames agree better after the global
    shift phase correlation finds than as they are. Characters moving over a still
    background can pull the shift their way, but then the shifted frames agree worse."""
    import cv2

    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    window = cv2.createHanningWindow(grey[0].shape[::-1], cv2.CV_32F)
    votes = []
    for a, b in zip(grey, grey[1:]):
        (dx, dy), _ = cv2.phaseCorrelate(a.astype(np.float32), b.astype(np.float32), window)
        if np.hypot(dx, dy) < 0.5:
            votes.append(False)
            continue
        margin = int(np.ceil(max(abs(dx), abs(dy)))) + 1
        still = _matched(a, b, tolerance, margin)
        shifted = max(_matched(a, cv2.warpAffine(b, np.float32([[1, 0, sx], [0, 1, sy]]), b.shape[::-1]),
                               tolerance, margin) for sx, sy in ((dx, dy), (-dx, -dy)))
        votes.append(shifted > still + 0.01)
    return sum(votes) * 2 > len(votes)


def build_plate(frames: list[tuple[str, np.ndarray]], tolerance: int, min_frames: int,
                static_fraction: float) -> Plate:
    n = len(frames)
    if n < min_frames:
        what = "one-frame shot" if n == 1 else f"{n}-frame shot"
        return Plate(n, reason=f"{what} (a plate needs {min_frames})")
    if camera_moves([rgb for _, rgb in frames], tolerance):
        return Plate(n, reason="moving camera")
    stack = np.stack([rgb for _, rgb in frames])
    image = np.median(stack, axis=0).round().astype(np.uint8)
    matches = np.stack([difference(rgb, image) <= tolerance for _, rgb in frames])
    agreement = {fid: float(m.mean()) for (fid, _), m in zip(frames, matches)}
    plate = Plate(n, image, matches.sum(axis=0) >= max(2, (n + 1) // 2), agreement=agreement)
    if float(np.median(list(agreement.values()))) < static_fraction:
        plate.reason = "moving camera (most pixels differ from the median)"
    return plate


class ShotPlates:
    """Plates of the shots a stage is working through (a few kept in memory)."""

    def __init__(self, catalog, tolerance: int = 24, min_frames: int = 3, static_fraction: float = 0.5,
                 max_frames: int = 24, keep: int = 4):
        self.catalog = catalog
        self.tolerance, self.min_frames = int(tolerance), int(min_frames)
        self.static_fraction, self.max_frames = float(static_fraction), int(max_frames)
        self._cache: OrderedDict = OrderedDict()
        self._keep = keep

    def _shot_frames(self, episode_id: str, shot_index: int) -> list[tuple[str, np.ndarray]]:
        where = f"episode_id = {sql_str(episode_id)} AND shot_index = {int(shot_index)}"
        ids = sorted(self.catalog.read("frames", ["frame_id"], where).column("frame_id").to_pylist())
        if len(ids) > self.max_frames:  # evenly spaced over the shot
            ids = [ids[i] for i in np.linspace(0, len(ids) - 1, self.max_frames).round().astype(int)]
        if not ids:
            return []
        media = self.catalog.read("frame_media", ["frame_id", "data"], sql_in("frame_id", ids))
        data = dict(zip(media.column("frame_id").to_pylist(), media.column("data").to_pylist()))
        return [(fid, decode_frame(data.get(fid), fid)) for fid in ids]

    def get(self, episode_id: str, shot_index: int) -> Plate:
        key = (episode_id, int(shot_index))
        if key not in self._cache:
            frames = self._shot_frames(episode_id, shot_index)
            self._cache[key] = build_plate(frames, self.tolerance, self.min_frames, self.static_fraction)
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    def applies(self, plate: Plate, rgb: np.ndarray) -> str | None:
        """None when the plate can be used for this frame, else why not."""
        if plate.reason:
            return plate.reason
        if plate.image.shape != rgb.shape:
            return "frame size differs from its shot"
        if float((difference(rgb, plate.image) <= self.tolerance).mean()) < self.static_fraction:
            return "frame differs from its shot's plate (a fade or a camera move)"
        return None
