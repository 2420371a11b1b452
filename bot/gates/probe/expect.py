"""The expectation language of HTTP gates: what a response must look like to pass.

    status == 200
    json.items.0.state == "success"        (also !=, <, <=, >, >=)
    body contains "all green"
    status == 200 and json.failed <= 0     (clauses joined with `and`)

Parsed once when a gate is added (with precise errors) and again at every check.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.core.fetch.request import Response

GRAMMAR = (
    "Write `status == 200`, `json.PATH == VALUE` (also `!=`, `<`, `<=`, `>`, `>=`; "
    'PATH like `items.0.state`, VALUE a number, true, false, null, "text" or a word), '
    '`body contains "text"`, or several joined with `and`.'
)
OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
ORDERING = ("<", "<=", ">", ">=")
MAX_EXPRESSION = 500
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|==|!=|<=|>=|<|>|[^\s=!<>"\']+|\S')
_KEY = re.compile(r"[A-Za-z0-9_\-$@]+")
_MISSING = object()


class ExpectError(ValueError):
    """An expectation that cannot be parsed; the message says what and shows the grammar."""


@dataclass(frozen=True)
class Verdict:
    """Whether the response met the expectation, what was seen, and the number it compared.

    `value` is the measured number of the first `json.PATH` clause that compares a number
    (`json.total_count <= 0`): what a counting gate's history and chart show.
    """

    ok: bool
    detail: str
    value: float | None = None


@dataclass(frozen=True)
class Clause:
    """One comparison: `status`, a JSON path, or the body, against a value."""

    subject: str  # status | json | body
    op: str
    value: Any
    path: tuple[str | int, ...] = ()

    def label(self) -> str:
        """How the subject is written, like `json.items.0.state`."""
        if self.subject == "json":
            return ".".join(["json", *(str(p) for p in self.path)])
        return self.subject

    def evaluate(self, response: Response, document: Any) -> Verdict:
        """Compare what the response shows with the expected value."""
        if self.subject == "body":
            found = str(self.value) in response.body
            said = "contains" if found else "does not contain"
            return Verdict(found, f"body {said} {json.dumps(self.value)}")
        if self.subject == "status":
            actual: Any = response.status
        else:
            if document is _MISSING:
                return Verdict(False, "the response is not JSON")
            actual, missing = _walk(document, self.path)
            if missing:
                return Verdict(False, f"{self.label()} is missing ({missing})")
        shown = f"{self.label()} is {json.dumps(actual)[:200]}"
        counts = self.subject == "json" and _is_number(actual) and _is_number(self.value)
        counted = float(actual) if counts else None
        return Verdict(_compare(actual, self.op, self.value), shown, counted)


@dataclass(frozen=True)
class Expectation:
    """All clauses must hold; no clauses means any 2xx status passes."""

    text: str
    clauses: tuple[Clause, ...]

    def evaluate(self, response: Response) -> Verdict:
        """Check a response; the detail names the first clause that failed, or what passed."""
        if not self.clauses:
            ok = 200 <= response.status < 300
            return Verdict(ok, f"HTTP {response.status}")
        document = _parse_json(response.body) if self._needs_json() else _MISSING
        seen: list[str] = [f"HTTP {response.status}"]
        value: float | None = None
        for clause in self.clauses:
            verdict = clause.evaluate(response, document)
            if value is None:
                value = verdict.value
            if clause.subject != "status":
                seen.append(verdict.detail)
            if not verdict.ok:
                wanted = f"{clause.label()} {clause.op} {json.dumps(clause.value)}"
                return Verdict(False, ", ".join(seen) + f"; expected {wanted}", value)
        return Verdict(True, ", ".join(seen), value)

    def counts(self) -> bool:
        """True when a clause compares a number in the JSON (the gate has values to chart)."""
        return any(c.subject == "json" and _is_number(c.value) for c in self.clauses)

    def _needs_json(self) -> bool:
        return any(c.subject == "json" for c in self.clauses)


DEFAULT = Expectation("", ())


def parse(text: str | None) -> Expectation:
    """Parse an expectation; empty text means 'any 2xx'. Raises ExpectError."""
    text = (text or "").strip()
    if not text:
        return DEFAULT
    if len(text) > MAX_EXPRESSION:
        raise ExpectError(f"An expectation can be at most {MAX_EXPRESSION} characters. {GRAMMAR}")
    tokens = _tokenize(text)
    clauses: list[Clause] = []
    current: list[str] = []
    for token in [*tokens, "and"]:
        if token.lower() == "and":
            if not current:
                raise ExpectError(f"`and` needs a comparison on both sides. {GRAMMAR}")
            clauses.append(_clause(current))
            current = []
        else:
            current.append(token)
    return Expectation(text, tuple(clauses))


def _tokenize(text: str) -> list[str]:
    tokens = [match.group(0) for match in _TOKEN.finditer(text)]
    for token in tokens:
        if token in ('"', "'"):
            raise ExpectError(f"A quote ({token}) is not closed. {GRAMMAR}")
    return tokens


def _clause(tokens: list[str]) -> Clause:
    subject = tokens[0]
    lowered = subject.lower()
    if lowered == "body":
        return _body_clause(tokens)
    if lowered == "status":
        return _status_clause(tokens)
    if lowered == "json" or lowered.startswith("json."):
        return _json_clause(tokens)
    raise ExpectError(
        f"I cannot check `{subject[:40]}`: start with status, json or body. {GRAMMAR}"
    )


def _comparison(tokens: list[str]) -> tuple[str, str]:
    if len(tokens) < 2 or tokens[1] not in OPERATORS:
        said = f"`{tokens[1][:20]}`" if len(tokens) > 1 else "nothing"
        raise ExpectError(
            f"After `{tokens[0][:40]}` comes a comparison (==, !=, <, <=, >, >=), not {said}. "
            + GRAMMAR
        )
    if len(tokens) != 3:
        what = "a value" if len(tokens) == 2 else f"one value, not `{' '.join(tokens[2:])[:40]}`"
        raise ExpectError(f"`{tokens[0][:40]} {tokens[1]}` needs {what}. {GRAMMAR}")
    return tokens[1], tokens[2]


def _status_clause(tokens: list[str]) -> Clause:
    op, raw = _comparison(tokens)
    if not raw.isdigit() or not 100 <= int(raw) <= 599:
        raise ExpectError(f"`{raw[:20]}` is not an HTTP status; use a number like 200. {GRAMMAR}")
    return Clause("status", op, int(raw))


def _json_clause(tokens: list[str]) -> Clause:
    path = _path(tokens[0])
    op, raw = _comparison(tokens)
    value = _literal(raw)
    if op in ORDERING and not _is_number(value):
        raise ExpectError(f"`{op}` compares numbers, and `{raw[:30]}` is not a number. {GRAMMAR}")
    return Clause("json", op, value, path)


def _body_clause(tokens: list[str]) -> Clause:
    if len(tokens) < 3 or tokens[1].lower() != "contains":
        raise ExpectError(f'For the body, write `body contains "text"`. {GRAMMAR}')
    raw = " ".join(tokens[2:])
    text = _literal(raw) if len(tokens) == 3 else raw
    if not isinstance(text, str) or not text:
        text = raw.strip("\"'")
    if not text:
        raise ExpectError(f'`body contains` needs some text, like `body contains "ok"`. {GRAMMAR}')
    return Clause("body", "contains", text)


def _path(word: str) -> tuple[str | int, ...]:
    parts = word.split(".")[1:]
    if not parts:
        raise ExpectError(f"Name a field after `json.`, like `json.state`. {GRAMMAR}")
    path: list[str | int] = []
    for part in parts:
        if not part:
            raise ExpectError(f"`{word[:60]}` has an empty step (two dots in a row?). {GRAMMAR}")
        if not _KEY.fullmatch(part):
            raise ExpectError(f"`{part[:30]}` in `{word[:60]}` is not a field name. {GRAMMAR}")
        path.append(int(part) if part.isdigit() else part)
    return tuple(path)


def _literal(raw: str) -> Any:
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1]
    try:
        return json.loads(raw)
    except ValueError:
        if raw.startswith('"'):
            raise ExpectError(f"`{raw[:40]}` is not a valid quoted text. {GRAMMAR}") from None
        return raw


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _walk(document: Any, path: tuple[str | int, ...]) -> tuple[Any, str]:
    node = document
    for step in path:
        if isinstance(node, list) and isinstance(step, int):
            if step >= len(node):
                return None, f"the list has {len(node)} items, no item {step}"
            node = node[step]
        elif isinstance(node, dict) and str(step) in node:
            node = node[str(step)]
        elif isinstance(node, dict):
            return None, f"no field `{step}`"
        else:
            return None, f"`{step}` is inside a {type(node).__name__}, not an object"
    return node, ""


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op in ORDERING:
        if not _is_number(actual):
            return False
        return {
            "<": actual < expected,
            "<=": actual <= expected,
            ">": actual > expected,
            ">=": actual >= expected,
        }[op]
    same = _same(actual, expected)
    return same if op == "==" else not same


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    return bool(actual == expected)


def _parse_json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return _MISSING
