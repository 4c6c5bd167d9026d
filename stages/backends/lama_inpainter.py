"""`lama`: big-lama through simple-lama-inpainting's loader; frames of one size run as a batch."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from celvault.registry import register
from celvault.settings import setting
from celvault.timing import phase

from .inpainters import Inpainter
from .weights import ModelSpec


@dataclass(frozen=True)
class LamaModel(ModelSpec):
    """big-lama TorchScript file simple-lama-inpainting reads ($LAMA_MODEL, or torch hub's cache)."""

    url: str = "https://github.com/enesmsahin/simple-lama-inpainting/releases/download/v0.1.0/big-lama.pt"

    def expected(self) -> Path:
        if os.environ.get("LAMA_MODEL"):
            return Path(os.environ["LAMA_MODEL"])
        from torch.hub import get_dir

        return Path(get_dir()) / "checkpoints" / Path(self.url).name

    def fetch(self) -> Path:
        if os.environ.get("LAMA_MODEL"):
            return Path(os.environ["LAMA_MODEL"])
        from simple_lama_inpainting.utils import download_model

        return Path(download_model(self.url))


@dataclass(frozen=True)
class LamaSettings:
    batch: int = setting(4, "frames per call on CUDA (one at a time on the CPU: faster there)", min=1, runtime=True)


@register("inpainter", "lama", settings=LamaSettings, weights=(LamaModel("lama", "inpaint", "simple-lama-inpainting"),))
class LamaInpainter(Inpainter):
    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self._lama = None
        self._batched = True

    def _load(self):
        if self._lama is None:
            [spec] = self.models()
            path = spec.require(self.download)
            import torch
            from simple_lama_inpainting import SimpleLama

            before = os.environ.get("LAMA_MODEL")
            os.environ["LAMA_MODEL"] = str(path)  # simple-lama's own way to name a local file
            try:
                self._lama = SimpleLama(device=torch.device(self.device))
            finally:  # leave the process environment as it was
                if before is None:
                    os.environ.pop("LAMA_MODEL", None)
                else:
                    os.environ["LAMA_MODEL"] = before
        return self._lama

    def _run(self, frames, masks):
        import torch
        from simple_lama_inpainting.utils import prepare_img_and_mask

        lama = self._load()
        pairs = [prepare_img_and_mask(f.rgb, (m * 255).astype(np.uint8), lama.device) for f, m in zip(frames, masks)]
        with torch.inference_mode():
            with phase("model"):
                out = lama.model(torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs]))
        out = (out.permute(0, 2, 3, 1).float().cpu().numpy().clip(0, 1) * 255).astype(np.uint8)
        return [o[: f.rgb.shape[0], : f.rgb.shape[1]] for o, f in zip(out, frames)]

    def inpaint(self, frames, masks):
        results: list[np.ndarray] = []
        # batches pay on a GPU; on a CPU one frame at a time is faster (benchmarks/RESULTS.md)
        step = self.options.batch if self.device == "cuda" else 1
        i = 0
        while i < len(frames):
            size = frames[i].rgb.shape
            j = i + 1
            while j < len(frames) and j - i < step and frames[j].rgb.shape == size:
                j += 1
            if not self._batched:
                j = i + 1
            try:
                results += self._run(frames[i:j], masks[i:j])
            except RuntimeError:
                if j - i == 1 or not self._batched:
                    raise
                self._batched = False  # this TorchScript file does not take batches: one by one
                continue
            i = j
        return [(r, "lama") for r in results]
