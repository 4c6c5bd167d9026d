"""`overlap`: the weight-free track linker (stages/tracking.py): mask overlap, size, motion
and embedding similarity from frame to frame, ambiguous links left open."""

from __future__ import annotations

from dataclasses import dataclass

from celvault.registry import register
from celvault.settings import setting

from .base import Backend


@dataclass(frozen=True)
class OverlapTrackerSettings:
    max_gap: int = setting(2, "how many frames back (of the shot's frames with characters) a link may reach: 1 links "
                           "neighbours only, 2 lets a track skip a frame", min=1, max=20)
    max_move: float = setting(1.0, "the farthest a character moves per frame, in character heights", min=0)
    min_size_ratio: float = setting(0.6, "the smaller mask of a link is at least this share of the larger", min=0,
                                    max=1)
    max_embed_distance: float = setting(0.3, "the largest cosine distance between the embeddings of a link", min=0,
                                        max=2)
    min_score: float = setting(0.4, "weaker best links are left open (0-1: mean of overlap, stillness, likeness)",
                               min=0, max=1)
    ambiguity: float = setting(0.1, "a second candidate within this of the best leaves the link open", min=0, max=1)


@register("tracker", "overlap", settings=OverlapTrackerSettings)
class OverlapTracker(Backend):
    def link(self, layers) -> dict[str, str]:
        """layer_id -> track id for one shot's layers (a list of tracking.ShotLayer)."""
        from celvault.stages.tracking import LinkRules, link_shot

        o = self.options
        rules = LinkRules(max_gap=o.max_gap, max_move=o.max_move, min_size_ratio=o.min_size_ratio,
                          max_embed_distance=o.max_embed_distance, min_score=o.min_score, ambiguity=o.ambiguity)
        return link_shot(layers, rules)
