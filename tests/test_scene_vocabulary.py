"""The scene vocabulary file and the group-wise zero-shot scoring (on constructed vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from celvault.errors import ConfigError
from celvault.stages.scene_vocabulary import SceneScorer, load_vocabulary


def test_shipped_vocabulary_has_the_scene_tags_users_ask_for():
    vocab = load_vocabulary("scenes")
    for tag in ("indoor", "outdoor", "day", "night", "sky", "street", "classroom", "forest", "water", "battle"):
        assert tag in vocab.tags
    assert len(set(vocab.tags)) == len(vocab.tags)
    assert vocab.groups["place"]["street"] == ("an anime screenshot of street",)  # bare names use the template


def test_user_vocabulary_and_extra_groups(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("prompt: 'a frame of {}'\ngroups:\n  place: [dojo, shrine]\n")
    vocab = load_vocabulary(str(path), extra={"mood": {"tense": "a tense scene"}})
    assert vocab.tags == ["dojo", "shrine", "tense"] and vocab.groups["place"]["dojo"] == ("a frame of dojo",)
    assert vocab.digest() != load_vocabulary(str(path)).digest()
    with pytest.raises(ConfigError, match="no scene vocabulary 'nope'"):
        load_vocabulary("nope")
    path.write_text("groups:\n  a: [x]\n  b: [x]\n")
    with pytest.raises(ConfigError, match="more than one group"):
        load_vocabulary(str(path))


def _fake_text_side(vocab_prompts: dict[str, np.ndarray]):
    def embed_text(texts):
        return np.stack([vocab_prompts[t] for t in texts])

    return embed_text


def test_scoring_is_a_softmax_per_group_with_a_none_option(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("none: 'nothing'\ngroups:\n  setting: {indoor: 'in', outdoor: 'out'}\n"
                    "  time: {day: 'day', night: 'night'}\n")
    vocab = load_vocabulary(str(path))
    axes = {p: np.eye(5, dtype=np.float32)[i] for i, p in enumerate(["nothing", "in", "out", "day", "night"])}
    scorer = SceneScorer(vocab, _fake_text_side(axes), threshold=0.3)
    # an image close to "out" and "night": outdoor and night win their groups
    img = axes["out"] + axes["night"]
    img = img / np.linalg.norm(img)
    lone = axes["nothing"]  # matches only the none prompt: no tag from any group
    assert scorer.tags(np.stack([img, lone])) == [["outdoor", "night"], []]
    probs = scorer.probabilities(img[None])
    assert probs[0][0] == ["indoor", "outdoor"] and probs[0][1][0, 1] > 0.99
    # threshold 0 keeps every tag, each group ordered by probability
    assert SceneScorer(vocab, _fake_text_side(axes), 0.0).tags(img[None]) == [["outdoor", "indoor", "night", "day"]]
