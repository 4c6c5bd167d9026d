"""Scoring detected cuts against truth transitions (used by tests and benchmarks).

A detected cut (the frame index where a new shot starts, or a transition's middle) matches a
truth transition when it lies within [first - tolerance, last + tolerance] of the
transition's frames; each truth transition and each detection matches at most once (greedy,
in order). Unmatched detections are false positives; a detection inside a flash (within
tolerance) that matches no transition counts as a flash false positive as well.

Bad at: it does not check that the detected boundary is the *right* frame within the span
(a dissolve's boundary anywhere in it counts), and the first frame of the video (shot 0) is
ignored on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CutScore:
    tp: int
    fp: int
    fn: int
    flash_fp: int
    matched: list[int] = field(default_factory=list)  # truth spans found, by position

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def cut_f1(detected, truth_spans, flashes=(), tolerance: int = 2) -> CutScore:
    """`detected`: frame indices; `truth_spans`: (first, last[, ...]) per transition;
    `flashes`: (first, last) frame spans (or single frame indices) of flashes inside shots."""
    dets = sorted(int(d) for d in detected if int(d) > 0)
    spans = [(int(s[0]), int(s[1])) for s in truth_spans if int(s[1]) > 0]
    used = [False] * len(dets)
    matched = []
    for k, (first, last) in enumerate(spans):
        for i, d in enumerate(dets):
            if not used[i] and first - tolerance <= d <= last + tolerance:
                used[i] = True
                matched.append(k)
                break
    fl = [(f, f) if isinstance(f, int) else (int(f[0]), int(f[1])) for f in flashes]
    flash_fp = sum(1 for i, d in enumerate(dets) if not used[i]
                   and any(a - tolerance <= d <= b + tolerance for a, b in fl))
    tp = len(matched)
    return CutScore(tp, used.count(False), len(spans) - tp, flash_fp, matched)
