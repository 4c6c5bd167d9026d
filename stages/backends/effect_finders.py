"""What an effect finder is: frames and an effect vocabulary in, per frame a probability map
(HxW float32, 0-1) for each effect of the vocabulary it can see. The `effects` stage turns the
maps into regions (threshold, grouping, minimum area) and the regions into `effect` layers."""

from __future__ import annotations

import numpy as np

from .base import Backend


class EffectFinder(Backend):
    def find(self, frames, vocabulary) -> list[dict[str, np.ndarray]]:
        """One {effect name: HxW float32 probability} per frame (`frames`: stages.layers.FrameIn)."""
        raise NotImplementedError

    def prompt_of(self, effect) -> str:
        """What the layer records as the prompt that found it."""
        return effect.prompt
