"""Tests of the synthetic episode generator (celvault.synthetic)."""

from __future__ import annotations

from dataclasses import replace

import av
import cv2
import numpy as np
import pytest

from celvault.synthetic import (
    CAST,
    EpisodeSpec,
    hsv_delta,
    iter_frames,
    make_episode,
    parse_frame_name,
    plan_episode,
    render_frame,
    write_frame_folder,
)
from celvault.synthetic.plan import plan_shots  # truth without bboxes; iter_frames fills them

SPEC = EpisodeSpec(seed=7)


def _decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _rendered(truth) -> list[np.ndarray]:
    return [rgb.copy() for _, rgb in iter_frames(truth)]


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    path = tmp_path_factory.mktemp("syn") / "ep.mp4"
    truth = make_episode(path, SPEC)
    return path, truth


@pytest.fixture(scope="module")
def decoded(episode):
    return _decode(episode[0])


@pytest.fixture(scope="module")
def rendered():
    truth = plan_shots(SPEC)
    return truth, _rendered(truth)


def test_video_decodes_with_exact_frame_count(episode, decoded):
    path, truth = episode
    assert truth.n_frames == round(SPEC.duration_s * SPEC.fps) == len(truth.frames)
    assert len(decoded) == truth.n_frames
    assert decoded[0].shape == (SPEC.height, SPEC.width, 3)
    with av.open(str(path)) as c:
        st = c.streams.video[0]
        assert st.average_rate == 12
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    assert np.allclose(times, np.arange(truth.n_frames) / SPEC.fps)


def test_lossless_ffv1_matches_render(tmp_path):
    spec = EpisodeSpec(seed=3, duration_s=8.0, codec="ffv1")
    truth = make_episode(tmp_path / "ep.mkv", spec)
    frames = _decode(tmp_path / "ep.mkv")
    assert len(frames) == truth.n_frames
    for i in range(0, truth.n_frames, 7):
        assert np.array_equal(frames[i], render_frame(spec, truth, i).rgb)


def test_mpeg4_frame_count(tmp_path):
    spec = EpisodeSpec(seed=4, duration_s=6.0, codec="mpeg4")
    truth = make_episode(tmp_path / "ep.mp4", spec)
    assert len(_decode(tmp_path / "ep.mp4")) == truth.n_frames


def test_truth_structure(episode):
    _, truth = episode
    fps = truth.fps
    shots = truth.shots
    assert truth.shot_boundaries()[0] == 0
    assert [s.start_frame for s in shots[1:]] == [s.end_frame for s in shots[:-1]]
    assert shots[-1].end_frame == truth.n_frames
    opening = [s for s in shots if s.is_opening]
    body = [s for s in shots if not s.is_opening]
    assert len(opening) >= 2 and sum(s.n_frames for s in opening) == round(SPEC.opening_s * fps)
    for s in body:
        assert 1.5 * fps <= s.n_frames <= 4 * fps
    for s in shots:
        assert s.hold in (2, 3)
        assert s.outdoor == (s.background not in ("room", "classroom"))
    assert any(not s.characters for s in shots)
    cast = {n for s in body for n in s.characters}
    assert len(cast) == SPEC.n_characters
    assert sum(not s.static_camera for s in body) == SPEC.moving_camera_shots
    for f in truth.frames:
        assert f.index == truth.frame_at(f.index).index
        assert f.time_s == pytest.approx(f.index / fps)
        assert f.opening == shots[f.shot].is_opening
        assert shots[f.shot].start_frame <= f.index < shots[f.shot].end_frame
    names = {c.name for c in CAST}
    assert len(names) == len(CAST) >= 5
    assert len({(c.hair, c.outfit) for c in CAST}) == len(CAST)


def test_fade_out_and_in(episode, decoded):
    _, truth = episode
    fades = np.array([f.fade_factor for f in truth.frames])
    black = np.flatnonzero(fades == 0)
    assert len(black) == 2 and black[1] == black[0] + 1
    a, b = truth.frames[black[0]].shot, truth.frames[black[1]].shot
    assert b == a + 1 and truth.shots[b].start_frame == black[1]
    n = round(0.5 * truth.fps)
    assert np.all(np.diff(fades[black[0] - n + 1:black[0] + 1]) < 0)
    assert np.all(np.diff(fades[black[1]:black[1] + n]) > 0)
    assert fades[black[0] - n] == 1.0 and fades[black[1] + n] == 1.0
    for i in np.flatnonzero(fades < 1):
        assert not truth.frames[i].held
    for i in black:
        r = render_frame(SPEC, truth, int(i))
        assert r.rgb.max() == 0 and r.fade_factor == 0
        assert not truth.frames[i].bboxes
        assert decoded[i].max() < 24


def test_held_frames_identical(rendered):
    truth, frames = rendered
    for f in truth.frames:
        shot = truth.shots[f.shot]
        k = f.index - shot.start_frame
        if k == 0:
            assert not f.held
            continue
        same = np.array_equal(frames[f.index], frames[f.index - 1])
        assert same == f.held, f.index
        if k % shot.hold and f.fade_factor == 1.0 and truth.frames[f.index - 1].fade_factor == 1.0:
            assert f.held
    for i in (0, 40, 101, truth.n_frames - 1):
        assert np.array_equal(render_frame(SPEC, truth, i).rgb, frames[i])


def test_camera(rendered):
    truth, _ = rendered
    for s in truth.shots:
        i = s.start_frame + (s.n_frames // 2) // s.hold * s.hold  # two consecutive drawn poses
        a, b = render_frame(SPEC, truth, i), render_frame(SPEC, truth, i + s.hold)
        assert a.fade_factor == b.fade_factor == 1.0
        assert np.array_equal(a.background, b.background) == s.static_camera
    assert not all(s.static_camera for s in truth.shots)


def test_opening_identical_across_seeds():
    a = plan_shots(EpisodeSpec(seed=1))
    b = plan_shots(EpisodeSpec(seed=2, n_characters=4, duration_s=14.0, moving_camera_shots=2))
    fa, fb = _rendered(a), _rendered(b)
    n_open = a.opening_frames
    assert n_open == b.opening_frames == 36
    assert [s.characters for s in a.shots if s.is_opening] == [s.characters for s in b.shots if s.is_opening]
    for i in range(n_open):
        assert np.array_equal(fa[i], fb[i])
    differ = [not np.array_equal(x, y) for x, y in zip(fa[n_open:], fb[n_open:])]
    assert np.mean(differ) > 0.95


def test_opening_encodes_identically(episode, decoded, tmp_path):
    other = make_episode(tmp_path / "other.mp4", EpisodeSpec(seed=99, duration_s=9.0))
    frames = _decode(tmp_path / "other.mp4")
    n_open = other.opening_frames
    assert n_open == episode[1].opening_frames
    for i in range(n_open):
        assert np.array_equal(frames[i], decoded[i]), i
    assert not np.array_equal(frames[n_open], decoded[n_open])


def test_deterministic():
    a, b = plan_episode(SPEC), plan_episode(SPEC)
    assert a.shots == b.shots and a.frames == b.frames
    assert np.array_equal(render_frame(SPEC, a, 77).rgb, render_frame(SPEC, b, 77).rgb)


def test_masks_match_bboxes(episode, rendered):
    _, truth = episode
    assert truth.frames == plan_episode(SPEC).frames  # make_episode fills the same bboxes
    for i in plan_shots(SPEC).distinct_frames():
        r = render_frame(SPEC, truth, i)
        f = truth.frames[i]
        shot = truth.shots[f.shot]
        assert set(r.masks) == set(shot.characters)
        union = np.zeros((SPEC.height, SPEC.width), int)
        for name, m in r.masks.items():
            assert m.dtype == bool and m.shape == union.shape
            union += m
            if not m.any():
                assert name not in f.bboxes
                continue
            ys, xs = np.nonzero(m)
            assert f.bboxes[name] == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert union.max() <= 1  # occlusion: every pixel belongs to one character at most
        outside = union == 0
        assert np.array_equal(r.rgb[outside], r.background[outside])
    assert any(f.bboxes for f in truth.frames)


def test_characters_overlap_sometimes():
    """Across a few episodes some characters overlap; the hidden one loses pixels."""
    occluded = 0
    for seed in range(4):
        spec = replace(SPEC, seed=seed)
        truth = plan_shots(spec)
        for i in truth.distinct_frames()[::3]:
            r = render_frame(spec, truth, i)
            shot = truth.shots[truth.frames[i].shot]
            for name in shot.characters:
                boxes = truth.frames[i].bboxes
                if name in boxes:
                    x0, y0, x1, y1 = boxes[name]
                    h = y1 - y0
                    assert 0.1 * spec.height < h <= 0.5 * spec.height
            if len(r.masks) >= 2:
                dil = {n: cv2.dilate(m.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
                       for n, m in r.masks.items()}
                names = list(dil)
                occluded += any((dil[a] & r.masks[b]).any() for a in names for b in names if a != b)
    assert occluded > 0


def test_shot_cuts_strong_and_held_frames_flat(episode, decoded):
    _, truth = episode
    for start in truth.shot_boundaries()[1:]:
        if truth.frames[start].fade_factor < 1 or truth.frames[start - 1].fade_factor < 1:
            continue  # the fade is a gradual transition, not a cut
        assert hsv_delta(decoded[start - 1], decoded[start]) > 30, start
    held = [f.index for f in truth.frames if f.held]
    assert held
    assert max(hsv_delta(decoded[i - 1], decoded[i]) for i in held) < 2.0


def test_frame_folder(tmp_path):
    spec = replace(SPEC, duration_s=10.0)
    truth = write_frame_folder(tmp_path / "named", spec)
    files = sorted(p.name for p in (tmp_path / "named").iterdir())
    assert len(files) == len(truth.distinct_frames())
    parsed = [parse_frame_name(n) for n in files]
    assert [p[1] for p in parsed] == truth.distinct_frames()
    for shot, idx, t in parsed:
        assert truth.frames[idx].shot == shot
        assert t == pytest.approx(truth.frames[idx].time_s, abs=0.005)
    assert parse_frame_name("scene0042_frame002156_t847.25s.png") == (42, 2156, 847.25)
    truth2 = write_frame_folder(tmp_path / "plain", spec, named=False)
    plain = sorted(p.name for p in (tmp_path / "plain").iterdir())
    assert plain[0] == "img_0001.png" and len(plain) == len(files)
    assert truth2.frames == truth.frames
    idx = parsed[5][1]
    img = cv2.cvtColor(cv2.imread(str(tmp_path / "plain" / plain[5])), cv2.COLOR_BGR2RGB)
    assert np.array_equal(img, render_frame(spec, truth, idx).rgb)
