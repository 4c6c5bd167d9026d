"""Every command takes the shared option families: --json and --quiet everywhere, --format
where a command prints a table (with --json its short form), one output routine for all."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest

from celvault.cli import main

from .small_catalog import build_small_catalog


def _leaf_commands(group: click.Group, ctx: click.Context, prefix=()) -> dict[tuple[str, ...], click.Command]:
    found = {}
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            found.update(_leaf_commands(cmd, click.Context(cmd, parent=ctx, info_name=name), (*prefix, name)))
        else:
            found[(*prefix, name)] = cmd
    return found


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory):
    return build_small_catalog(tmp_path_factory.mktemp("options"))


@pytest.fixture(scope="module")
def commands():
    found = _leaf_commands(main, click.Context(main, info_name="celvault"))
    assert {("init",), ("query",), ("export", "lora"), ("export", "everydream"), ("characters", "list")} <= set(found)
    return found


def test_every_command_takes_json_and_quiet(commands, cli):
    for path, cmd in sorted(commands.items()):
        flags = {opt for p in cmd.params if isinstance(p, click.Option) for opt in p.opts}
        missing = {"--json", "--quiet", "-q"} - flags
        assert not missing, f"celvault {' '.join(path)} lacks {sorted(missing)}"
        text = cli(*path, "--help").output
        assert "--json" in text and "--quiet" in text, path


def test_table_commands_take_format_with_json_as_its_short_form(commands):
    for path in (("status",), ("query",), ("characters", "list"), ("characters", "show")):
        [fmt] = [p for p in commands[path].params if p.name == "fmt"]
        assert {"table", "json", "csv"} <= set(fmt.type.choices), path


def test_commands_run_with_json_and_quiet(cli, tmp_path):
    res = cli("init", "-q", "--json")  # `init -q` failed before the shared options
    done = json.loads(res.output)
    assert done["created"] is False and done["catalog"].endswith("cat.db")
    assert cli("init", "--quiet").output.startswith("Already a catalogue:")
    status = json.loads(cli("status", "--json", "-q").output)
    assert status["frames"] == 0 and status["episodes"] == []
    check = json.loads(cli("check", "--json", "--quiet").output)
    assert check["problems"] == [] and check["repaired"] == []
    assert json.loads(cli("characters", "list", "-q", "--json").output)["characters"] == []


def test_one_output_path_for_json_and_csv(small_catalog):
    cli = small_catalog
    by_flag = json.loads(cli("query", "--json", "--limit", "5").output)
    by_format = json.loads(cli("query", "--format", "json", "--limit", "5").output)
    assert by_flag == by_format and len(by_flag["rows"]) == 5
    # --json wins over another --format, as its short form
    assert json.loads(cli("query", "--format", "csv", "--json", "--limit", "5").output) == by_flag
    rows = list(csv.DictReader(io.StringIO(cli("query", "--format", "csv", "--limit", "5").output)))
    assert [r["id"] for r in rows] == [r["frame_id"] for r in by_flag["rows"]]
    status = json.loads(cli("status", "--format", "json").output)
    [episode] = status["episodes"]
    status_csv = list(csv.reader(io.StringIO(cli("status", "--format", "csv").output)))
    assert status_csv[0] == ["episode", "frames", "layers", "stages (frames done / missing)"]
    assert len(status_csv) == 2 and episode["episode_id"] in status_csv[1][0]
    assert status_csv[1][1].startswith(f"{episode['frames_kept']}; ")  # a cell's lines joined with "; "
    listed = json.loads(cli("characters", "list", "--json").output)
    listed_csv = list(csv.DictReader(io.StringIO(cli("characters", "list", "--format", "csv").output)))
    assert [int(r["cluster"]) for r in listed_csv] == [c["cluster_id"] for c in listed["characters"]]
    shown = json.loads(cli("characters", "show", "0", "--json").output)
    shown_csv = list(csv.DictReader(io.StringIO(cli("characters", "show", "0", "--format", "csv").output)))
    assert [r["layer"] for r in shown_csv] == [m["layer_id"] for m in shown["layers"]]
