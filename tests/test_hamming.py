import numpy as np
import pytest

from celvault.stages.hamming import HammingIndex, popcount


@pytest.mark.parametrize("radius", [0, 3, 6, 10])
def test_index_matches_brute_force(radius):
    rng = np.random.default_rng(radius)
    base = rng.integers(0, 2**63, size=3000, dtype=np.int64).astype(np.uint64)
    # queries: near copies with 0..radius+2 flipped bits, plus random codes
    queries = base[:400].copy()
    for i in range(400):
        for bit in rng.choice(64, size=i % (radius + 3), replace=False):
            queries[i] ^= np.uint64(1) << np.uint64(bit)
    queries = np.concatenate([queries, rng.integers(0, 2**63, size=100, dtype=np.int64).astype(np.uint64)])
    qi, ci, dist = HammingIndex(base, radius).query(queries)
    got = set(zip(qi.tolist(), ci.tolist()))
    want = set()
    for i, q in enumerate(queries):
        for j in np.nonzero(popcount(base ^ q) <= radius)[0]:
            want.add((i, int(j)))
    assert got == want
    assert np.all(dist == popcount(queries[qi] ^ base[ci]))
    assert len(want) >= 400 * (radius + 1) // (radius + 3)  # the near copies were found


def test_empty_inputs():
    idx = HammingIndex(np.empty(0, np.uint64), 6)
    qi, ci, d = idx.query(np.array([1, 2], np.uint64))
    assert len(qi) == len(ci) == len(d) == 0
