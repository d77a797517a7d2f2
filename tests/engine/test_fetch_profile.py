"""The fetch profile answers as jub0bs/cors v1.0.2 answers: its own test tables
(tests/engine/fetch_tables.py), run through `CORSMiddleware(app, profile="fetch", ...)` in the shape
of its TestMiddleware (config, debug flag, request -> outcome and the exact header set, any extra
header a failure), and its configuration tables through the problems we raise."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware
from flask_cors_asgi.fetch import FetchConfigError, FetchCORSMiddleware, compile_fetch, decide
from flask_cors_asgi.fetch.decision import request_headers_allowed
from flask_cors_asgi.fetch.origins import ANY_PORT, OriginSet, PatternError, parse_origin, parse_pattern
from testing_support import sent_for
from tests.engine.fetch_tables import (
    ACRH_TABLES,
    ACTUAL,
    FAILS_AFTER_CORS_CHECK,
    FAILS_DURING_CORS_CHECK,
    INSECURE,
    INVALID_CONFIGS,
    MIDDLEWARE_TABLES,
    ORIGIN_SETS,
    ORIGINS,
    PATTERNS,
    PUBLIC_SUFFIX_SUBDOMAINS,
    VALID_CONFIGS,
)

# Fields whose value is a comma-separated list: compared as sets of elements, as jub0bs compares them.
LIST_FIELDS = frozenset(
    {"vary", "access-control-allow-methods", "access-control-allow-headers", "access-control-expose-headers"}
)
SPY_HEADERS = {"Vary": ["foo"]}
SPY_BODY = b"bar"


class Spy:
    """jub0bs's spy handler: 200, `Vary: foo`, body "bar"; records whether it was called."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        await send({"type": "http.response.start", "status": 200, "headers": [(b"vary", b"foo")]})
        await send({"type": "http.response.body", "body": SPY_BODY})


class OuterVary:
    """jub0bs's outer middleware: `Vary: before` on every answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"vary", b"before")]
            await send(message)

        await self.app(scope, receive, send_with_vary)


async def call(
    app: Any, method: str, headers: dict[str, list[str]]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request through an ASGI app: status, header lines (names lower-cased), body."""
    lines = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": "/whatever",
        "raw_path": b"/whatever",
        "root_path": "",
        "query_string": b"",
        "headers": lines,
        "client": ("127.0.0.1", 1),
        "server": ("example.com", 443),
    }
    sent = await sent_for(app, scope)
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], [(n.decode("latin-1"), v.decode("latin-1")) for n, v in start["headers"]], body


def coalesce(*groups: dict[str, list[str]] | list[tuple[str, str]]) -> dict[str, list[str]]:
    """jub0bs's normalisation: names lower-cased, list fields split on commas, trimmed, sorted and
    de-duplicated; a singleton field twice is a failure."""
    result: dict[str, list[str]] = {}
    for group in groups:
        pairs = group if isinstance(group, list) else [(n, v) for n, vs in group.items() for v in vs]
        for name, value in pairs:
            name = name.lower()
            if name in LIST_FIELDS:
                result.setdefault(name, []).extend(element.strip(" \t") for element in value.split(","))
            else:
                assert name not in result, f"{name} sent twice"
                result[name] = [value]
    return {name: sorted(set(values)) if name in LIST_FIELDS else values for name, values in result.items()}


CASES = [
    pytest.param(options, debug, outer, method, request, outcome, want, id=f"{table}: {case}")
    for table, options, debug, outer, cases in MIDDLEWARE_TABLES
    for case, method, request, outcome, want in cases
]


@pytest.mark.parametrize(("options", "debug", "outer", "method", "request_headers", "outcome", "want"), CASES)
async def test_jub0bs_middleware_table(
    options: dict[str, Any],
    debug: bool,
    outer: bool,
    method: str,
    request_headers: dict[str, list[str]],
    outcome: str,
    want: dict[str, list[str]],
) -> None:
    spy = Spy()
    app: Any = CORSMiddleware(spy, profile="fetch", debug=debug, **options)
    if outer:
        app = OuterVary(app)
    status, headers, body = await call(app, method, request_headers)

    expected = [want, {"Vary": ["before"]}] if outer else [want]
    if outcome == ACTUAL:
        assert spy.called
        assert (status, body) == (200, SPY_BODY)
        expected.append(SPY_HEADERS)
    else:
        assert not spy.called, "a preflight must never reach the app"
        assert body == b""
        failed = outcome == FAILS_DURING_CORS_CHECK or (outcome == FAILS_AFTER_CORS_CHECK and not debug)
        assert status == (403 if failed else 204)
    assert coalesce(headers) == coalesce(*expected)


@pytest.mark.parametrize(("options"), [pytest.param(options, id=desc) for desc, options in VALID_CONFIGS])
def test_jub0bs_valid_configs_are_accepted(options: dict[str, Any]) -> None:
    compile_fetch(options)


@pytest.mark.parametrize(
    ("options", "expected"), [pytest.param(options, want, id=desc) for desc, options, want in INVALID_CONFIGS]
)
def test_jub0bs_invalid_configs_report_every_problem(options: dict[str, Any], expected: list[Any]) -> None:
    with pytest.raises(FetchConfigError) as raised:
        CORSMiddleware(Spy(), profile="fetch", **options)
    got = [(problem.id, problem.option, problem.value) for problem in raised.value.problems]
    assert sorted(got, key=repr) == sorted(expected, key=repr)


# jub0bs's advisory GHSA-vhxv-fg4m-p2w8: with two allowed hosts sharing a suffix ("foo.com" and
# "bar.com" share ".com"), its radix tree once allowed "https://barfoo.com". Origins are matched as
# (scheme, host, port), so neither that nor the prefix tricks that fool regexes pass.
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://foo.com", True),
        ("https://bar.com", True),
        ("https://barfoo.com", False),  # the advisory's own case
        ("https://foobar.com", False),
        ("https://foo.com.evil.net", False),  # a prefix regex's hole
        ("https://evil-foo.com", False),
        ("https://foo.com:8443", False),
        ("http://foo.com", False),
        ("https://a.example.com", True),
        ("https://b.a.example.com", True),
        ("https://example.com", False),  # "*." needs at least one label
        ("https://.example.com", False),
        ("https://evilexample.com", False),
        ("https://a.example.com.evil.net", False),
        ("https://a.example.com:444", False),
        ("http://localhost", True),  # ":*" includes the implicit port
        ("http://localhost:9", True),
        ("http://localhost.evil.net:9", False),
        ("https://localhost:9", False),
    ],
)
async def test_origin_patterns_cannot_be_fooled(origin: str, allowed: bool) -> None:
    app = CORSMiddleware(
        Spy(),
        profile="fetch",
        origins=["https://foo.com", "https://bar.com", "https://*.example.com", "http://localhost:*"],
    )
    _, headers, _ = await call(app, "GET", {"Origin": [origin]})
    assert (("access-control-allow-origin", origin) in headers) is allowed


async def test_an_omitted_option_means_what_it_means_in_jub0bs() -> None:
    # Flask-CORS's defaults would allow every method and header and reflect the request's list.
    app = CORSMiddleware(Spy(), profile="fetch", origins=["https://a.example"])
    status, headers, _ = await call(
        app, "OPTIONS", {"Origin": ["https://a.example"], "Access-Control-Request-Method": ["PUT"]}
    )
    assert (status, headers) == (403, [])
    _, headers, _ = await call(app, "GET", {"Origin": ["https://a.example"]})
    assert coalesce(headers) == coalesce(
        {"Access-Control-Allow-Origin": ["https://a.example"], "Vary": ["Origin", "foo"]}
    )


def test_origins_is_required() -> None:
    with pytest.raises(FetchConfigError) as raised:
        CORSMiddleware(Spy(), profile="fetch")
    assert [problem.id for problem in raised.value.problems] == ["fetch.E001"]


@pytest.mark.parametrize(
    ("options", "ids"),
    [
        ({"origins": ["https://a.example"], "resources": {r"/api/*": {}}}, ["fetch.E018"]),
        ({"origins": ["https://a.example"], "max_age": "600"}, ["fetch.E017"]),
        ({"origins": ["https://a.example"], "debug": "yes"}, ["fetch.E017"]),
        ({"origins": [r"^https://.*\.example\.com$"]}, ["fetch.E002"]),  # no regexes
        ({"origins": ["https://*.github.io"], "supports_credentials": True}, ["fetch.E006"]),
        ({"origins": ["https://*.co.uk"], "supports_credentials": True}, ["fetch.E006"]),
        ({"origins": ["https://*.example.co.uk"], "supports_credentials": True}, []),
        # Localhost names and loopback addresses count as secure; "localhost" itself is a
        # single-label name, so a public suffix under the list's implicit "*" rule, as for jub0bs.
        ({"origins": ["http://a.localhost:*", "http://127.0.0.1:*"], "supports_credentials": True}, []),
        ({"origins": ["http://*.localhost:*"], "supports_credentials": True}, ["fetch.E006"]),
        ({"origins": ["http://[::1]:9090"], "supports_credentials": True}, []),
        ({"origins": ["http://[0:0:0:0:0:0:0:1]:9090"]}, ["fetch.E003"]),
        ({"origins": ["http://0xFF000000"]}, ["fetch.E002"]),
        ({"origins": ["https://example.com:0", "https://example.com:65536"]}, ["fetch.E002", "fetch.E002"]),
        ({"origins": ["https://example.com:443", "file:///x"]}, ["fetch.E003", "fetch.E003"]),
        ({"origins": ["https://a.example"], "max_age": -1}, []),
        # None is an omitted option.
        (
            {
                "origins": ["https://a.example"],
                "max_age": None,
                "supports_credentials": None,
                "methods": None,
            },
            [],
        ),
        ({"origins": ["https://a.example"], "max_age": 86400}, []),
    ],
)
def test_validation_ids(options: dict[str, Any], ids: list[str]) -> None:
    if not ids:
        compile_fetch(options)
        return
    with pytest.raises(FetchConfigError) as raised:
        compile_fetch(options)
    assert [problem.id for problem in raised.value.problems] == ids


@pytest.mark.parametrize(("max_age", "header"), [(0, None), (-1, "0"), (600, "600")])
async def test_max_age_semantics(max_age: int, header: str | None) -> None:
    app = CORSMiddleware(
        Spy(), profile="fetch", origins=["https://a.example"], methods=["PUT"], max_age=max_age
    )
    status, headers, _ = await call(
        app, "OPTIONS", {"Origin": ["https://a.example"], "Access-Control-Request-Method": ["PUT"]}
    )
    assert status == 204
    assert dict(headers).get("access-control-max-age") == header


async def test_set_debug_switches_the_answer_and_the_attribute() -> None:
    app = CORSMiddleware(Spy(), profile="fetch", origins=["https://a.example"], methods=["PUT"])
    assert isinstance(app, FetchCORSMiddleware)
    assert app.debug is False
    preflight = {"Origin": ["https://a.example"], "Access-Control-Request-Method": ["DELETE"]}
    assert (await call(app, "OPTIONS", preflight))[:2] == (403, [])
    app.set_debug(True)
    assert app.debug is True
    assert (await call(app, "OPTIONS", preflight))[:2] == (
        204,
        [("access-control-allow-origin", "https://a.example")],
    )
    with pytest.raises(TypeError):
        app.set_debug("on")  # type: ignore[arg-type]


async def test_set_debug_under_concurrent_requests_gives_one_whole_answer_or_the_other() -> None:
    app = CORSMiddleware(Spy(), profile="fetch", origins=["https://a.example"], methods=["PUT"])
    preflight = {"Origin": ["https://a.example"], "Access-Control-Request-Method": ["DELETE"]}
    answers = {
        (403, ()),
        (204, (("access-control-allow-origin", "https://a.example"),)),
    }

    async def one(index: int) -> tuple[int, tuple[tuple[str, str], ...]]:
        # Requests and switches interleave: each task yields a different number of times first.
        for _ in range(index % 5):
            await asyncio.sleep(0)
        if index % 7 == 0:
            app.set_debug(not app.debug)
        status, headers, _ = await call(app, "OPTIONS", preflight)
        return status, tuple(headers)

    results = await asyncio.gather(*(one(index) for index in range(200)))
    assert set(results) <= answers
    assert len(set(results)) == 2  # both modes were seen


async def test_the_compat_profile_is_still_the_default() -> None:
    app = CORSMiddleware(Spy(), origins=["https://a.example"])
    assert type(app) is CORSMiddleware
    explicit = CORSMiddleware(Spy(), profile="flask_cors", origins=["https://a.example"])
    assert type(explicit) is CORSMiddleware


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="'profile' must be"):
        CORSMiddleware(Spy(), profile="strict", origins=["https://a.example"])


async def test_a_header_the_app_set_itself_wins_and_vary_is_added_beside_its_own() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"access-control-allow-origin", b"https://own.example"), (b"vary", b"Accept")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    middleware = CORSMiddleware(app, profile="fetch", origins=["https://a.example"], expose_headers=["X-A"])
    _, headers, _ = await call(middleware, "GET", {"Origin": ["https://a.example"]})
    assert headers == [
        ("access-control-allow-origin", "https://own.example"),
        ("vary", "Accept"),
        ("access-control-expose-headers", "x-a"),
        ("vary", "Origin"),
    ]


ACRH_CASES = [
    pytest.param(allowed, lines, verdict, id=f"{table}: {'accepted' if verdict else 'rejected'} {lines!r}")
    for table, allowed, accepted, rejected in ACRH_TABLES
    for verdict, group in ((True, accepted), (False, rejected))
    for lines in group
]


@pytest.mark.parametrize(("allowed", "lines", "verdict"), ACRH_CASES)
def test_jub0bs_access_control_request_headers_table(
    allowed: list[str], lines: list[str], verdict: bool
) -> None:
    # Its sets are written lower-case, as allow_headers is compiled.
    config = compile_fetch({"origins": ["https://a.example"], "allow_headers": allowed})
    assert request_headers_allowed(config, tuple(lines)) is verdict


@pytest.mark.parametrize(
    ("raw", "expected"), [pytest.param(raw, want, id=desc) for desc, raw, want in PATTERNS]
)
def test_jub0bs_origin_pattern_table(raw: str, expected: tuple[str, str, int, str] | None) -> None:
    if expected is None:
        with pytest.raises(PatternError):
            parse_pattern(raw)
        return
    pattern = parse_pattern(raw)
    host = ("*." if pattern.subdomains else "") + pattern.host
    port = -1 if pattern.port == ANY_PORT else pattern.port
    assert (pattern.scheme, host, port, pattern.kind) == expected


@pytest.mark.parametrize(("raw", "insecure"), INSECURE)
def test_jub0bs_insecure_origin_table(raw: str, insecure: bool) -> None:
    assert parse_pattern(raw).insecure is insecure


@pytest.mark.parametrize(("raw", "public"), PUBLIC_SUFFIX_SUBDOMAINS)
def test_jub0bs_public_suffix_table(raw: str, public: bool) -> None:
    assert parse_pattern(raw).public_suffix_subdomains is public


@pytest.mark.parametrize(
    ("raw", "expected"), [pytest.param(raw, want, id=desc) for desc, raw, want in ORIGINS]
)
def test_jub0bs_request_origin_table(raw: str, expected: tuple[str, str, int] | None) -> None:
    parsed = parse_origin(raw)
    assert (None if parsed is None else tuple(parsed)) == expected


ORIGIN_SET_CASES = [
    pytest.param(patterns, origin, verdict, id=f"{desc}: {'accepts' if verdict else 'rejects'} {origin}")
    for desc, patterns, accepts, rejects in ORIGIN_SETS
    for verdict, origins in ((True, accepts), (False, rejects))
    for origin in origins
]


@pytest.mark.parametrize(("patterns", "origin", "verdict"), ORIGIN_SET_CASES)
def test_jub0bs_origin_set_table(patterns: list[str], origin: str, verdict: bool) -> None:
    allowed = OriginSet(tuple(parse_pattern(p) for p in patterns))
    parsed = parse_origin(origin)
    assert (parsed is not None and parsed in allowed) is verdict
    # Through the middleware's decision too, the exact-text shortcut included.
    if patterns:
        config = compile_fetch({"origins": patterns})
        assert (decide(config, "GET", origin, None, None).headers != ()) is verdict


async def test_an_outer_middleware_mutating_the_headers_cannot_change_the_next_answer() -> None:
    # jub0bs's Test_mutation_by_wrapping_middleware: the memoised headers are never handed out.
    inner = CORSMiddleware(
        Spy(), profile="fetch", origins=["https://a.example"], methods=["PUT"], supports_credentials=True
    )

    async def mutating(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_mutated(message: Message) -> None:
            if message["type"] != "http.response.start":
                await send(message)
                return
            await send({**message, "headers": list(message["headers"])})
            # Then it scribbles over the list the middleware handed it.
            message["headers"][:] = [(name, b"oops!") for name, _ in message["headers"]]

        await inner(scope, receive, send_mutated)

    preflight = {"Origin": ["https://a.example"], "Access-Control-Request-Method": ["PUT"]}
    for method, headers in (("OPTIONS", preflight), ("GET", {"Origin": ["https://a.example"]})):
        first = await call(mutating, method, headers)
        assert await call(mutating, method, headers) == first
        assert ("access-control-allow-credentials", "true") in first[1]
