"""Manual near-duplicate decisions (catalog/duplicates.py): unlink and represent change
exactly their group, reruns of dedup (--force, and a new episode) keep them, and the
catalogue stays consistent (`celvault check`)."""

from __future__ import annotations

from collections import Counter

from .helpers import table


def _groups(cli) -> dict[str, tuple]:
    return {r["frame_id"]: (r["dup_group"], r["dup_of"])
            for r in table(cli, "frames", columns=["frame_id", "dup_group", "dup_of"])}


def _a_group(cli) -> tuple[str, list[str]]:
    """The representative and members of the largest group (at least 2 members)."""
    sizes = Counter(g for g, of in _groups(cli).values() if of is not None)
    rep, n = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    assert n >= 2
    return rep, sorted(f for f, (g, of) in _groups(cli).items() if of == rep)


def test_unlink_and_represent_are_kept_by_dedup_reruns(cli, episodes):
    (p1, _), (p2, _) = episodes["ep01"], episodes["ep02"]
    cli("ingest", p1, "--interval", "0.1")
    cli("run", "dedup", "--profile", "offline")
    before = _groups(cli)
    rep, members = _a_group(cli)

    done = cli.json("duplicates", "unlink", members[0])
    assert done["was_duplicate_of"] == rep
    after = _groups(cli)
    assert after[members[0]] == (members[0], None)
    assert {f for f in after if after[f] != before[f]} == {members[0]}

    new_rep = members[1]
    done = cli.json("duplicates", "represent", new_rep)
    assert done["previous"] == rep
    after = _groups(cli)
    group = [f for f, (g, of) in before.items() if g == rep and f != members[0]]
    assert after[new_rep] == (new_rep, None) and after[rep] == (new_rep, new_rep)
    assert all(after[f] == (new_rep, new_rep) for f in group if f != new_rep)
    assert {f for f in after if after[f] != before[f]} == set(group) | {members[0]}

    res = cli("duplicates", "represent", new_rep, ok=False)
    assert res.exit_code == 1 and "already the representative" in res.output

    decided = _groups(cli)
    cli("run", "dedup", "--force", "--profile", "offline")
    again = _groups(cli)
    assert again[members[0]] == (members[0], None)
    assert not any(g == members[0] for f, (g, of) in again.items() if f != members[0])  # no frame joins it
    assert again[new_rep] == (new_rep, None) and again[rep][0] == new_rep

    cli("ingest", p2)
    cli("run", "dedup", "--profile", "offline")
    later = _groups(cli)
    assert all(later[f] == again[f] for f in again)  # frames of episode 1 untouched
    assert later[members[0]] == (members[0], None) and later[new_rep] == (new_rep, None)
    assert cli.json("check")["problems"] == []
    assert decided[members[0]] == (members[0], None)


def test_later_stages_fill_an_unlinked_frame_and_check_stays_clean(cli, episodes):
    (p1, _) = episodes["ep01"]
    cli("ingest", p1, "--interval", "0.1")
    cli("run", "--profile", "offline", "dedup", "segment")
    rep, members = _a_group(cli)
    assert table(cli, "frames", f"frame_id = '{members[0]}'")[0]["segment_config"] is None
    cli("duplicates", "unlink", members[0])
    cli("duplicates", "represent", members[1])
    assert cli.json("check")["problems"] == []
    cli("run", "--profile", "offline", "dedup", "segment")
    groups = _groups(cli)
    assert groups[members[0]] == (members[0], None) and groups[members[1]] == (members[1], None)
    for f in (members[0], members[1]):
        assert table(cli, "frames", f"frame_id = '{f}'")[0]["segment_config"] is not None
    assert cli.json("check")["problems"] == []
