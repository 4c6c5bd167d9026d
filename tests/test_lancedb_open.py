"""The catalogue is a LanceDB database: `lancedb.connect(path)` lists every table and reads
every row, as many as the Lance datasets hold."""

from __future__ import annotations

import lance
import lancedb

from .conftest import Cli


def test_demo_catalogue_opens_in_lancedb(tmp_path):
    cli = Cli(tmp_path / "unused.db")
    done = cli.json("demo", "--out", tmp_path / "demo", "--episodes", "1", "--seconds", "5")
    path = done["status"]["catalog"]
    on_disk = sorted(p.name[:-len(".lance")] for p in (tmp_path / "demo" / "celvault.db").glob("*.lance"))
    assert {"episodes", "frames", "frame_media", "layers", "layer_media"} <= set(on_disk)
    db = lancedb.connect(path)
    assert sorted(db.list_tables().tables) == on_disk
    for name in on_disk:
        rows = db.open_table(name).to_arrow()
        expected = lance.dataset(f"{path}/{name}.lance").count_rows()
        assert rows.num_rows == expected == db.open_table(name).count_rows(), name
    assert db.open_table("frames").count_rows() == done["status"]["frames"] > 0
    assert db.open_table("layers").count_rows() > 0
