"""The hard evaluation set's spec, truth records and property vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Every property name a shot or a transition can carry, with what it means. Metrics are
# reported per property, so each name stands for one thing a detector can get wrong.
PROPERTY_DOCS: dict[str, str] = {
    # how two consecutive shots relate (transition property)
    "plain": "cut between two different places of different kinds",
    "similar_place": "cut between two different places of the same kind with a close palette",
    "reverse_shot": "cut between two angles (windows) of the same painted place, A-B-A",
    "reframe": "cut between two framings of the same place: one is a zoom of the other",
    "same_sky": "cut between two outdoor places that share the same sky (and horizon)",
    # transition kind (transition property)
    "cut": "hard cut: the new shot starts on one frame",
    "dissolve": "cross-dissolve over 6-18 frames",
    "fade_black": "fade out to black, 0-3 black frames, fade in",
    "fade_white": "fade out to white, 0-3 white frames, fade in",
    "opening": "shot of the shared opening, or a transition inside it / out of it",
    # characters (shot property; closeup/walk also inherited by adjacent transitions)
    "still": "characters stand still, only blinking or talking (small face changes only)",
    "walk": "a character walks across the whole frame, entering and leaving it",
    "overlap": "two or more characters overlap (one occludes another)",
    "closeup": "one character large, covering about half of the frame",
    "empty": "no character in the shot",
    # camera (shot property, exactly one per shot; non-static ones inherited by transitions)
    "static": "camera does not move",
    "pan": "horizontal pan over the painted background",
    "zoom": "zoom in or out on the painted background",
    "shake": "small random camera jitter (background and characters move together)",
    "settle": "camera pans or zooms, then settles and stays still for the rest of the shot",
    # look and effects (shot property; inherited by adjacent transitions)
    "effects": "speed lines or sparkles drawn over the characters (truth: RenderedHard.effects)",
    "night": "night scene: night sky, dim blue lighting over everything",
    "dark": "dark scene: everything dimmed to a low brightness",
    "letterbox": "black bars top and bottom (truth: RenderedHard.letterbox)",
    "flash": "the shot contains 1-3 white flash frames (flashes are not cuts)",
    # animation timing (shot property)
    "ones": "characters animated on ones (a new drawing every frame)",
    "twos": "characters animated on twos",
    "threes": "characters animated on threes",
}
PROPERTIES: tuple[str, ...] = tuple(PROPERTY_DOCS)
RELATIONS = ("plain", "similar_place", "reverse_shot", "reframe", "same_sky")
CAMERAS = ("static", "pan", "zoom", "shake", "settle")
TRANSITION_KINDS = ("cut", "dissolve", "fade_black", "fade_white")
# shot properties a transition inherits from the shots on either side
INHERITED = ("night", "dark", "letterbox", "effects", "closeup", "walk",
             "pan", "zoom", "shake", "settle", "opening")
HOLD_NAMES = {1: "ones", 2: "twos", 3: "threes"}
VISIBLE_SHARE = 0.002   # a character is visible in a frame when >= 0.2% of its pixels show


@dataclass(frozen=True)
class HardSpec:
    seed: int = 0
    width: int = 854
    height: int = 480
    fps: float = 24000 / 1001
    duration_s: float = 40.0
    crf: int = 23
    opening_seed: int | None = None   # same opening_seed + cast_seed + size + fps: same opening
    opening_s: float = 4.0
    cast_seed: int = 0                # characters C1..Cn drawn from this seed
    n_characters: int = 3

    @property
    def n_frames(self) -> int:
        return max(1, int(round(self.duration_s * self.fps)))

    @property
    def n_opening(self) -> int:
        if self.opening_seed is None:
            return 0
        return min(int(round(max(self.opening_s, 0.0) * self.fps)), self.n_frames)


@dataclass(frozen=True)
class HardShot:
    index: int
    start: int                    # first frame owned by the shot
    end: int                      # exclusive
    place_id: str                 # equal ids: the same painted place
    kind: str                     # room, classroom, field, street, forest, beach, rooftop
    outdoor: bool
    characters: tuple[str, ...]   # characters placed in the shot (see HardFrame for visibility)
    camera: str                   # static | pan | zoom | shake | settle
    hold: int                     # 1, 2 or 3: characters drawn on ones, twos, threes
    is_opening: bool
    properties: frozenset

    @property
    def n_frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Transition:
    to_shot: int
    kind: str                     # cut | dissolve | fade_black | fade_white
    first: int                    # inclusive frame span; a cut: first == last == shots[k].start
    last: int
    properties: frozenset


@dataclass(frozen=True)
class HardFrame:
    index: int
    time_s: float
    shot: int
    held: bool                    # pixels identical to the previous frame
    camera_moving: bool           # background moved since the previous frame (same shot)
    transition: str | None        # None | "dissolve" | "fade" | "flash"
    characters: tuple[str, ...]   # visible: >= 0.2% of the frame and shown at >= 50% strength


@dataclass
class RenderedHard:
    rgb: np.ndarray               # HxWx3 uint8, exactly what is encoded
    background: np.ndarray        # the same frame without characters and effects
    masks: dict                   # name -> HxW bool: pixels where the character is drawn (after
                                  # occlusion and letterbox; may overlap `effects`)
    effects: np.ndarray           # HxW bool: pixels changed by speed lines / sparkles
    letterbox: np.ndarray         # HxW bool: bar pixels
