"""`celvault serve`: the review app's JSON API, media, pages and guards, with FastAPI's test client
on a small catalogue made by the offline pipeline (copied per test that writes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from celvault.config import Config  # noqa: E402
from celvault.serve import create_app  # noqa: E402

from .conftest import Cli  # noqa: E402
from .small_catalog import build_small_catalog  # noqa: E402

WRITE = {"X-Celvault": "1"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_small_catalog(tmp_path_factory.mktemp("serve")).catalog


@pytest.fixture
def cat(built, tmp_path):
    """A fresh copy of the small catalogue, and its CLI driver."""
    path = tmp_path / "cat.db"
    shutil.copytree(built, path)
    return Cli(path)


def client(path, **kw) -> TestClient:
    return TestClient(create_app(path, Config.load(profile="offline"), **kw))


def test_overview_matches_status(cat):
    body = client(cat.catalog).get("/api/overview").json()
    status = cat.json("status")
    assert body["frames"] == status["frames"] == 13
    assert [e["frames_kept"] for e in body["episodes"]] == [e["frames_kept"] for e in status["episodes"]]
    assert body["episodes"][0]["stages"]["dedup"] == {"done": 13, "missing": 0}
    assert body["characters"]["identities"] == 2
    stages = [r["stage"] for r in body["runs"]]
    assert "cluster" in stages and "dedup" in stages
    started = [r["started"] for r in body["runs"]]
    assert started == sorted(started, reverse=True)


def test_identities_and_members_by_distance_paged(cat):
    c = client(cat.catalog)
    grid = c.get("/api/identities").json()
    listed = cat.json("characters", "list")
    assert [k["cluster_id"] for k in grid["identities"]] == [k["cluster_id"] for k in listed["characters"]]
    assert grid["identities"][0]["references"] == listed["characters"][0]["references"][:4]
    cid = grid["identities"][0]["cluster_id"]
    first = c.get(f"/api/identities/{cid}/members?limit=5").json()
    rest = c.get(f"/api/identities/{cid}/members?limit=50&offset=5").json()
    assert first["total"] == grid["identities"][0]["members"] == 5 + len(rest["members"])
    assert first["next_offset"] == 5 and rest["next_offset"] is None
    distances = [m["distance"] for m in first["members"] + rest["members"]]
    assert distances == sorted(distances)
    shown = cat.json("characters", "show", str(cid))
    assert [m["layer_id"] for m in first["members"]] == [m["layer_id"] for m in shown["layers"][:5]]
    assert c.get("/api/identities/99").status_code == 404


def test_name_through_the_api_is_what_the_cli_lists(cat):
    c = client(cat.catalog)
    r = c.post("/api/identities/1/name", json={"name": "Endou  Mamoru"}, headers=WRITE)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Endou Mamoru"
    names = {k["cluster_id"]: k["name"] for k in cat.json("characters", "list")["characters"]}
    assert names[1] == "Endou Mamoru"
    assert c.get("/api/identities/1").json()["name"] == "Endou Mamoru"  # the cache follows the new version
    bad = c.post("/api/identities/1/name", json={"name": "  "}, headers=WRITE)
    assert bad.status_code == 400 and "empty" in bad.json()["error"]


def test_merge_through_the_api(cat):
    c = client(cat.catalog)
    r = c.post("/api/identities/0/merge", json={"other": 1}, headers=WRITE)
    assert r.status_code == 200, r.text
    assert r.json()["moved_layers"] == 12
    listed = cat.json("characters", "list")["characters"]
    assert [(k["cluster_id"], k["members"]) for k in listed] == [(0, 24)]
    assert c.get("/api/identities").json()["total"] == 1
    assert c.post("/api/identities/0/merge", json={"other": "1; drop"}, headers=WRITE).status_code == 400


def test_posts_need_the_header_and_a_same_origin(cat):
    c = client(cat.catalog)
    assert c.post("/api/identities/1/name", json={"name": "X"}).status_code == 403
    cross = c.post("/api/identities/1/name", json={"name": "X"},
                   headers={**WRITE, "Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert c.put("/api/identities/1/name", json={"name": "X"}, headers=WRITE).status_code == 405
    assert c.get("/api/identities/1").json()["name"] is None  # nothing was stored
    same = c.post("/api/identities/1/name", json={"name": "X"}, headers={**WRITE, "Origin": "http://testserver"})
    assert same.status_code == 200


def test_names_are_escaped_in_pages(cat):
    c = client(cat.catalog)
    evil = '<script>alert("x")</script>'
    assert c.post("/api/identities/0/name", json={"name": evil}, headers=WRITE).status_code == 200
    page = c.get("/identities/0").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert c.get("/api/identities/0").json()["name"] == evil  # stored as given, escaped when shown
    for path in ("/", "/identities", "/frames", "/duplicates", "/search", "/export"):
        r = c.get(path)
        assert r.status_code == 200 and 'data-testid="page-' in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
    js = c.get("/static/identities.js").text
    assert "innerHTML" not in js and "textContent" in c.get("/static/common.js").text


def test_media_by_id_with_etag_and_304(cat):
    c = client(cat.catalog)
    frame = c.get("/api/frames/" + _a_frame_with_layers(c)).json()
    r = c.get(f"/media/frame/{frame['frame_id']}?size=s")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert "max-age" in r.headers["cache-control"]
    again = c.get(f"/media/frame/{frame['frame_id']}?size=s", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = c.get(f"/media/frame/{frame['frame_id']}?size=m")
    assert other.headers["etag"] != r.headers["etag"]
    from PIL import Image
    import io

    assert max(Image.open(io.BytesIO(r.content)).size) == 128
    layer = next(x for x in frame["layers"] if x["kind"] == "character")
    png = c.get(f"/media/layer/{layer['layer_id']}?size=full")
    img = Image.open(io.BytesIO(png.content))
    assert png.headers["content-type"] == "image/png" and img.mode == "RGBA"
    x0, y0, x1, y1 = layer["bbox"]
    assert img.size == (x1 - x0, y1 - y0)
    assert c.get(f"/media/layer/{frame['background']}?size=s").status_code == 200


@pytest.mark.parametrize("bad", ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "etc.passwd", "x'%20OR%20'1'='1"])
def test_media_rejects_anything_but_ids(cat, bad):
    c = client(cat.catalog)
    r = c.get(f"/media/frame/{bad}")
    assert r.status_code in (400, 404) and r.headers["content-type"].startswith("application/json")
    assert c.get("/media/frame/etc.passwd").status_code == 400
    assert c.get("/media/frame/nosuchframe").status_code == 404
    assert c.get(f"/media/frame/{_a_frame_with_layers(c)}?size=9000").status_code == 400


def _a_frame_with_layers(c) -> str:
    eid = c.get("/api/episodes").json()["episodes"][0]["episode_id"]
    shots = c.get(f"/api/episodes/{eid}/shots").json()["shots"]
    return max(shots, key=lambda s: s["frames"])["first_frame"]


def test_frames_by_episode_and_shot(cat):
    c = client(cat.catalog)
    eid = c.get("/api/episodes").json()["episodes"][0]["episode_id"]
    shots = c.get(f"/api/episodes/{eid}/shots").json()["shots"]
    assert sum(s["frames"] for s in shots) == 13
    big = max(shots, key=lambda s: s["frames"])
    first = c.get(f"/api/frames?episode={eid}&shot={big['shot_index']}&limit=5").json()
    rest = c.get(f"/api/frames?episode={eid}&shot={big['shot_index']}&limit=100&after={first['next_after']}").json()
    ids = [f["frame_id"] for f in first["frames"] + rest["frames"]]
    assert len(ids) == big["frames"] == len(set(ids)) and ids[0] == big["first_frame"]
    times = [f["time_s"] for f in first["frames"] + rest["frames"]]
    assert times == sorted(times) and rest["next_after"] is None
    detail = c.get(f"/api/frames/{ids[1]}").json()
    kinds = sorted(x["kind"] for x in detail["layers"])
    assert "background" in kinds and kinds.count("character") == 2
    assert detail["background"].endswith("background00") and detail["dup_group"] and detail["sharpness"] > 0
    assert all(len(x["bbox"]) == 4 and x["colour"] for x in detail["layers"] if x["kind"] == "character")
    assert detail["caption"] and detail["dup_members"] == 1
    assert c.get("/api/frames/nosuch-f0000001").status_code == 404
    assert c.get("/api/episodes/nosuch/shots").status_code == 404


def test_search_is_celvault_query(cat):
    c = client(cat.catalog)
    page1 = c.get("/api/search?character=0&limit=5").json()
    cli = cat.json("query", "--character", "0", "--limit", "5")
    assert [r["frame_id"] for r in page1["rows"]] == [r["frame_id"] for r in cli["rows"]]
    assert page1["matched"] == cli["matched"] == 12 and page1["next_after"] == cli["next_after"]
    assert page1["command"] == "celvault query --character 0 --limit 5"
    page2 = c.get(f"/api/search?character=0&limit=5&after={page1['next_after']}").json()
    assert page2["command"].endswith(f"--after {page1['next_after']}")
    cli2 = cat.json("query", "--character", "0", "--limit", "5", "--after", page1["next_after"])
    assert [r["frame_id"] for r in page2["rows"]] == [r["frame_id"] for r in cli2["rows"]]
    words = c.get("/api/search", params={"words": "100%", "where": "sharpness > 0"}).json()
    assert len(words["rows"]) == 1 and words["rows"][0]["caption"] == "a boy 100% sure"
    assert words["command"] == "celvault query --search 100% --where 'sharpness > 0' --limit 50"
    layers = c.get("/api/search?character=1&layers=true&limit=3").json()
    assert layers["kind"] == "layers" and all(r["cluster_id"] == 1 for r in layers["rows"])
    bad = c.get("/api/search", params={"where": "nosuchcolumn > 1"})
    assert bad.status_code == 400 and "nosuchcolumn" in bad.json()["error"]


def test_duplicates_endpoints(cat):
    c = client(cat.catalog)
    assert c.get("/api/duplicates").json()["groups"] == []  # the small episode has no near-duplicates
    assert c.get("/api/duplicates/nosuch-f0000000").status_code == 404


def test_export_runs_in_the_background(cat, tmp_path):
    c = client(cat.catalog)
    out = tmp_path / "lora"
    r = c.post("/api/export", json={"kind": "lora", "out": str(out), "characters": ["0"], "triggers": ["endou"],
                                    "repeats": "2"}, headers=WRITE)
    assert r.status_code == 200, r.text
    for _ in range(300):
        job = c.get(f"/api/export/{r.json()['job']}").json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "done", job
    assert job["folder"] == str(out.resolve()) and job["images"] == 12
    assert job["dataset_toml"] == (out / "dataset.toml").read_text()
    assert len(list((out / "img" / "2_endou 1person").glob("*.png"))) == 12
    again = c.post("/api/export", json={"kind": "lora", "out": str(out), "characters": ["0"]}, headers=WRITE)
    assert again.status_code == 400  # not an overwrite: refused before any work
    inside = c.post("/api/export", json={"kind": "backgrounds", "out": str(cat.catalog / "x")}, headers=WRITE)
    assert inside.status_code == 400
    assert c.post("/api/export", json={"kind": "lora", "out": str(tmp_path / "y")}, headers=WRITE).status_code == 400


def test_token_on_every_request(cat):
    c = client(cat.catalog, token="s3cret-token")
    assert c.get("/api/overview").status_code == 401
    assert c.get("/media/frame/x").status_code == 401
    assert c.get("/api/overview", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/api/overview", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    first = c.get("/identities?token=s3cret-token", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/identities"
    assert "HttpOnly" in first.headers["set-cookie"]
    assert c.get("/identities").status_code == 200  # the cookie now
    assert c.post("/api/identities/0/name", json={"name": "A"}, headers=WRITE).status_code == 200
    hosts = client(cat.catalog, hosts=("127.0.0.1", "localhost"))
    assert hosts.get("/api/overview").status_code == 403  # Host: testserver (DNS rebinding)


def test_writes_hold_the_catalogue_writer_lock(cat):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom celvault.catalog.lock import writer_lock\n"
        f"with writer_lock({str(cat.catalog)!r}, 'run'):\n    print('held', flush=True)\n    time.sleep(30)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        c = client(cat.catalog)
        r = c.post("/api/identities/1/name", json={"name": "Busy"}, headers=WRITE)
        assert r.status_code == 409 and "celvault run" in r.json()["error"]
    finally:
        holder.kill()
        holder.wait()
    assert c.post("/api/identities/1/name", json={"name": "Free"}, headers=WRITE).status_code == 200
    assert {k["name"] for k in cat.json("characters", "list")["characters"]} == {None, "Free"}


def test_serve_command_refuses_an_open_bind_without_token(cat):
    r = cat("serve", "--host", "0.0.0.0", ok=False)
    assert r.exit_code == 1 and r.output.startswith("Error: --host 0.0.0.0") and "--token" in r.output
    short = cat("serve", "--host", "0.0.0.0", "--token", "abc", ok=False)
    assert short.exit_code == 1 and "at least 8" in short.output
    helped = cat("serve", "--help")
    assert "--token" in helped.output and "--json" in helped.output


def test_help_does_not_import_the_web_stack():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom celvault.cli import main\n"
            "CliRunner().invoke(main, ['--help'])\nprint('fastapi' in sys.modules, 'uvicorn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False False"
