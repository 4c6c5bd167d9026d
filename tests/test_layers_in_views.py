"""A frame's effect layers and each character layer's track show where people look: `query
--json` (frames list their effects, layers carry track_id and effect_overlap) and the review
app's frame view, both agreeing with the stored layers."""

from __future__ import annotations

import pytest

from celvault.catalog import Catalog

from .small_catalog import build_small_catalog


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    return build_small_catalog(tmp_path_factory.mktemp("views"))


def _layers(cat) -> list[dict]:
    return Catalog.open(cat.catalog).read("layers").to_pylist()


def test_query_lists_each_frames_effect_layers(cat):
    stored = [r for r in _layers(cat) if r["kind"] == "effect"]
    assert stored, "the offline profile's effects stage found nothing in an episode with sparkles"
    rows = cat.json("query", "--limit", "100")["rows"]
    shown = {e["layer_id"]: (r["frame_id"], e) for r in rows for e in r["effects"]}
    on_shown_frames = {r["layer_id"]: r for r in stored if r["frame_id"] in {x["frame_id"] for x in rows}}
    assert set(shown) == set(on_shown_frames)
    for lid, (fid, e) in shown.items():
        assert on_shown_frames[lid]["frame_id"] == fid and e["effect"] == on_shown_frames[lid]["effect"]
        assert list(e["bbox"]) == list(on_shown_frames[lid]["bbox"]) and 0 < e["score"] <= 1


def test_query_layers_carry_their_track_and_effect_overlap(cat):
    stored = {r["layer_id"]: r for r in _layers(cat) if r["kind"] == "character"}
    rows = cat.json("query", "--layers", "--limit", "200")["rows"]
    assert rows and all(r["layer_id"] in stored for r in rows)
    for r in rows:
        assert r["track_id"] == stored[r["layer_id"]]["track_id"] and r["track_id"]
        assert r["effect_overlap"] == pytest.approx(stored[r["layer_id"]]["effect_overlap"], abs=1e-4)
    tracks = {r["track_id"] for r in rows}
    assert len(tracks) < len(rows)  # a shot's frames of one character are one track, not one each


def test_review_app_frame_view_shows_effects_and_tracks(cat):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from celvault.config import Config
    from celvault.serve import create_app

    stored = _layers(cat)
    frame = next(r["frame_id"] for r in stored if r["kind"] == "effect"
                 and any(c["frame_id"] == r["frame_id"] and c["kind"] == "character" for c in stored))
    client = TestClient(create_app(cat.catalog, Config.load(profile="offline")))
    detail = client.get(f"/api/frames/{frame}").json()
    by_id = {x["layer_id"]: x for x in detail["layers"]}
    mine = {r["layer_id"]: r for r in stored if r["frame_id"] == frame}
    assert set(by_id) == set(mine)
    for lid, r in mine.items():
        if r["kind"] == "effect":
            assert by_id[lid]["effect"] == r["effect"] and by_id[lid]["prompt"] == r["prompt"]
        if r["kind"] == "character":
            assert by_id[lid]["track_id"] == r["track_id"]
