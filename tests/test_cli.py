"""The command line: fast help without heavy imports, status, one-line errors."""

import subprocess
import sys

from .helpers import table


def test_help_imports_no_heavy_library():
    code = ("import sys; from click.testing import CliRunner; from celvault.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
            "heavy = [m for m in ('torch', 'lance', 'lancedb', 'polars', 'av', 'cv2', 'pyarrow', 'open_clip') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_every_command_has_help(cli):
    for cmd in ("init", "ingest", "status", "run", "demo"):
        res = cli(cmd, "--help")
        assert "Usage:" in res.output and len(res.output.splitlines()) > 5


def test_status_reports_done_and_missing(cli, episodes):
    e1, e2 = [r["episode_id"] for r in cli.json("ingest", episodes["ep01"][0], episodes["ep02"][0])]
    st = cli.json("status")
    n1 = len(table(cli, "frames", f"episode_id = '{e1}'"))
    assert st["frames"] == n1 + len(table(cli, "frames", f"episode_id = '{e2}'"))
    assert st["stages"]["dedup"] == {"backend": "imagehash", "done": 0, "missing": st["frames"]}
    cli("run", "dedup", "--episode", e1[:8])
    st = cli.json("status")
    by_id = {e["episode_id"]: e for e in st["episodes"]}
    assert by_id[e1]["stages"]["dedup"] == {"done": n1, "missing": 0}
    assert by_id[e2]["stages"]["dedup"]["done"] == 0
    text = cli("status").output
    assert "ep01" in text and f"{n1} done" in text and "missing" in text


def test_unknown_stage_and_bad_config_are_one_line_errors(cli, tmp_path):
    res = cli("run", "colorize", ok=False)
    assert res.exit_code == 1 and res.output.strip().startswith("Error: unknown stage 'colorize'")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [oops\n")
    res = cli("run", "--config", bad, ok=False)
    assert res.exit_code == 1 and "not valid YAML" in res.output and len(res.output.strip().splitlines()) == 1
    res = cli("run", "--profile", "nope", ok=False)
    assert res.exit_code == 1 and "unknown profile 'nope'" in res.output


def test_demo_runs_the_pipeline(tmp_path):
    from .conftest import Cli

    c = Cli(tmp_path / "unused.db")
    out = c.json("demo", "--out", tmp_path / "demo", "--episodes", "2", "--seconds", "8")
    assert out["profile"] in ("default", "offline") and out["why"]
    assert [r["status"] for r in out["ingest"]] == ["ingested", "ingested"]
    done = {s["stage"] for s in out["stages"] if s["status"] == "done"}
    assert {"dedup", "segment", "inpaint", "embed", "cluster"} <= done
    assert all(s["status"] in ("done", "off") for s in out["stages"])
    assert {"effects", "track"} <= done  # issue 16's stages run in the demo, and its edges are matted:
    assert any(n.startswith("matting (closed_form)") for s in out["stages"] if s["stage"] == "segment" for n in s["notes"])
    assert out["status"]["stages"]["dedup"]["missing"] == 0
    assert not (tmp_path / "unused.db").exists()  # the demo keeps to its own catalogue


def test_late_stage_settings_fail_before_any_stage_runs(cli, episodes, tmp_path):
    cli("ingest", episodes["ep01"][0], "--interval", "4")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages:\n  cluster:\n    min_cluster_size: 1\n")
    res = cli("run", "--profile", "offline", "--config", bad, ok=False)
    assert res.exit_code == 1 and res.output.startswith("Error: stages.cluster.min_cluster_size: must be at least 2, got 1")
    from .helpers import table

    assert "phash" not in table(cli, "frames")[0]  # dedup did not run either
    res = cli("run", "embed", "--profile", "offline")  # before dedup: it waits, it does not crash
    assert res.exit_code == 0 and "waits for dup_group" in res.output
    res = cli("run", "--backend", "tag=palette", ok=False)
    assert res.exit_code == 2 and "tag has no backend to choose" in res.output
    res = cli("run", "--backend", "embed=palette,open_clip", ok=False)
    assert res.exit_code == 2 and "only caption takes several backends" in res.output
