"""Origins a configured origin regex admits, generated from the regex itself.

The pattern is walked with Python's own regex parser (`re._parser`, formerly `sre_parse`), so
groups, alternations, optional parts, repeats and character classes all contribute: the regex
`^http://localhost(:[0-9]+)?$` gives `http://localhost` and `http://localhost:1`. Every branch of
an alternation and both sides of an optional part are taken; a repeat is taken at its least count
and once more. The walk is bounded (`LIMIT` strings per node), and each string is kept only when
the regex itself matches it as Flask-CORS matches origins (`re.match`, ignoring case) and a browser
could send it: a sample is proof, not a guess.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable

# Python's own regex parser (sre_parse before 3.11): private, but the one that reads patterns
# exactly as `re` compiles them.
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# Strings kept per node (and per pattern): enough for every branch of a real origin regex.
LIMIT = 8
# A character class stands for one of these, the first it admits: letters and digits keep hosts valid.
_PREFERRED = "a1-.x0b"
# What ".*" and ".+" stand for: nothing, a label, a scheme, a scheme and a label.
_ANY_RUN = ("", "a", "https://", "https://a")
_CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "1",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}


class _Unsupported(Exception):
    """A construct with no sample (a back-reference, a conditional group)."""


def _class_char(items: list[tuple[Any, Any]]) -> str:
    """One character the class `[...]` admits, preferring letters and digits."""
    negate = any(str(op) == "NEGATE" for op, _ in items)

    def admits(char: str) -> bool:
        for op, value in items:
            name = str(op)
            if name == "LITERAL" and chr(value) == char:
                return True
            if name == "RANGE" and value[0] <= ord(char) <= value[1]:
                return True
            if name == "CATEGORY" and re.fullmatch(_category_regex(str(value)), char):
                return True
        return False

    for char in _PREFERRED + "".join(chr(c) for c in range(0x21, 0x7F)):
        if admits(char) != negate:
            return char
    raise _Unsupported("empty class")


def _category_regex(name: str) -> str:
    return {
        "CATEGORY_DIGIT": r"\d",
        "CATEGORY_NOT_DIGIT": r"\D",
        "CATEGORY_WORD": r"\w",
        "CATEGORY_NOT_WORD": r"\W",
        "CATEGORY_SPACE": r"\s",
        "CATEGORY_NOT_SPACE": r"\S",
    }.get(name, r"(?!)")


def _sequence(nodes: Any) -> list[str]:
    """Every string (up to LIMIT) a sequence of parsed nodes produces, branches in order."""
    found = [""]
    for op, value in nodes:
        options = _node(str(op), value)
        found = [a + b for a, b in itertools.islice(itertools.product(found, options), LIMIT * LIMIT)]
        found = _spread(found)
    return found


def _spread(strings: list[str]) -> list[str]:
    """At most LIMIT distinct strings, taken evenly so that a later node's choices survive."""
    unique = list(dict.fromkeys(strings))
    if len(unique) <= LIMIT:
        return unique
    step = len(unique) / LIMIT
    return [unique[int(i * step)] for i in range(LIMIT)]


def _node(op: str, value: Any) -> list[str]:
    if op == "LITERAL":
        return [chr(value)]
    if op == "NOT_LITERAL":
        return [next(c for c in _PREFERRED if ord(c) != value)]
    if op == "ANY":
        return ["a"]
    if op == "IN":
        return [_class_char(list(value))]
    if op == "CATEGORY":
        return [_CATEGORY_SAMPLES.get(str(value), "a")]
    if op == "AT":
        return [""]  # anchors: the sample is matched whole anyway
    if op == "SUBPATTERN":
        return _sequence(value[-1])
    if op == "BRANCH":
        return _spread([s for branch in value[1] for s in _sequence(branch)])
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        least, _, body = value
        if [str(o) for o, _ in body] == ["ANY"]:
            # ".*" stands for anything, a scheme included: ".*\.shop\.example" gives
            # https://a.shop.example.
            return [s for s in _ANY_RUN if len(s) >= least]
        inner = _sequence(body)
        counts = [least] if least > 0 else [0, 1]
        return _spread([s * count for count in counts for s in (inner if count else [""])])
    if op in ("ASSERT", "ASSERT_NOT"):
        return [""]  # checked by the final match
    if op == "ATOMIC_GROUP":
        return _sequence(value)
    raise _Unsupported(op)


def samples(
    pattern: str | re.Pattern[str], keep: Callable[[str], bool] = bool, limit: int = LIMIT
) -> list[str]:
    """Up to `limit` strings the regex admits (lower case, and `keep` says yes: the caller passes
    "a browser can send it"), each verified with the regex; empty when none can be built."""
    text = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    try:
        with warnings.catch_warnings():
            # A pattern re warns about ("possible nested set"): the app's own, compiled by the app.
            warnings.simplefilter("ignore", FutureWarning)
            compiled = re.compile(text, re.IGNORECASE)
            parsed = sre_parse.parse(text, re.IGNORECASE)
        strings = _sequence(parsed)
    except (re.error, _Unsupported, RecursionError, OverflowError):
        return []
    found = []
    for string in strings:
        origin = string.lower()
        if compiled.match(origin) and keep(origin) and _labels_ok(origin):
            found.append(origin)
    return list(dict.fromkeys(found))[:limit]


def _labels_ok(origin: str) -> bool:
    """No empty host label (`https://.shop.example`): what a regex's empty repeat can produce and
    no page's origin has."""
    if "://" not in origin or "]" in origin:
        return True
    host = origin.split("://", 1)[1].rsplit(":", 1)[0]
    return all(host.split("."))
