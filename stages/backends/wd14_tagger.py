"""`wd14`: booru tags from a WD14 (SmilingWolf) ONNX tagger, the caption format of anime LoRAs.

The repository holds `model.onnx` (NHWC BGR float 0-255 input, square, sigmoid scores out)
and `selected_tags.csv` (name, category: 0 general, 4 character, 9 rating). Images are
padded to a white square and resized to the model's input size. Character tags at or over
`character_threshold` come first, then general tags at or over `general_threshold`, each
by falling score; rating tags are not kept.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa

from celvault.errors import CatalogError
from celvault.registry import register
from celvault.settings import setting
from celvault.timing import phase

from .captioners import Captioner
from .device import onnx_providers, onnx_session_options
from .hub_files import HubRepo

GENERAL, CHARACTER = 0, 4
# tags whose underscores are part of the face they draw
KAOMOJI = {"0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>", "<|>_<|>", "=_=", ">_<", "3_3", "6_9", ">_o",
           "@_@", "^_^", "o_o", "u_u", "x_x", "|_|", "||_||"}


def square_on_white(rgb: np.ndarray, size: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    side = max(h, w)
    canvas = np.full((side, side, 3), 255, np.uint8)
    y, x = (side - h) // 2, (side - w) // 2
    canvas[y:y + h, x:x + w] = rgb
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return cv2.resize(canvas, (size, size), interpolation=interp)


def tagger_repo(repo_id: str) -> HubRepo:
    """A WD14 (SmilingWolf) tagger: ONNX graph and its tag list."""
    return HubRepo(repo_id.split("/")[-1], "caption", "onnxruntime (huggingface)", repo_id=repo_id,
                   filename="model.onnx", companions=("selected_tags.csv",))


@dataclass(frozen=True)
class Wd14Settings:
    model: str = setting("SmilingWolf/wd-swinv2-tagger-v3", "a WD14 tagger repository on the Hugging Face hub")
    general_threshold: float = setting(0.35, "general tags scoring at least this are kept", min=0, max=1)
    character_threshold: float = setting(0.85, "character tags scoring at least this are kept", min=0, max=1)
    underscores: bool = setting(False, "keep long_hair as it is (false: \"long hair\", kohya style)")
    batch: int = setting(16, "images per model call", min=1, runtime=True)


@register("captioner", "wd14", settings=Wd14Settings, weights=lambda o: [tagger_repo(o.model)])
class Wd14Tagger(Captioner):
    column = "tags"
    model_prefix = "wd14"
    arrow_type = pa.list_(pa.string())

    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self.general, self.character = self.options.general_threshold, self.options.character_threshold
        self.batch = self.options.batch
        self._session = None

    def _load(self):
        if self._session is not None:
            return
        import onnxruntime as ort

        path = self.models()[0].require(self.download)
        self._names, self._categories = self._tag_list(Path(path).parent / "selected_tags.csv")
        self._session = ort.InferenceSession(str(path), onnx_session_options(), providers=onnx_providers(self.device))
        shape = self._session.get_inputs()[0].shape
        self._size = next((d for d in shape[1:3] if isinstance(d, int)), 448)
        self._one_at_a_time = isinstance(shape[0], int) and shape[0] == 1
        out_width = self._session.get_outputs()[0].shape[-1]
        if isinstance(out_width, int) and out_width != len(self._names):
            raise CatalogError(f"{self.repo}: model.onnx scores {out_width} tags, selected_tags.csv lists {len(self._names)}")

    def _tag_list(self, path: Path) -> tuple[list[str], np.ndarray]:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        names = [r["name"] if self.options.underscores or r["name"] in KAOMOJI else r["name"].replace("_", " ")
                 for r in rows]
        return names, np.array([int(r["category"]) for r in rows])

    def scores(self, images) -> np.ndarray:
        from celvault.media.codec import on_white

        self._load()
        inp = self._session.get_inputs()[0].name
        step = 1 if self._one_at_a_time else self.batch
        out = []
        for start in range(0, len(images), step):
            batch = np.stack([square_on_white(on_white(img), self._size)[..., ::-1] for img in images[start:start + step]])
            with phase("model"):
                out.append(self._session.run(None, {inp: batch.astype(np.float32)})[0])
        return np.concatenate(out) if out else np.zeros((0, len(self._names)), np.float32)

    def describe(self, images) -> list[list[str]]:
        result = []
        for row in self.scores(images):
            keep = []
            for category, threshold in ((CHARACTER, self.character), (GENERAL, self.general)):
                idx = np.flatnonzero((self._categories == category) & (row >= threshold))
                keep += [self._names[i] for i in idx[np.argsort(-row[idx], kind="stable")]]
            result.append(keep)
        return result
