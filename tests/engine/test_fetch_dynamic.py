"""Origins decided at request time under the fetch profile: one callable among `origins`, beside the
profile's patterns, asked after them, at most once per request, cached, bounded in time and
failing closed exactly as `OriginCheck` does for the compat profile; answers shaped as jub0bs/cors
shapes them for a policy that does not allow every origin."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from flask_cors_asgi import CORSMiddleware, audit, cross_origin, dynamic_origins
from flask_cors_asgi.fetch import FetchConfigError, compile_fetch
from tests.engine.test_fetch_profile import Spy, call

TENANT = "https://tenant.example"
OTHER = "https://other.example"
LISTED = "https://listed.example"
SUB = "https://app.corp.example"


class Recorder:
    """A sync origin check admitting `allowed`, recording the origins it was asked about."""

    def __init__(self, *allowed: str) -> None:
        self.allowed = set(allowed)
        self.calls: list[str] = []

    def __call__(self, origin: str, scope: Scope) -> bool:
        self.calls.append(origin)
        return origin in self.allowed


class AsyncRecorder(Recorder):
    async def __call__(self, origin: str, scope: Scope) -> bool:  # type: ignore[override]
        self.calls.append(origin)
        await asyncio.sleep(0)
        return origin in self.allowed


def cors_lines(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The CORS and Vary lines of an answer (the spy's own `Vary: foo` left out), each once."""
    lines: dict[str, str] = {}
    for name, value in headers:
        if (name.startswith("access-control-") or name == "vary") and (name, value) != ("vary", "foo"):
            assert name not in lines, f"{name} sent twice"
            lines[name] = value
    return lines


PREFLIGHT = "OPTIONS"
# (options beside the callable, method, request headers, status, exact CORS/Vary lines, asked)
CASES: list[tuple[dict[str, Any], str, dict[str, str], int, dict[str, str], list[str]]] = [
    # Patterns decide first: a listed or matched origin never reaches the callable.
    ({}, "GET", {"Origin": LISTED}, 200, {"access-control-allow-origin": LISTED, "vary": "Origin"}, []),
    ({}, "GET", {"Origin": SUB}, 200, {"access-control-allow-origin": SUB, "vary": "Origin"}, []),
    # The callable admits: the origin is echoed, and the answer varies on Origin.
    ({}, "GET", {"Origin": TENANT}, 200, {"access-control-allow-origin": TENANT, "vary": "Origin"}, [TENANT]),
    # It refuses: nothing but Vary, as jub0bs answers a refused origin.
    ({}, "GET", {"Origin": OTHER}, 200, {"vary": "Origin"}, [OTHER]),
    # No Origin, or one that cannot be an origin: never asked; Vary as for any non-wildcard policy.
    ({}, "GET", {}, 200, {"vary": "Origin"}, []),
    ({}, "GET", {"Origin": "null"}, 200, {"vary": "Origin"}, []),
    ({}, "GET", {"Origin": "tenant.example"}, 200, {"vary": "Origin"}, []),
    # An OPTIONS that is no preflight: no Vary (jub0bs does not cater for caching OPTIONS).
    ({}, "OPTIONS", {"Origin": TENANT}, 200, {"access-control-allow-origin": TENANT}, [TENANT]),
    # Credentials go with the origin the callable admitted, as with a listed one.
    (
        {"supports_credentials": True},
        "GET",
        {"Origin": TENANT},
        200,
        {
            "access-control-allow-origin": TENANT,
            "access-control-allow-credentials": "true",
            "vary": "Origin",
        },
        [TENANT],
    ),
    (
        {"expose_headers": ["X-Total"]},
        "GET",
        {"Origin": TENANT},
        200,
        {"access-control-allow-origin": TENANT, "access-control-expose-headers": "x-total", "vary": "Origin"},
        [TENANT],
    ),
    # Preflights: 204 with the method named alone, or a bare 403; never Vary.
    (
        {"methods": ["PUT"]},
        PREFLIGHT,
        {"Origin": TENANT, "Access-Control-Request-Method": "PUT"},
        204,
        {"access-control-allow-origin": TENANT, "access-control-allow-methods": "PUT"},
        [TENANT],
    ),
    (
        {"methods": ["PUT"]},
        PREFLIGHT,
        {"Origin": OTHER, "Access-Control-Request-Method": "PUT"},
        403,
        {},
        [OTHER],
    ),
    (
        {"methods": ["PUT"]},
        PREFLIGHT,
        {"Origin": LISTED, "Access-Control-Request-Method": "PUT"},
        204,
        {"access-control-allow-origin": LISTED, "access-control-allow-methods": "PUT"},
        [],
    ),
    # A policy that allows no preflight fails it before the origin is judged: nobody to ask.
    ({}, PREFLIGHT, {"Origin": TENANT, "Access-Control-Request-Method": "PUT"}, 403, {}, []),
    # The method fails whatever the callable says: 403 either way, but the origin came first.
    (
        {"methods": ["PUT"]},
        PREFLIGHT,
        {"Origin": TENANT, "Access-Control-Request-Method": "DELETE"},
        403,
        {},
        [TENANT],
    ),
]


@pytest.mark.parametrize("recorder_class", [Recorder, AsyncRecorder], ids=["sync", "async"])
@pytest.mark.parametrize(("options", "method", "headers", "status", "expected", "asked"), CASES)
async def test_the_callable_decides_after_the_patterns(
    recorder_class: type[Recorder],
    options: dict[str, Any],
    method: str,
    headers: dict[str, str],
    status: int,
    expected: dict[str, str],
    asked: list[str],
) -> None:
    check = recorder_class(TENANT)
    spy = Spy()
    app = CORSMiddleware(spy, profile="fetch", origins=[LISTED, "https://*.corp.example", check], **options)
    got_status, lines, _ = await call(app, method, {name: [value] for name, value in headers.items()})
    assert (got_status, cors_lines(lines)) == (status, expected)
    assert check.calls == asked
    assert spy.called is (status == 200)  # a preflight never reaches the app


async def test_a_callable_alone_decides_every_origin() -> None:
    check = Recorder(TENANT)
    app = CORSMiddleware(Spy(), profile="fetch", origins=check)  # one callable, not in a list
    admitted = cors_lines((await call(app, "GET", {"Origin": [TENANT]}))[1])
    refused = cors_lines((await call(app, "GET", {"Origin": [OTHER]}))[1])
    assert admitted == {"access-control-allow-origin": TENANT, "vary": "Origin"}
    assert refused == {"vary": "Origin"}
    assert check.calls == [TENANT, OTHER]


@pytest.mark.parametrize(
    ("origin", "vary"),
    [
        (TENANT, "Origin, X-Tenant"),  # admitted by the callable: depends on what it reads
        (OTHER, "Origin, X-Tenant"),  # refused by it: just as much
        (LISTED, "Origin"),  # the patterns decided, whatever X-Tenant says
    ],
)
async def test_vary_names_the_headers_the_callable_declares(origin: str, vary: str) -> None:
    check = dynamic_origins(Recorder(TENANT), vary=["X-Tenant"], ttl=0)
    app = CORSMiddleware(Spy(), profile="fetch", origins=[LISTED, check])
    _, lines, _ = await call(app, "GET", {"Origin": [origin], "X-Tenant": ["t1"]})
    assert cors_lines(lines)["vary"] == vary


# --- once per request, and cached -----------------------------------------------------------------


async def test_concurrent_requests_ask_once_each() -> None:
    check = AsyncRecorder(TENANT)
    app = CORSMiddleware(Spy(), profile="fetch", origins=[check])
    answers = await asyncio.gather(*(call(app, "GET", {"Origin": [TENANT]}) for _ in range(20)))
    assert all(cors_lines(lines)["access-control-allow-origin"] == TENANT for _, lines, _ in answers)
    assert len(check.calls) == 20  # a bare callable is not cached: once per request, not more


async def test_a_middleware_and_a_route_sharing_one_check_ask_it_once_per_request() -> None:
    recorder = Recorder(TENANT)
    check = dynamic_origins(recorder, ttl=0)  # no cache: only the request's own verdict is shared

    @cross_origin(profile="fetch", origins=[check], methods=["PUT"])
    async def item(request: Request) -> Response:
        return PlainTextResponse("item")

    app = CORSMiddleware(
        Starlette(routes=[Route("/item", item, methods=["GET", "PUT", "OPTIONS"])]),
        profile="fetch",
        origins=[check],
        methods=["PUT"],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        response = await client.put("/item", headers={"Origin": TENANT})
        assert response.headers["access-control-allow-origin"] == TENANT
        assert recorder.calls == [TENANT]
        preflight = await client.options(
            "/item", headers={"Origin": TENANT, "Access-Control-Request-Method": "PUT"}
        )
        assert preflight.status_code == 204
        assert recorder.calls == [TENANT, TENANT]


async def test_a_cached_verdict_serves_the_preflight_and_the_actual_request() -> None:
    recorder = Recorder(TENANT)
    app = CORSMiddleware(
        Spy(), profile="fetch", origins=[dynamic_origins(recorder, cache_size=8, ttl=60)], methods=["PUT"]
    )
    preflight = await call(app, "OPTIONS", {"Origin": [TENANT], "Access-Control-Request-Method": ["PUT"]})
    actual = await call(app, "PUT", {"Origin": [TENANT]})
    assert (preflight[0], cors_lines(actual[1])["access-control-allow-origin"]) == (204, TENANT)
    assert recorder.calls == [TENANT]


# --- fails closed ---------------------------------------------------------------------------------


def raising(origin: str, scope: Scope) -> bool:
    raise RuntimeError("database down")


async def hanging(origin: str, scope: Scope) -> bool:
    await asyncio.sleep(60)
    return True


def not_a_bool(origin: str, scope: Scope) -> Any:
    return origin  # truthy, but no answer


@pytest.mark.parametrize(
    ("check", "logged"),
    [
        (raising, "raised RuntimeError: 'database down'"),
        (dynamic_origins(hanging, timeout=0.05), "no answer within 0.05 s"),
        (not_a_bool, "not True or False"),
    ],
    ids=["exception", "timeout", "not a bool"],
)
async def test_a_failing_callable_refuses_the_origin_and_logs_it(
    check: Any, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    spy = Spy()
    app = CORSMiddleware(spy, profile="fetch", origins=[LISTED, check], methods=["PUT"])
    with caplog.at_level(logging.WARNING, logger="flask_cors_asgi"):
        status, lines, body = await call(app, "GET", {"Origin": [TENANT]})
        preflight = await call(app, "OPTIONS", {"Origin": [TENANT], "Access-Control-Request-Method": ["PUT"]})
    assert (status, cors_lines(lines), body) == (200, {"vary": "Origin"}, b"bar")  # never a 500
    assert (preflight[0], cors_lines(preflight[1])) == (403, {})
    assert any(logged in r.getMessage() and repr(TENANT) in r.getMessage() for r in caplog.records)


# --- validation -----------------------------------------------------------------------------------


def problems(**options: Any) -> list[tuple[str, str]]:
    with pytest.raises(FetchConfigError) as raised:
        compile_fetch(options)
    return [(p.id, p.option) for p in raised.value.problems]


def test_a_callable_beside_the_wildcard_is_refused() -> None:
    assert problems(origins=["*", Recorder()]) == [("fetch.E019", "origins")]


def test_two_callables_are_refused() -> None:
    assert problems(origins=[Recorder(), dynamic_origins(Recorder())]) == [("fetch.E020", "origins")]


def test_pattern_checks_skip_the_callable_and_report_every_other_problem() -> None:
    assert problems(origins=[Recorder(), "https://a.example/path", "null"], max_age=-5) == [
        ("fetch.E002", "origins"),
        ("fetch.E003", "origins"),
        ("fetch.E012", "max_age"),
    ]


def test_a_callable_with_credentials_is_the_users_decision() -> None:
    config = compile_fetch({"origins": [Recorder()], "supports_credentials": True})
    assert config.origin_check is not None
    assert config.credentialed


def test_the_audit_and_the_decorator_take_a_callable() -> None:
    assert audit(profile="fetch", origins=[LISTED, Recorder()]) == []
    assert [p.id for p in audit(profile="fetch", origins=["*", Recorder()])] == ["fetch.E019"]
    with pytest.raises(FetchConfigError):
        cross_origin(profile="fetch", origins=["*", Recorder()])


async def test_a_decorated_route_asks_its_callable() -> None:
    recorder = AsyncRecorder(TENANT)

    @cross_origin(profile="fetch", origins=[recorder])
    def page(request: Request) -> Response:
        return PlainTextResponse("page")

    app = Starlette(routes=[Route("/page", page)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        admitted = await client.get("/page", headers={"Origin": TENANT})
        refused = await client.get("/page", headers={"Origin": OTHER})
    assert admitted.headers["access-control-allow-origin"] == TENANT
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["vary"] == "Origin"
    assert recorder.calls == [TENANT, OTHER]


async def test_a_shadow_policy_sharing_the_callable_reuses_the_requests_verdict() -> None:
    recorder = Recorder(TENANT)
    check = dynamic_origins(recorder, ttl=0)
    app = CORSMiddleware(
        Spy(),
        profile="fetch",
        origins=[check],
        shadow={"origins": [LISTED, check], "expose_headers": ["X-Total"]},
    )
    for origin in (TENANT, OTHER):
        await call(app, "GET", {"Origin": [origin]})
    # Both policies judge TENANT admitted and OTHER refused, on the one verdict each request got.
    assert app.shadow.counts["differences"] == 0
    assert recorder.calls == [TENANT, OTHER]


def test_origin_check_for_names_the_callable_where_it_decides() -> None:
    check = dynamic_origins(Recorder(TENANT))
    middleware = CORSMiddleware(Spy(), profile="fetch", origins=[LISTED, check])
    assert middleware.origin_check_for("/any", TENANT) is check
    assert middleware.origin_check_for("/any", LISTED) is None  # the patterns decide
    assert middleware.origin_check_for("/any", "null") is None  # never asked
    assert CORSMiddleware(Spy(), profile="fetch", origins=[LISTED]).origin_check_for("/", TENANT) is None
