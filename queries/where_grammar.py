"""The grammar and types behind `--where` (see queries/where.py): a recursive-descent parser
over tokens that knows each column's kind (number, text, list, ...) from the table schemas,
the functions Lance runs, and refuses anything else with one BadWhere line."""

from __future__ import annotations

import pyarrow as pa

from celvault.errors import CelvaultError


class BadWhere(CelvaultError):
    pass


NUM, TEXT, BOOL, LIST, BIN, NULL, ANY = "a number", "text", "a condition", "a list", "bytes", "null", "any"
# name: (argument kinds, how many are required, result); "..." repeats the last kind. Each one
# runs in Lance (tests/test_where_safety.py); TRIM, SUBSTR, CEIL and FLOOR are SQL syntax that
# Lance's planner does not take.
FUNCTIONS = {
    "lower": ((TEXT,), 1, TEXT), "upper": ((TEXT,), 1, TEXT),
    "ltrim": ((TEXT,), 1, TEXT), "rtrim": ((TEXT,), 1, TEXT), "length": ((TEXT,), 1, NUM),
    "char_length": ((TEXT,), 1, NUM), "starts_with": ((TEXT, TEXT), 2, BOOL), "ends_with": ((TEXT, TEXT), 2, BOOL),
    "contains": ((TEXT, TEXT), 2, BOOL), "strpos": ((TEXT, TEXT), 2, NUM),
    "replace": ((TEXT, TEXT, TEXT), 3, TEXT), "concat": ((ANY, "..."), 1, TEXT), "regexp_like": ((TEXT, TEXT), 2, BOOL),
    "abs": ((NUM,), 1, NUM), "round": ((NUM, NUM), 1, NUM),
    "sqrt": ((NUM,), 1, NUM), "ln": ((NUM,), 1, NUM), "log10": ((NUM,), 1, NUM), "exp": ((NUM,), 1, NUM),
    "power": ((NUM, NUM), 2, NUM), "coalesce": ((ANY, "..."), 1, ANY), "nullif": ((ANY, ANY), 2, ANY),
    "array_has": ((LIST, ANY), 2, BOOL), "array_has_any": ((LIST, LIST), 2, BOOL),
    "array_has_all": ((LIST, LIST), 2, BOOL), "array_length": ((LIST,), 1, NUM), "cardinality": ((LIST,), 1, NUM),
    "array_to_string": ((LIST, TEXT), 2, TEXT),
}
TYPES = {"int": NUM, "integer": NUM, "bigint": NUM, "smallint": NUM, "tinyint": NUM, "float": NUM, "double": NUM,
         "real": NUM, "decimal": NUM, "string": TEXT, "varchar": TEXT, "text": TEXT, "boolean": BOOL, "bool": BOOL}
KEYWORDS = {"and", "or", "not", "is", "null", "in", "like", "ilike", "between", "true", "false", "case", "when",
            "then", "else", "end", "as", "cast"}
COMPARE = {"=", "<>", "!=", "<", "<=", ">", ">="}
def kind_of(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return NUM
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return TEXT
    if pa.types.is_boolean(dtype):
        return BOOL
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_fixed_size_list(dtype):
        return LIST
    if pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype) or pa.types.is_fixed_size_binary(dtype):
        return BIN
    return ANY


class Parser:
    """Recursive descent over the tokens; each parse_* returns the kind of what it read."""

    def __init__(self, tokens, tables: dict[str, pa.Schema], default: list[str]):
        self.t, self.pos, self.tables, self.default = tokens, 0, tables, default
        self.columns: dict[int, tuple[str, str]] = {}  # token index -> (table, column)

    # -- tokens ---------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        if i >= len(self.t):
            return ""
        kind, tok = self.t[i]
        return tok.lower() if kind in ("word", "op") else "\0" + tok

    def take(self, *words: str) -> bool:
        if self.peek() in words:
            self.pos += 1
            return True
        return False

    def expect(self, word: str, after: str) -> None:
        if not self.take(word):
            self.fail(f"expected {word.upper()!r} {after}")

    def fail(self, what: str):
        if self.pos >= len(self.t):
            last = self.t[-1][1] if self.t else ""
            raise BadWhere(f"--where: the expression ends too early (after {last!r}): {what}")
        raise BadWhere(f"--where: unexpected {self.t[self.pos][1]!r} (token {self.pos + 1}): {what}")

    # -- grammar --------------------------------------------------------------------------
    def condition(self, kind: str, text: str) -> None:
        if kind not in (BOOL, ANY, NULL):
            raise BadWhere(f"--where: {text} is {kind}, not a condition (compare it: x > 1, x IS NULL, ...)")

    def top(self) -> list[tuple[int, int]]:
        """Parse everything; the token spans of the top-level AND-ed conditions."""
        spans = self.and_chain()
        if self.peek() == "or":
            while self.take("or"):
                self.and_chain()
            spans = [(0, self.pos)]
        if self.pos < len(self.t):
            self.fail("a condition is already complete here")
        return spans

    def or_(self) -> str:
        return self._joined("or", self.and_)

    def _joined(self, word: str, operand) -> str:
        """operand (WORD operand)*: both sides of each WORD must be conditions."""
        kind = operand()
        while self.take(word):
            self.condition(kind, f"the left side of {word.upper()}")
            self.condition(operand(), f"the right side of {word.upper()}")
            kind = BOOL
        return kind

    def and_chain(self) -> list[tuple[int, int]]:
        spans = []
        while True:
            start = self.pos
            self.condition(self.not_(), span_text(self.t, start, self.pos))
            spans.append((start, self.pos))
            if not self.take("and"):
                return spans

    def and_(self) -> str:
        return self._joined("and", self.not_)

    def not_(self) -> str:
        if self.take("not"):
            self.condition(self.not_(), "what follows NOT")
            return BOOL
        return self.predicate()

    def predicate(self) -> str:
        start = self.pos
        left = self.additive()
        negated = self.take("not")
        if not negated and self.peek() in COMPARE:
            op = self.peek()
            self.pos += 1
            right = self.additive()
            self.compatible(left, right, start, op)
            return BOOL
        if not negated and self.take("is"):
            self.take("not")
            if not self.take("null", "true", "false"):
                self.fail("IS takes NULL, TRUE or FALSE")
            return BOOL
        if self.take("between"):
            low = self.additive()
            self.expect("and", "in BETWEEN ... AND ...")
            high = self.additive()
            for k in (low, high):
                self.compatible(left, k, start, "BETWEEN")
            return BOOL
        if self.take("in"):
            self.expect("(", "after IN")
            for k in self.items(")"):
                self.compatible(left, k, start, "IN")
            return BOOL
        if self.take("like", "ilike"):
            right = self.additive()
            for k, what in ((left, span_text(self.t, start, start + 1)), (right, "the pattern")):
                if k not in (TEXT, ANY, NULL):
                    raise BadWhere(f"--where: LIKE works on text; {what} is {k}")
            return BOOL
        if negated:
            self.fail("NOT here takes BETWEEN, IN, LIKE or ILIKE")
        return left

    def compatible(self, a: str, b: str, start: int, op: str) -> None:
        if ANY in (a, b) or NULL in (a, b) or a == b:
            if a == b == LIST and op not in ("=", "<>", "!="):
                raise BadWhere(f"--where: lists cannot be ordered with {op}")
            return
        raise BadWhere(f"--where: {span_text(self.t, start, self.pos)}: cannot compare {a} with {b} ({op})")

    def additive(self) -> str:
        start = self.pos
        kind = self.multiplicative()
        while self.peek() in ("+", "-"):
            self.pos += 1
            kind = self.arithmetic(kind, self.multiplicative(), start)
        return kind

    def multiplicative(self) -> str:
        start = self.pos
        kind = self.unary()
        while self.peek() in ("*", "/", "%"):
            self.pos += 1
            kind = self.arithmetic(kind, self.unary(), start)
        return kind

    def arithmetic(self, a: str, b: str, start: int) -> str:
        for k in (a, b):
            if k not in (NUM, ANY, NULL):
                raise BadWhere(f"--where: arithmetic needs numbers: {span_text(self.t, start, self.pos)!r} "
                               f"uses {k}, not a number")
        return NUM

    def unary(self) -> str:
        if self.take("-", "+"):
            return self.arithmetic(self.unary(), NUM, self.pos - 1)
        kind = self.primary()
        while self.take("["):
            if kind not in (LIST, ANY):
                raise BadWhere(f"--where: only a list can be indexed with [...], not {kind}")
            if self.or_() not in (NUM, ANY):
                raise BadWhere("--where: a list index is a number")
            self.expect("]", "after a list index")
            kind = ANY
        return kind

    def items(self, close: str) -> list[str]:
        kinds = []
        if self.take(close):
            return kinds
        while True:
            kinds.append(self.or_())
            if self.take(close):
                return kinds
            self.expect(",", f"or {close!r} between items")

    def primary(self) -> str:
        if self.pos >= len(self.t):
            self.fail("expected a value")
        kind, tok = self.t[self.pos]
        word = tok.lower()
        if kind == "number":
            self.pos += 1
            return NUM
        if kind == "string":
            self.pos += 1
            return TEXT
        if kind in ("quoted", "qualified") or (kind == "word" and word not in KEYWORDS and self.peek(1) != "("):
            return self.column()
        if word in ("true", "false"):
            self.pos += 1
            return BOOL
        if word == "null":
            self.pos += 1
            return NULL
        if word == "(":
            self.pos += 1
            inner = self.or_()
            self.expect(")", "to close '('")
            return inner
        if word == "[":
            self.pos += 1
            self.items("]")
            return LIST
        if word == "case":
            self.fail("Lance does not take CASE expressions")
        if word == "cast":
            return self.cast()
        if kind == "word":
            return self.call(word)
        self.fail("expected a value, a column or a function")

    def column(self) -> str:
        kind, tok = self.t[self.pos]
        table, name = None, tok
        if kind == "qualified":
            table, _, name = tok.partition(".")
            table = table.lower()
            if table not in ("frames", "layers"):
                raise BadWhere(f"--where: unknown table {table!r} in {tok!r} (frames. or layers.)")
            if table not in self.tables:
                raise BadWhere(f"--where: {tok!r}: {table}.x works only with --layers")
        name = name.strip("`")
        candidates = [table] if table else self.default
        for t in candidates:
            if name in self.tables[t].names:
                self.columns[self.pos] = (t, name)
                self.pos += 1
                return kind_of(self.tables[t].field(name).type)
        known = sorted({n for t in candidates for n in self.tables[t].names})
        raise BadWhere(f"--where: unknown column {name!r}; columns: {', '.join(known)}")

    def call(self, name: str) -> str:
        if name not in FUNCTIONS:
            raise BadWhere(f"--where: unknown function {name!r}; functions: {', '.join(sorted(FUNCTIONS))}")
        self.pos += 1
        self.expect("(", f"after {name}")
        kinds, required, result = FUNCTIONS[name]
        got = self.items(")")
        most = None if kinds[-1] == "..." else len(kinds)
        if len(got) < required or (most is not None and len(got) > most):
            count = f"{required}" if most == required else f"{required} to {most}" if most else f"{required} or more"
            raise BadWhere(f"--where: {name} takes {count} argument(s), not {len(got)}")
        for i, k in enumerate(got):
            want = kinds[min(i, len(kinds) - 2)] if most is None else kinds[i]
            if want != ANY and k not in (want, ANY, NULL):
                raise BadWhere(f"--where: argument {i + 1} of {name} should be {want}, not {k}")
        return result

    def cast(self) -> str:
        self.pos += 1
        self.expect("(", "after CAST")
        self.or_()
        self.expect("as", "in CAST(x AS type)")
        if self.pos >= len(self.t) or self.peek() not in TYPES:
            self.fail(f"CAST(x AS type) takes one of {', '.join(sorted(TYPES))}")
        kind = TYPES[self.peek()]
        self.pos += 1
        self.expect(")", "to close CAST(")
        return kind


def span_text(tokens, start: int, end: int | None) -> str:
    return " ".join(tok for _, tok in tokens[start:end])


