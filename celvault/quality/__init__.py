"""Quality of a catalogue measured against the ground truth of synthetic episodes.

Used by `celvault demo` (a short summary), benchmarks/bench_quality.py (the full table, with
baselines) and the tests' fast subset. Nothing here changes the catalogue except
`outdoor_query_scores`, which names identities and writes truth scene tags (benchmarks only).
"""

from __future__ import annotations

from celvault.catalog import Catalog

from .frames import CutTally, dup_links, exact_phash_links, detected_cuts, link_precision, opening_recall, tally_cuts
from .identities import identity_scores, outdoor_query_scores
from .layers import MIXED, NOT_CHARACTER, layer_scores, layer_truths, mask_quality
from .tracks import track_scores
from .truth import HardTruth, SyntheticTruth, TruthView


def views_by_episode_id(catalog: Catalog, views_by_name: dict[str, TruthView]) -> dict[str, TruthView]:
    """Catalogue episode ids -> views, matched on the episode name (the file's stem)."""
    rows = catalog.read("episodes", ["episode_id", "name"]).to_pylist()
    return {r["episode_id"]: views_by_name[r["name"]] for r in rows if r["name"] in views_by_name}


def summary(catalog: Catalog, views: dict[str, TruthView]) -> dict:
    """The figures `celvault demo` prints: cuts found, duplicate-link precision, layer
    precision, track purity and identity ARI."""
    cuts = tally_cuts(detected_cuts(catalog), views).row()
    links = link_precision(dup_links(catalog), views)
    truths = layer_truths(catalog, views)
    layers = layer_scores(catalog, views, truths)
    ids = identity_scores(catalog, truths)
    return {"cuts": cuts, "duplicates": links, "layers": layers, "tracks": track_scores(catalog, truths),
            "identities": ids}


def summary_lines(s: dict) -> list[str]:
    def pct(v):
        return "n/a" if v is None else f"{v:.0%}" if v <= 1 else f"{v:.2f}"

    c, d, lay, ids = s["cuts"], s["duplicates"], s["layers"], s["identities"]
    lines = [
        f"cuts found: {c['tp']} of {c['tp'] + c['fn']} ({c['fp']} false), F1 {c['f1']:.2f}" if c["f1"] is not None
        else "cuts: none in these episodes",
        f"near-duplicate links: {d['links']}, precision {pct(d['precision'])}"
        + (f" ({d['wrong']} join different characters or places)" if d["wrong"] else ""),
        f"character layers: {lay['layers']}, {pct(lay['precision'])} mostly a character"
        + (f"; static-shot frames cut: {pct(lay['coverage'])}" if lay["coverage"] is not None else ""),
    ]
    tr = s.get("tracks") or {}
    if tr.get("tracks"):
        lines.append(f"tracks: {tr['tracks']}, {tr['in_multi']} of {tr['layers']} character layers in tracks of 2 or "
                     f"more, purity {pct(tr['purity'])} (layers showing their track's character)")
    if ids.get("identities"):
        junk = len(ids["not_character"])
        lines.append(f"identities: {ids['identities']}, ARI {ids['ari']:.2f} vs the true characters, "
                     f"{pct(ids['assigned'])} of character layers assigned"
                     + (f", {junk} not a character" if junk else ", all of them characters"))
    return lines


__all__ = [
    "CutTally", "HardTruth", "MIXED", "NOT_CHARACTER", "SyntheticTruth", "TruthView", "detected_cuts", "dup_links",
    "exact_phash_links", "identity_scores", "layer_scores", "layer_truths", "link_precision", "mask_quality",
    "opening_recall", "outdoor_query_scores", "summary", "summary_lines", "tally_cuts", "track_scores",
    "views_by_episode_id",
]
