"""Property-based fuzzing of what a client controls: the CORS request headers, and `/api/foo`'s body,
Content-Type and other headers.

1. The CORS engine against Flask-CORS 6.0.5 on raw header bytes (FUZZ_CORS_EXAMPLES, default 4000):
   Origin and Access-Control-Request-{Method,Headers,Private-Network} as arbitrary latin-1 bytes
   (realistic values, mutations of them, random text with control characters, commas and spaces,
   values of up to 16 KiB, repeated lines), plus browser-like preflights with some values mutated;
   methods OPTIONS, GET, POST, ..., lower-case and unknown ones; paths inside and outside /api/*;
   seven fixed policies. Nothing may raise; the status, the Access-Control-* lines and the Vary
   tokens must equal Flask's.
2. `/api/foo` of the service (create_app(TestSettings())) against the article's Flask app without
   its decorator (FUZZ_API_EXAMPLES, default 2000): arbitrary bytes, JSON documents and JSON-ish
   text (from a grammar) with byte mutations, numbers at the float and 4300-digit limits, nesting
   up to 3000 deep, NaN/Infinity, lone surrogates, invalid UTF-8, BOMs, UTF-16/32 and latin-1
   encodings; arbitrary, repeated Content-Types and other headers. Never an exception or a 5xx,
   always `{"result": ...}` (200) or `{"error": str}` (4xx) as JSON; where Flask answers 200 or 400
   with JSON, the same status and body; elsewhere only the deliberate differences of docs/service.md (each
   named where `check_against_flask` allows it); always Flask-CORS's CORS headers.
3. The same kind of requests over a socket to real uvicorn processes on 127.0.0.1, one per HTTP
   implementation (`httptools`, which `auto` picks, and `h11`), FUZZ_SERVER_EXAMPLES each (default
   100): never a 5xx, the server stays up, every answer the app gives is JSON (the server's own
   "Invalid HTTP request received." refusals of control bytes are allowed).

Inputs left out, and why:
- LF in header values (everywhere), CR and NUL (1, 2): no server delivers them inside a value (LF
  ends the line; h11 and httptools refuse CR and NUL with 400). 3 sends CR and NUL raw and the
  server must refuse them; LF would make a different request (or end the headers early).
- Content-Length and Transfer-Encoding: framing, which the server decides before the app; every
  request carries its body's true length. A body over MAX_BODY_BYTES (1 MiB, 413) is not drawn:
  tests/service/test_service_contract.py pins the limit.
- In-process (1, 2) values keep surrounding spaces and other bytes that h11 or httptools would strip
  or refuse (\x0b, \x7f, ...): a superset of what servers deliver, given identically to both sides.
- OPTIONS in 2 and 3: a preflight, fuzzed in 1.

Longer hunts:
FUZZ_CORS_EXAMPLES=30000 FUZZ_API_EXAMPLES=20000 FUZZ_SERVER_EXAMPLES=2000 \\
    ./scripts/test tests/engine/test_fuzz.py
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from service.app import create_app
from settings.environments import SEED_ORIGINS, TestSettings
from testing_support import (
    RawAnswer,
    RawReq,
    RouteSpec,
    clean_env,
    compare,
    create_seed_app,
    flask_app,
    free_port,
    send_asgi_raw,
    send_flask_raw,
    serving,
    starlette_app,
    uvicorn_command,
)

T = TypeVar("T")

CORS_EXAMPLES = int(os.environ.get("FUZZ_CORS_EXAMPLES", "4000"))
API_EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "2000"))
SERVER_EXAMPLES = int(os.environ.get("FUZZ_SERVER_EXAMPLES", "100"))

FUZZ_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@pytest.fixture(scope="module")
def run() -> Iterator[Callable[[Any], Any]]:
    """One event loop for every ASGI call of a module (asyncio.run per request would dominate)."""
    with asyncio.Runner() as runner:
        yield runner.run


# --- header values ---------------------------------------------------------------------------------

# Every byte a server can deliver inside a header value (see the module docstring for CR, LF, NUL).
LATIN1 = st.characters(min_codepoint=0x01, max_codepoint=0xFF, exclude_characters="\r\n")
# Over a socket: NUL and CR too, which the server must refuse (LF would end the line).
SERVER_BYTES = st.characters(min_codepoint=0x00, max_codepoint=0xFF, exclude_characters="\n")


def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """`one_of` with weights (`one_of` alone picks uniformly and merges a repeated branch)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(range(len(table))).flatmap(lambda index: table[index])


def text_values(alphabet: st.SearchStrategy[str], realistic: list[str]) -> st.SearchStrategy[str]:
    """Realistic values, mutations of them, random text, long repetitions and comma lists."""
    known = st.sampled_from(realistic)
    long = st.builds(lambda unit, times: (unit * times)[:16384], st.text(alphabet, min_size=1, max_size=12),
                     st.integers(64, 4096))  # fmt: skip
    items = st.lists(st.one_of(known, st.text(alphabet, max_size=12)), min_size=2, max_size=8)
    separators = st.sampled_from([",", ", ", " , ", ",,", "\t,"])
    joined = st.tuples(items, separators).map(lambda pair: pair[1].join(pair[0]))
    return weighted((4, known), (3, mutations(known, alphabet)), (2, st.text(alphabet, max_size=40)),
                    (1, long), (2, joined))  # fmt: skip


def mutate(draw: st.DrawFn, value: str, alphabet: st.SearchStrategy[str]) -> str:
    """One to three edits of `value`: the near misses a matcher must tell apart."""
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(value)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "case", "prefix", "suffix", "sharp-s"]))
        if op == "insert":
            value = value[:at] + draw(st.text(alphabet, min_size=1, max_size=3)) + value[at:]
        elif op == "delete":
            value = value[:at] + value[at + 1 :]
        elif op == "replace":
            value = value[:at] + draw(alphabet) + value[at + 1 :]
        elif op == "case":  # ASCII only: "ÿ".upper() is not latin-1
            value = "".join(c.swapcase() if c.isascii() else c for c in value)
        elif op == "prefix":
            value = draw(st.sampled_from([" ", "\t", ",", "null,", "\x0b", "\xa0"])) + value
        elif op == "suffix":
            value += draw(st.sampled_from([".evil.net", "/", ":80", " ", ",", "\x85", "\xa0", "#"]))
        else:  # casefold("ß") == "ss": a literal compares equal to it, lower() would not
            value = value.replace("ss", "ß").replace("s", "ß", 1)
    return value


def mutations(base: st.SearchStrategy[str], alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.composite(lambda draw: mutate(draw, draw(base), alphabet))()


ORIGINS = [
    *SEED_ORIGINS,
    "http://localhost:3001",
    "HTTP://LOCALHOST:3000",
    "https://yourapp.com.evil.net",
    "https://a.example.com",
    "https://straße.example",
    "https://strasse.example",
    "http://10.0.0.1",
    "null",
    "*",
    "",
]
METHOD_NAMES = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "post", "OS", "T, P", "ß", ""]
REQUEST_HEADER_NAMES = [
    "Content-Type",
    "content-type",
    "Authorization",
    "X-Custom-1",
    "X-Seßion",
    "x-session",
    "X-Requested-With",
    "X-Other",
    "",
]
PRIVATE_NETWORK = ["true", "True", "TRUE", "false", "", " true", "true ", "1"]

CORS_HEADERS: dict[bytes, list[str]] = {
    b"origin": ORIGINS,
    b"access-control-request-method": METHOD_NAMES,
    b"access-control-request-headers": REQUEST_HEADER_NAMES,
    b"access-control-request-private-network": PRIVATE_NETWORK,
}


@functools.cache
def header_lines(
    name: bytes, realistic: tuple[str, ...], alphabet: st.SearchStrategy[str] = LATIN1
) -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    """No line (absent), one, or a repeated header (each line its own value)."""
    value = text_values(alphabet, list(realistic)).map(lambda text: (name, text.encode("latin-1")))
    return weighted((2, st.just([])), (6, st.lists(value, min_size=1, max_size=1)),
                    (1, st.lists(value, min_size=2, max_size=3)))  # fmt: skip


@functools.cache
def cors_header_lines(
    alphabet: st.SearchStrategy[str] = LATIN1,
) -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    """Origin and the Access-Control-Request-* headers, each absent, once or repeated."""
    per_name = [header_lines(name, tuple(realistic), alphabet) for name, realistic in CORS_HEADERS.items()]
    return st.tuples(*per_name).map(lambda groups: [line for group in groups for line in group])


# What a browser sends with a preflight (lower-case header names, no spaces), one value in six
# then mutated: reaches the code that writes Access-Control-Allow-Methods, -Headers and -Max-Age.
BROWSER_ORIGINS = [*SEED_ORIGINS * 3, "https://a.example.com", "http://localhost:8080", "https://straße.example",
                   "http://10.1.2.3", "null"]  # fmt: skip
BROWSER_METHODS = ["POST", "PUT", "DELETE", "GET", "PATCH"]
BROWSER_HEADER_NAMES = [
    "content-type",
    "authorization",
    "x-custom-1",
    "x-seßion",
    "x-session",
    "x-requested-with",
]


@functools.cache
def browser_preflight_lines(
    alphabet: st.SearchStrategy[str] = LATIN1,
) -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    @st.composite
    def lines(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
        values = {
            b"origin": draw(st.sampled_from(BROWSER_ORIGINS)),
            b"access-control-request-method": draw(st.sampled_from(BROWSER_METHODS)),
            b"access-control-request-headers": ",".join(
                draw(st.lists(st.sampled_from(BROWSER_HEADER_NAMES)))
            ),
        }
        if draw(st.booleans()):
            values[b"access-control-request-private-network"] = "true"
        for name, value in values.items():
            if draw(st.integers(0, 5)) == 0:
                values[name] = mutate(draw, value, alphabet)
        return [(name, value.encode("latin-1")) for name, value in values.items()]

    return lines()


# --- 1. the CORS decision on raw header bytes --------------------------------------------------------

SEED_RESOURCE = {
    "origins": SEED_ORIGINS,
    "methods": ["GET", "POST", "PUT", "DELETE"],
    "allow_headers": ["Content-Type", "Authorization"],
}
POLICIES: dict[str, dict[str, Any]] = {
    "seed": {"resources": {r"/api/*": SEED_RESOURCE}},
    "wildcard": {"resources": r"/api/*"},
    "wildcard-sent": {"resources": r"/api/*", "send_wildcard": True, "expose_headers": ["X-Total", "X-Id"]},
    "credentials": {
        "resources": r"/api/*",
        "origins": SEED_ORIGINS,
        "supports_credentials": True,
        "expose_headers": "X-Total",
        "max_age": 600,
        "methods": ["GET", "POST"],
        "allow_headers": ["Content-Type", "Authorization", "X-Requested-With"],
    },
    "regex-origins": {
        "resources": {r"/api/.*": {}},
        "origins": [r"https://.*\.example\.com", r"http://localhost:\d+", "https://straße.example", "null"],
        "allow_headers": [r"X-Custom-.*", "content-type", "X-Seßion"],
        "methods": "GET, POST",
    },
    "always-send-off": {"resources": r"/api/*", "origins": SEED_ORIGINS, "always_send": False},
    "private-network": {
        "resources": r"/api/*",
        "origins": [*SEED_ORIGINS, r"https?://10\.\d+\.\d+\.\d+"],
        "allow_private_network": True,
        "supports_credentials": True,
        "vary_header": False,
    },
}
ROUTES = (
    RouteSpec("/api/foo", ("POST",)),
    RouteSpec("/api/items", ("GET", "PUT", "DELETE")),
    RouteSpec("/apiary", ("GET", "POST")),
    RouteSpec("/healthz", ("GET",)),
)
API_PATHS = ["/api/foo"] * 3 + ["/api/items"] * 3 + ["/api/nope", "/api/"]
PATHS = [*API_PATHS, "/API/foo", "/%61pi/foo", "/apiary", "/healthz", "/"]
METHODS = ["OPTIONS"] * 8 + ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "TRACE",
           "PROPFIND", "M-SEARCH", "FOO", "options", "Options", "post", "get"]  # fmt: skip


@pytest.fixture(scope="module")
def policy_apps() -> dict[str, tuple[Any, Any]]:
    return {
        name: (flask_app(options, ROUTES), starlette_app(options, ROUTES))
        for name, options in POLICIES.items()
    }


CORS_REQUESTS = weighted(
    (2, st.builds(RawReq, st.sampled_from(METHODS), st.sampled_from(PATHS), cors_header_lines().map(tuple))),
    # Mostly preflights, mostly on /api/*.
    (1, st.builds(RawReq, st.sampled_from(["OPTIONS"] * 6 + ["options", "POST", "GET"]),
                  st.sampled_from(API_PATHS), browser_preflight_lines().map(tuple))),
)  # fmt: skip


@settings(FUZZ_SETTINGS, max_examples=CORS_EXAMPLES)
@given(policy=st.sampled_from(sorted(POLICIES)), request=CORS_REQUESTS)
def test_cors_headers_equal_flask_cors_for_arbitrary_header_bytes(
    policy_apps: dict[str, tuple[Any, Any]], run: Callable[[Any], Any], policy: str, request: RawReq
) -> None:
    reference_app, port_app = policy_apps[policy]
    method = request.method
    reference = send_flask_raw(reference_app, request).observed()
    port = run(send_asgi_raw(port_app, request)).observed()  # an exception would escape here
    automatic = method.upper() == "OPTIONS" and reference.status == 200 and reference.allow is not None
    problems = compare(reference, port, automatic_options=automatic)
    if method != method.upper() and method.upper() != "OPTIONS":
        # docs/engine.md, "Where Starlette's router differs from Werkzeug's": lower-case methods are routed
        # case-sensitively (`post` gets 405); the CORS headers must still be identical.
        problems = [p for p in problems if not p.startswith("status:")]
    assert problems == [], (policy, request, problems)
    if reference.header("Access-Control-Allow-Methods"):
        event(f"{policy}: {reference.status}, a complete preflight answer")
    elif reference.header("Access-Control-Allow-Origin"):
        event(f"{policy}: {reference.status}, Access-Control-Allow-Origin")
    else:
        event(f"{policy}: {reference.status}, no Access-Control-Allow-Origin")


# --- 2. /api/foo on arbitrary bodies, in-process -----------------------------------------------------

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN, ±Infinity, -0.0, subnormals: json.dumps writes NaN/Infinity tokens
    st.text(max_size=10),
    st.lists(st.integers(0xD800, 0xDFFF).map(chr), min_size=1, max_size=2).map("".join),  # lone surrogates
)
JSON_KEYS = st.one_of(st.just("inputVar"), st.text(max_size=6))
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(JSON_KEYS, children, max_size=3),
    max_leaves=12,
)
# Numbers at the edges: float overflow to inf, underflow, Python's 4300-digit limit on int <-> str.
NUMBERS = st.one_of(
    st.sampled_from(["1e308", "1.7976931348623157e308", "1e309", "-1e400", "1E+999", "5e-324", "1e-400",
                     "-0", "-0.0", "0e0", "1" + "0" * 400 + ".5", "9007199254740993"]),
    st.builds(lambda sign, digits: sign + "9" * digits, st.sampled_from(["", "-"]), st.integers(4290, 4310)),
    st.builds(lambda sign, digits: sign + "4" * digits, st.sampled_from(["", "-"]), st.integers(4295, 4305)),
)  # fmt: skip
# JSON-ish text from a grammar: mostly valid JSON, with NaN/Infinity, \u escapes (lone surrogates
# included), leading zeros-free numbers of any exponent, and the shapes Flask crashes on.
_WS = r"[ \t\n\r]{0,2}"
_NUMBER = r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,5})?([eE][+-]?[0-9]{1,4})?"
_STRING = r'"([ !#-\[\]-~\u00a0-\u00ff]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}){0,8}"'
_VALUE = (
    rf"({_NUMBER}|{_STRING}|true|false|null|NaN|-?Infinity|\[{_WS}\]|\{{{_WS}\}}|\[{_WS}{_NUMBER}{_WS}\])"
)
JSONISH = st.from_regex(
    rf'{_WS}(\{{{_WS}"inputVar"{_WS}:{_WS}{_VALUE}{_WS}(,{_WS}{_STRING}{_WS}:{_WS}{_VALUE})?{_WS}\}}'
    rf'|\[{_WS}"inputVar"{_WS}\]|{_STRING}|{_NUMBER}|{_VALUE}){_WS}',
    fullmatch=True,
)


@st.composite
def deep_documents(draw: st.DrawFn) -> str:
    """Arrays or objects nested up to 3000 deep: around pydantic's limit of 255 and Python's
    recursion limit (1000), inside inputVar or not."""
    depth = draw(st.one_of(st.integers(1, 1100), st.sampled_from([254, 255, 256, 257, 500, 1000, 3000])))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"inputVar":', "}]")]))
    center = draw(st.sampled_from(["", "1", '"x"', "NaN", "1e999"]))
    nested = opener * depth + center + closer * depth
    return draw(st.sampled_from([f'{{"inputVar": {nested}}}', nested, f'{{"inputVar": [1, {nested}]}}']))


def _documents() -> st.SearchStrategy[str]:
    extra = st.dictionaries(st.text(max_size=5), JSON_LEAVES, max_size=2)
    with_input = st.builds(lambda value, more: json.dumps({**more, "inputVar": value}), JSON_VALUES, extra)
    shapes = st.sampled_from(
        ['{{"inputVar": {}}}', '{{"inputVar": [{}]}}', "{}", '{{"inputVar": "a", "b": {}}}']
    )
    edge_numbers = st.builds(lambda number, shape: shape.format(number), NUMBERS, shapes)
    any_value = JSON_VALUES.map(json.dumps)
    return weighted((5, with_input), (1, any_value), (1, edge_numbers), (1, deep_documents()), (2, JSONISH))


DOCUMENTS = _documents()
ENCODINGS = ["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1"]


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 15)) == 0:
        return draw(st.binary(max_size=64))
    text = draw(DOCUMENTS)
    if draw(st.booleans()):  # non-ASCII as itself instead of \u escapes, where the text is a document
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(json.loads(text), ensure_ascii=False, allow_nan=True)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data  # a BOM (again, for utf-8-sig)
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 1, 2, 3]))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "invalid-utf8"]))
        if op == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + 1 :]
        elif op == "replace":
            data = data[:at] + draw(st.binary(min_size=1, max_size=1)) + data[at + 1 :]
        elif op == "truncate":
            data = data[:at]
        else:
            data = (
                data[:at]
                + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80"]))
                + data[at:]
            )
    return data


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=latin-1",
    "APPLICATION/JSON",
    " application/json ",
    "application/vnd.api+json",
    "application/+json",
    "application/json, text/plain",
    "application/json;",
    "application/jsonp",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "\x85application/json\xa0",
    ";",
    "",
]
OTHER_HEADERS: dict[bytes, list[str]] = {
    b"accept": ["application/json", "*/*", "text/html"],
    b"authorization": ["Bearer abc", "Basic Zm9vOmJhcg=="],
    b"x-requested-with": ["XMLHttpRequest"],
    b"content-encoding": ["gzip", "identity"],
    b"x-custom": ["1"],
}


@functools.cache
def api_header_lines(
    alphabet: st.SearchStrategy[str] = LATIN1,
) -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    """Content-Type (usually a plain JSON one, so bodies get parsed), Origin, other headers now and
    then, sometimes the CORS request headers, in any order."""
    absent: st.SearchStrategy[list[tuple[bytes, bytes]]] = st.just([])
    plain_json = st.just([(b"content-type", b"application/json")])
    content_type = weighted(
        (6, plain_json), (1, header_lines(b"content-type", tuple(CONTENT_TYPES), alphabet))
    )
    others = [
        weighted((3, absent), (1, header_lines(name, tuple(realistic), alphabet)))
        for name, realistic in OTHER_HEADERS.items()
    ]
    cors = weighted((3, absent), (1, cors_header_lines(alphabet)))
    groups = st.tuples(content_type, header_lines(b"origin", tuple(ORIGINS), alphabet), cors, *others)
    return groups.map(lambda groups: [line for group in groups for line in group]).flatmap(st.permutations)


API_METHODS = ["POST"] * 36 + ["GET", "PUT", "DELETE", "PATCH"]


@pytest.fixture(scope="module")
def seed_reference() -> Iterator[Any]:
    """The Flask app; its log of each crash (a traceback per 500) is silenced while fuzzing."""
    app = create_seed_app(with_decorator=False)
    app.logger.disabled = True
    yield app
    app.logger.disabled = False


@pytest.fixture(scope="module")
def service() -> Any:
    return create_app(TestSettings())


def standard_json(body: bytes) -> Any:
    """The parsed body if it is standard JSON (no NaN/Infinity), else raise ValueError."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not standard JSON")

    return json.loads(body, parse_constant=refuse)


def json_answer(answer: RawAnswer) -> dict[str, Any]:
    """The service's answer must be JSON: `{"result": ...}` with 200, `{"error": str}` with a 4xx."""
    assert answer.values("content-type") == ["application/json"], answer
    document = standard_json(answer.body)
    if answer.status == 200:
        assert set(document) == {"result"}, answer
    else:
        assert 400 <= answer.status < 500, answer
        assert set(document) == {"error"}, answer
        assert isinstance(document["error"], str), answer
        assert document["error"], answer
    return dict(document)


def has_non_standard_constants(body: bytes) -> bool:
    """Python's json (Flask's) parses the body, but only by accepting NaN, Infinity or -Infinity."""
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    try:
        standard_json(body)
    except ValueError:
        return True
    return False


NESTED_TOO_DEEPLY = (
    "malformed JSON: nested too deeply",
    "inputVar * 2 is nested too deeply to be written as JSON",
)


def check_against_flask(request: RawReq, reference: RawAnswer, port: RawAnswer, limit: int) -> str:
    """Assert the service's answer against Flask's; return how they relate (for hypothesis events)."""
    answer = json_answer(port)
    if port.status == 413:
        # docs/service.md, deliberate differences: "No body limit | 413 over MAX_BODY_BYTES".
        assert len(request.body) > limit
        return "413 over the body limit"
    if reference.status == 500:
        # docs/service.md: "Crashes with 500 for inputVar null or an object, ... | 400 with a JSON error".
        assert port.status == 400, (request, reference, port)
        return "Flask 500: 400"
    if reference.values("content-type") == ["text/html; charset=utf-8"]:
        # docs/service.md: "Error bodies are HTML pages (400, 404, 405, 415) | {"error": "..."}".
        assert reference.status in (400, 404, 405, 415), reference
        assert port.status == reference.status, (request, reference, port)
        return f"Flask HTML {reference.status}: JSON"
    if has_non_standard_constants(request.body):
        # docs/service.md: "Accepts NaN/Infinity and answers invalid JSON | 400: non-standard JSON is
        # malformed";
        # Flask may then answer 200 (invalid JSON), 400 "Invalid input" (no inputVar) or 500.
        assert port.status == 400, (request, reference, port)
        assert answer["error"].startswith("malformed JSON: "), (request, port)
        return "NaN/Infinity: malformed"
    if reference.status == 200 and port.status == 400 and answer["error"] in NESTED_TOO_DEEPLY:
        # docs/service.md: "JSON nested deeper than Python's recursion limit": Flask crashes near the limit
        # too, but the limit counts the frames already on the stack, which differ between Flask's and
        # Starlette's call stacks by a few levels; only documents close to the limit get here.
        assert request.body.count(b"[") + request.body.count(b"{") >= 900, request
        return "recursion limit band"
    assert reference.values("content-type") == ["application/json"], reference
    if reference.status == 200:
        try:
            expected = standard_json(reference.body)
        except ValueError:
            # docs/service.md: "Accepts NaN/Infinity and answers invalid JSON | 400" (e.g. 1e999 overflows).
            assert port.status == 400, (request, reference, port)
            return "Flask wrote NaN/Infinity: 400"
        assert (port.status, answer) == (200, expected), (request, reference, port)
        return "200 as Flask"
    assert reference.status == 400, reference
    assert (port.status, answer) == (400, standard_json(reference.body)), (request, reference, port)
    return "400 Invalid input as Flask"


@settings(FUZZ_SETTINGS, max_examples=API_EXAMPLES)
@given(method=st.sampled_from(API_METHODS), body=bodies(), lines=api_header_lines())
def test_api_foo_answers_as_flask_for_arbitrary_bodies_and_headers(
    seed_reference: Any,
    service: Any,
    run: Callable[[Any], Any],
    method: str,
    body: bytes,
    lines: list[tuple[bytes, bytes]],
) -> None:
    request = RawReq(method, "/api/foo", tuple(lines), body)
    reference = send_flask_raw(seed_reference, request)
    port = run(send_asgi_raw(service, request))  # an exception would escape here
    event(check_against_flask(request, reference, port, service.state.settings.max_body_bytes))
    assert compare(reference.observed(), port.observed(), automatic_options=False) in (
        [],
        [f"status: flask {reference.status} != port {port.status}"],  # judged above
    ), (request, reference, port)


# What fuzzing found in the service, each minimised; every row was a 500 or a divergence from Flask.
JSON_LINE = (b"content-type", b"application/json")
FOUND = [
    # Lone surrogates from \u escapes: Flask answers 200, escaping them again; the service crashed
    # (500: UnicodeEncodeError writing the result as UTF-8).
    pytest.param((JSON_LINE,), b'{"inputVar": "\\ud800"}', 200, 200, id="lone-surrogate"),
    pytest.param((JSON_LINE,), b'{"inputVar": ["\\udc00"]}', 200, 200, id="lone-surrogate-in-array"),
    # Arrays nested deeper than pydantic's validation limit (255): Flask doubles them; the service
    # crashed (500: pydantic's recursion_depth_exceeded from FooRequest.model_validate).
    pytest.param((JSON_LINE,), b'{"inputVar": ' + b"[" * 256 + b"]" * 256 + b"}", 200, 200, id="depth-256"),
    # An overflowing literal inside an array: Flask answers [Infinity,Infinity] (docs/service.md: NaN/Infinity
    # row, 400); the service crashed (500: ValueError from JSONResponse's allow_nan=False).
    pytest.param((JSON_LINE,), b'{"inputVar": [1e999]}', 200, 400, id="infinity-in-array"),
    # A result over Python's 4300-digit int-to-str limit: Flask crashes (docs/service.md: crashes row, 400);
    # so did the service (500: ValueError writing the result).
    pytest.param((JSON_LINE,), b'{"inputVar": ' + b"9" * 4300 + b"}", 500, 400, id="4301-digit-result"),
    # Werkzeug strips only spaces and tabs around the mimetype; the service's str.strip() also took
    # NBSP and \x1c-\x1f (h11 and httptools deliver both) and parsed the body.
    pytest.param(
        ((b"content-type", b"\xa0application/json"),), b'{"inputVar": 2}', 415, 415, id="nbsp-mimetype"
    ),
    pytest.param(
        ((b"content-type", b"\x1capplication/json"),), b'{"inputVar": 2}', 415, 415, id="x1c-mimetype"
    ),
    # A repeated Content-Type: Werkzeug's server keeps the last line; the service read the first.
    pytest.param(((b"content-type", b"text/plain"), JSON_LINE), b'{"inputVar": 2}', 200, 200, id="json-last"),
    pytest.param(
        (JSON_LINE, (b"content-type", b"text/plain")), b'{"inputVar": 2}', 415, 415, id="json-first"
    ),
]


@pytest.mark.parametrize(("lines", "body", "flask_status", "status"), FOUND)
@pytest.mark.parametrize("origin", [b"http://localhost:3000", b"https://evil.example"])
def test_fuzzing_finds_stay_fixed(
    seed_reference: Any,
    service: Any,
    run: Callable[[Any], Any],
    lines: tuple[tuple[bytes, bytes], ...],
    body: bytes,
    flask_status: int,
    status: int,
    origin: bytes,
) -> None:
    request = RawReq("POST", "/api/foo", ((b"origin", origin), *lines), body)
    reference = send_flask_raw(seed_reference, request)
    port = run(send_asgi_raw(service, request))
    assert (reference.status, port.status) == (flask_status, status)
    check_against_flask(request, reference, port, service.state.settings.max_body_bytes)
    assert reference.observed().cors == port.observed().cors


# --- 3. a real uvicorn over a socket ------------------------------------------------------------------

UVICORN_OWN_400 = b"Invalid HTTP request received."


def exchange(port: int, method: str, lines: list[tuple[bytes, bytes]], body: bytes) -> RawAnswer | None:
    """Send one request on a new connection and read the whole answer (the server closes it), or None
    if the server reset the connection: what a server does when it refuses a request (a head over
    h11's 16 KiB, say) and closes with part of it unread."""
    head = [f"{method} /api/foo HTTP/1.1".encode(), f"Host: 127.0.0.1:{port}".encode()]
    head += [name + b": " + value for name, value in lines]
    head += [f"Content-Length: {len(body)}".encode(), b"Connection: close"]
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            return None
    raw_head, _, raw_body = received.partition(b"\r\n\r\n")
    status_line, *fields = raw_head.decode("latin-1").split("\r\n")
    headers = tuple(
        (name.strip().lower(), value.strip()) for name, _, value in (f.partition(":") for f in fields)
    )
    answer = RawAnswer(int(status_line.split()[1]), headers, raw_body)
    assert answer.values("content-length") in ([], [str(len(raw_body))]), answer  # h11's own 400 has none
    return answer


@pytest.fixture(scope="module", params=["httptools", "h11"])
def live_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    command = uvicorn_command("service.app:create_app", port, "--factory", "--http", request.param)
    with serving(command, f"http://127.0.0.1:{port}/healthz", env=clean_env(APP_ENV="test")) as process:
        yield port, process


def test_real_uvicorn_never_fails_on_fuzzed_requests(
    live_server: tuple[int, subprocess.Popen[bytes]],
) -> None:
    port, process = live_server

    @settings(FUZZ_SETTINGS, max_examples=SERVER_EXAMPLES)
    @given(method=st.sampled_from(API_METHODS), body=bodies(), lines=api_header_lines(SERVER_BYTES))
    def fuzz(method: str, body: bytes, lines: list[tuple[bytes, bytes]]) -> None:
        answer = exchange(port, method, lines, body)
        assert process.poll() is None, "the server died"
        if answer is None:
            event("connection reset by the server")
            return
        assert answer.status < 500, (lines, body, answer)
        if answer.status == 400 and answer.body == UVICORN_OWN_400:
            event("refused by uvicorn before the app")  # control bytes in a header, a head too long
            return
        json_answer(answer)
        event(f"answered {answer.status}")

    fuzz()
    answer = exchange(port, "POST", [(b"content-type", b"application/json")], b'{"inputVar": 21}')
    assert answer is not None
    assert (answer.status, json.loads(answer.body)) == (200, {"result": 42})
    assert process.poll() is None
