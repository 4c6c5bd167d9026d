"""rembg models (isnet-anime, u2net, u2netp, isnet-general-use) through onnxruntime.

`batched: true` (default) runs rembg's ONNX file with the batch dimension made symbolic,
several frames per call (the GPU's way to be fast), with rembg's own preprocessing:
LANCZOS resize to the model size, divide by the image maximum, normalise; min-max scale the
first output and LANCZOS it back. `batched: false` uses rembg's session, one image at a time.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from celvault.registry import register
from celvault.settings import setting
from celvault.timing import phase

from .device import onnx_providers
from .segmenter import Segmentation, Segmenter
from .weights import ModelSpec

IMAGENET_MEAN = (0.485, 0.456, 0.406)
# model -> (input side, std); isnet models use std 1 (see rembg's DisSession)
MODELS = {
    "isnet-anime": (1024, (1.0, 1.0, 1.0)),
    "isnet-general-use": (1024, (1.0, 1.0, 1.0)),
    "u2net": (320, (0.229, 0.224, 0.225)),
    "u2netp": (320, (0.229, 0.224, 0.225)),
}


def preprocess(rgb: np.ndarray, side: int, std) -> np.ndarray:
    """rembg's BaseSession.normalize for one image: CHW float32."""
    from PIL import Image

    im = np.asarray(Image.fromarray(rgb).convert("RGB").resize((side, side), Image.Resampling.LANCZOS))
    # the arithmetic rembg does per pixel, done once per value (0-255) and looked up: the same
    # float32 operations in the same order, so the same bits, in a third of the time
    values = np.arange(256, dtype=np.float32) / max(float(im.max()), 1e-6)
    mean, sd = np.asarray(IMAGENET_MEAN, np.float32), np.asarray(std, np.float32)
    out = np.empty((3, side, side), np.float32)
    for c in range(3):
        np.take((values - mean[c]) / sd[c], im[..., c], out=out[c])
    return out


def postprocess(pred: np.ndarray, width: int, height: int) -> np.ndarray:
    """rembg's predict() tail for one image: min-max scale, 8-bit, LANCZOS back to the frame."""
    from PIL import Image

    lo, hi = float(pred.min()), float(pred.max())
    pred = (pred - lo) / ((hi - lo) or 1.0)
    mask = Image.fromarray((pred.clip(0, 1) * 255).astype(np.uint8), mode="L")
    return np.asarray(mask.resize((width, height), Image.Resampling.LANCZOS))


def batched_session(path, providers: list[str]):
    """An onnxruntime session over the model with its batch dimension made symbolic."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(path))
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].HasField("dim_value"):
            dims[0].Clear()
            dims[0].dim_param = "batch"
    del model.graph.value_info[:]  # shapes inferred for batch 1 would pin it again
    from .device import onnx_session_options

    return ort.InferenceSession(model.SerializeToString(), onnx_session_options(), providers=providers)


@dataclass(frozen=True)
class RembgModel(ModelSpec):
    """An ONNX file in rembg's model home (REMBG_HOME, U2NET_HOME or ~/.rembg)."""

    def _session(self):
        from rembg.sessions import sessions

        return sessions[self.name]

    def expected(self) -> Path:
        cls = self._session()
        fname = f"{self.name}.onnx"
        found = cls.resolve_existing(fname)
        return Path(found) if found else Path(cls.model_dir()) / fname

    def fetch(self) -> Path:
        return Path(self._session().download_models())


@dataclass(frozen=True)
class RembgSettings:
    """stages.segment.rembg: shared by every rembg model; both settings change speed only."""

    batched: bool = setting(True, "run the ONNX file on several frames per call (false: rembg's own session)",
                            runtime=True)
    batch: int = setting(8, "frames per ONNX call on a GPU (on the CPU one per call: batching gains nothing there "
                            "and holds ~1.5 GB per 1024x1024 frame, per worker)", min=1, runtime=True)


class RembgSegmenter(Segmenter):
    model_name: ClassVar[str]

    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self.side, self.std = MODELS[self.model_name]
        self._session = None
        self._one_by_one = not self.options.batched
        self._pool = ThreadPoolExecutor(min(8, os.cpu_count() or 1))  # PIL resizes release the GIL

    def _load(self):
        if self._session is None:
            [spec] = self.models()
            path = spec.require(self.download)
            if self._one_by_one:
                from rembg import new_session

                self._session = new_session(self.model_name, providers=onnx_providers(self.device))
            else:
                self._session = batched_session(path, onnx_providers(self.device))
        return self._session

    def _infer(self, batch: np.ndarray) -> np.ndarray:
        sess = self._load()
        feed = sess.get_inputs()[0].name
        with phase("model"):
            return sess.run(None, {feed: batch})[0][:, 0]

    def soft_alphas(self, images: list[np.ndarray]) -> list[np.ndarray]:
        if self._one_by_one:  # rembg's own session, one image per call
            from PIL import Image

            sess = self._load()
            with phase("model"):
                return [np.asarray(sess.predict(Image.fromarray(im))[0]) for im in images]
        inputs = list(self._pool.map(lambda im: preprocess(im, self.side, self.std), images))
        step = self.options.batch if self.device == "cuda" else 1
        preds = []
        for start in range(0, len(inputs), step):
            preds.extend(self._infer(np.stack(inputs[start:start + step])))
        sizes = [(im.shape[1], im.shape[0]) for im in images]
        return list(self._pool.map(lambda p_s: postprocess(p_s[0], *p_s[1]), zip(preds, sizes)))

    def segment(self, frames):
        alphas = self.soft_alphas([f.rgb for f in frames])
        return [Segmentation(self.model_name, soft=a) for a in alphas]


for _name in MODELS:  # one backend per model, all reading stages.segment.rembg
    register("segmenter", _name, settings=RembgSettings, section="rembg",
             weights=(RembgModel(_name, "segment", "rembg"),))(
        type(f"Rembg_{_name.replace('-', '_')}", (RembgSegmenter,), {"model_name": _name}))
