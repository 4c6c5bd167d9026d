"""Checking a user's `--where` expression before it reaches Lance.

The expression is tokenised (quoted strings, numbers, operators, words) and parsed by a small
SQL grammar: OR / AND / NOT, comparisons, IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN (...),
[NOT] LIKE / ILIKE, arithmetic, list literals and indexing, CAST, and calls of the
listed FUNCTIONS only. Every column must exist (re-emitted backtick-quoted), and each part is
typed from the table's schema, so a number is never compared with text and a condition is
never just a number. Nesting is bounded. Anything else is one BadWhere line naming what is
wrong; Lance never sees an expression that failed the check.

With `--layers`, a column may be a layer column or a frame column (`frames.x` / `layers.x`
say which when both tables have it): `split_where` hands each AND-ed condition to its table.
"""

from __future__ import annotations

import re

import pyarrow as pa

from .where_grammar import FUNCTIONS, BadWhere, Parser, span_text

__all__ = ["FUNCTIONS", "BadWhere", "check_where", "split_where"]

MAX_NESTING = 32
TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>`[^`]+`)
  | (?P<qualified>[A-Za-z_][A-Za-z0-9_]*\.(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`))
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|=|<|>|\+|-|\*|/|%|\(|\)|,|\[|\])
""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos, depth = [], 0, 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise BadWhere(f"--where: cannot read {text[pos:pos + 12]!r} (at character {pos + 1})")
        if m.lastgroup != "space":
            tokens.append((m.lastgroup, m.group()))
            depth += m.group() in "([" if m.lastgroup == "op" else 0
            depth -= m.group() in ")]" if m.lastgroup == "op" else 0
            if depth > MAX_NESTING:
                raise BadWhere(f"--where: nested more than {MAX_NESTING} brackets deep")
        pos = m.end()
    return tokens


def _parse(expression: str, tables: dict[str, pa.Schema], default: list[str]) -> tuple[Parser, list]:
    text = (expression or "").strip()
    if not text:
        raise BadWhere("--where is empty")
    parser = Parser(_tokens(text), tables, default)
    try:
        spans = parser.top()
    except RecursionError:
        raise BadWhere("--where: nested too deeply") from None
    return parser, spans


def _emit(parser: Parser, start: int, end: int) -> str:
    # Lance will not compare an integer column with 806.5: with such a literal about, integer
    # columns are compared as doubles
    fractional = any(kind == "number" and any(c in tok for c in ".eE") for kind, tok in parser.t[start:end])
    out = []
    for i in range(start, end):
        kind, tok = parser.t[i]
        if i in parser.columns:
            table, name = parser.columns[i]
            tok = f"`{name}`"
            if fractional and pa.types.is_integer(parser.tables[table].field(name).type):
                tok = f"CAST({tok} AS DOUBLE)"
        elif kind == "word":
            tok = tok.lower() if tok.lower() in FUNCTIONS else tok
        out.append(tok)
    return " ".join(out)


def check_where(expression: str, schema: pa.Schema) -> str:
    """The expression checked against one table's schema, columns quoted; or BadWhere."""
    parser, _ = _parse(expression, {"frames": schema}, ["frames"])
    return _emit(parser, 0, len(parser.t))


def split_where(expression: str, layers: pa.Schema, frames: pa.Schema) -> dict[str, str | None]:
    """With --layers: the layer part and the frame part of the expression (each AND-ed
    condition uses one table; a name both tables have means the layer's unless qualified)."""
    parser, spans = _parse(expression, {"layers": layers, "frames": frames}, ["layers", "frames"])
    parts: dict[str, list[str]] = {"layers": [], "frames": []}
    for start, end in spans:
        used = {parser.columns[i][0] for i in parser.columns if start <= i < end}
        if len(used) > 1:
            cols = sorted({f"{t}.{c}" for i, (t, c) in parser.columns.items() if start <= i < end})
            raise BadWhere(f"--where: with --layers, each AND-ed condition uses frame columns or layer columns, "
                           f"not both ({span_text(parser.t, start, end)!r} uses {', '.join(cols)})")
        parts[used.pop() if used else "layers"].append(f"({_emit(parser, start, end)})")
    return {t: " AND ".join(p) if p else None for t, p in parts.items()}
