"""`clipseg`: text-prompted segmentation of effects with CLIPSeg (transformers).

Default CIDAS/clipseg-rd64-refined from the Hugging Face cache. Every frame is scored
against every prompt of the effect vocabulary: the prompts are embedded once, each frame is
run once per prompt in one batch, and the per-pixel probabilities (the sigmoid of CLIPSeg's
352x352 logits) are resized to the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from celvault.registry import register
from celvault.settings import setting
from celvault.timing import phase

from .effect_finders import EffectFinder
from .hub_files import transformers_repo
from .weights import HubModel


@dataclass(frozen=True)
class ClipsegSettings:
    model: str = setting("CIDAS/clipseg-rd64-refined", "a CLIPSeg repository on the Hugging Face hub")
    batch: int = setting(16, "images (frame x prompt) per model call", min=1, runtime=True)


@register("effect_finder", "clipseg", settings=ClipsegSettings,
          weights=lambda o: [transformers_repo(o.model, "effects")])
class ClipsegEffects(EffectFinder):
    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self._net = self._processor = None
        self._prompts: tuple = ()
        self._cond = None

    def _load(self):
        if self._net is not None:
            return
        import torch  # noqa: F401 (the model library, loaded on first use only)
        from transformers import CLIPSegForImageSegmentation, CLIPSegProcessor

        self.models()[0].require(self.download)
        where = {"cache_dir": str(HubModel.cache_dir()), "local_files_only": True}
        self._processor = CLIPSegProcessor.from_pretrained(self.options.model, **where)
        self._net = CLIPSegForImageSegmentation.from_pretrained(self.options.model, **where).to(self.device).eval()

    def _conditions(self, prompts: tuple):
        import torch

        if prompts != self._prompts:
            text = self._processor.tokenizer(list(prompts), padding=True, return_tensors="pt")
            with torch.inference_mode():
                self._cond = self._net.get_conditional_embeddings(
                    batch_size=len(prompts), input_ids=text["input_ids"].to(self.device), attention_mask=text["attention_mask"].to(self.device))
            self._prompts = prompts
        return self._cond

    def find(self, frames, vocabulary):
        import cv2
        import torch

        self._load()
        effects = vocabulary.effects
        cond = self._conditions(tuple(e.prompt for e in effects))
        n = len(effects)
        out = []
        for f in frames:
            pixels = self._processor.image_processor(images=[f.rgb], return_tensors="pt")["pixel_values"].to(self.device)
            probs = []
            for start in range(0, n, self.options.batch):
                c = cond[start:start + self.options.batch]
                with torch.inference_mode(), phase("model"):
                    logits = self._net(pixel_values=pixels.expand(len(c), -1, -1, -1), conditional_embeddings=c).logits
                probs.append(torch.sigmoid(logits.reshape(len(c), *logits.shape[-2:])).float().cpu().numpy())
            maps = np.concatenate(probs)
            h, w = f.rgb.shape[:2]
            out.append({e.name: cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
                        for e, m in zip(effects, maps)})
        return out
