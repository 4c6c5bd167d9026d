"""Frame-level scores against truth: cuts, near-duplicate links, a shared opening.

`views` maps a catalogue episode_id to its :class:`~celvault.quality.truth.TruthView`.
"""

from __future__ import annotations

from collections import defaultdict

from celvault.catalog import Catalog

TOLERANCE = 2  # frames either side of a transition's span


def detected_cuts(catalog: Catalog) -> dict[str, list[int]]:
    """Per episode: the first frame index of every shot after the first, as ingest cut them."""
    rows = catalog.read("frames", ["episode_id", "shot_index", "frame_index"]).to_pylist()
    first: dict[tuple, int] = {}
    for r in rows:
        k = (r["episode_id"], r["shot_index"])
        first[k] = min(first.get(k, r["frame_index"]), r["frame_index"])
    out: dict[str, list[int]] = defaultdict(list)
    for (ep, shot), idx in first.items():
        if shot > 0:
            out[ep].append(idx)
    return {ep: sorted(v) for ep, v in out.items()}


class CutTally:
    """True/false positives and misses, overall and per property."""

    def __init__(self):
        self.tp, self.fp, self.fn = defaultdict(int), defaultdict(int), defaultdict(int)

    def add(self, detected: list[int], spans: list[tuple[int, int, frozenset]], flashes=(),
            shot_props=None, tolerance: int = TOLERANCE) -> None:
        """One episode. `shot_props(i)` gives the properties of the shot holding frame i
        (what a false cut is blamed on); a false cut within a flash is also blamed on `flash`."""
        left = sorted(detected)
        for first, last, props in sorted(spans):
            hit = next((d for d in left if first - tolerance <= d <= last + tolerance), None)
            keys = ("all", *props)
            if hit is None:
                for k in keys:
                    self.fn[k] += 1
            else:
                left.remove(hit)
                for k in keys:
                    self.tp[k] += 1
        for d in left:
            keys = {"all", *(shot_props(d) if shot_props else ())}
            if any(a - tolerance <= d <= b + tolerance for a, b in flashes):
                keys.add("flash")
            for k in keys:
                self.fp[k] += 1

    def merge(self, other: "CutTally") -> "CutTally":
        for part in ("tp", "fp", "fn"):
            for key, v in getattr(other, part).items():
                getattr(self, part)[key] += v
        return self

    def f1(self, key: str = "all") -> float | None:
        tp, fp, fn = self.tp[key], self.fp[key], self.fn[key]
        return None if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)

    def row(self, key: str = "all") -> dict:
        tp, fp, fn = self.tp[key], self.fp[key], self.fn[key]
        return {"tp": tp, "fp": fp, "fn": fn, "f1": self.f1(key),
                "precision": tp / (tp + fp) if tp + fp else None, "recall": tp / (tp + fn) if tp + fn else None}

    def keys(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn), key=lambda k: (k != "all", k))


def tally_cuts(detected: dict[str, list[int]], views: dict, shot_props: dict | None = None) -> CutTally:
    tally = CutTally()
    for ep, view in views.items():
        props = (shot_props or {}).get(ep)
        tally.add(detected.get(ep, []), view.cut_spans(), view.flashes(), props)
    return tally


def _frames(catalog: Catalog) -> list[dict]:
    return catalog.read("frames", ["frame_id", "episode_id", "frame_index", "phash", "dup_group", "dup_of"]).to_pylist()


def _key(views, row) -> tuple:
    f = views[row["episode_id"]].frame(row["frame_index"])
    return f.place, f.characters


def link_precision(links: list[tuple[dict, dict]], views) -> dict:
    """A link is right when both frames show the same characters in the same place."""
    wrong = [(a["frame_id"], b["frame_id"]) for a, b in links if _key(views, a) != _key(views, b)]
    n = len(links)
    return {"links": n, "wrong": len(wrong), "precision": (n - len(wrong)) / n if n else None,
            "examples": wrong[:5]}


def dup_links(catalog: Catalog) -> list[tuple[dict, dict]]:
    rows = _frames(catalog)
    by_id = {r["frame_id"]: r for r in rows}
    return [(r, by_id[r["dup_of"]]) for r in rows if r["dup_of"] and r["dup_of"] in by_id]


def exact_phash_links(catalog: Catalog) -> list[tuple[dict, dict]]:
    """The baseline rule (data-juicer's): equal pHash means duplicate, first frame id leads."""
    groups: dict[int, list[dict]] = defaultdict(list)
    for r in sorted(_frames(catalog), key=lambda r: r["frame_id"]):
        if r["phash"] is not None:
            groups[r["phash"]].append(r)
    return [(r, g[0]) for g in groups.values() for r in g[1:]]


def opening_recall(catalog: Catalog, views, links: list[tuple[dict, dict]]) -> dict:
    """Share of the opening's kept frames that share a group with another episode's copy."""
    rows = _frames(catalog)
    opening = [r for r in rows if views[r["episode_id"]].frame(r["frame_index"]).opening]
    if len({r["episode_id"] for r in opening}) < 2:
        return {"frames": 0, "found": 0, "recall": None}
    parent = {r["frame_id"]: r["frame_id"] for r in rows}

    def root(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[root(a["frame_id"])] = root(b["frame_id"])
    episodes_in = defaultdict(set)
    for r in opening:
        episodes_in[root(r["frame_id"])].add(r["episode_id"])
    found = sum(1 for r in opening if len(episodes_in[root(r["frame_id"])]) > 1)
    return {"frames": len(opening), "found": found, "recall": found / len(opening)}
