"""`blip`: natural-language captions from a transformers BLIP captioning model, batched.

Default Salesforce/blip-image-captioning-base (any BLIP captioning repository by config),
loaded from the Hugging Face cache; fp16 on CUDA.
"""

from __future__ import annotations

import pyarrow as pa

from celvault.registry import register

from .captioners import Captioner
from .hub_files import DEFAULT_BLIP, transformers_repo
from .weights import HubModel


@register("captioner", "blip")
class BlipCaptioner(Captioner):
    section = "blip"
    column = "caption"
    arrow_type = pa.string()
    defaults = {"model": DEFAULT_BLIP, "prompt": "", "max_new_tokens": 30, "num_beams": 3, "batch": 16}

    def __init__(self, settings, device="cpu", catalog=None):
        super().__init__(settings, device, catalog)
        self.max_new_tokens = self.number("max_new_tokens", int, 1)
        self.num_beams = self.number("num_beams", int, 1)
        self.batch = self.number("batch", int, 1)
        self._net = self._processor = None

    @property
    def repo(self) -> str:
        return str(self.options["model"])

    @property
    def model_id(self) -> str:
        return f"blip:{self.repo}"

    def models(self):
        return [transformers_repo(self.repo, "caption")]

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
        prompt = str(self.options.get("prompt") or "")
        out: list[str] = []
        step = self.batch
        for start in range(0, len(images), step):
            pils = [to_pil(img) for img in images[start:start + step]]
            inputs = self._processor(images=pils, text=[prompt] * len(pils) if prompt else None, return_tensors="pt")
            inputs = {k: v.to(self.device) for k, v in inputs.items()}
            inputs["pixel_values"] = inputs["pixel_values"].to(self._net.dtype)
            with torch.inference_mode():
                ids = self._net.generate(**inputs, max_new_tokens=self.max_new_tokens, num_beams=self.num_beams)
            out += [" ".join(t.split()) for t in self._processor.batch_decode(ids, skip_special_tokens=True)]
        return out
