"""Identity and query scores against truth.

ARI over the layers that show one character (noise counted as its own label, as a user sees
it), the share of those assigned to an identity, identities that are mostly not a character,
and "character X outdoors" precision and recall after naming each identity after the true
character most of its layers show.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow as pa

from celvault.catalog import Catalog

from .layers import MIXED, NOT_CHARACTER, LayerTruth


def _clusters(catalog: Catalog) -> dict[str, int]:
    """layer id -> cluster id of every character layer ({} before the cluster stage)."""
    if "cluster_id" not in catalog.dataset("layers").schema.names:
        return {}
    rows = catalog.read("layers", ["layer_id", "cluster_id"], "kind = 'character'")
    return dict(zip(rows.column("layer_id").to_pylist(), rows.column("cluster_id").to_pylist()))


def identity_scores(catalog: Catalog, truths: list[LayerTruth]) -> dict:
    from sklearn.metrics import adjusted_rand_score

    clusters = _clusters(catalog)
    if not clusters:
        return {"identities": 0, "not_character": []}
    single = [t for t in truths if t.label not in (MIXED, NOT_CHARACTER) and clusters.get(t.layer_id) is not None]
    members = defaultdict(list)
    for t in truths:
        cid = clusters.get(t.layer_id)
        if cid is not None and cid >= 0:
            members[cid].append(t.label)
    junk = sorted(cid for cid, labels in members.items() if Counter(labels)[NOT_CHARACTER] * 2 > len(labels))
    ari = adjusted_rand_score([t.label for t in single], [clusters[t.layer_id] for t in single]) if single else None
    return {
        "identities": len(members), "layers": len(single),
        "ari": float(ari) if ari is not None else None,
        "assigned": sum(clusters[t.layer_id] >= 0 for t in single) / len(single) if single else None,
        "not_character": junk,
    }


def majority_names(catalog: Catalog, truths: list[LayerTruth], purity: float = 0.9) -> dict[int, str]:
    """cluster id -> the true character that at least `purity` of its layers show (one each)."""
    clusters = _clusters(catalog)
    votes = defaultdict(Counter)
    for t in truths:
        cid = clusters.get(t.layer_id)
        if cid is not None and cid >= 0:
            votes[cid][t.label] += 1
    names, taken = {}, set()
    for cid in sorted(votes, key=lambda c: -sum(votes[c].values())):
        top, n = votes[cid].most_common(1)[0]
        if top not in (MIXED, NOT_CHARACTER) and n >= purity * sum(votes[cid].values()) and top not in taken:
            names[cid] = top
            taken.add(top)
    return names


def write_truth_scene_tags(catalog: Catalog, views) -> None:
    """scene_tags as a perfect tagger would write them (outdoor/indoor from the truth), with the
    catalogue's own column writer: scene tags need CLIP weights this machine lacks, and what
    is scored is the query, not the tagger."""
    from celvault.catalog.fill import write_by_fragment

    rows = catalog.read("frames", ["frame_id", "episode_id", "frame_index"]).to_pylist()
    tags = [["outdoor"] if views[r["episode_id"]].frame(r["frame_index"]).outdoor else ["indoor"] for r in rows]
    catalog.ensure_columns("frames", [pa.field("scene_tags", pa.list_(pa.string()))])
    write_by_fragment(catalog, "frames", "frame_id", pa.table({
        "frame_id": pa.array([r["frame_id"] for r in rows], pa.string()),
        "scene_tags": pa.array(tags, pa.list_(pa.string()))}))


def outdoor_query_scores(catalog: Catalog, config, views, truths: list[LayerTruth]) -> dict:
    """Per named character X: `query --character X --scene outdoor` against the truth.
    Precision: returned frames that show X outdoors. Recall: of the representative outdoor
    frames where X was cut cleanly (a layer showing X alone), the share returned."""
    from celvault.catalog.identities import name_identity
    from celvault.queries.run import run_query
    from celvault.queries.search import Query

    names = majority_names(catalog, truths)
    for cid, name in sorted(names.items()):
        name_identity(catalog, str(cid), name)
    write_truth_scene_tags(catalog, views)
    reps = {r["frame_id"]: r for r in catalog.read("frames", ["frame_id", "episode_id", "frame_index"],
                                                   "dup_group IS NOT NULL AND dup_of IS NULL").to_pylist()}
    clean = defaultdict(set)
    for t in truths:
        if t.frame_id in reps and t.label not in (MIXED, NOT_CHARACTER):
            clean[t.label].add(t.frame_id)
    per, tp_all, ret_all, rel_all, hit_all = {}, 0, 0, 0, 0
    for name in sorted(set(names.values())):
        got = {r["frame_id"] for r in run_query(catalog, config, Query(characters=[name], scenes=["outdoor"],
                                                                       limit=1_000_000)).rows}
        right = {f for f in got if f in reps and _shows_outdoors(views, reps[f], name)}
        relevant = {f for f in clean[name] if _shows_outdoors(views, reps[f], name)}
        per[name] = {"returned": len(got), "right": len(right), "relevant": len(relevant),
                     "found": len(relevant & got)}
        tp_all, ret_all = tp_all + len(right), ret_all + len(got)
        rel_all, hit_all = rel_all + len(relevant), hit_all + len(relevant & got)
    return {"characters": per, "precision": tp_all / ret_all if ret_all else None,
            "recall": hit_all / rel_all if rel_all else None, "named": len(names)}


def _shows_outdoors(views, row, name) -> bool:
    f = views[row["episode_id"]].frame(row["frame_index"])
    return f.outdoor and name in f.characters
