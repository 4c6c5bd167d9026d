"""Background plates: the per-pixel temporal median of a static shot's still-camera frames.

Inside a shot whose camera does not move, every pixel shows the background in most frames
as characters move about, so the median over those frames is the background plate and
pixels that differ from it are foreground. Whether the camera moved is judged on the
background only (stages/camera_motion.py: block votes that ignore blocks where a character
is), pair by consecutive pair; the plate is built from the longest run of frames linked by
still pairs, so a shot whose camera settles after a move gets a plate for its settled frames.
Frames outside the run say why (moving camera, a fade, too little background to tell).

A character that stands still for most of the shot is in the median. Where frames show it
gone, the region they differ in has the character's outline in the plate and no edge in the
frame: the plate is repaired there from those frames (stages/ghosts.py), so no ghost is cut
from the background and the character is found where it stood.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .camera_motion import MotionSettings, PairMotion, pair_motion, working_grey


@dataclass
class Plate:
    frames: int
    image: np.ndarray | None = None  # HxWx3 uint8
    seen: np.ndarray | None = None  # HxW bool: most frames agree with the plate here
    reason: str | None = None  # why the shot has no usable plate
    agreement: dict[str, float] = field(default_factory=dict)
    verdicts: dict[str, str | None] = field(default_factory=dict)  # frame_id -> why not (None: fits)
    repaired: int = 0  # pixels taken from frames where a character that stood in the plate had left


def difference(rgb: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """Largest per-channel absolute difference, HxW uint8."""
    return np.abs(rgb.astype(np.int16) - plate.astype(np.int16)).max(axis=2).astype(np.uint8)


def agreement(rgb: np.ndarray, plate: np.ndarray, tolerance: int) -> float:
    return float((difference(rgb, plate) <= tolerance).mean())


def _runs(verdicts: list[str], n: int) -> list[list[int]]:
    """Frames linked by pairs whose camera stayed put (or showed nothing that could move)."""
    runs, cur = [], [0]
    for i, v in enumerate(verdicts):
        if v in ("still", "flat"):
            cur.append(i + 1)
        else:
            runs.append(cur)
            cur = [i + 1]
    runs.append(cur)
    return [r for r in runs if r and r[0] < n]


def still_run(greys: list[np.ndarray], motion: MotionSettings) -> tuple[list[int], list[str]]:
    """The longest run of still-camera frames, and every consecutive pair's verdict."""
    pairs = [pair_motion(a, b, None, motion).verdict(motion.min_votes) for a, b in zip(greys, greys[1:])]
    for run in sorted(_runs(pairs, len(greys)), key=len, reverse=True):
        # a slow pan can look still pair by pair; its first and last frames show the move
        if len(run) < 3 or pair_motion(greys[run[0]], greys[run[-1]], None, motion).verdict(motion.min_votes) != "moved":
            return run, pairs
    return [], pairs


def _why_not(i: int, pairs: list[str]) -> str:
    near = pairs[max(0, i - 1):i + 1]
    if "moved" in near:
        return "moving camera"
    return "camera still unsure (too little background visible to tell)"


def build_plate(frames: list[tuple[str, np.ndarray]], tolerance: int, min_frames: int,
                static_fraction: float, motion: MotionSettings | None = None, ghost_ratio: float = 1.5,
                moved_shift: float = 0.2) -> Plate:
    n = len(frames)
    if n < min_frames:
        what = "one-frame shot" if n == 1 else f"{n}-frame shot"
        return Plate(n, reason=f"{what} (a plate needs {min_frames})")
    motion = motion or MotionSettings()
    if len({rgb.shape for _, rgb in frames}) > 1:
        return Plate(n, reason="frame sizes differ within the shot")
    run, pairs = still_run([working_grey(rgb) for _, rgb in frames], motion)
    if len(run) < min_frames:
        moved = sum(v == "moved" for v in pairs)
        return Plate(n, reason="moving camera" if moved else f"no {min_frames} frames with a still camera")
    image = np.median(np.stack([frames[i][1] for i in run]), axis=0).round().astype(np.uint8)
    agree = {i: agreement(frames[i][1], image, tolerance) for i in run}
    floor = max(static_fraction, 0.6 * float(np.median(list(agree.values()))))
    kept = [i for i in run if agree[i] >= floor]  # not a fade, dissolve or flash inside the run
    if len(kept) < min_frames:
        return Plate(n, reason="frames differ from their shot's plate (a fade or a flash)")
    if len(kept) < len(run):
        image = np.median(np.stack([frames[i][1] for i in kept]), axis=0).round().astype(np.uint8)
    if moved_shift and _background_moved(frames, kept, image, tolerance, moved_shift):
        return Plate(n, reason="background moved under the plate (a pan or zoom the camera test missed)")
    from .ghosts import repair_ghosts

    image, repaired = repair_ghosts(image, [frames[i][1] for i in kept], tolerance, ghost_ratio)
    matches = np.stack([difference(frames[i][1], image) <= tolerance for i in kept])
    seen = matches.sum(axis=0) >= max(2, (len(kept) + 1) // 2)
    if repaired is not None:
        seen |= repaired
    verdicts: dict[str, str | None] = {}
    for i, (fid, rgb) in enumerate(frames):
        if i in kept:
            verdicts[fid] = None
        elif i in run:
            verdicts[fid] = "frame differs from its shot's plate (a fade, dissolve or flash)"
        elif agreement(rgb, image, tolerance) < floor:
            verdicts[fid] = "frame differs from its shot's plate (a fade, dissolve or flash)"
        else:
            verdicts[fid] = _why_not(i, pairs)
    return Plate(n, image, seen, agreement={frames[i][0]: agree[i] for i in run}, verdicts=verdicts,
                 repaired=0 if repaired is None else int(repaired.sum()))


def _background_moved(frames, kept: list[int], image: np.ndarray, tolerance: int, shift: float) -> bool:
    small = [_small(frames[i][1]) for i in kept]  # the check is about regions, not pixels
    plate_small = _small(image)
    return any(moved_under(small[k], plate_small, tolerance, shift, [o for j, o in enumerate(small) if j != k],
                           small[k + 1] if k + 1 < len(small) else small[k - 1])
               for k in range(len(small)))


def _small(rgb: np.ndarray, width: int = 320) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    if w <= width:
        return rgb
    return cv2.resize(rgb, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


def moved_under(rgb: np.ndarray, image: np.ndarray, tolerance: int, shift: float, others=(), nearest=None,
                min_area: float = 0.005) -> bool:
    """Whether the frame shows the camera moved during the run, whatever the block votes said
    (a follow pan whose still characters outvoted a few moving props): a region where it differs
    from the plate is the plate's own background moved (up to `shift` of the width), or two
    such regions moved rigidly by the same step since the `nearest` frame of the run (clouds,
    props: the median wiped them as it wipes walkers, but walkers are not rigid twins). A region
    that another frame of the run shows just the same is no move: it is still content the
    median got wrong (a character that stood in the plate and left: a ghost, repaired later)."""
    import cv2

    from .plausible import Plausibility, rigid_match, shifted_background

    h, w = rgb.shape[:2]
    diff = cv2.morphologyEx((difference(rgb, image) > tolerance).astype(np.uint8), cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(diff, connectivity=8)
    p = Plausibility(tolerance=tolerance)
    radius = max(1, round(shift * w))
    steps, same = [], None
    for k in range(1, n):
        if stats[k, 4] < min_area * h * w:
            continue
        region = labels == k
        if others:  # what another frame shows just the same did not move (a ghost)
            if same is None:
                same = np.any([difference(rgb, o) <= tolerance // 2 for o in others], axis=0)
            if (same & region).sum() >= 0.9 * region.sum():
                continue
        if shifted_background(region, rgb, image, p, radius):
            return True
        if nearest is not None:
            agree, step = rigid_match(region, rgb, nearest, tolerance, radius)
            if agree >= 0.9 and max(abs(step[0]), abs(step[1])) >= 0.01 * w:
                if any(abs(step[0] - a) + abs(step[1] - b) <= 0.01 * w for a, b in steps):
                    return True
                steps.append(step)
    return False


def fits_unseen(rgb: np.ndarray, plate: Plate, tolerance: int, static_fraction: float,
                motion: MotionSettings) -> str | None:
    """For a frame the plate was not built from: its background blocks must match the plate
    where they are, not shifted."""
    if agreement(rgb, plate.image, tolerance) < static_fraction:
        return "frame differs from its shot's plate (a fade or a camera move)"
    votes: PairMotion = pair_motion(working_grey(rgb), working_grey(plate.image), None, motion)
    verdict = votes.verdict(motion.min_votes)
    return "moving camera" if verdict == "moved" else None


class ShotPlates:
    """Plates of the shots a stage is working through (a few kept in memory). `frames_of(
    episode_id, shot_index, limit)` gives a shot's decoded frames (the runner's reader)."""

    def __init__(self, frames_of, tolerance: int = 24, min_frames: int = 3, static_fraction: float = 0.25,
                 max_frames: int = 48, keep: int = 4, motion: MotionSettings | None = None,
                 ghost_ratio: float = 1.5, moved_shift: float = 0.2):
        if frames_of is None:
            from celvault.errors import CelvaultError

            raise CelvaultError("plates need the shot's frames: the runner hands them to the stage")
        self.frames_of = frames_of
        self.tolerance, self.min_frames = int(tolerance), int(min_frames)
        self.static_fraction, self.max_frames = float(static_fraction), int(max_frames)
        self.motion, self.ghost_ratio = motion or MotionSettings(), float(ghost_ratio)
        self.moved_shift = float(moved_shift)
        self._cache: OrderedDict = OrderedDict()
        self._keep = keep

    def _shot_frames(self, episode_id: str, shot_index: int) -> list[tuple[str, np.ndarray]]:
        return self.frames_of(episode_id, shot_index, self.max_frames)

    def get(self, episode_id: str, shot_index: int) -> Plate:
        key = (episode_id, int(shot_index))
        if key not in self._cache:
            frames = self._shot_frames(episode_id, shot_index)
            self._cache[key] = build_plate(frames, self.tolerance, self.min_frames, self.static_fraction,
                                           self.motion, self.ghost_ratio, self.moved_shift)
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    def applies(self, plate: Plate, rgb: np.ndarray, frame_id: str | None = None) -> str | None:
        """None when the plate can be used for this frame, else why not."""
        if plate.reason:
            return plate.reason
        if plate.image.shape != rgb.shape:
            return "frame size differs from its shot"
        if frame_id is not None and frame_id in plate.verdicts:
            return plate.verdicts[frame_id]
        return fits_unseen(rgb, plate, self.tolerance, self.static_fraction, self.motion)
