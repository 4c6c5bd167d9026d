"""Synthetic anime-like episodes with exact ground truth.

Episodes are written as real video files (or frame folders) and come with an
:class:`EpisodeTruth`: shot boundaries, held frames, the opening, the fade and
the visible bounding boxes of every character. Everything is deterministic
from :class:`EpisodeSpec` (seeded ``numpy.random.default_rng``); the opening is
built from a fixed seed and is pixel-identical in every episode of the same
size and frame rate.

    >>> from celvault.synthetic import EpisodeSpec, make_episode
    >>> truth = make_episode("ep01.mp4", EpisodeSpec(seed=1))      # doctest: +SKIP
    >>> truth.shot_boundaries()                                    # doctest: +SKIP
"""

from .cast import CAST, CAST_BY_NAME, Character, draw_character
from .episode import ShotRenderer, iter_frames, plan_episode, render_frame
from .plan import OPENING_SEED
from .scenes import INDOOR_KINDS, KINDS, OUTDOOR_KINDS, hsv_delta
from .truth import EpisodeSpec, EpisodeTruth, FrameTruth, RenderedFrame, ShotTruth
from .writer import frame_name, frame_rate, make_episode, parse_frame_name, write_frame_folder, write_video

__all__ = [
    "CAST", "CAST_BY_NAME", "Character", "EpisodeSpec", "EpisodeTruth", "FrameTruth",
    "INDOOR_KINDS", "KINDS", "OPENING_SEED", "OUTDOOR_KINDS", "RenderedFrame", "ShotRenderer",
    "ShotTruth", "draw_character", "frame_name", "frame_rate", "hsv_delta", "iter_frames",
    "make_episode", "parse_frame_name", "plan_episode", "render_frame",
    "write_frame_folder", "write_video",
]
