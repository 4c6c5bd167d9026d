"""`--where` (issue 11, #8): listed functions only, a grammar and type check before Lance, one
`Error:` line for anything refused or anything Lance refuses; with `--layers`, frame columns
are allowed too (each AND-ed condition goes to its own table)."""

from __future__ import annotations

import statistics

import pytest

from celvault.queries.where import FUNCTIONS

from .helpers import table
from .small_catalog import build_small_catalog

REPS = "dup_group IS NOT NULL AND dup_of IS NULL"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_small_catalog(tmp_path_factory.mktemp("where"))


def _one_error(res, *words) -> str:
    out = res.output.strip()
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), (out, res.exception)
    assert out.startswith("Error: ") and len(out.splitlines()) == 1, out
    for w in words:
        assert w in out, out
    return out


HOSTILE = [
    ("read_file('/etc/passwd') = 'x'", "unknown function 'read_file'"),
    ("sleep(5)=0", "unknown function 'sleep'"),
    ("sharpness > 1 AND pg_sleep(5) = 0", "unknown function 'pg_sleep'"),
    ("sharpness >", "ends too early"),
    ("sharpness > 'abc'", "cannot compare"),
    ("frame_id + 1 > 2", "a number"),
    ("(" * 300 + "sharpness > 1" + ")" * 300, "nested"),
    ("NOT " * 3000 + "sharpness > 1", "nested"),
    ("sharpness", "not a condition"),
    ("sharpness > 1 sharpness", "unexpected"),
    ("sharpness > 1 AND", "ends too early"),
    ("()", "unexpected"),
    ("CASE WHEN sharpness > 0 THEN true END", "CASE"),
    ("lower(frame_id, 1, 2) = 'x'", "lower takes"),
    ("sharpness LIKE 'a%'", "text"),
    ("layers.area > 1", "only with --layers"),
    ("nosuch.sharpness > 1", "unknown table"),
]


@pytest.mark.parametrize("expr,words", HOSTILE)
def test_hostile_where_is_one_line(small, expr, words):
    _one_error(small("query", "--where", expr, ok=False), "--where", words)


def test_hostile_where_with_layers_is_one_line(small):
    for expr, _ in HOSTILE[:9]:
        _one_error(small("query", "--where", expr, "--layers", ok=False), "--where")


def test_lance_refusing_a_checked_filter_is_one_line(small):
    # passes the check (a cast is allowed) and fails inside Lance, while scanning
    _one_error(small("query", "--where", "CAST(frame_id AS INT) > 1", ok=False), "--where", "Lance")
    _one_error(small("query", "--where", "CAST(frame_id AS INT) > 1", "--layers", ok=False), "--where", "Lance")


# one expression per listed function, each on this catalogue's columns
EXAMPLES = {
    "lower": "lower(frame_id) LIKE '%f0%'", "upper": "upper(frame_id) LIKE '%F0%'",
    "ltrim": "ltrim(frame_id) = frame_id", "rtrim": "rtrim(frame_id) = frame_id",
    "length": "length(frame_id) > 3", "char_length": "char_length(frame_id) > 3",
    "starts_with": "starts_with(frame_id, episode_id)", "ends_with": "ends_with(frame_id, '0')",
    "contains": "contains(frame_id, 'f0')", "strpos": "strpos(frame_id, 'f0') > 0",
    "replace": "replace(frame_id, 'f', 'g') <> frame_id",
    "concat": "concat(episode_id, '-x') <> frame_id", "regexp_like": "regexp_like(frame_id, 'f[0-9]+$')",
    "abs": "abs(sharpness) >= 0",
    "round": "round(sharpness, 1) >= 0", "sqrt": "sqrt(sharpness) >= 0", "ln": "ln(sharpness + 1) >= 0",
    "log10": "log10(sharpness + 1) >= 0", "exp": "exp(0) = 1", "power": "power(width, 2) > 0",
    "coalesce": "coalesce(dup_of, frame_id) <> ''", "nullif": "nullif(width, 0) > 0",
    "array_has": "array_has(characters, 0) OR characters IS NULL",
    "array_has_any": "array_has_any(characters, [0, 1]) OR characters IS NULL",
    "array_has_all": "array_has_all(characters, [0]) OR characters IS NULL",
    "array_length": "array_length(characters) >= 0 OR characters IS NULL",
    "cardinality": "cardinality(characters) >= 0 OR characters IS NULL",
    "array_to_string": "array_to_string(characters, ',') <> 'x' OR characters IS NULL",
}


def test_every_listed_function_runs_in_lance(small):
    assert set(EXAMPLES) == set(FUNCTIONS)
    every = small.json("query", "--include-duplicates", "--limit", "1000")["matched"]
    for name, expr in EXAMPLES.items():
        got = small.json("query", "--where", expr, "--include-duplicates", "--limit", "1000")
        assert got["matched"] >= 1, (name, expr)
    # and the grammar's other words
    for expr in ("sharpness BETWEEN 0 AND 1e9", "width IN (320, 640)", "dup_of IS NULL OR dup_of IS NOT NULL",
                 "NOT (sharpness < 0)", "CAST(width AS DOUBLE) > 0",
                 "-sharpness <= 0", "time_s * 2 / 2 >= 0 AND time_s % 1 >= 0", "frame_id NOT LIKE 'zz%'",
                 "frame_id ILIKE '%F0%'", "frames.sharpness >= 0", "`sharpness` >= 0"):
        assert small.json("query", "--where", expr, "--include-duplicates", "--limit", "1000")["matched"] == every, expr


def test_readme_example_layers_with_frame_columns(small):
    """README: `query --character X --where "sharpness > 100" --layers`."""
    reps = {f["frame_id"]: f["sharpness"] for f in table(small, "frames", REPS, ["frame_id", "sharpness"])}
    cut = statistics.median(reps.values())
    layers = table(small, "layers", "kind = 'character' AND cluster_id = 0", ["layer_id", "frame_id", "area"])
    expect = {r["layer_id"] for r in layers if reps.get(r["frame_id"], -1) > cut}
    assert 0 < len(expect) < len(layers)
    got = small.json("query", "--character", "0", "--where", f"sharpness > {cut}", "--layers", "--limit", "1000")
    assert {r["layer_id"] for r in got["rows"]} == expect
    area = statistics.median(r["area"] for r in layers)
    both = small.json("query", "--character", "0", "--where", f"frames.sharpness > {cut} AND area > {area}",
                      "--layers", "--limit", "1000")
    assert {r["layer_id"] for r in both["rows"]} == {r["layer_id"] for r in layers
                                                    if r["layer_id"] in expect and r["area"] > area}
    _one_error(small("query", "--where", f"sharpness > {cut} OR area > {area}", "--layers", ok=False),
               "--where", "frame columns", "layer columns")
    paths = small("query", "--character", "0", "--where", f"sharpness > {cut}", "--layers", "--format", "paths",
                  "--out", small.catalog.parent / "readme-paths").output.split()
    assert len(paths) == len(expect)
