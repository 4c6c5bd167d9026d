"""Checking a user's `--where` expression before it reaches Lance.

The expression is tokenised: quoted strings and numbers pass through, operators and SQL
words (AND, IS NULL, LIKE, ...) pass through, a word followed by `(` is a function, and every
other word must be a column of the table; columns are re-emitted backtick-quoted. Anything
else (a `;`, an unknown column, an unclosed quote) is a one-line error naming what is wrong.
"""

from __future__ import annotations

import re

from celvault.errors import CelvaultError


class BadWhere(CelvaultError):
    pass


KEYWORDS = {"and", "or", "not", "is", "null", "in", "like", "ilike", "between", "true", "false", "case", "when",
            "then", "else", "end", "as", "cast", "distinct"}
TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>`[^`]+`)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|=|<|>|\+|-|\*|/|%|\(|\)|,|\[|\]|\.)
""", re.VERBOSE)


def check_where(expression: str, columns: list[str]) -> str:
    """The expression with its column names quoted, or BadWhere."""
    text = expression.strip()
    if not text:
        raise BadWhere("--where is empty")
    known = set(columns)
    out, pos, depth = [], 0, 0
    tokens = []
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise BadWhere(f"--where: cannot read {text[pos:pos + 12]!r} (at character {pos + 1})")
        tokens.append((m.lastgroup, m.group()))
        pos = m.end()
    tokens = [t for t in tokens if t[0] != "space"]
    for i, (kind, tok) in enumerate(tokens):
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "word" and tok.lower() not in KEYWORDS and nxt != "(":
            if tok not in known:
                raise BadWhere(f"--where: unknown column {tok!r}; columns: {', '.join(sorted(known))}")
            tok = f"`{tok}`"
        elif kind == "quoted" and tok[1:-1] not in known:
            raise BadWhere(f"--where: unknown column {tok[1:-1]!r}; columns: {', '.join(sorted(known))}")
        depth += tok == "("
        depth -= tok == ")"
        if depth < 0:
            raise BadWhere("--where: a ')' without its '('")
        out.append(tok)
    if depth:
        raise BadWhere("--where: a '(' is not closed")
    return " ".join(out)
