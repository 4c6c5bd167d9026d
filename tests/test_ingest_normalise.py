"""Inputs that used to poison every later run are normalised at ingest (issue 11 #5-7):
16-bit PNGs become 8-bit, alpha is composited on white, frames of another size than the
folder's first are resized to it; frames too small for segmentation are skipped with a reason."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from celvault.synthetic import EpisodeSpec, write_frame_folder

from .helpers import table

SPEC = EpisodeSpec(seed=6, width=320, height=180, duration_s=5.0, opening_s=0, fade=False, moving_camera_shots=0,
                   walkers=True)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("norm") / "src"
    write_frame_folder(folder, SPEC)
    return sorted(folder.glob("*.png"))


def _stored(cli) -> list[np.ndarray]:
    rows = sorted(table(cli, "frame_media"), key=lambda r: r["frame_id"])
    return [cv2.imdecode(np.frombuffer(r["data"], np.uint8), cv2.IMREAD_UNCHANGED) for r in rows]


def _run_clean(cli) -> dict:
    reports = {(r["stage"], r["table"]): r for r in cli.json("run", "--profile", "offline")}
    assert all(r["errors"] == 0 for r in reports.values()), [r["notes"] for r in reports.values() if r["errors"]]
    return reports


def test_16_bit_frames_are_stored_as_8_bit_and_run(cli, tmp_path, source):
    folder = tmp_path / "deep"
    folder.mkdir()
    for f in source:
        cv2.imwrite(str(folder / f.name), cv2.imread(str(f)).astype(np.uint16) * 257)
    [rep] = cli.json("ingest", folder)
    assert rep["status"] == "ingested"
    stored = _stored(cli)
    assert all(img.dtype == np.uint8 and img.shape == (180, 320, 3) for img in stored)
    first = cv2.imread(str(source[0]))
    assert any(np.array_equal(img, first) for img in stored)  # x257 then /257: the same 8-bit pixels
    reports = _run_clean(cli)
    assert reports[("embed", "frames")]["rows"] > 0 and reports[("segment", "frames")]["rows"] > 0


def test_alpha_is_composited_on_white(cli, tmp_path, source):
    folder = tmp_path / "alpha"
    folder.mkdir()
    for f in source[:4]:
        bgr = cv2.imread(str(f))
        bgra = np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])
        bgra[:10, :10, 3] = 0  # transparent corner
        bgra[10:20, :10, 3] = 128  # half transparent band
        cv2.imwrite(str(folder / f.name), bgra)
    cli("ingest", folder)
    for img in _stored(cli):
        assert img.shape == (180, 320, 3)
        assert (img[:10, :10] == 255).all()
    first = min(table(cli, "frames"), key=lambda r: r["frame_index"])["frame_id"]
    [row] = table(cli, "frame_media", f"frame_id = '{first}'")
    img = cv2.imdecode(np.frombuffer(row["data"], np.uint8), cv2.IMREAD_COLOR)
    src = cv2.imread(str(source[0]))
    expect = np.rint(src[10:20, :10].astype(np.float32) * (128 / 255) + 255 * (127 / 255))
    assert np.abs(img[10:20, :10].astype(np.float32) - expect).max() <= 1


def test_mixed_sizes_are_resized_to_the_first_frame(cli, tmp_path, source):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i, f in enumerate(source):
        bgr = cv2.imread(str(f))
        cv2.imwrite(str(folder / f.name), cv2.resize(bgr, (640, 360)) if i % 2 else bgr)
    [rep] = cli.json("ingest", folder)
    resized = len(source) // 2
    assert f"{resized} frames resized to 320x180 (the folder's first frame)" in rep["notes"]
    assert all((r["width"], r["height"]) == (320, 180) for r in table(cli, "frames"))
    assert all(img.shape == (180, 320, 3) for img in _stored(cli))
    reports = _run_clean(cli)
    assert reports[("segment", "frames")]["rows"] > 0


def test_frames_too_small_are_skipped_by_segment_with_a_reason(cli, tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"img_{i}.png"), np.full((1, 1, 3), 90, np.uint8))
    cli("ingest", folder)
    reports = _run_clean(cli)
    seg = reports[("segment", "frames")]
    assert seg["status"] == "done" and any("frame too small (1x1, under 32 px a side)" in n for n in seg["notes"])
    methods = {r["segment_method"] for r in table(cli, "frames") if r["segment_method"]}
    assert methods == {"none (frame too small (1x1, under 32 px a side))"}
