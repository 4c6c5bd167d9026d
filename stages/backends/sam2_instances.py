"""`sam2`: SAM2's automatic mask generator; every character instance is its own layer.

Masks covering most of the frame (sky, floor, walls) and fragments under the minimum area
are dropped by the stage; parts of an instance already kept (hair, face) are not layers.
"""

from __future__ import annotations

from celvault.errors import ConfigError
from celvault.registry import register
from celvault.stages.backends import weights
from celvault.stages.backends.segmenter import Segmentation, Segmenter


@register("segmenter", "sam2")
class Sam2Segmenter(Segmenter):
    section = "sam2"
    defaults = {"model": "facebook/sam2.1-hiera-large", "points_per_side": 32, "pred_iou_thresh": 0.70,
                "stability_score_thresh": 0.80, "min_mask_region_area": 4096, "points_per_batch": 192}
    runtime_options = frozenset({"points_per_batch"})

    def __init__(self, settings, device="cpu", catalog=None):
        super().__init__(settings, device, catalog)
        if self.options["model"] not in weights.SAM2_CONFIGS:
            raise ConfigError(f"stages.segment.sam2.model: unknown {self.options['model']!r}; "
                              f"known: {', '.join(weights.SAM2_CONFIGS)}")
        self._generator = None

    def models(self) -> list[str]:
        return [self.options["model"].split("/")[1]]

    def _load(self):
        if self._generator is None:
            ckpt = weights.model(self.models()[0]).require(self.download)
            from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
            from sam2.build_sam import build_sam2

            config = weights.SAM2_CONFIGS[self.options["model"]][0]
            model = build_sam2(config, ckpt_path=str(ckpt), device=self.device)
            o = self.options
            self._generator = SAM2AutomaticMaskGenerator(
                model, points_per_side=int(o["points_per_side"]), points_per_batch=int(o["points_per_batch"]),
                pred_iou_thresh=float(o["pred_iou_thresh"]), stability_score_thresh=float(o["stability_score_thresh"]),
                min_mask_region_area=int(o["min_mask_region_area"]),
            )
        return self._generator

    def segment(self, frames):
        import torch

        gen = self._load()
        out = []
        with torch.inference_mode():
            for f in frames:
                masks = [a["segmentation"] for a in gen.generate(f.rgb)]
                out.append(Segmentation("sam2", masks=masks))
        return out
