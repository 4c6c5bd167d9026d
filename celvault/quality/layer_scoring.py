"""Is a character layer a character? Layer quality against truth masks (benchmarks, tests).

A layer is a character layer when most of its pixels fall on one or more characters' true
masks. A (frame, character) pair is found when the frame's layers cover most of that
character's visible pixels. `Tally` adds frames up into precision, recall and plate coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def character_share(mask: np.ndarray, truth: dict[str, np.ndarray] | list[np.ndarray]) -> float:
    """Share of a layer's pixels (HxW bool, frame coordinates) on any character."""
    masks = list(truth.values()) if isinstance(truth, dict) else list(truth)
    area = int(mask.sum())
    if not area:
        return 0.0
    if not masks:
        return 0.0
    on = np.zeros_like(mask, bool)
    for m in masks:
        on |= m
    return float((mask & on).sum()) / area


def is_character(mask: np.ndarray, truth, min_share: float = 0.5) -> bool:
    return character_share(mask, truth) >= min_share


def found_characters(layers: list[np.ndarray], truth: dict[str, np.ndarray], min_cover: float = 0.5,
                     min_pixels: int = 1) -> dict[str, bool]:
    """Per character visible in the frame (at least `min_pixels`): do the layers cover most of it?"""
    union = np.zeros(next(iter(truth.values())).shape, bool) if truth else None
    for m in layers:
        union = m.copy() if union is None else union | m
    out = {}
    for name, m in truth.items():
        area = int(m.sum())
        if area >= min_pixels:
            out[name] = float((m & union).sum()) / area >= min_cover
    return out


@dataclass
class Tally:
    layers: int = 0
    character_layers: int = 0
    pairs: int = 0  # (frame, character) pairs with the character visible
    found: int = 0
    frames: int = 0  # frames a plate should cover (static camera)
    covered: int = 0
    bad: list = field(default_factory=list)  # (where, share) of layers that are not characters

    def add_frame(self, layers: list[np.ndarray], truth: dict[str, np.ndarray], where=None,
                  min_share: float = 0.5, min_pixels: int = 1, count_recall: bool = True) -> None:
        for j, m in enumerate(layers):
            share = character_share(m, truth)
            self.layers += 1
            if share >= min_share:
                self.character_layers += 1
            else:
                self.bad.append(((where, j), round(share, 2)))
        if count_recall and truth:
            got = found_characters(layers, truth, min_pixels=min_pixels)
            self.pairs += len(got)
            self.found += sum(got.values())

    def add_coverage(self, covered: bool) -> None:
        self.frames += 1
        self.covered += bool(covered)

    @property
    def precision(self) -> float:
        return self.character_layers / self.layers if self.layers else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.pairs if self.pairs else 1.0

    @property
    def coverage(self) -> float:
        return self.covered / self.frames if self.frames else 1.0

    def row(self) -> dict:
        return {"layers": self.layers, "precision": round(self.precision, 3), "pairs": self.pairs,
                "recall": round(self.recall, 3), "frames": self.frames, "coverage": round(self.coverage, 3)}
