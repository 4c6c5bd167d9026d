"""Random hard specs: sizes 480p-1080p, 24/23.976/29.97 fps, crf 18-32, shared openings."""

from __future__ import annotations

import numpy as np

from .records import HardSpec

SIZES = ((854, 480), (1280, 720), (1920, 1080), (960, 540))
QUICK_SIZES = ((320, 180), (384, 216), (426, 240), (480, 270))
RATES = (24.0, 24000 / 1001, 30000 / 1001)


def sample_specs(seed: int, n: int, quick: bool = False) -> list[HardSpec]:
    """`n` specs of one episode set: one cast (cast_seed) and one opening for all.

    Consecutive pairs (0-1, 2-3, ...) share size and frame rate, so their openings are
    pixel-identical; crf alternates between light (18-24) and strong (26-32) compression.
    Every spec has its own seed (its own places, palettes and layout). ``quick``: 320-480
    px wide, 10-20 s, for tests.
    """
    rng = np.random.default_rng([int(seed) % (1 << 63), 0x5EC5])
    cast_seed = int(rng.integers(0, 2**31))
    opening_seed = int(rng.integers(0, 2**31))
    seeds = rng.choice(2**31, size=n, replace=False)
    sizes = QUICK_SIZES if quick else SIZES
    size_order = [sizes[i] for i in rng.permutation(len(sizes))]
    rate_order = [RATES[i] for i in rng.permutation(len(RATES))]
    out = []
    for j in range(n):
        pair = j // 2
        w, h = size_order[pair % len(size_order)]
        fps = rate_order[pair % len(rate_order)]
        crf = int(rng.integers(18, 25)) if j % 2 == 0 else int(rng.integers(26, 33))
        dur = float(rng.uniform(10, 20) if quick else rng.uniform(30, 60))
        out.append(HardSpec(seed=int(seeds[j]), width=w, height=h, fps=fps, duration_s=round(dur, 2),
                            crf=crf, opening_seed=opening_seed, opening_s=3.0 if quick else 4.0,
                            cast_seed=cast_seed, n_characters=3 if quick else int(rng.integers(3, 5))))
    return out
