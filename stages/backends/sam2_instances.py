"""`sam2`: SAM2's automatic mask generator; every character instance is its own layer.

Masks covering most of the frame (sky, floor, walls) and fragments under the minimum area
are dropped by the stage; parts of an instance already kept (hair, face) are not layers.
Checkpoints come from the Hugging Face hub (facebook/sam2.1-hiera-*), configs from the
sam2 package.
"""

from __future__ import annotations

from dataclasses import dataclass

from celvault.registry import register
from celvault.settings import setting
from celvault.timing import phase

from .segmenter import Segmentation, Segmenter
from .weights import HubModel

# hub repository -> (config packaged with sam2, checkpoint file in the repository)
SAM2_CONFIGS = {
    "facebook/sam2.1-hiera-tiny": ("configs/sam2.1/sam2.1_hiera_t.yaml", "sam2.1_hiera_tiny.pt"),
    "facebook/sam2.1-hiera-small": ("configs/sam2.1/sam2.1_hiera_s.yaml", "sam2.1_hiera_small.pt"),
    "facebook/sam2.1-hiera-base-plus": ("configs/sam2.1/sam2.1_hiera_b+.yaml", "sam2.1_hiera_base_plus.pt"),
    "facebook/sam2.1-hiera-large": ("configs/sam2.1/sam2.1_hiera_l.yaml", "sam2.1_hiera_large.pt"),
}


def checkpoint(repo: str) -> HubModel:
    """The checkpoint of one SAM2 size (its `celvault models` name is the repository's)."""
    return HubModel(repo.split("/")[1], "segment", "sam2 (huggingface)", repo_id=repo, filename=SAM2_CONFIGS[repo][1])


@dataclass(frozen=True)
class Sam2Settings:
    """stages.segment.sam2: SAM2AutomaticMaskGenerator's own options."""

    model: str = setting("facebook/sam2.1-hiera-large", "SAM2 size (Hugging Face repository)",
                         choices=tuple(SAM2_CONFIGS))
    points_per_side: int = setting(32, "grid of prompt points per side", min=1)
    pred_iou_thresh: float = setting(0.70, "masks under this predicted IoU are dropped", min=0, max=1)
    stability_score_thresh: float = setting(0.80, "masks under this stability score are dropped", min=0, max=1)
    min_mask_region_area: int = setting(4096, "holes and islands under this many px are removed", min=0)
    points_per_batch: int = setting(192, "prompt points per model call", min=1, runtime=True)


@register("segmenter", "sam2", settings=Sam2Settings, weights=lambda o: [checkpoint(o.model)],
          offers=tuple(checkpoint(repo) for repo in SAM2_CONFIGS))
class Sam2Segmenter(Segmenter):
    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self._generator = None

    def _load(self):
        if self._generator is None:
            [spec] = self.models()
            ckpt = spec.require(self.download)
            from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
            from sam2.build_sam import build_sam2

            o = self.options
            model = build_sam2(SAM2_CONFIGS[o.model][0], ckpt_path=str(ckpt), device=self.device)
            self._generator = SAM2AutomaticMaskGenerator(
                model, points_per_side=o.points_per_side, points_per_batch=o.points_per_batch,
                pred_iou_thresh=o.pred_iou_thresh, stability_score_thresh=o.stability_score_thresh,
                min_mask_region_area=o.min_mask_region_area,
            )
        return self._generator

    def segment(self, frames):
        import torch

        gen = self._load()
        out = []
        with torch.inference_mode():
            for f in frames:
                with phase("model"):
                    masks = [a["segmentation"] for a in gen.generate(f.rgb)]
                out.append(Segmentation("sam2", masks=masks))
        return out
