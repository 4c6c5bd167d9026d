"""A small real catalogue for the safety tests: one 6-second 320x180 episode through the
offline profile (plate layers, palette identities; about 8 s), with captions written as a
captioner would so `--search` has words to look at."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from .conftest import Cli

CAPTIONS = {0: "a boy 100% sure", 1: "snake_case words", 2: "plain sky"}  # by position in frame_id order


def build_small_catalog(root: Path) -> Cli:
    from celvault.catalog import Catalog
    from celvault.catalog.fill import write_by_fragment
    from celvault.synthetic import EpisodeSpec, make_episode

    make_episode(root / "ep.mp4", EpisodeSpec(seed=1, duration_s=6.0, opening_s=0, walkers=True, fade=False,
                                              moving_camera_shots=0))
    (root / "small.yaml").write_text("stages:\n  cluster:\n    min_cluster_size: 3\n", encoding="utf-8")
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", root / "ep.mp4", "--interval", "0.25")
    cli("run", "--profile", "offline", "--config", root / "small.yaml")
    cat = Catalog.open(cli.catalog)
    ids = sorted(cat.read("frames", ["frame_id"]).column("frame_id").to_pylist())
    captions = [CAPTIONS.get(i, "plain street") for i in range(len(ids))]
    cat.ensure_columns("frames", [pa.field("caption", pa.string())])
    write_by_fragment(cat, "frames", "frame_id", pa.table({"frame_id": ids, "caption": captions}))
    return cli
