"""A unit of work is a picklable description: rebuilt from the registry in a fresh (spawned)
process, computed there, and committed by the driver, it makes the same catalogue, byte for
byte, as the in-process runner."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.run_options import RunOptions
from celvault.stages.row_runner import selection
from celvault.stages.runner import build_stages
from celvault.stages.work_unit import commit, execute, plan_units

from .conftest import Cli


def _table(cat: Catalog, name: str, key: str, drop=()) -> pa.Table:
    t = cat.read(name)
    return t.drop_columns([c for c in drop if c in t.column_names]).sort_by(key)


def test_units_in_spawned_processes_make_the_serial_catalogue(tmp_path):
    from celvault.synthetic import EpisodeSpec, make_episode

    make_episode(tmp_path / "ep.mp4", EpisodeSpec(seed=4, duration_s=5.0, opening_s=0, walkers=True, fade=False,
                                                  moving_camera_shots=0))
    small = tmp_path / "small.yaml"
    small.write_text("catalog:\n  rows_per_fragment: 6\n", encoding="utf-8")
    serial = Cli(tmp_path / "serial.db")
    serial("init")
    serial("ingest", tmp_path / "ep.mp4", "--interval", "0.25", "--config", small)
    serial("run", "dedup", "--profile", "offline", "--config", small)
    shutil.copytree(serial.catalog, tmp_path / "units.db")
    serial("run", "segment", "inpaint", "--profile", "offline", "--config", small)

    config = Config.load("offline", small)
    path = str(tmp_path / "units.db")
    cat = Catalog.open(path)
    run = RunOptions(download=False)
    ctx = multiprocessing.get_context("spawn")
    planned = 0
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        for name in ("segment", "inpaint"):
            stage = build_stages(name, config, run)[0]
            cat.ensure_columns(stage.table, stage.declared_columns() + [stage.error_field()])
            units = plan_units(cat, path, stage, config, selection(stage, stage.where, False, False, False))
            assert len(units) > 1 and all(pickle.loads(pickle.dumps(u)) == u for u in units)
            planned += len(units)
            for result in pool.map(execute, units):  # results come back in unit order
                commit(cat, stage, result)
    assert planned >= 4

    ser = Catalog.open(serial.catalog)
    assert ser.count("layers") > 0
    for table, key in (("layers", "layer_id"), ("layer_media", "layer_id")):
        assert _table(cat, table, key).equals(_table(ser, table, key)), table
    cols = ["frame_id", "segment_method", "layer_count", "segment_config", "inpaint_method", "inpaint_config"]
    assert cat.read("frames", cols).sort_by("frame_id").equals(ser.read("frames", cols).sort_by("frame_id"))
