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
    progress = client(cat.catalog).get(f"/api/episodes/{body['episodes'][0]['episode_id']}/progress").json()
    assert progress["stages"]["dedup"] == {"backend": "imagehash", "done": 13, "missing": 0}
    assert body["stages"] and all((v["done"], v["missing"]) == (status["stages"][k]["done"], status["stages"][k]["missing"])
                                  for k, v in body["stages"].items())  # counted on the indexes, not read
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


# -- manual decisions (move, split, not a character, undo, duplicates) through the API ------------

def _layer_ids(cli, *args) -> set[str]:
    return {r["layer_id"] for r in cli.json("query", "--layers", "--limit", "1000", *args)["rows"]}


def _counts(cli) -> dict[int, int]:
    return {k["cluster_id"]: k["members"] for k in cli.json("characters", "list")["characters"]}


def test_move_split_junk_and_undo_through_the_api(cat):
    c = client(cat.catalog)
    before_list, before_layers = cat.json("characters", "list"), _layer_ids(cat)
    a = [m["layer_id"] for m in c.get("/api/identities/0/members?limit=100").json()["members"]]
    b = [m["layer_id"] for m in c.get("/api/identities/1/members?limit=100").json()["members"]]
    n0, n1 = len(a), len(b)

    r = c.post("/api/identities/0/move", json={"layers": a[:2], "to": 1}, headers=WRITE)
    assert r.status_code == 200, r.text
    assert r.json()["moved"] == 2 and r.json()["cluster_id"] == 1 and r.json()["from"] == {"0": 2}
    assert _counts(cat) == {0: n0 - 2, 1: n1 + 2}
    assert set(a[:2]) <= _layer_ids(cat, "--character", "1")
    stale = c.post("/api/identities/0/move", json={"layers": a[:2], "to": 1}, headers=WRITE)
    assert stale.status_code == 409 and "no longer in cluster 0" in stale.json()["error"]
    assert c.get("/api/identities/1/members?limit=100").json()["total"] == n1 + 2  # the cache follows

    r = c.post("/api/identities/split", json={"layers": a[2:5], "name": "Bob <b>"}, headers=WRITE)
    assert r.status_code == 200, r.text
    assert r.json()["cluster_id"] == 2 and r.json()["members"] == 3
    listed = {k["cluster_id"]: k for k in cat.json("characters", "list")["characters"]}
    assert listed[2]["name"] == "Bob <b>" and listed[2]["members"] == 3 and listed[0]["members"] == n0 - 5
    assert _layer_ids(cat, "--character", "Bob <b>") == set(a[2:5])

    r = c.post("/api/layers/not-character", json={"layers": [b[0]], "value": True}, headers=WRITE)
    assert r.status_code == 200 and r.json()["marked"] == 1
    assert _layer_ids(cat) == before_layers - {b[0]}

    r = c.post("/api/identities/2/not-character", headers=WRITE)
    assert r.status_code == 200 and r.json()["marked"] == 3 and r.json()["removed"] == [2]
    assert sorted(_counts(cat)) == [0, 1] and _layer_ids(cat) == before_layers - {b[0]} - set(a[2:5])
    assert c.get("/api/identities/2").status_code == 404

    log = c.get("/api/decisions?limit=3").json()
    assert log["total"] == 4 and log["next_offset"] == 3
    assert [d["action"] for d in log["decisions"]] == ["mark", "mark", "split"]
    assert log["decisions"][0]["params"]["identity"] == 2
    assert [d["action"] for d in c.get("/api/decisions?offset=3").json()["decisions"]] == ["move"]

    undone = [c.post("/api/undo", headers=WRITE).json()["undone"] for _ in range(4)]
    assert undone == ["mark", "mark", "split", "move"]
    assert cat.json("characters", "list") == before_list and _layer_ids(cat) == before_layers
    assert c.get("/api/identities").json()["total"] == 2
    again = c.post("/api/undo", headers=WRITE)
    assert again.status_code == 409 and again.json() == {"error": "no manual decision left to undo"}
    assert c.get("/api/decisions").json() == {"total": 0, "decisions": [], "next_offset": None}
    assert cat.json("check")["problems"] == []


def test_decision_errors_are_one_json_error(cat):
    c = client(cat.catalog)
    a = [m["layer_id"] for m in c.get("/api/identities/0/members?limit=3").json()["members"]]
    before = cat.json("characters", "list")
    for path, body, status, text in (
            ("/api/identities/0/move", {"layers": ["nosuch-layer"], "to": 1}, 404, "no character layer"),
            ("/api/identities/0/move", {"layers": a[:1], "to": "Zed"}, 404, "'Zed' is not a known character"),
            ("/api/identities/0/move", {"layers": a[:1], "to": True}, 400, "name the identity"),
            ("/api/identities/0/move", {"layers": "x", "to": 1}, 400, "name the layers"),
            ("/api/identities/99/move", {"layers": a[:1], "to": 1}, 404, "99"),
            ("/api/identities/split", {"layers": ["../../etc/passwd"]}, 400, "not a celvault id"),
            ("/api/identities/split", {"layers": a[:1], "name": "42"}, 400, "cannot be a character name"),
            ("/api/identities/split", {"layers": []}, 400, "name the layers"),
            ("/api/layers/not-character", {"layers": a[:1], "value": "yes"}, 400, "true or false"),
            ("/api/identities/99/not-character", {}, 404, "99"),
            ("/api/undo", {}, 409, "no manual decision left"),
            ("/api/duplicates/nosuch-f0000000/unlink", {}, 404, "no frame with id"),
            ("/api/duplicates/x'or'1/represent", {}, 400, "not a celvault id")):
        r = c.post(path, json=body, headers=WRITE)
        assert r.status_code == status and list(r.json()) == ["error"] and text in r.json()["error"], (path, r.text)
    rep = _a_frame_with_layers(c)  # a representative of its own group (the small episode has no duplicates)
    for action in ("unlink", "represent"):
        r = c.post(f"/api/duplicates/{rep}/{action}", headers=WRITE)
        assert r.status_code == 409 and "representative" in r.json()["error"]
    for path, body in (("/api/identities/0/move", {"layers": a[:1], "to": 1}), ("/api/identities/split", {"layers": a}),
                       ("/api/identities/0/not-character", {}), ("/api/layers/not-character", {"layers": a}),
                       ("/api/undo", {}), (f"/api/duplicates/{rep}/unlink", {})):
        assert c.post(path, json=body).status_code == 403  # no X-Celvault header
        cross = c.post(path, json=body, headers={**WRITE, "Origin": "http://evil.example"})
        assert cross.status_code == 403
    assert cat.json("characters", "list") == before and c.get("/api/decisions").json()["total"] == 0


def test_identity_page_has_the_decision_controls(cat):
    c = client(cat.catalog)
    page = c.get("/identities/0").text
    for key in ("move-target", "move-button", "split-name", "split-button", "junk-selected", "junk-identity",
                "undo-button"):
        assert f'id="{key}" data-testid="{key}"' in page
    assert 'id="undo-button" data-testid="undo-button"' in c.get("/").text
    for name in ("identity.js", "duplicates.js", "overview.js"):
        js = c.get(f"/static/{name}").text
        assert "innerHTML" not in js and "cv.say(" in js
    dup = c.get("/static/duplicates.js").text
    assert '"data-testid": "duplicate-unlink"' in dup and '"data-testid": "duplicate-represent"' in dup


@pytest.fixture(scope="module")
def dup_built(tmp_path_factory, episodes):
    """An episode with near-duplicates (sampled every 0.1 s), through dedup and segment."""
    cli = Cli(tmp_path_factory.mktemp("serve-dups") / "cat.db")
    cli("init")
    cli("ingest", episodes["ep01"][0], "--interval", "0.1")
    cli("run", "--profile", "offline", "dedup", "segment")
    return cli.catalog


def test_duplicates_unlink_and_represent_through_the_api(dup_built, tmp_path):
    from .helpers import table

    cat = Cli(tmp_path / "cat.db")
    shutil.copytree(dup_built, cat.catalog)
    c = client(cat.catalog)
    groups = [g["representative"] for g in c.get("/api/duplicates?limit=100").json()["groups"]]
    sizes = {g: c.get(f"/api/duplicates/{g}").json()["total"] for g in groups}
    rep = max(sorted(sizes), key=lambda g: sizes[g])
    assert sizes[rep] >= 3
    members = sorted(m["frame_id"] for m in c.get(f"/api/duplicates/{rep}").json()["members"])
    matched = cat.json("query", "--limit", "1")["matched"]
    segment = cat.json("status")["stages"]["segment"]
    assert segment["missing"] == 0

    r = c.post(f"/api/duplicates/{members[0]}/unlink", headers=WRITE)
    assert r.status_code == 200, r.text
    assert r.json()["was_duplicate_of"] == rep and "segment_config" in r.json()["cleared"]
    row = table(cat, "frames", f"frame_id = '{members[0]}'")[0]
    assert (row["dup_group"], row["dup_of"], row["dup_manual"]) == (members[0], None, "unlinked")
    assert c.get(f"/api/duplicates/{rep}").json()["total"] == sizes[rep] - 1
    assert cat.json("query", "--limit", "1")["matched"] == matched + 1
    assert cat.json("status")["stages"]["segment"] == {**segment, "missing": 1}  # the next run fills it
    again = c.post(f"/api/duplicates/{members[0]}/unlink", headers=WRITE)
    assert again.status_code == 409 and list(again.json()) == ["error"]

    r = c.post(f"/api/duplicates/{members[1]}/represent", headers=WRITE)
    assert r.status_code == 200, r.text
    assert r.json()["previous"] == rep and r.json()["members"] == sizes[rep]
    assert c.get(f"/api/duplicates/{rep}").status_code == 404
    moved = c.get(f"/api/duplicates/{members[1]}").json()
    assert moved["representative"]["frame_id"] == members[1] and moved["total"] == sizes[rep] - 1
    assert {m["frame_id"] for m in moved["members"]} == set(members[1:]) - {members[1]} | {rep}
    assert [d["action"] for d in c.get("/api/decisions").json()["decisions"]] == ["represent", "unlink"]
    assert c.post("/api/undo", headers=WRITE).status_code == 409  # duplicate decisions are not undone
    assert cat.json("check")["problems"] == []
    assert cat.json("query", "--limit", "1")["matched"] == matched + 1  # the unlinked frame is a result now


def test_app_edits_beside_a_running_stage_lose_nothing(cat):
    """`run embed --force` in a subprocess while the app edits: 409 while the stage holds the writer
    lock, 200 after; the stage's outputs and every edit that answered 200 are in the catalogue."""
    import os

    from .helpers import table

    c = client(cat.catalog)
    a = [m["layer_id"] for m in c.get("/api/identities/0/members?limit=100").json()["members"]]
    env = {**os.environ, "CELVAULT_CATALOG": str(cat.catalog), "CELVAULT_NO_PROGRESS": "1"}
    stage = subprocess.Popen([sys.executable, "-m", "celvault", "run", "embed", "--force", "--profile", "offline",
                              "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = cat.catalog / "celvault-writer.lock"
    try:
        for _ in range(400):  # until the stage holds the writer lock
            if stage.poll() is not None or (lock.exists() and "run" in lock.read_text()):
                break
            time.sleep(0.05)
        assert stage.poll() is None, "the stage finished before the app could try"
        busy = c.post("/api/identities/split", json={"layers": a[:2], "name": "Bob"}, headers=WRITE)
        assert busy.status_code == 409 and "celvault run" in busy.json()["error"], busy.text
        for path, body in (("/api/identities/0/move", {"layers": a[2:3], "to": 1}), ("/api/undo", {}),
                           ("/api/layers/not-character", {"layers": a[3:4]})):
            r = c.post(path, json=body, headers=WRITE)
            assert r.status_code == 409 and list(r.json()) == ["error"]
        names: list[tuple[int, str]] = []
        while stage.poll() is None:  # keep trying while it runs: whatever answers 200 must stay
            r = c.post("/api/identities/1/name", json={"name": f"Carl {len(names)}"}, headers=WRITE)
            names.append((r.status_code, f"Carl {len(names)}"))
            time.sleep(0.2)
        out, err = stage.communicate(timeout=300)
    finally:
        if stage.poll() is None:
            stage.kill()
            stage.wait()
    assert stage.returncode == 0, err
    assert any(r["stage"] == "embed" for r in json.loads(out[out.index("["):]))
    assert {s for s, _ in names} <= {200, 409}

    done = [c.post("/api/identities/split", json={"layers": a[:2], "name": "Bob"}, headers=WRITE),
            c.post("/api/identities/0/move", json={"layers": a[2:3], "to": 1}, headers=WRITE),
            c.post("/api/layers/not-character", json={"layers": a[3:4]}, headers=WRITE)]
    assert [r.status_code for r in done] == [200, 200, 200], [r.text for r in done]
    last_name = [n for s, n in names if s == 200][-1:] or [None]
    listed = {k["cluster_id"]: k for k in cat.json("characters", "list")["characters"]}
    assert listed[2]["name"] == "Bob" and listed[2]["members"] == 2 and listed[1]["name"] == last_name[0]
    layers = {r["layer_id"]: r for r in table(cat, "layers", "kind = 'character'")}
    assert [layers[x]["cluster_id"] for x in a[:4]] == [2, 2, 1, -1] and layers[a[3]]["not_character"]
    assert all(r["embed_model"] for r in layers.values())  # the stage's outputs, every one
    assert cat.json("status")["stages"]["embed"]["missing"] == 0
    expected = ["mark", "move", "split"] + ["name"] * sum(s == 200 for s, _ in names)
    assert [d["action"] for d in c.get("/api/decisions").json()["decisions"]] == expected
    assert cat.json("check")["problems"] == []
