"""A hard evaluation set of synthetic anime-like episodes with exact ground truth.

Unlike :mod:`celvault.synthetic` (whose cuts are made strong on purpose), these episodes
hold the cases detectors get wrong: cuts between shots of the same place or kind of place
(reverse shots, reframes, similar rooms, the same sky), dissolves, fades through black and
white, white flashes inside shots, still/walking/overlapping characters and close-ups,
pans, zooms, shake and settling cameras, effects over characters, night and dark scenes,
letterboxing, animation on ones/twos/threes, several sizes, frame rates and crf values.
Every shot and transition carries property names (:data:`PROPERTIES`) so metrics can be
reported per case.

    >>> from celvault.evalset import sample_specs, plan_hard_episode
    >>> ep = plan_hard_episode(sample_specs(1, 1, quick=True)[0])   # doctest: +SKIP
    >>> ep.write("hard01.mkv"); ep.cuts()                           # doctest: +SKIP
"""

from .episode import HardEpisode, plan_hard_episode
from .records import (
    PROPERTIES,
    PROPERTY_DOCS,
    HardFrame,
    HardShot,
    HardSpec,
    RenderedHard,
    Transition,
)
from .sampling import sample_specs

__all__ = [
    "HardEpisode", "HardFrame", "HardShot", "HardSpec", "PROPERTIES", "PROPERTY_DOCS",
    "RenderedHard", "Transition", "plan_hard_episode", "sample_specs",
]
