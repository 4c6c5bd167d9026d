"""Effect layers on the hard evaluation set: the weight-free `rule` effect finder against the
truth masks of celvault.evalset (speed lines and additive sparkles drawn over characters).

Per effect kind: pixel IoU, precision and recall of the union of the effect layers the stage
would make (rule maps, the default vocabulary's thresholds and minimum areas, the stage's
grouping) against the changed-pixel truth mask, on frames rendered exactly and after a JPEG
round trip (quality 80, a stand-in for the episodes' H.264 compression); `jpeg80+shot` adds the rule's
`temporal` check (the default in the stage: a pixel must also stand out from the median of
9 frames of its shot, as the stage gets them from `shot_frames`); what it calls an effect on
frames without any. Then what `effect_overlap` does for character cut-outs (the
truth character masks as if segment were perfect): cut-outs with sparkles (truth cover at
least 5%) against clean ones (no effect pixel), how many each threshold of
`--max-effect-overlap` leaves out, and with `--effect-overlap-mode mask` the share of the
effect pixels on characters made transparent and of the character pixels lost with them.

    python benchmarks/bench_effects.py [--episodes 6] [--per-shot 3] [--seed 2026] [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import cv2
import numpy as np

from celvault import registry
from celvault.evalset import plan_hard_episode, sample_specs
from celvault.stages.effect_regions import regions_of
from celvault.stages.effect_vocabulary import load_effects
from celvault.stages.layers import FrameIn

THRESHOLDS = (0.02, 0.05, 0.1, 0.2)
SPARKLED = 0.05  # a cut-out with at least this share of its pixels under truth effects


def _jpeg(rgb: np.ndarray, q: int = 80) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _kind(ep, shot, rgb, truth) -> str:
    kind = ep._sp(shot.index).effects or "none"
    if kind == "speed_lines" and truth.any():  # a quarter of the speed lines are drawn dark
        kind += " (dark)" if np.median(rgb[truth].min(axis=1)) < 100 else " (white)"
    return kind


def _found(finder, vocab, rgb, shot: int = 0) -> np.ndarray:
    maps = finder.find([FrameIn("f", "e", shot, rgb)], vocab)[0]
    mask = np.zeros(rgb.shape[:2], bool)
    for reg in regions_of(maps, vocab, round(0.05 * rgb.shape[0]), 16):  # the stage's defaults
        mask |= reg.mask
    return mask


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=6)
    ap.add_argument("--per-shot", type=int, default=3, help="frames sampled per shot")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--quick", action="store_true", help="small, short episodes")
    args = ap.parse_args()
    vocab = load_effects("default")
    finder = registry.build("effect_finder", "rule", {"rule": {"temporal": False}})
    shot_finder = registry.build("effect_finder", "rule", {"rule": {"temporal": True}})
    px = defaultdict(lambda: np.zeros(3))  # (variant, kind) -> hit, found, truth
    quiet = defaultdict(list)  # variant -> share of an effect-free frame called effect
    cuts = []  # (truth cover, measured overlap, character px, effect px on it, masked effect px, masked clean px)
    t0, frames = time.perf_counter(), 0
    for spec in sample_specs(args.seed, args.episodes, quick=args.quick):
        ep = plan_hard_episode(spec)
        for shot in ep.shots:
            if shot.is_opening or shot.n_frames < 3:
                continue
            around = [_jpeg(ep.render(int(j)).rgb) for j in np.linspace(shot.start, shot.end - 1, 9).round().astype(int)]
            shot_finder.shot_frames = lambda e, k, limit, around=around: [(str(n), a) for n, a in enumerate(around)][:limit]
            shot_finder._median = None
            for i in np.linspace(shot.start + 1, shot.end - 2, args.per_shot).round().astype(int):
                r = ep.render(int(i))
                truth = r.effects if r.effects is not None else np.zeros(r.rgb.shape[:2], bool)
                kind = _kind(ep, shot, r.rgb, truth)
                frames += 1
                jpeg = _jpeg(r.rgb)
                for variant, rgb in (("exact", r.rgb), ("jpeg80", jpeg), ("jpeg80+shot", jpeg)):
                    found = _found(shot_finder if variant.endswith("+shot") else finder, vocab, rgb, shot.index)
                    if kind == "none":
                        quiet[variant].append(found.mean())
                    else:
                        px[(variant, kind)] += ((found & truth).sum(), found.sum(), truth.sum())
                    if variant != "jpeg80+shot":
                        continue
                    for m in r.masks.values():
                        if m.sum() < 200:
                            continue
                        on = (m & truth).sum()
                        cuts.append((on / m.sum(), (m & found).sum() / m.sum(), m.sum(), on, (m & found & truth).sum(),
                                     (m & found & ~truth).sum()))
    print(f"{args.episodes} hard episodes (seed {args.seed}{', quick' if args.quick else ''}), {frames} frames, "
          f"{time.perf_counter() - t0:.0f} s\n")
    print("effect pixels, rule backend (union of the effect layers vs the truth mask)")
    print(f"{'frames':12} {'effect kind':22} {'IoU':>6} {'prec':>6} {'recall':>6} {'truth px':>10}")
    for (variant, kind), (hit, found, real) in sorted(px.items()):
        union = found + real - hit
        print(f"{variant:12} {kind:22} {hit / max(union, 1):6.3f} {hit / max(found, 1):6.3f} {hit / max(real, 1):6.3f} "
              f"{int(real):>10}")
    for variant, q in sorted(quiet.items()):
        print(f"{variant:12} {'none (no effect)':22} called effect: mean {np.mean(q):.4f}, p90 {np.percentile(q, 90):.4f} "
              f"of the frame ({len(q)} frames)")
    c = np.array(cuts)
    sparkled, clean = c[c[:, 0] >= SPARKLED], c[c[:, 0] == 0]
    print(f"\ncharacter cut-outs (truth masks, jpeg80+shot): {len(c)}, {len(sparkled)} with effects over >= {SPARKLED:.0%}, "
          f"{len(clean)} clean")
    print(f"  effect_overlap: sparkled median {np.median(sparkled[:, 1]):.3f} (truth cover {np.median(sparkled[:, 0]):.3f}), "
          f"clean median {np.median(clean[:, 1]):.3f}, p90 {np.percentile(clean[:, 1], 90):.3f}")
    for x in THRESHOLDS:
        print(f"  --max-effect-overlap {x:<5} drops {np.mean(sparkled[:, 1] > x):6.1%} of sparkled, "
              f"{np.mean(clean[:, 1] > x):6.1%} of clean cut-outs")
    print(f"  --effect-overlap-mode mask: {c[:, 4].sum() / max(c[:, 3].sum(), 1):.1%} of the effect pixels on characters "
          f"made transparent, {c[:, 5].sum() / (c[:, 2].sum() - c[:, 3].sum()):.2%} of their other pixels with them")


if __name__ == "__main__":
    main()
