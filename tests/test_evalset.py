"""Tests of the hard evaluation set generator (celvault.evalset)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import av
import numpy as np
import pytest

from celvault.evalset import PROPERTIES, PROPERTY_DOCS, HardSpec, plan_hard_episode, sample_specs
from celvault.evalset.records import RELATIONS, VISIBLE_SHARE

SPECS = sample_specs(11, 2, quick=True)   # a pair: same size, fps and opening


@pytest.fixture(scope="module")
def pair():
    return [plan_hard_episode(s) for s in SPECS]


@pytest.fixture(scope="module")
def rendered(pair):
    ep = pair[0]
    return [ep.render(i) for i in range(ep.n_frames)]


def test_sample_specs_vary_and_pair_up():
    specs = sample_specs(5, 8)
    assert len({s.seed for s in specs}) == 8
    assert {(s.width, s.height) for s in specs} <= {(854, 480), (1280, 720), (1920, 1080), (960, 540)}
    assert len({(s.width, s.height) for s in specs}) == 4
    assert {round(s.fps, 3) for s in specs} == {24.0, 23.976, 29.97}
    assert all(18 <= s.crf <= 32 for s in specs) and min(s.crf for s in specs) <= 24 <= max(s.crf for s in specs) - 2
    assert all(30 <= s.duration_s <= 60 for s in specs)
    assert len({s.cast_seed for s in specs}) == 1 and len({s.opening_seed for s in specs}) == 1
    for a, b in zip(specs[::2], specs[1::2]):
        assert (a.width, a.height, a.fps) == (b.width, b.height, b.fps)
    quick = sample_specs(5, 3, quick=True)
    assert all(320 <= s.width <= 480 and 10 <= s.duration_s <= 20 for s in quick)
    assert sample_specs(5, 8) == specs


def test_every_property_appears_and_is_documented():
    seen = set()
    for spec in sample_specs(3, 8):
        ep = plan_hard_episode(spec)
        for s in ep.shots:
            seen |= s.properties
        for t in ep.transitions:
            seen |= t.properties
    assert seen <= set(PROPERTIES)
    assert set(PROPERTIES) - seen == set()
    assert all(PROPERTY_DOCS[p] for p in PROPERTIES)


def test_plan_is_deterministic_and_cheap():
    a, b = plan_hard_episode(SPECS[0]), plan_hard_episode(SPECS[0])
    assert a.shots == b.shots and a.transitions == b.transitions and a.flashes == b.flashes
    assert a.frames == b.frames
    c = plan_hard_episode(replace(SPECS[0], seed=SPECS[0].seed + 1))
    assert [s.place_id for s in c.shots] != [s.place_id for s in a.shots]
    for i in (0, a.n_frames // 2, a.n_frames - 1):
        assert np.array_equal(a.render(i).rgb, b.render(i).rgb)


def test_shots_and_transitions_are_consistent(pair):
    for ep in pair:
        assert ep.shots[0].start == 0 and ep.shots[-1].end == ep.n_frames == len(ep.frames)
        assert all(s.end == n.start for s, n in zip(ep.shots, ep.shots[1:]))
        assert [t.to_shot for t in ep.transitions] == list(range(1, len(ep.shots)))
        for t in ep.transitions:
            start = ep.shots[t.to_shot].start
            assert 0 <= t.first <= start <= t.last < ep.n_frames
            if t.kind == "cut":
                assert t.first == t.last == start
            if t.kind == "dissolve":
                assert 6 <= t.last - t.first + 1 <= 18
            rel = [r for r in RELATIONS if r in t.properties]
            assert len(rel) == 1 and t.kind in t.properties
            prev, new = ep.shots[t.to_shot - 1], ep.shots[t.to_shot]
            if rel[0] in ("reverse_shot", "reframe"):
                assert prev.place_id == new.place_id
            else:
                assert prev.place_id != new.place_id
            if rel[0] == "similar_place":
                assert prev.kind == new.kind
            if rel[0] == "same_sky":
                assert prev.outdoor and new.outdoor
        assert ep.cuts() == [(t.first, t.last, t.properties) for t in ep.transitions]
        spans = [(t.first, t.last) for t in ep.transitions]
        for f, l in ep.flashes:
            assert 1 <= l - f + 1 <= 3
            assert ep.frames[f].shot == ep.frames[l].shot
            assert all(l < a or f > b for a, b in spans)
        for s in ep.shots:
            moving = [fr.camera_moving for fr in ep.frames[s.start:s.end]]
            assert not moving[0]
            if s.camera == "static":
                assert not any(moving)
            elif s.camera in ("pan", "zoom", "shake"):
                assert any(moving)


def test_pixels_match_truth(pair, rendered):
    ep = pair[0]
    H, W = ep.spec.height, ep.spec.width
    ops = {fr.index: fr.transition for fr in ep.frames}
    checked = 0
    for i, r in enumerate(rendered):
        assert r.rgb.shape == (H, W, 3) and r.rgb.dtype == np.uint8
        if ops[i] is not None:
            continue
        drawn = np.zeros((H, W), bool)
        for m in r.masks.values():
            assert not (drawn & m).any()       # visible masks never overlap
            drawn |= m
        free = ~drawn & ~r.effects & ~r.letterbox
        assert np.array_equal(r.rgb[free], r.background[free])
        assert not (drawn & r.letterbox).any()
        if r.letterbox.any():
            assert r.rgb[r.letterbox].max() == 0
        body = drawn & ~r.effects
        if body.sum() > 200:
            assert (r.rgb[body] != r.background[body]).any(axis=1).mean() > 0.5
            checked += 1
        vis = [n for n, m in r.masks.items() if m.sum() >= VISIBLE_SHARE * H * W]
        assert set(ep.frames[i].characters) == set(vis)
    assert checked > 20


def test_held_flash_and_fade_frames(pair, rendered):
    ep = pair[0]
    held = [fr.index for fr in ep.frames if fr.held]
    assert held and len(held) < ep.n_frames
    for i in held:
        assert np.array_equal(rendered[i].rgb, rendered[i - 1].rgb)
    moved = [fr.index for fr in ep.frames if fr.index and not fr.held]
    same = sum(np.array_equal(rendered[i].rgb, rendered[i - 1].rgb) for i in moved)
    assert same <= 0.02 * len(moved)
    for f, l in ep.flashes:
        for i in range(f, l + 1):
            assert ep.frames[i].transition == "flash"
            assert rendered[i].rgb.min() >= 229
    for t in ep.transitions:
        span = [rendered[i].rgb.mean() for i in range(t.first, t.last + 1)]
        if t.kind == "fade_black":
            assert min(span) == 0
        elif t.kind == "fade_white":
            assert max(span) == 255
    rgbs = list(ep.iter_rgb())
    assert len(rgbs) == ep.n_frames
    for i in range(0, ep.n_frames, 9):
        assert np.array_equal(rgbs[i], rendered[i].rgb)


def test_opening_is_pixel_identical_across_episodes(pair):
    a, b = pair
    oa = [s for s in a.shots if s.is_opening]
    ob = [s for s in b.shots if s.is_opening]
    assert oa and [(s.start, s.end, s.place_id, s.characters) for s in oa] == \
        [(s.start, s.end, s.place_id, s.characters) for s in ob]
    n = oa[-1].end
    assert n == round(a.spec.opening_s * a.fps)
    for i in range(n):
        assert np.array_equal(a.render(i).rgb, b.render(i).rgb)
    assert not np.array_equal(a.render(n).rgb, b.render(n).rgb)
    assert oa[0].place_id != [s for s in a.shots if not s.is_opening][0].place_id
    none = plan_hard_episode(replace(a.spec, opening_seed=None))
    assert not any(s.is_opening for s in none.shots)


def test_hard_cases_look_as_named():
    ep = plan_hard_episode(replace(SPECS[0], duration_s=40.0, width=320, height=180))
    H, W = ep.spec.height, ep.spec.width
    seen = set()
    for s in ep.shots:
        mid = (s.start + s.end) // 2
        r = ep.render(mid)
        if "closeup" in s.properties and ep.frames[mid].transition is None:
            share = max(m.mean() for m in r.masks.values())
            assert 0.25 <= share <= 0.8
            seen.add("closeup")
        if "walk" in s.properties:  # the walker enters and leaves the frame
            first, last = ep.render(s.start), ep.render(s.end - 1)
            xs = [np.flatnonzero(m.any(axis=0)) for r_ in (first, last) for m in r_.masks.values()]
            assert any(x.size == 0 or x.min() == 0 or x.max() == W - 1 for x in xs)
            seen.add("walk")
        if "night" in s.properties or "dark" in s.properties:
            assert r.background.mean() < 110
    assert seen


def test_write_decodes_with_frame_count_and_rate(tmp_path):
    spec = HardSpec(seed=3, width=256, height=144, fps=30000 / 1001, duration_s=3.0, crf=30,
                    opening_seed=None, cast_seed=2)
    ep = plan_hard_episode(spec)
    path = tmp_path / "hard.mkv"
    ep.write(path)
    with av.open(str(path)) as c:
        st = c.streams.video[0]
        assert st.codec_context.name == "h264" and st.codec_context.pix_fmt == "yuv420p"
        assert st.average_rate == Fraction(30000, 1001)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == ep.n_frames == 90
    ref = ep.render(45).rgb.astype(int)
    assert np.abs(frames[45].astype(int) - ref).mean() < 12
    with pytest.raises(ValueError):
        ep.write(tmp_path / "hard.avi")
