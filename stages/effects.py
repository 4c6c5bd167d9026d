"""effects: effect layers (sparkles, speed lines, explosions, ...) over characters and background.

Per representative frame an effect finder (`clipseg`: text-prompted segmentation over the
vocabulary in configs/effects/; `rule`: bright thin strokes, no weights) gives a probability
map per effect; regions of it (stages/effect_regions.py) become `effect` layers: RGBA cut-out
of the bbox + mask in layer_media, and on layers `effect` (the vocabulary name), `prompt`
(what found it) and `score` (mean probability). On frames: `effect_count` and `effects` (the
names found). Then every character layer gets `effect_overlap`: the share of its mask the
frame's effect masks cover (exporters leave out or mask cut-outs that are mostly effect).
With `stages.inpaint.include: [character, effect]` inpaint also fills effect pixels, so a
recomputed frame sets its background back to missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from celvault.registry import register
from celvault.settings import StageSettings, setting
from celvault.timing import phase

from .base import CHARACTER_LAYERS, REPRESENTATIVE_FRAMES, IndexSpec
from .effect_regions import EffectBatch, overlap, regions_of
from .effect_vocabulary import load_effects
from .layers import LAYER_INDEXES, frames_in
from .model_stage import ModelStage
from .row_stage import Target

EFFECT_LAYERS = "kind = 'effect'"
FRAME_OUTPUTS = [pa.field("effect_count", pa.int32()), pa.field("effects", pa.list_(pa.string()))]
LAYER_OUTPUTS = [pa.field("effect_overlap", pa.float32())]


@dataclass(frozen=True)
class EffectsSettings(StageSettings):
    vocabulary: str = setting("default", "effects to look for: configs/effects/<name>.yaml, or a path to your own YAML")
    group: float = setting(0.05, "pixels of one effect closer than this (fraction of the frame height) are one layer",
                           min=0, max=1)
    max_layers: int = setting(16, "most effect layers per frame (the largest kept)", min=1, max=1000)


@register("stage", "effects")
class EffectsStage(ModelStage):
    name = "effects"
    version = 1
    order = 25  # after segment (20), before inpaint (30), which may fill effect pixels too
    Settings = EffectsSettings
    backend_kind = "effect_finder"
    default_backend = "clipseg"
    default_batch_size = 8
    uses = ["inpaint"]  # inpaint.include: whether a frame's background depends on its effects
    targets = {
        "frames": Target("frame_id", REPRESENTATIVE_FRAMES, "frame_media", inputs=("episode_id", "shot_index"),
                         requires=("layer_count",)),
        "layers": Target("layer_id", CHARACTER_LAYERS, None, inputs=("frame_id", "bbox")),
    }
    table, key, where, media = "frames", "frame_id", REPRESENTATIVE_FRAMES, "frame_media"
    inputs = ["episode_id", "shot_index"]
    outputs = FRAME_OUTPUTS
    owns = {"layer_media": EFFECT_LAYERS, "layers": EFFECT_LAYERS}
    requires = ["layer_count"]

    def __init__(self, settings=None, run=None, uses=None):
        super().__init__(settings, run, uses)
        self.vocabulary = load_effects(self.settings.vocabulary)
        # a backend that compares a frame with its shot (the rule's median) gets the shot's frames
        self.shot_frames_needed = bool(getattr(self.model, "needs_shot_frames", False))

    def on(self, table: str):
        part = super().on(table)
        if table == "layers":  # character layers: how much of each the frame's effects cover
            part.outputs, part.owns, part.frame_layers = LAYER_OUTPUTS, {}, "kind IN ('character', 'effect')"
            part.shot_frames_needed = False
        else:
            inpaint = self.used.get("inpaint")
            fills = "effect" in (getattr(inpaint, "include", None) or ())
            part.resets = ["inpaint_method", "inpaint_config"] if fills else []
        return part

    def params(self):
        return {"vocabulary": self.vocabulary.digest(), "group": self.settings.group,
                "max_layers": self.settings.max_layers, self.backend: self.model.params()}

    def check_settings(self) -> None:
        if self.table == "frames":
            super().check_settings()

    def missing_weights(self) -> list[str]:
        return super().missing_weights() if self.table == "frames" else []

    def prepare(self) -> None:
        if self.table == "frames":  # the layers part only compares masks: no model
            super().prepare()

    def indexes(self) -> list[IndexSpec]:
        return list(LAYER_INDEXES) if self.table == "frames" else []

    def run(self, rows: pa.Table) -> dict:
        return self._frames(rows) if self.table == "frames" else self._layers(rows)

    def _frames(self, rows: pa.Table) -> dict:
        made_by = self.config_id()
        frames = frames_in(rows)
        with phase("pre"):  # the backend's own work; its model call is marked `model`
            maps = self.model.find(frames, self.vocabulary)
        by_name = {e.name: e for e in self.vocabulary.effects}
        batch, counts, names = EffectBatch(), [], []
        for frame, found in zip(frames, maps):
            group = int(round(self.settings.group * frame.rgb.shape[0]))
            regions = regions_of(found, self.vocabulary, group, self.settings.max_layers)
            for i, region in enumerate(regions):
                batch.add_effect(frame, i, region, self.model.prompt_of(by_name[region.effect]), self.backend, made_by)
                self._methods[region.effect] += 1
            counts.append(len(regions))
            names.append(sorted({r.effect for r in regions}))
        return {"effect_count": counts, "effects": names, **batch.tables()}

    def _layers(self, rows: pa.Table) -> dict:
        got = zip(*(rows.column(c).to_pylist() for c in ("layer_id", "bbox", "layer_masks")))
        return {"effect_overlap": [round(overlap(lid, bbox, parts or []), 4) for lid, bbox, parts in got]}

    def summary(self) -> list[str]:
        if self.table != "frames":
            return []
        return [f"{n} effect layers: {m}" for m, n in sorted(self._methods.items())]
