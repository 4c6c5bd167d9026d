"""Near-duplicate search over 64-bit hashes without a Python loop over pairs.

Multi-index hashing: split the 64 bits into radius+1 chunks. Two codes within Hamming
distance `radius` agree exactly on at least one chunk (pigeonhole), so candidates are found
by exact lookups in per-chunk sorted arrays (numpy searchsorted), then verified with a
vectorised popcount.
"""

from __future__ import annotations

import numpy as np

_MAX_CANDIDATES = 8_000_000  # per block of queries, bounds memory


def _chunks(radius: int) -> list[tuple[int, int]]:
    m = radius + 1
    base, extra = divmod(64, m)
    out, shift = [], 0
    for i in range(m):
        width = base + (1 if i < extra else 0)
        out.append((shift, width))
        shift += width
    return out


def popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x.astype(np.uint64, copy=False)).astype(np.int32)


class HammingIndex:
    def __init__(self, codes: np.ndarray, radius: int):
        if not 0 <= radius < 32:
            raise ValueError("radius must be between 0 and 31")
        self.codes = np.ascontiguousarray(codes, dtype=np.uint64)
        self.radius = radius
        self._tables = []
        for shift, width in _chunks(radius):
            values = (self.codes >> np.uint64(shift)) & np.uint64((1 << width) - 1)
            order = np.argsort(values, kind="stable")
            self._tables.append((shift, width, values[order], order))

    def __len__(self) -> int:
        return len(self.codes)

    def query(self, queries: np.ndarray, radius: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (query index, code index, distance) with distance <= radius, sorted."""
        radius = self.radius if radius is None else min(radius, self.radius)
        q = np.ascontiguousarray(queries, dtype=np.uint64)
        empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))
        if len(q) == 0 or len(self.codes) == 0:
            return empty
        found = []
        for shift, width, sorted_vals, order in self._tables:
            qv = (q >> np.uint64(shift)) & np.uint64((1 << width) - 1)
            lo = np.searchsorted(sorted_vals, qv, "left")
            hi = np.searchsorted(sorted_vals, qv, "right")
            found.append(self._verify(q, lo, hi, order, radius))
        qi = np.concatenate([f[0] for f in found])
        ci = np.concatenate([f[1] for f in found])
        if len(qi) == 0:
            return empty
        pair = np.unique(qi.astype(np.int64) * len(self.codes) + ci)
        qi, ci = np.divmod(pair, len(self.codes))
        return qi, ci, popcount(q[qi] ^ self.codes[ci])

    def _verify(self, q, lo, hi, order, radius):
        counts = hi - lo
        qi_all, ci_all = [], []
        start = 0
        while start < len(q):
            # take as many queries as fit the candidate budget (at least one)
            csum = np.cumsum(counts[start:])
            stop = start + max(1, int(np.searchsorted(csum, _MAX_CANDIDATES, "right")))
            c = counts[start:stop]
            total = int(c.sum())
            if total:
                qi = np.repeat(np.arange(start, stop), c)
                offsets = np.repeat(np.cumsum(c) - c, c)
                pos = lo[qi] + (np.arange(total) - offsets)
                ci = order[pos]
                keep = popcount(q[qi] ^ self.codes[ci]) <= radius
                qi_all.append(qi[keep])
                ci_all.append(ci[keep])
            start = stop
        if not qi_all:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(qi_all), np.concatenate(ci_all)
