"""`blip`: natural-language captions from a transformers BLIP captioning model, batched.

Default Salesforce/blip-image-captioning-base (any BLIP captioning repository by config),
loaded from the Hugging Face cache; fp16 on CUDA.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from celvault.registry import register
from celvault.settings import setting
from celvault.timing import phase

from .captioners import Captioner
from .hub_files import transformers_repo
from .weights import HubModel


@dataclass(frozen=True)
class BlipSettings:
    model: str = setting("Salesforce/blip-image-captioning-base", "a BLIP captioning repository on the Hugging Face hub")
    prompt: str = setting("", "text the caption continues, e.g. \"anime screenshot of\"")
    max_new_tokens: int = setting(30, "longest caption, in tokens", min=1)
    num_beams: int = setting(3, "beam search width (1: greedy)", min=1)
    batch: int = setting(16, "images per model call", min=1, runtime=True)


@register("captioner", "blip", settings=BlipSettings, weights=lambda o: [transformers_repo(o.model, "caption")])
class BlipCaptioner(Captioner):
    column = "caption"
    model_prefix = "blip"
    arrow_type = pa.string()

    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self.max_new_tokens, self.num_beams = self.options.max_new_tokens, self.options.num_beams
        self.batch = self.options.batch
        self._net = self._processor = None

    def _load(self):
        if self._net is not None:
            return
        import torch
        from transformers import BlipForConditionalGeneration, BlipProcessor

        self.models()[0].require(self.download)
        where = {"cache_dir": str(HubModel.cache_dir()), "local_files_only": True}
        self._processor = BlipProcessor.from_pretrained(self.repo, **where)
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        self._net = BlipForConditionalGeneration.from_pretrained(self.repo, dtype=dtype, **where).to(self.device).eval()

    def describe(self, images) -> list[str]:
        import torch

        from celvault.media.codec import to_pil

        self._load()
        prompt = self.options.prompt
        out: list[str] = []
        step = self.batch
        for start in range(0, len(images), step):
            pils = [to_pil(img) for img in images[start:start + step]]
            inputs = self._processor(images=pils, text=[prompt] * len(pils) if prompt else None, return_tensors="pt")
            inputs = {k: v.to(self.device) for k, v in inputs.items()}
            inputs["pixel_values"] = inputs["pixel_values"].to(self._net.dtype)
            with torch.inference_mode():
                with phase("model"):
                    ids = self._net.generate(**inputs, max_new_tokens=self.max_new_tokens, num_beams=self.num_beams)
            out += [" ".join(t.split()) for t in self._processor.batch_decode(ids, skip_special_tokens=True)]
        return out
