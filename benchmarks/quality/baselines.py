"""Shot-detection baselines run on the same files: PySceneDetect's ContentDetector and
AdaptiveDetector with their default settings (what a user gets from `scenedetect -i ep.mkv
detect-content` / `detect-adaptive`)."""

from __future__ import annotations


def pyscenedetect_cuts(path, detector: str) -> list[int]:
    from scenedetect import AdaptiveDetector, ContentDetector, detect

    det = {"content": ContentDetector, "adaptive": AdaptiveDetector}[detector]()
    scenes = detect(str(path), det)
    return [start.get_frames() for start, _ in scenes[1:]]
