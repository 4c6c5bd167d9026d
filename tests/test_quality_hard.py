"""The fast subset of the hard evaluation set (benchmarks/bench_quality.py is the full one).

Two seasons of quick randomised hard episodes (seeds fixed for CI; CELVAULT_EVAL_SEED=random
draws new ones, a number replays one) go through `celvault ingest --interval 0.25` and `celvault run --profile offline`, and the metrics
of issue 10 are checked against the truth, pooled over both seasons. A quick season is small
(10-20 s episodes, a dozen transitions, a few dozen layers), so the floors sit under what the
benchmark measures on full episodes; they catch regressions, not the last percent.
"""

from __future__ import annotations

import os
import secrets
import shutil

import pytest

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.quality import (CutTally, HardTruth, detected_cuts, dup_links, identity_scores, layer_scores,
                              layer_truths, link_precision, opening_recall, outdoor_query_scores, tally_cuts,
                              views_by_episode_id)
from celvault.quality.season import shot_properties, write_season

from .conftest import Cli

# Fixed by default so CI is reproducible: seeds 7000-7001 are among those the plate checks were
# developed on, so this is a regression guard, not evidence; benchmarks/bench_quality.py
# measures held-out seeds. CELVAULT_EVAL_SEED=random (or a number) draws others, and some
# draws fail: a follow pan over textured props (posters, clouds at the frame's edge) leaves junk
# layers, and an opening whose copies were cut a frame apart is sampled at other frames
# (both in benchmarks/RESULTS.md).
_SEED = os.environ.get("CELVAULT_EVAL_SEED", "7000")
BASE_SEED = secrets.randbelow(1_000_000) if _SEED == "random" else int(_SEED)
SEASONS = (BASE_SEED, BASE_SEED + 1)
REPLAY = f"(seasons {SEASONS}; replay with CELVAULT_EVAL_SEED={BASE_SEED})"


@pytest.fixture(scope="module")
def seasons(tmp_path_factory):
    out = []
    for seed in SEASONS:
        root = tmp_path_factory.mktemp(f"hard{seed}")
        episodes = write_season(root, seed, 2, quick=True)
        cli = Cli(root / "cat.db")
        cli("init")
        cli("ingest", *[p for p, _ in episodes.values()], "--interval", "0.25")  # plates want dense frames
        cli("run", "--profile", "offline")
        cat = Catalog.open(cli.catalog)
        views = views_by_episode_id(cat, {name: HardTruth(ep, name) for name, (_, ep) in episodes.items()})
        out.append((cli, cat, views))
    return out


def test_cuts_between_similar_places_flashes_and_dissolves(seasons):
    pooled = CutTally()
    for _, cat, views in seasons:
        props = {eid: shot_properties(v.ep) for eid, v in views.items()}
        pooled.merge(tally_cuts(detected_cuts(cat), views, props))
    row = pooled.row()
    assert row["tp"] + row["fn"] >= 10, REPLAY
    assert row["f1"] >= 0.8, (row, REPLAY)
    assert pooled.fp["flash"] <= 1, (pooled.fp["flash"], REPLAY)


def test_duplicate_links_join_only_the_same_characters_in_the_same_place(seasons):
    links = wrong = 0
    for _, cat, views in seasons:
        found = dup_links(cat)
        res = link_precision(found, views)
        links, wrong = links + res["links"], wrong + res["wrong"]
        opening = opening_recall(cat, views, found)
        assert opening["recall"] >= 0.85, (opening, REPLAY)
    assert links >= 5 and wrong <= 1, (links, wrong, REPLAY)


def test_weight_free_layers_are_characters(seasons):
    layers = junk = moving_in_static = 0
    for _, cat, views in seasons:
        res = layer_scores(cat, views, layer_truths(cat, views))
        layers, junk = layers + res["layers"], junk + res["labels"].get("(not a character)", 0)
        moving_in_static += sum(v for k, v in res["skips"].items() if k.startswith("static") and "moving camera" in k)
    # precision is what a user relies on; coverage and recall vary too much between quick
    # seasons for a floor here (short shots, still characters the plate cannot see, effects):
    # tests/test_plate_hard.py asserts them on controlled scenes, bench_quality.py measures them
    if layers >= 10:
        assert (layers - junk) / layers >= 0.8, (layers, junk, REPLAY)
    assert moving_in_static <= 2, (moving_in_static, REPLAY)


def test_identities_are_characters_and_the_outdoor_query_is_exact(seasons, tmp_path):
    for k, (cli, _, views) in enumerate(seasons):
        copy = tmp_path / f"cat{k}.db"
        shutil.copytree(cli.catalog, copy)
        cat = Catalog.open(copy)
        truths = layer_truths(cat, views)
        ids = identity_scores(cat, truths)
        assert not ids["not_character"], (ids, REPLAY)
        if ids.get("layers", 0) >= 20:
            assert ids["ari"] >= 0.8, (ids, REPLAY)
        q = outdoor_query_scores(cat, Config.load("offline"), views, truths)
        if q["precision"] is not None:
            assert q["precision"] >= 0.95, (q, REPLAY)
