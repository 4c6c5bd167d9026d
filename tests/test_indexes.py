"""Vector and scalar indexes: made once a table is large enough, kept current as rows arrive."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from celvault.catalog import Catalog
from celvault.catalog.indexes import ensure_scalar_index, ensure_vector_index
from celvault.errors import ConfigError


def _rows(start: int, n: int, dim: int = 16) -> pa.Table:
    v = np.random.default_rng(start).normal(size=(n, dim)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return pa.table({"frame_id": [f"f{i:05d}" for i in range(start, start + n)],
                     "embedding": pa.FixedSizeListArray.from_arrays(pa.array(v.ravel()), dim),
                     "scene_tags": pa.array([["outdoor"] if i % 3 else ["indoor", "night"] for i in range(start, start + n)],
                                            pa.list_(pa.string()))})


def _append(cat, rows: pa.Table) -> None:
    import lance

    lance.write_dataset(rows, cat.uri("t"), mode="append" if cat.exists("t") else "create")


def _stats(cat):
    ds = cat.dataset("t")
    [idx] = [i for i in ds.describe_indices() if list(i.field_names) == ["embedding"]]
    s = ds.stats.index_stats(idx.name)
    return s["num_indexed_rows"], s["num_unindexed_rows"]


@pytest.mark.parametrize("kind", ["IVF_PQ", "IVF_HNSW_SQ"])
def test_vector_index_lifecycle(tmp_path, kind):
    cat, _ = Catalog.create(tmp_path / "c.db")
    _append(cat, _rows(0, 200))
    first = ensure_vector_index(cat, "t", "embedding", 100, kind)
    if kind == "IVF_PQ":
        assert first is None  # 200 vectors: too few to train PQ codebooks on
    else:
        assert "created" in first and _stats(cat) == (200, 0)
    _append(cat, _rows(200, 200))  # a new episode
    line = ensure_vector_index(cat, "t", "embedding", 100, kind)
    if kind == "IVF_PQ":  # PQ waits for 256 vectors to train on
        assert "created" in line and _stats(cat) == (400, 0)
    else:
        assert "200 new rows added" in line and _stats(cat) == (400, 0)
    assert ensure_vector_index(cat, "t", "embedding", 100, kind) is None  # nothing new: nothing done
    _append(cat, _rows(400, 1300))  # grown more than fourfold since training
    assert "retrained" in ensure_vector_index(cat, "t", "embedding", 100, kind) and _stats(cat) == (1700, 0)
    q = cat.read("t", ["embedding"], "frame_id = 'f01000'").column("embedding")[0].as_py()
    hit = cat.dataset("t").to_table(nearest={"column": "embedding", "q": q, "k": 1, "nprobes": 64, "refine_factor": 20},
                                    columns=["frame_id"])  # PQ is approximate: re-rank exact vectors
    assert hit["frame_id"][0].as_py() == "f01000"
    with pytest.raises(ConfigError, match="vector index type"):
        ensure_vector_index(cat, "t", "embedding", 100, "FLAT")


def test_label_list_index_answers_like_a_scan(tmp_path):
    cat, _ = Catalog.create(tmp_path / "c.db")
    _append(cat, _rows(0, 90))
    ensure_scalar_index(cat, "t", "scene_tags", "LABEL_LIST")
    _append(cat, _rows(90, 30))
    ensure_scalar_index(cat, "t", "scene_tags", "LABEL_LIST")  # folds the new rows in
    ds = cat.dataset("t")
    assert any("LabelList" in i.type_url for i in ds.describe_indices())
    assert ds.count_rows("array_has_any(scene_tags, ['night'])") == 40
    assert ds.count_rows("array_has_all(scene_tags, ['indoor', 'night'])") == 40
